//! A stand-in business system for the demo: `GET /sim/erp/orders/{id}` answers the
//! orders it holds as `OrderInput` JSON (404 for others), so `integration.order_source`
//! (orders pulled on demand) can be seen working without an ERP. Not WeCom: it lives
//! here because the simulator is what the demo already runs beside the server.

use actix_web::{web, HttpResponse};
use desk_shared::OrderInput;

/// The orders the demo ERP knows: none of them is pushed, so each is pulled the
/// first time a member opens it.
pub const ERP_ORDERS: &[(&str, &str, &str, &str, &str, &str)] = &[(
    "DD-2001",
    "城南店 · 王女士阳台改造（业务系统拉取）",
    "zhangwei",
    "lina",
    "王女士",
    "13900000000",
)];

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/sim/erp/orders/{id}").get(order));
}

async fn order(id: web::Path<String>) -> HttpResponse {
    match ERP_ORDERS.iter().find(|o| o.0 == id.as_str()) {
        Some((_, title, designer, pm, customer, phone)) => HttpResponse::Ok().json(OrderInput {
            title: title.to_string(),
            designer_user_id: designer.to_string(),
            project_manager_user_id: pm.to_string(),
            customer_name: customer.to_string(),
            customer_phone: phone.to_string(),
            status: None,
        }),
        None => HttpResponse::NotFound().json(serde_json::json!({"error": "no such order"})),
    }
}
