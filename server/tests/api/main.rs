//! Black-box tests: the real server and the WeCom simulator, each on port 0,
//! talking HTTP.

mod callback;
mod doctor;
mod helpers;
mod jssdk;
mod server;
mod simulator;
mod wecom_client;
