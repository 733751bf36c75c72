//! A join way's QR code as WeCom serves it (`qr_code` from `get_join_way` is
//! `/sim/qr/{configId}`: a real QR image, a PNG as WeCom's are JPG or PNG), and what
//! scanning it opens: a page
//! where a person picks the customer who scans (`/sim/join/{configId}`), which joins
//! them to the way's group with its `state` and raises `change_external_chat`.

use actix_web::{web, HttpRequest, HttpResponse};
use qrcode::{Color, QrCode};

use super::layout;
use crate::Simulator;
use desk_shared::escape_html as escape;

pub(super) fn base(req: &HttpRequest) -> String {
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
    match qr_png(&target) {
        Ok(png) => HttpResponse::Ok()
            .content_type("image/png")
            .insert_header(("Cache-Control", "no-store"))
            .body(png),
        Err(e) => HttpResponse::InternalServerError().body(e),
    }
}

/// `text` as a QR code in a PNG: dark modules on white, a quiet zone of 4 modules,
/// each module a square of pixels so the image is at least 240 px wide.
pub(super) fn qr_png(text: &str) -> Result<Vec<u8>, String> {
    const QUIET: usize = 4;
    let code = QrCode::new(text.as_bytes()).map_err(|e| e.to_string())?;
    let width = code.width();
    let modules = width + 2 * QUIET;
    let scale = 240usize.div_ceil(modules);
    let side = modules * scale;
    let mut pixels = vec![255u8; side * side];
    for (i, color) in code.to_colors().into_iter().enumerate() {
        if color != Color::Dark {
            continue;
        }
        let (x, y) = ((i % width + QUIET) * scale, (i / width + QUIET) * scale);
        for row in y..y + scale {
            pixels[row * side + x..row * side + x + scale].fill(0);
        }
    }
    let mut out = Vec::new();
    let side = u32::try_from(side).map_err(|e| e.to_string())?;
    let mut encoder = png::Encoder::new(&mut out, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().map_err(|e| e.to_string())?;
    writer
        .write_image_data(&pixels)
        .map_err(|e| e.to_string())?;
    writer.finish().map_err(|e| e.to_string())?;
    Ok(out)
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

pub(super) fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_qr_code_is_a_square_png_of_at_least_240_px_in_black_and_white() {
        let png = qr_png("http://127.0.0.1:9090/sim/join/abc").expect("png");
        let mut reader = png::Decoder::new(std::io::Cursor::new(png))
            .read_info()
            .expect("a png");
        let mut pixels = vec![0; reader.output_buffer_size().expect("size")];
        let frame = reader.next_frame(&mut pixels).expect("frame");
        assert_eq!(frame.width, frame.height);
        assert!(frame.width >= 240, "{}", frame.width);
        let pixels = &pixels[..frame.buffer_size()];
        assert!(pixels.iter().all(|p| *p == 0 || *p == 255));
        assert!(pixels.contains(&0) && pixels.contains(&255));
        // The quiet zone: the first row is white.
        assert!(pixels[..frame.width as usize].iter().all(|p| *p == 255));
    }
}
