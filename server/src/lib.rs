//! WeCom Desk server: JS-SDK signatures, WeCom API client with token/ticket caches,
//! callbacks, and the WeCom simulator. The binary is `wecom-desk`.

pub mod admin;
pub mod audit;
pub mod auth;
pub mod bridge;
pub mod callback;
pub mod clock;
pub mod config;
pub mod contacts;
pub mod db;
pub mod deadline;
pub mod demo;
pub mod doctor;
pub mod edge;
pub mod error;
pub mod groups;
pub mod h5;
pub mod handover;
pub mod health;
pub mod html;
pub mod ids;
pub mod integration;
pub mod joinway;
pub mod jssdk;
pub mod lease;
pub mod metrics;
pub mod openapi;
pub mod orders;
pub mod outbox;
pub mod scrape;
pub mod sidebar;
pub mod staffchat;
pub mod startup;
pub mod telemetry;
pub mod wecom;
pub mod workers;
