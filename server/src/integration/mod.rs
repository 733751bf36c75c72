//! What the business system uses: `/api/v1/` behind a Bearer API key.

use std::future::{ready, Ready};

use actix_web::http::{header, StatusCode};
use actix_web::{web, FromRequest, HttpRequest};
use secrecy::ExposeSecret;
use subtle::ConstantTimeEq;

use crate::error::{ApiError, ErrorCode};

pub mod orders;

/// `integration.api_keys`: the keys the business system may use.
#[derive(Debug, Clone)]
pub struct ApiKeys(pub Vec<secrecy::SecretString>);

/// Proof that the request carries one of `integration.api_keys`.
#[derive(Debug, Clone, Copy)]
pub struct ApiKey;

impl FromRequest for ApiKey {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(check(req))
    }
}

fn check(req: &HttpRequest) -> Result<ApiKey, ApiError> {
    let unauthorized = || {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            ErrorCode::BadApiKey,
            "需要有效的 API Key（Authorization: Bearer KEY，见 integration.api_keys）。/ A valid API key is required.",
        )
    };
    let given = req
        .headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|k| !k.is_empty())
        .ok_or_else(unauthorized)?;
    let keys = req
        .app_data::<web::Data<ApiKeys>>()
        .ok_or_else(|| ApiError::internal("ApiKeys missing"))?;
    // Compare against every key so the time taken does not tell which one matched.
    let matched = keys.0.iter().fold(false, |found, key| {
        found | bool::from(key.expose_secret().as_bytes().ct_eq(given.as_bytes()))
    });
    if matched {
        Ok(ApiKey)
    } else {
        Err(unauthorized())
    }
}
