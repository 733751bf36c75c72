//! Temporary media the simulator keeps (上传临时素材, D-96484): what `media/upload`
//! took, each for 3 days on the simulator's clock, and where a person or a page sees
//! it: `GET /sim/media/{mediaId}` serves the bytes (the simulated client's
//! `sendChatMessage` sheet shows an image from there), `GET /sim/media` lists them.
//! Memory is bounded: expired media go first, then the oldest past 500 files or 64 MB.

use std::collections::VecDeque;

use actix_web::http::header;
use actix_web::{web, HttpResponse};
use desk_wecom::types::{MediaType, MEDIA_LIFETIME_SECS};
use serde_json::json;

use crate::Simulator;

/// Files kept at most.
pub const KEPT_MEDIA: usize = 500;
/// Bytes kept at most, over every file.
pub const KEPT_MEDIA_BYTES: usize = 64 * 1024 * 1024;

/// One uploaded file.
#[derive(Debug, Clone)]
pub struct StoredMedia {
    pub media_id: String,
    pub kind: MediaType,
    pub filename: String,
    /// As the upload's part said, or `application/octet-stream`.
    pub content_type: String,
    pub bytes: web::Bytes,
    /// Unix seconds on the simulator's clock.
    pub created_at: i64,
    /// The app that uploaded it (media ids serve every app of the corp).
    pub agent_id: i64,
}

impl StoredMedia {
    pub fn expires_at(&self) -> i64 {
        self.created_at + MEDIA_LIFETIME_SECS
    }
}

/// The media kept, oldest first.
#[derive(Debug, Default)]
pub struct MediaStore {
    kept: VecDeque<StoredMedia>,
    bytes: usize,
}

impl MediaStore {
    /// Keeps `media`, letting go of expired ones and then the oldest past the caps.
    pub fn add(&mut self, media: StoredMedia, now: i64) {
        self.kept.retain(|m| m.expires_at() > now);
        self.bytes = self.kept.iter().map(|m| m.bytes.len()).sum();
        self.bytes += media.bytes.len();
        self.kept.push_back(media);
        while self.kept.len() > KEPT_MEDIA || self.bytes > KEPT_MEDIA_BYTES {
            match self.kept.pop_front() {
                Some(old) => self.bytes -= old.bytes.len(),
                None => break,
            }
        }
    }

    /// The media `media_id` names, while WeCom would still know it.
    pub fn get(&self, media_id: &str, now: i64) -> Option<&StoredMedia> {
        self.kept
            .iter()
            .find(|m| m.media_id == media_id && m.expires_at() > now)
    }

    /// The media still valid, oldest first.
    pub fn valid(&self, now: i64) -> impl Iterator<Item = &StoredMedia> {
        self.kept.iter().filter(move |m| m.expires_at() > now)
    }
}

pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/sim/media", web::get().to(list))
        .route("/sim/media/{media_id}", web::get().to(file));
}

/// `GET /sim/media` → `{media: [{mediaId, type, filename, contentType, size,
/// createdAt, expiresAt}]}`, the valid ones, oldest first.
async fn list(sim: web::Data<Simulator>) -> HttpResponse {
    let media: Vec<_> = sim.with_world(|w| {
        let now = w.clock.now_secs();
        w.media
            .valid(now)
            .map(|m| {
                json!({
                    "mediaId": m.media_id, "type": m.kind.as_str(), "filename": m.filename,
                    "contentType": m.content_type, "size": m.bytes.len(),
                    "createdAt": m.created_at, "expiresAt": m.expires_at(),
                })
            })
            .collect()
    });
    HttpResponse::Ok().json(json!({ "media": media }))
}

/// `GET /sim/media/{mediaId}`: the file as uploaded; 404 once expired or unknown.
async fn file(sim: web::Data<Simulator>, media_id: web::Path<String>) -> HttpResponse {
    let found = sim.with_world(|w| {
        let now = w.clock.now_secs();
        w.media
            .get(&media_id, now)
            .map(|m| (m.content_type.clone(), m.bytes.clone()))
    });
    match found {
        // Images as what they are (the sheet shows them); anything else only as a
        // download, whatever type the uploader claimed (no page of this origin runs it).
        Some((content_type, bytes))
            if matches!(content_type.as_str(), "image/png" | "image/jpeg") =>
        {
            HttpResponse::Ok()
                .content_type(content_type)
                .insert_header((header::CACHE_CONTROL, "no-store"))
                .insert_header(("X-Content-Type-Options", "nosniff"))
                .body(bytes)
        }
        Some((_, bytes)) => HttpResponse::Ok()
            .content_type("application/octet-stream")
            .insert_header((header::CONTENT_DISPOSITION, "attachment"))
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header(("X-Content-Type-Options", "nosniff"))
            .body(bytes),
        None => {
            HttpResponse::NotFound().json(json!({"errcode": 40007, "errmsg": "invalid media_id"}))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn media(id: &str, size: usize, created_at: i64) -> StoredMedia {
        StoredMedia {
            media_id: id.into(),
            kind: MediaType::File,
            filename: "f.bin".into(),
            content_type: "application/octet-stream".into(),
            bytes: web::Bytes::from(vec![1u8; size]),
            created_at,
            agent_id: 1,
        }
    }

    #[test]
    fn media_expire_after_three_days_and_the_oldest_go_past_the_caps() {
        let mut store = MediaStore::default();
        store.add(media("a", 10, 1000), 1000);
        assert!(store.get("a", 1000 + MEDIA_LIFETIME_SECS - 1).is_some());
        assert!(store.get("a", 1000 + MEDIA_LIFETIME_SECS).is_none());
        for i in 0..KEPT_MEDIA {
            store.add(media(&format!("m{i}"), 10, 2000), 2000);
        }
        assert!(store.get("a", 2000).is_none(), "the oldest went");
        assert_eq!(store.valid(2000).count(), KEPT_MEDIA);
        store.add(media("big1", KEPT_MEDIA_BYTES / 2, 3000), 3000);
        store.add(media("big2", KEPT_MEDIA_BYTES / 2, 3000), 3000);
        assert!(store.get("m0", 3000).is_none());
        assert!(store.get("big1", 3000).is_some() && store.get("big2", 3000).is_some());
        store.add(media("big3", 10, 3000), 3000);
        assert!(
            store.get("big1", 3000).is_none(),
            "over 64 MB: the oldest went"
        );
    }
}
