//! Staff bindings: which WeCom member a business staff id is (`/api/v1/staff…`), each
//! checked with WeCom and audited; the admin console binds through the same functions.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};

use super::store::{self, Bound};
use super::{invalid, BridgeState};
use crate::clock::now_secs;
use crate::error::{ApiError, ErrorCode};
use crate::integration::ApiKey;
use crate::wecom::WeComErrorKind;
use desk_shared::integration::{StaffBinding, StaffBindingInput, StaffBindings};

/// `GET /api/v1/staff`: every staff binding.
#[utoipa::path(
    get,
    path = "/api/v1/staff",
    operation_id = "listStaffBindings",
    summary = "Every staff binding",
    tag = "integration",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Which WeCom member each business staff id is.", body = StaffBindings),
        (status = 401, description = "`bad_api_key`: no valid `Authorization: Bearer` key.", body = desk_shared::ApiError),
    )
)]
pub(super) async fn staff(
    _key: ApiKey,
    state: web::Data<BridgeState>,
) -> Result<HttpResponse, ApiError> {
    let staff = store::bindings(&state.db).await?;
    Ok(HttpResponse::Ok().json(StaffBindings { staff }))
}

/// `PUT /api/v1/staff/{staffId}` `{wecomUserId}`: 201 new, 200 changed; the member is
/// checked with WeCom (`user/get`).
#[utoipa::path(
    put,
    path = "/api/v1/staff/{staffId}",
    operation_id = "bindStaff",
    summary = "Bind a staff id to a WeCom member",
    tag = "integration",
    security(("api_key" = [])),
    params(("staffId" = String, Path, description = "The business system's staff id: 1 to 64 characters")),
    request_body = StaffBindingInput,
    responses(
        (status = 201, description = "Bound now.", body = desk_shared::integration::StaffBinding),
        (status = 200, description = "The binding changed.", body = desk_shared::integration::StaffBinding),
        (status = 400, description = "`invalid_field`, `unknown_member`: WeCom has no such member; `bad_json`.", body = desk_shared::ApiError),
        (status = 401, description = "`bad_api_key`: no valid `Authorization: Bearer` key.", body = desk_shared::ApiError),
        (status = 409, description = "`member_already_bound`: the member is another staff id's.", body = desk_shared::ApiError),
        (status = 502, description = "`wecom_failed`.", body = desk_shared::ApiError),
        (status = 504, description = "`wecom_timeout`.", body = desk_shared::ApiError),
    )
)]
pub(super) async fn bind(
    _key: ApiKey,
    state: web::Data<BridgeState>,
    staff_id: web::Path<String>,
    body: web::Json<StaffBindingInput>,
) -> Result<HttpResponse, ApiError> {
    Ok(
        bind_staff(&state, &staff_id, &body.wecom_user_id, "integration")
            .await?
            .answer(),
    )
}

/// Why a staff binding was refused.
#[derive(Debug, thiserror::Error)]
pub enum StaffError {
    /// The field as the JSON names it; `why` is Chinese.
    #[error("{field} is invalid: {why}")]
    InvalidField { field: &'static str, why: String },
    #[error("WeCom has no member {0}")]
    UnknownMember(String),
    #[error("member {userid} is bound to staff id {staff_id}")]
    MemberTaken { userid: String, staff_id: String },
    #[error("staff id not bound")]
    NotBound,
    #[error(transparent)]
    WeCom(#[from] crate::wecom::WeComError),
    #[error(transparent)]
    Database(#[from] sqlx::Error),
}

impl From<StaffError> for ApiError {
    fn from(e: StaffError) -> Self {
        match e {
            StaffError::InvalidField { field, why } => invalid(field, why),
            StaffError::UnknownMember(userid) => ApiError::bad_request(
                ErrorCode::UnknownMember,
                format!("企业微信里没有成员 {userid}，请检查成员账号（通讯录里的「账号」）。/ WeCom has no such member."),
            ),
            StaffError::MemberTaken { userid, staff_id } => ApiError::new(
                StatusCode::CONFLICT,
                ErrorCode::MemberAlreadyBound,
                format!("成员 {userid} 已绑定到员工 {staff_id}：请先解除员工 {staff_id} 的绑定。/ The member is bound to another staff id."),
            ),
            StaffError::NotBound => ApiError::new(
                StatusCode::NOT_FOUND,
                ErrorCode::UnknownStaff,
                "这个员工号没有绑定。/ This staff id is not bound.",
            ),
            StaffError::WeCom(e) => e.into(),
            StaffError::Database(e) => e.into(),
        }
    }
}

/// A binding made: new, or changed from another member.
pub enum Binding {
    Created(StaffBinding),
    Updated(StaffBinding),
}

impl Binding {
    /// 201 for a new binding, 200 for a changed one: both routes answer so.
    pub fn answer(self) -> HttpResponse {
        match self {
            Binding::Created(b) => HttpResponse::Created().json(b),
            Binding::Updated(b) => HttpResponse::Ok().json(b),
        }
    }
}

/// Binds a staff id to a member, checked with WeCom (`user/get`) first; refused when
/// the member is another staff id's. `by` goes into the audit log.
#[tracing::instrument(skip(state))]
pub async fn bind_staff(
    state: &BridgeState,
    staff_id: &str,
    wecom_user_id: &str,
    by: &str,
) -> Result<Binding, StaffError> {
    let invalid =
        |field, why: crate::ids::IdProblem| StaffError::InvalidField { field, why: why.0 };
    let staff_id = crate::ids::StaffId::parse(staff_id).map_err(|why| invalid("staffId", why))?;
    let userid = crate::ids::MemberId::parse(wecom_user_id.trim()).map_err(|_| {
        StaffError::InvalidField {
            field: "wecomUserId",
            why: "须为 1~64 个字符的企业微信成员账号".into(),
        }
    })?;
    let (staff_id, userid) = (staff_id.as_str(), userid.as_str());
    match state.wecom.member(userid).await {
        Ok(_) => {}
        Err(e) if e.kind() == WeComErrorKind::NoSuchMember => {
            return Err(StaffError::UnknownMember(userid.to_string()))
        }
        Err(e) => return Err(e.into()),
    }
    match store::bind(&state.db, staff_id, userid, by, now_secs()).await? {
        Bound::Created(b) => Ok(Binding::Created(b)),
        Bound::Updated(b) => Ok(Binding::Updated(b)),
        Bound::MemberTaken { staff_id } => Err(StaffError::MemberTaken {
            userid: userid.to_string(),
            staff_id,
        }),
    }
}

/// `DELETE /api/v1/staff/{staffId}`: 204, or 404 when not bound.
#[utoipa::path(
    delete,
    path = "/api/v1/staff/{staffId}",
    operation_id = "unbindStaff",
    summary = "Unbind a staff id",
    tag = "integration",
    security(("api_key" = [])),
    params(("staffId" = String, Path, description = "The business system's staff id")),
    responses(
        (status = 204, description = "Unbound."),
        (status = 401, description = "`bad_api_key`: no valid `Authorization: Bearer` key.", body = desk_shared::ApiError),
        (status = 404, description = "`unknown_staff`: the staff id is not bound.", body = desk_shared::ApiError),
    )
)]
pub(super) async fn unbind(
    _key: ApiKey,
    state: web::Data<BridgeState>,
    staff_id: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    unbind_staff(&state, &staff_id, "integration").await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Removes a binding; `NotBound` when there was none.
#[tracing::instrument(skip(state))]
pub async fn unbind_staff(state: &BridgeState, staff_id: &str, by: &str) -> Result<(), StaffError> {
    match store::unbind(&state.db, staff_id, by).await? {
        true => Ok(()),
        false => Err(StaffError::NotBound),
    }
}
