//! Black-box tests: the real server and the WeCom simulator, each on port 0,
//! talking HTTP.

mod admin;
mod attacks;
mod auth;
mod bridge;
mod callback;
mod doctor;
mod fidelity;
mod fixtures;
mod group_sync;
mod h5;
mod handover;
mod hardening;
mod helpers;
mod instances;
mod join_way_media;
mod join_ways;
mod jssdk;
mod metrics;
mod openapi;
mod order_source;
mod orders;
mod replies;
mod request_span;
mod robot_rate;
mod server;
mod sidebar;
mod sim_callbacks;
mod sim_media;
mod simulator;
mod wecom_client;
mod wecom_contract;
mod wecom_contract_handover;
mod wecom_contract_media;
