//! The `Admin` extractor: a member listed in `server.admin_userids`. A handler that
//! takes it cannot run for anyone else (401 without a session, 403 `admin_only`).

use std::future::Future;
use std::pin::Pin;

use actix_web::http::StatusCode;
use actix_web::{web, FromRequest, HttpRequest};

use super::{AuthState, Member};
use crate::error::{ApiError, ErrorCode};

/// A member who is an admin.
pub struct Admin(pub Member);

impl FromRequest for Admin {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let member = Member::from_request(req, payload);
        let admins = req
            .app_data::<web::Data<AuthState>>()
            .map(|s| s.admins.clone());
        Box::pin(async move {
            let member = member.await?;
            match admins {
                Some(admins) if admins.contains(&member.0.user_id) => Ok(Admin(member)),
                Some(_) => Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    ErrorCode::AdminOnly,
                    "只有管理员可以查看：请让管理员把你加入 server.admin_userids。/ Admins only.",
                )),
                None => Err(ApiError::internal("AuthState missing")),
            }
        })
    }
}
