//! A join way's QR code as WeCom serves it (`qr_code` from `get_join_way` is
//! `/sim/qr/{configId}`: a real QR image, SVG), and what scanning it opens: a page
//! where a person picks the customer who scans (`/sim/join/{configId}`), which joins
//! them to the way's group with its `state` and raises `change_external_chat`.

use actix_web::{web, HttpRequest, HttpResponse};
use qrcode::render::svg;
use qrcode::QrCode;

use super::layout;
use crate::Simulator;
use desk_shared::escape_html as escape;

fn base(req: &HttpRequest) -> String {
    let info = req.connection_info();
    format!("{}://{}", info.scheme(), info.host())
}

/// `GET /sim/qr/{configId}`: the QR image (404 for a join way that does not exist).
pub(super) async fn qr(
    sim: web::Data<Simulator>,
    req: HttpRequest,
    config_id: web::Path<String>,
) -> HttpResponse {
    if sim.with_world(|w| w.groups.join_way(&config_id).is_none()) {
        return HttpResponse::NotFound().body("no such join way");
    }
    let target = format!("{}/sim/join/{}", base(&req), urlencode(&config_id));
    match QrCode::new(target.as_bytes()) {
        Ok(code) => HttpResponse::Ok()
            .content_type("image/svg+xml")
            .insert_header(("Cache-Control", "no-store"))
            .body(
                code.render::<svg::Color>()
                    .min_dimensions(240, 240)
                    .quiet_zone(true)
                    .build(),
            ),
        Err(e) => HttpResponse::InternalServerError().body(e.to_string()),
    }
}

/// `GET /sim/join/{configId}`: "扫码进群": pick the customer who scanned.
pub(super) async fn page(sim: web::Data<Simulator>, config_id: web::Path<String>) -> HttpResponse {
    let found = sim.with_world(|w| {
        let way = w.groups.join_way(&config_id)?;
        let chat = way.settings.chat_id_list.first()?.clone();
        let name = w
            .groups
            .get(&chat)
            .map(|g| g.name.clone())
            .unwrap_or_default();
        let customers: String = w
            .directory
            .customers()
            .iter()
            .map(|c| {
                format!(
                    r#"<option value="{id}">{name}（{id}）</option>"#,
                    id = escape(&c.external_userid),
                    name = escape(&c.name)
                )
            })
            .collect();
        Some((name, customers))
    });
    let Some((group, customers)) = found else {
        return layout(
            "扫码进群（模拟）",
            r#"<p class="bad">二维码已失效（这个进群方式不存在或已删除）。</p>"#,
            "",
            "",
            "function feedUrl(){return location.href}",
        );
    };
    let form = format!(
        r#"<form id="scan"><p>微信扫码后将加入群聊「{group}」</p><label>扫码的客户 <select name="customer">{customers}</select></label><button type="submit">以这个客户身份进群</button><small id="result" role="status"></small></form>"#,
        group = escape(&group),
    );
    let script = format!(
        r#"const form=document.getElementById('scan'),out=document.getElementById('result');
function feedUrl(){{return location.href}}
form.onsubmit=async e=>{{e.preventDefault();out.textContent='进群中…';
try{{const r=await fetch('/sim/join-ways/{id}/scan',{{method:'POST',headers:{{'content-type':'application/json'}},body:JSON.stringify({{externalUserId:form.customer.value}})}});const v=await r.json();
out.textContent=r.ok?'已进群（'+v.chatId+'），企业微信已回调通知应用':'没有进群：'+v.error}}catch(err){{out.textContent='没有进群：'+err}}}};"#,
        id = urlencode(&config_id).replace('\'', "%27"),
    );
    layout("扫码进群（模拟）", &form, "", "", &script)
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
