//! The customer groups' activity in numbers: WeCom's 群聊数据统计 read once a day and
//! kept (`job.rs`; WeCom keeps only 180 days), answered per designer and day to the
//! console's 数据 section (`GET /api/admin/stats/groups`).

pub mod days;
pub mod job;
mod store;

use std::collections::BTreeMap;

use actix_web::{web, HttpResponse};
use desk_shared::storevisit::{DesignerTotals, GroupDay, GroupStats, GroupStatsReport};
use serde::Deserialize;

use crate::auth::Admin;
use crate::db::Db;
use crate::error::ApiError;
use crate::orders::OrdersState;
use crate::wecom::WeComClient;

/// The longest span one answer covers: all WeCom keeps.
const MAX_SPAN_DAYS: i64 = job::KEPT_DAYS;
/// The span answered when none is asked for.
const DEFAULT_SPAN_DAYS: i64 = 30;

/// What the statistics job and its route need.
pub struct GroupStatsJob {
    pub db: Db,
    pub wecom: WeComClient,
    pub clock: crate::clock::Clock,
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/api/admin/stats/groups").get(report))
        .service(web::resource("/api/admin/stats/groups/read").post(read_now));
}

/// This capability's operations in `/api/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(report, read_now))]
pub struct Api;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
struct Range {
    /// First day, `YYYY-MM-DD` (Beijing); default: 29 days before `to`.
    #[serde(default)]
    from: String,
    /// Last day, `YYYY-MM-DD`; default: yesterday.
    #[serde(default)]
    to: String,
    /// One designer's member id; default: every designer.
    #[serde(default)]
    designer: String,
}

/// `GET /api/admin/stats/groups`.
#[utoipa::path(
    get,
    path = "/api/admin/stats/groups",
    operation_id = "groupStats",
    summary = "The customer groups' daily activity per designer",
    tag = "admin",
    security(("session_cookie" = [])),
    description = "Admins only. From WeCom's 群聊数据统计, read once a day for the designers of \
        orders with a customer group and kept. `days` has a row per designer and day that was \
        read; `designers` each designer's totals over the days (messages, new groups and \
        members, and the daily counts of groups and people with messages summed; `chats` \
        and `members` as on the last day). At most 180 days; `from` after `to`, a day that \
        is not a real `YYYY-MM-DD`, or a longer span is 400.",
    params(Range),
    responses(
        (status = 200, description = "The days and totals.", body = GroupStatsReport),
        (status = 400, description = "`invalid_field` (`from`, `to` or `designer`).", body = desk_shared::ApiError),
        (status = 401, description = "`not_logged_in`.", body = desk_shared::ApiError),
        (status = 403, description = "`admin_only`.", body = desk_shared::ApiError),
    )
)]
async fn report(
    _admin: Admin,
    job: web::Data<GroupStatsJob>,
    orders: web::Data<OrdersState>,
    range: web::Query<Range>,
) -> Result<HttpResponse, ApiError> {
    let yesterday = days::day_of(job.clock.now_secs()) - time::Duration::days(1);
    let day = |field: &'static str, text: &str, default: time::Date| match text.trim() {
        "" => Ok(default),
        t => days::parse(t)
            .ok_or_else(|| ApiError::invalid_field(field, "须为 YYYY-MM-DD 格式的日期")),
    };
    let to = day("to", &range.to, yesterday)?;
    let from = day(
        "from",
        &range.from,
        to - time::Duration::days(DEFAULT_SPAN_DAYS - 1),
    )?;
    if from > to {
        return Err(ApiError::invalid_field("from", "开始日期不能晚于结束日期"));
    }
    if (to - from).whole_days() >= MAX_SPAN_DAYS {
        return Err(ApiError::invalid_field(
            "from",
            &format!("最多查看 {MAX_SPAN_DAYS} 天（企业微信只保留 180 天）"),
        ));
    }
    let designer = range.designer.trim();
    if !designer.is_empty() && crate::ids::check_id(designer, crate::ids::MAX_ID_CHARS).is_err() {
        return Err(ApiError::invalid_field("designer", "成员 ID 不合法"));
    }
    let (from, to) = (days::name(from), days::name(to));
    let rows = store::read(
        &job.db,
        &from,
        &to,
        Some(designer).filter(|d| !d.is_empty()),
    )
    .await?;
    let mut totals: BTreeMap<String, GroupStats> = BTreeMap::new();
    let days = rows
        .into_iter()
        .map(|(day, designer, stats)| {
            let total = totals.entry(designer.clone()).or_default();
            total.add(&stats);
            // Groups and members are counts on a day: the total is the last day's.
            total.chats = stats.chats;
            total.members = stats.members;
            GroupDay {
                day,
                designer,
                stats,
            }
        })
        .collect();
    let mut designers = Vec::with_capacity(totals.len());
    for (userid, totals) in totals {
        let designer = orders.directory.person(&orders.wecom, &userid).await;
        designers.push(DesignerTotals { designer, totals });
    }
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(GroupStatsReport {
            days,
            designers,
            from,
            to,
            read_through: store::last_read(&job.db).await?.map(|(day, _)| day),
        }))
}

/// `POST /api/admin/stats/groups/read`.
#[utoipa::path(
    post,
    path = "/api/admin/stats/groups/read",
    operation_id = "readGroupStats",
    summary = "Read the missing days from WeCom now",
    tag = "admin",
    security(("session_cookie" = [])),
    description = "Admins only. What the daily job does, now: every day not read yet up to \
        yesterday (the last 30 on the first read). Answers how many days were read (0 when \
        another instance is reading). No body: send `X-Desk-Request`.",
    responses(
        (status = 200, description = "`{days}`: how many days were read now.", body = serde_json::Value),
        (status = 401, description = "`not_logged_in`.", body = desk_shared::ApiError),
        (status = 403, description = "`admin_only`.", body = desk_shared::ApiError),
        (status = 502, description = "`wecom_failed`: WeCom refused (days read before it are kept).", body = desk_shared::ApiError),
        (status = 504, description = "`wecom_timeout`.", body = desk_shared::ApiError),
    )
)]
async fn read_now(_admin: Admin, job: web::Data<GroupStatsJob>) -> Result<HttpResponse, ApiError> {
    let days = job.read_missing().await.map_err(|e| match e {
        job::ReadError::WeCom(e) => ApiError::from(e),
        job::ReadError::Database(e) => ApiError::from(e),
    })?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "days": days })))
}
