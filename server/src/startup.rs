//! Builds the application from settings: bound listener (port 0 works), the state
//! each capability needs (worked out once), one `configure()` per capability, and
//! the background workers.

use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{Server, ServerHandle};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::{from_fn, Condition, Next};
use actix_web::{web, App, HttpResponse, HttpServer};
use anyhow::Context;
use secrecy::ExposeSecret;
use tracing::Instrument;

use crate::admin::AdminState;
use crate::auth::AuthState;
use crate::bridge::BridgeState;
use crate::callback::worker::Processor;
use crate::callback::CallbackState;
use crate::config::Settings;
use crate::contacts::directory::MemberDirectory;
use crate::contacts::CustomerMirror;
use crate::error::{json_error, query_error, ApiError};
use crate::integration::ApiKeys;
use crate::jssdk::{AllowedOrigins, SignatureState};
use crate::orders::OrdersState;
use crate::outbox::events::Events;
use crate::outbox::{Outbox, Robots};
use crate::wecom::crypto::CallbackCrypto;
use crate::wecom::{RetryPolicy, WeComClient};
use crate::workers::Workers;
use crate::{admin, auth, bridge, callback, edge, groups, h5, health, jssdk, orders, sidebar};

/// Largest JSON body the API accepts.
pub const JSON_LIMIT: usize = 64 * 1024;

/// All routes of the server.
pub fn routes(cfg: &mut web::ServiceConfig) {
    health::configure(cfg);
    auth::configure(cfg);
    jssdk::configure(cfg);
    orders::configure(cfg);
    crate::integration::orders::configure(cfg);
    groups::configure(cfg);
    sidebar::configure(cfg);
    admin::configure(cfg);
    bridge::configure(cfg);
    crate::joinway::configure(cfg);
    crate::staffchat::configure(cfg);
    crate::handover::configure(cfg);
    crate::replies::configure(cfg);
    crate::storevisit::configure(cfg);
    crate::stats::configure(cfg);
    callback::configure(cfg);
    crate::openapi::configure(cfg);
}

pub struct Application {
    port: u16,
    server: Server,
    workers: Workers,
}

impl Application {
    /// How many rounds each background worker has finished (tests wait on it).
    pub fn rounds(&self) -> crate::workers::Rounds {
        self.workers.rounds()
    }

    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        Self::build_with_retry(settings, RetryPolicy::default()).await
    }

    /// As `build`, with a given retry policy (tests use short pauses).
    pub async fn build_with_retry(settings: Settings, retry: RetryPolicy) -> anyhow::Result<Self> {
        Self::build_with(settings, retry, crate::clock::Clock::system()).await
    }

    /// As `build`, with a given retry policy and clock (tests move the clock forward
    /// instead of sleeping: sessions are timed by it).
    pub async fn build_with(
        settings: Settings,
        retry: RetryPolicy,
        clock: crate::clock::Clock,
    ) -> anyhow::Result<Self> {
        let listener = edge::listen(&settings.server.listen)
            .with_context(|| format!("cannot listen on {}", settings.server.listen))?;
        let port = listener.local_addr()?.port();
        let db = crate::db::connect(settings.database.url.expose_secret()).await?;
        let filled = crate::orders::store::backfill_phone_keys(&db)
            .await
            .context("cannot fill in the orders' phone keys")?;
        if filled > 0 {
            tracing::info!(orders = filled, "phone keys filled in for older orders");
        }
        let wecom = WeComClient::build(&settings.wecom, retry, clock.clone())
            .context("cannot build the WeCom client")?;
        // Several instances on one PostgreSQL fetch each credential once for all.
        // (On SQLite there is one instance; a demo's simulator starts with new tickets.)
        if crate::db::backend(&db) == crate::db::Backend::Postgres {
            wecom.share_credentials(&db);
        }
        let events = Events::from_settings(&settings.integration)?;
        let outbox = Arc::new(Outbox::new(
            db.clone(),
            wecom.clone(),
            Robots::from_settings(&settings.robot)?,
            events.clone(),
            settings.outbox.clone(),
            clock.clone(),
        )?);
        if crate::db::backend(&db) == crate::db::Backend::Sqlite {
            // One instance on SQLite: what a dead process had claimed is free now.
            let inbox = crate::callback::store::release_claims(&db).await?;
            let out = crate::outbox::store::release_claims(&db).await?;
            let handovers = crate::lease::store::release_all(&db, "handover:").await?;
            if inbox + out + handovers > 0 {
                tracing::info!(
                    callbacks = inbox,
                    outbox = out,
                    handovers,
                    "work a stopped process had claimed is taken up again"
                );
            }
        }
        let signatures = web::Data::new(SignatureState {
            wecom: wecom.clone(),
            allowed_origins: AllowedOrigins::parse(&settings.server.allowed_origins)
                .map_err(anyhow::Error::msg)?,
        });
        let auth = web::Data::new(AuthState::new(
            &settings,
            db.clone(),
            wecom.clone(),
            clock.clone(),
        )?);
        let allowance = Arc::new(crate::auth::Allowance::default());
        let orders = web::Data::new(OrdersState {
            db: db.clone(),
            wecom: wecom.clone(),
            customers: CustomerMirror::new(
                Duration::from_secs(settings.contacts.max_age_secs),
                Duration::from_secs(settings.contacts.forced_refresh_secs),
            ),
            directory: MemberDirectory::default(),
            source: crate::orders::source::OrderSource::from_settings(&settings.integration)?,
            events: events.clone(),
            outbox_wake: outbox.wake_signal(),
            allowance: allowance.clone(),
            clock: clock.clone(),
        });
        let cards = web::Data::new(sidebar::CustomerCards::new(
            Duration::from_secs(settings.contacts.profile_ttl_secs),
            allowance,
            clock,
        ));
        let bridge = web::Data::new(BridgeState {
            db: db.clone(),
            wecom: wecom.clone(),
            outbox: outbox.clone(),
        });
        let handovers = web::Data::new(crate::handover::Handovers::new(
            orders.clone(),
            settings.handover.clone(),
        ));
        let join_ways = web::Data::new(crate::joinway::JoinWays {
            db: db.clone(),
            wecom: wecom.clone(),
            events: events.clone(),
            outbox: outbox.clone(),
            admins: settings.server.admin_userids.clone(),
            owners: settings.pool.owner_userids.clone(),
            low_threshold: settings.pool.low_threshold,
            clock: orders.clock.clone(),
        });
        let store_visit = web::Data::new(crate::storevisit::StoreVisit {
            db: db.clone(),
            wecom: wecom.clone(),
            orders: orders.clone(),
            join_ways: join_ways.clone(),
            outbox: outbox.clone(),
            settings: settings.automation.clone(),
            public_url: settings.server.public_url.clone(),
            clock: orders.clock.clone(),
        });
        let group_stats = web::Data::new(crate::stats::GroupStatsJob {
            db: db.clone(),
            wecom: wecom.clone(),
            clock: orders.clock.clone(),
        });
        let acts = crate::callback::worker::Acts {
            orders: orders.clone(),
            cards: cards.clone(),
            bridge: bridge.clone(),
            handovers: handovers.clone(),
            store_visit: store_visit.clone(),
        };
        let processor = Arc::new(Processor::new(
            db.clone(),
            acts,
            &settings.outbox,
            settings.callback.max_clock_skew_secs,
        ));
        anyhow::ensure!(
            settings.server.max_connections > 0,
            "server.max_connections must be at least 1"
        );
        let connections = edge::Connections::new(settings.server.max_connections);
        let callback = web::Data::new(CallbackState {
            db: db.clone(),
            inbox: crate::callback::inbox::Inbox::start(
                db.clone(),
                processor.wake_signal(),
                processor.urgent_signal(),
                settings.callback.inbox_queue,
            ),
            crypto: callback_crypto(&settings)?,
            max_clock_skew_secs: settings.callback.max_clock_skew_secs,
            connections: connections.clone(),
        });
        let staff_chats = web::Data::new(crate::staffchat::StaffChats {
            outbox: outbox.clone(),
            public_url: settings.server.public_url.clone(),
        });
        let replies = web::Data::new(crate::replies::QuickReplies::new(
            db.clone(),
            orders.clock.clone(),
        ));
        let api_keys = web::Data::new(ApiKeys(settings.integration.api_keys.clone()));
        let admin = web::Data::new(AdminState::new(settings.clone()));
        let metrics = settings.metrics.enabled;
        let scrape = match metrics {
            true => Some(web::Data::new(
                crate::scrape::Scrape::from_settings(&settings.metrics, db.clone())
                    .context("[metrics]")?,
            )),
            false => None,
        };
        let db = web::Data::new(db);
        warm_up(wecom);

        let mut workers = Workers::default();
        let sweeper = auth.clone();
        workers.every(
            "sessions",
            Duration::from_secs(settings.server.session_sweep_secs.max(1)),
            move || {
                let sweeper = sweeper.clone();
                async move { sweeper.sweep_sessions().await }
            },
        );

        let inbox = processor.clone();
        workers.on_wake_gathering(
            "callbacks",
            Duration::from_secs(1),
            crate::callback::worker::GATHER,
            processor.wake_signal(),
            move || {
                let inbox = inbox.clone();
                async move { inbox.round().await }
            },
        );
        let out = outbox.clone();
        workers.on_wake_gathering(
            "outbox",
            Duration::from_millis(500),
            crate::outbox::GATHER,
            outbox.wake_signal(),
            move || {
                let out = out.clone();
                async move { out.round().await }
            },
        );

        anyhow::ensure!(
            settings.groups.resync_every_secs <= 30 * 24 * 3600
                && settings.groups.pace_ms <= 3_600_000,
            "groups.resync_every_secs must be at most 30 days (2592000) and groups.pace_ms at most an hour (3600000)"
        );
        if let Some(resync) = groups::sync::GroupResync::new(orders.clone(), &settings.groups) {
            let resync = Arc::new(resync);
            workers.every("groups.resync", resync.period(), move || {
                let resync = resync.clone();
                async move { resync.round().await }
            });
        }

        let job = handovers.clone();
        workers.on_wake(
            "handovers",
            Duration::from_secs(5),
            handovers.wake.clone(),
            move || {
                let job = job.clone();
                async move { crate::handover::job::round(&job).await }
            },
        );
        let reader = handovers.clone();
        let read_every = Duration::from_secs(settings.handover.leavers_read_secs.max(60));
        // Read once at start (the permit rings the first round), then every period.
        let read_now = Arc::new(tokio::sync::Notify::new());
        read_now.notify_one();
        workers.on_wake("handover.leavers", read_every, read_now, move || {
            let reader = reader.clone();
            async move { crate::handover::leavers::round(&reader).await }
        });

        let stats = group_stats.clone();
        // Read at start (missing days), then every hour: WeCom has yesterday's numbers
        // some time after midnight.
        let stats_now = Arc::new(tokio::sync::Notify::new());
        stats_now.notify_one();
        workers.on_wake(
            "stats.groups",
            Duration::from_secs(3600),
            stats_now,
            move || {
                let stats = stats.clone();
                async move { stats.round().await }
            },
        );

        let http_workers = settings.server.workers.unwrap_or_else(default_workers);
        let h5_source = h5::H5Source::for_static_dir(settings.server.static_dir.as_deref());
        tracing::info!(
            version = crate::version::LONG,
            h5 = %h5_source,
            h5_built = h5_source.is_built(),
            "serving the H5"
        );
        let bridge_script = settings.server.bridge_script.clone();
        let deadline_secs = settings.wecom.request_deadline_secs;
        anyhow::ensure!(
            deadline_secs.is_finite() && deadline_secs > 0.0,
            "wecom.request_deadline_secs must be a positive number of seconds"
        );
        let deadline = edge::RequestDeadline(Duration::from_secs_f64(deadline_secs.min(600.0)));
        let own_origin = edge::OwnOrigin::of(&settings.server.public_url);
        h5::check_verify_files(&settings.server.domain_verify_files)?;
        let verify_files = settings.server.domain_verify_files.clone();
        let server = HttpServer::new(move || {
            App::new()
                .wrap(from_fn(edge::guard))
                .wrap(Condition::new(metrics, from_fn(crate::metrics::measure)))
                .wrap(from_fn(access_log))
                .app_data(db.clone())
                .app_data(auth.clone())
                .app_data(signatures.clone())
                .app_data(orders.clone())
                .app_data(handovers.clone())
                .app_data(cards.clone())
                .app_data(callback.clone())
                .app_data(bridge.clone())
                .app_data(join_ways.clone())
                .app_data(store_visit.clone())
                .app_data(group_stats.clone())
                .app_data(staff_chats.clone())
                .app_data(replies.clone())
                .app_data(api_keys.clone())
                .app_data(admin.clone())
                .app_data(deadline)
                .app_data(own_origin.clone())
                .app_data(
                    web::JsonConfig::default()
                        .limit(JSON_LIMIT)
                        .error_handler(|e, _| json_error(e)),
                )
                .app_data(web::QueryConfig::default().error_handler(query_error))
                .configure(routes)
                .configure(|cfg| crate::scrape::configure(cfg, scrape.clone()))
                .service(web::scope("/api").default_service(web::to(api_not_found)))
                .service(web::scope("/wecom").default_service(web::to(api_not_found)))
                .configure(|cfg| h5::verify_files(cfg, &verify_files))
                .configure(|cfg| h5::configure(cfg, &h5_source, bridge_script.as_deref()))
        })
        .workers(http_workers)
        .max_connections(
            settings
                .server
                .max_connections
                .div_ceil(http_workers.max(1))
                .max(1),
        )
        .on_connect(move |_, extensions| connections.opened(extensions))
        .listen(listener)?
        .shutdown_timeout(10)
        .run();
        Ok(Self {
            port,
            server,
            workers,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn handle(&self) -> ServerHandle {
        self.server.handle()
    }

    /// Serves until SIGTERM/SIGINT (graceful: in-flight requests finish) or
    /// `handle().stop()`; then stops the background workers.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.workers.stop(Duration::from_secs(10)).await;
        served
    }
}

/// One worker per core, as actix does.
fn default_workers() -> usize {
    std::thread::available_parallelism().map_or(1, usize::from)
}

fn callback_crypto(settings: &Settings) -> anyhow::Result<Option<CallbackCrypto>> {
    match (
        &settings.callback.token,
        &settings.callback.encoding_aes_key,
    ) {
        (Some(token), Some(key)) => Ok(Some(
            CallbackCrypto::new(token.clone(), key.expose_secret(), &settings.wecom.corp_id)
                .context("callback.encoding_aes_key")?,
        )),
        (None, None) => Ok(None),
        _ => anyhow::bail!("set both callback.token and callback.encoding_aes_key, or neither"),
    }
}

/// Fetches the token and tickets once at start, so the first page is fast and a wrong
/// configuration shows in the log at once. The server serves whatever the outcome.
fn warm_up(wecom: WeComClient) {
    tokio::spawn(async move {
        match wecom.jsapi_tickets().await {
            Ok(_) => tracing::info!("WeCom reachable: token and both JS-SDK tickets fetched"),
            Err(e) => tracing::error!(
                error = %e,
                explanation = %e.admin_detail(),
                "WeCom not usable yet; the server keeps running. Run `wecom-desk doctor` for a checklist"
            ),
        }
    });
}

/// Runs each request inside a `request` span (its id, method and path: never the
/// query, which can carry OAuth codes and signatures), so every log line of the
/// request, its WeCom calls and their retries included, names it; answers the id in
/// `X-Request-Id`. Then logs the outcome: failures at `info`/`warn`, successes at
/// `debug`, so a busy signature endpoint does not pay for a log line per request.
async fn access_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let id = edge::request_id(&req);
    let span = tracing::info_span!(
        "request",
        id = %id,
        method = %req.method(),
        path = %req.path()
    );
    async move {
        let started = std::time::Instant::now();
        let result = next.call(req).await;
        let ms = started.elapsed().as_secs_f64() * 1e3;
        // Handlers' errors arrive as answers. An `Err` (a middleware's own failure) is
        // answered by actix without the id header, so it is at least logged with it.
        let mut res = result.inspect_err(|e| {
            let status = e.as_response_error().status_code().as_u16();
            tracing::warn!(status, ms, error = %e, "request failed outside the handlers");
        })?;
        let status = res.status();
        if status.is_server_error() {
            tracing::warn!(status = status.as_u16(), ms, "request failed");
        } else if status.is_client_error() {
            tracing::info!(status = status.as_u16(), ms, "request refused");
        } else {
            tracing::debug!(status = status.as_u16(), ms, "request");
        }
        if let Ok(value) = HeaderValue::from_str(&id) {
            res.headers_mut()
                .insert(HeaderName::from_static(edge::REQUEST_ID), value);
        }
        Ok(res)
    }
    .instrument(span)
    .await
}

async fn api_not_found() -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found("接口不存在。/ No such API."))
}
