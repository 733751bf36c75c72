//! `media/upload` (D-96484) against its documented shapes: the client sends the
//! documented form (the file in the part `media`, with its file name and content type,
//! `type` in the query) and reads the documented answer (`created_at` a string); the
//! simulator answers every documented field. And the client's bounded download of an
//! image WeCom links to (a join way's `qr_code`).

use std::sync::Arc;

use actix_web::{web, App, HttpRequest, HttpResponse, HttpServer};
use desk_server::wecom::types::{Image, ImageFetchError, ImageFormat};
use desk_server::wecom::{WeComClient, WeComError};
use parking_lot::Mutex;
use secrecy::SecretString;
use serde_json::{json, Value};

use crate::helpers::*;
use crate::wecom_contract::{doc, missing};

const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDRsmall";
const TEN_MB: usize = 10 * 1024 * 1024;

/// What the stand-in saw of an upload: query, content type, body.
type Seen = Arc<Mutex<Vec<(String, String, Vec<u8>)>>>;

/// A stand-in WeCom: `gettoken` and `media/upload` answered as documented (plus a
/// field WeCom might add), and a few images to download.
async fn stand_in() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let server = HttpServer::new(move || {
        let s = s.clone();
        App::new()
            .route(
                "/cgi-bin/gettoken",
                web::get().to(|| async { HttpResponse::Ok().json(doc("gettoken").response(None)) }),
            )
            .route(
                "/cgi-bin/media/upload",
                web::post().to(move |req: HttpRequest, body: web::Bytes| {
                    let s = s.clone();
                    async move {
                        let content_type = req
                            .headers()
                            .get("content-type")
                            .and_then(|v| v.to_str().ok())
                            .unwrap_or_default()
                            .to_string();
                        s.lock().push((
                            req.query_string().to_string(),
                            content_type,
                            body.to_vec(),
                        ));
                        let mut answer = doc("media/upload").response(None);
                        answer["a_field_from_next_year"] = json!({"x": [1]});
                        HttpResponse::Ok().json(answer)
                    }
                }),
            )
            .route(
                "/qr.png",
                web::get().to(|| async { HttpResponse::Ok().content_type("image/png").body(PNG) }),
            )
            .route(
                "/moved.png",
                web::get().to(|| async {
                    HttpResponse::Found()
                        .insert_header(("Location", "/qr.png"))
                        .finish()
                }),
            )
            .route(
                "/qr.svg",
                web::get().to(|| async {
                    HttpResponse::Ok()
                        .content_type("image/svg+xml")
                        .body("<svg xmlns='http://www.w3.org/2000/svg'/>")
                }),
            )
            .route(
                "/big.png",
                web::get().to(|| async {
                    let mut big = PNG.to_vec();
                    big.resize(TEN_MB + 1, 0);
                    HttpResponse::Ok().body(big)
                }),
            )
            .route(
                "/streamed.png",
                web::get().to(|| async {
                    // No Content-Length: the cap holds as the bytes arrive.
                    let chunks = (0..11).map(|i| {
                        let mut chunk = vec![0u8; 1024 * 1024];
                        if i == 0 {
                            chunk[..PNG.len()].copy_from_slice(PNG);
                        }
                        Ok::<_, actix_web::Error>(web::Bytes::from(chunk))
                    });
                    HttpResponse::Ok().streaming(futures::stream::iter(chunks))
                }),
            )
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .expect("bind stand-in");
    let url = format!("http://{}", server.addrs()[0]);
    tokio::spawn(server.run());
    (url, seen)
}

fn client(url: &str) -> WeComClient {
    WeComClient::new(&desk_server::config::WeComSettings {
        api_base: url.to_string(),
        corp_id: "ww-contract".into(),
        agent_id: 1000002,
        agent_secret: SecretString::from("contract-secret"),
        oauth_base: url.to_string(),
        timeout_secs: 5,
        request_deadline_secs: 10.0,
    })
    .expect("client")
}

#[tokio::test]
async fn the_client_uploads_the_documented_form_and_reads_the_documented_answer() {
    let (url, seen) = stand_in().await;
    let c = client(&url);
    let image = c
        .fetch_image(&format!("{url}/qr.png"))
        .await
        .expect("a png");
    assert_eq!(image.format(), ImageFormat::Png);
    assert_eq!(image.bytes(), PNG);

    let uploaded = c.upload_image(&image, "join-qr").await.expect("uploaded");
    let documented = doc("media/upload").response(None);
    assert_eq!(json!(uploaded.media_id), documented["media_id"]);
    assert_eq!(uploaded.created_at.to_string(), documented["created_at"]);
    assert_eq!(uploaded.expires_at(), 1_380_000_000 + 3 * 86_400);

    let (query, content_type, body) = seen.lock().last().cloned().expect("an upload");
    let query: Vec<(String, String)> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let keys: Vec<&str> = query.iter().map(|(k, _)| k.as_str()).collect();
    assert!(
        keys.iter().all(|k| ["type", "access_token"].contains(k)),
        "{keys:?}"
    );
    assert!(
        query.contains(&("type".into(), "image".into())),
        "{query:?}"
    );
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap_or_else(|| panic!("a form: {content_type}"));
    let text = String::from_utf8_lossy(&body);
    assert_eq!(
        text.matches(&format!("--{boundary}\r\n")).count(),
        1,
        "one part"
    );
    assert!(
        text.contains("Content-Disposition: form-data; name=\"media\"; filename=\"join-qr.png\""),
        "{text}"
    );
    assert!(text.contains("Content-Type: image/png\r\n\r\n"), "{text}");
    let start = body
        .windows(PNG.len())
        .position(|w| w == PNG)
        .expect("the image in the part");
    assert_eq!(&body[start + PNG.len()..start + PNG.len() + 2], b"\r\n");
}

#[tokio::test]
async fn only_a_png_or_jpeg_of_at_most_ten_megabytes_is_downloaded() {
    let (url, _) = stand_in().await;
    let c = client(&url);
    for path in ["big.png", "streamed.png"] {
        let e = c
            .fetch_image(&format!("{url}/{path}"))
            .await
            .expect_err(path);
        assert!(
            matches!(e, ImageFetchError::TooLarge { limit } if limit == TEN_MB),
            "{path}: {e:?}"
        );
    }
    let e = c
        .fetch_image(&format!("{url}/qr.svg"))
        .await
        .expect_err("svg");
    assert!(matches!(e, ImageFetchError::NotAnImage), "{e:?}");
    let e = c
        .fetch_image(&format!("{url}/gone.png"))
        .await
        .expect_err("404");
    assert!(
        matches!(e, ImageFetchError::Fetch(WeComError::Status(404))),
        "{e:?}"
    );
    // A redirect is not followed (WeCom's image address answers the image itself): an
    // address WeCom gave never leads the server somewhere else.
    let e = c
        .fetch_image(&format!("{url}/moved.png"))
        .await
        .expect_err("a redirect");
    assert!(
        matches!(e, ImageFetchError::Fetch(WeComError::Status(302))),
        "{e:?}"
    );
    for bad in ["ftp://example.com/qr.png", "not a url"] {
        let e = c.fetch_image(bad).await.expect_err(bad);
        assert!(matches!(e, ImageFetchError::BadUrl), "{bad}: {e:?}");
    }
    // An image in hand is checked the same way.
    assert!(Image::from_bytes(PNG.to_vec()).is_ok());
}

#[tokio::test]
async fn the_simulator_answers_every_documented_field_of_an_upload() {
    let sim = spawn_simulator().await;
    let token: Value = sim
        .get_json(&format!(
            "/cgi-bin/gettoken?corpid={CORP_ID}&corpsecret={SECRET}"
        ))
        .await;
    let token = token["access_token"].as_str().expect("token");
    let documented = doc("media/upload");
    let spec = &documented.json["multipart"];
    let part = reqwest::multipart::Part::bytes(PNG.to_vec())
        .file_name("qr.png")
        .mime_str("image/png")
        .expect("mime");
    let ours: Value = sim
        .http
        .post(format!("{}/cgi-bin/media/upload", sim.url))
        .query(&[("access_token", token), ("type", "image")])
        .multipart(
            reqwest::multipart::Form::new()
                .part(spec["name"].as_str().expect("part name").to_string(), part),
        )
        .send()
        .await
        .expect("answer")
        .json()
        .await
        .expect("json");
    assert_eq!(ours["errcode"], 0, "{ours}");
    let mut wrong = Vec::new();
    missing(
        &ours,
        &documented.response(None),
        "media/upload",
        &[],
        &mut wrong,
    );
    assert!(wrong.is_empty(), "{wrong:#?}");
}
