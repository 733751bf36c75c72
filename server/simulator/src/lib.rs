//! The WeCom simulator: a faithful stand-in for the WeCom server API and client, for
//! the demo, the tests and integrators. See docs/simulator.md.

pub mod activity;
pub mod api;
pub mod callbacks;
pub mod changes;
pub mod client;
mod client_send;
mod client_update;
pub mod contact_ways;
pub mod control;
pub mod credentials;
pub mod erp;
pub mod faults;
pub mod fixture;
pub mod handover;
pub mod media;
pub mod messages;
pub mod pages;
pub mod rules;
pub mod state;

use std::net::TcpListener;

use actix_web::dev::{Server, ServerHandle};
use actix_web::{web, App, HttpServer};
use parking_lot::Mutex;

pub use fixture::Fixture;
use state::World;

/// The simulator's shared state.
#[derive(Debug)]
pub struct Simulator {
    world: Mutex<World>,
    /// `/cgi-bin/` calls being answered now (for `max_concurrent_calls`).
    in_flight: std::sync::atomic::AtomicU32,
    /// Sends the callbacks.
    http: reqwest::Client,
    /// The demo's stand-in business website.
    website: Mutex<pages::website::Website>,
}

/// One `/cgi-bin/` call being answered; it counts as in flight until dropped.
pub struct InFlight<'a>(&'a std::sync::atomic::AtomicU32, u32);

impl InFlight<'_> {
    /// Calls in flight when this one arrived, itself included.
    pub fn count(&self) -> u32 {
        self.1
    }
}

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, std::sync::atomic::Ordering::SeqCst);
    }
}

impl Simulator {
    /// Counts a `/cgi-bin/` call as in flight until the guard is dropped.
    pub fn enter_call(&self) -> InFlight<'_> {
        let n = self
            .in_flight
            .fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        InFlight(&self.in_flight, n + 1)
    }

    pub fn new(fixture: Fixture) -> Self {
        Self {
            world: Mutex::new(World::new(fixture)),
            in_flight: Default::default(),
            // WeCom does not follow redirects: a 3xx is not an answer.
            http: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            website: Mutex::default(),
        }
    }

    /// The HTTP client callbacks are sent with.
    pub fn http(&self) -> &reqwest::Client {
        &self.http
    }

    /// Runs `f` with the world locked (never across an await).
    pub fn with_world<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        f(&mut self.world.lock())
    }
}

/// Routes of the simulator, for `App::configure`.
pub fn configure(cfg: &mut web::ServiceConfig) {
    api::configure(cfg);
    client::configure(cfg);
    // Before control's `/sim` scope, which would answer 404 for them.
    erp::configure(cfg);
    changes::configure(cfg);
    media::configure(cfg);
    pages::configure(cfg);
    control::configure(cfg);
}

/// A running simulator.
pub struct SimulatorServer {
    pub base_url: String,
    pub port: u16,
    pub handle: ServerHandle,
    /// The simulated WeCom's clock (`POST /sim/clock` moves it): the demo's server
    /// runs on it too, so moving it moves time for both, as real time would.
    pub clock: desk_wecom::clock::Clock,
    server: Server,
}

impl SimulatorServer {
    /// Binds `listen` (port 0 picks one) and builds the server; `run` serves it.
    pub fn bind(fixture: Fixture, listen: &str) -> std::io::Result<Self> {
        let listener = TcpListener::bind(listen)?;
        let port = listener.local_addr()?.port();
        let host = listener.local_addr()?.ip();
        let sim = web::Data::new(Simulator::new(fixture));
        let clock = sim.with_world(|w| w.clock.clone());
        let server = HttpServer::new(move || {
            App::new()
                .app_data(sim.clone())
                .app_data(web::JsonConfig::default().limit(1 << 20))
                .configure(configure)
        })
        .workers(2)
        .listen(listener)?
        .run();
        Ok(Self {
            base_url: format!("http://{host}:{port}"),
            port,
            handle: server.handle(),
            clock,
            server,
        })
    }

    pub async fn run(self) -> std::io::Result<()> {
        self.server.await
    }

    /// Runs it in the background (tests); it stops when the runtime ends.
    pub fn spawn(self) -> (String, ServerHandle) {
        let (url, handle) = (self.base_url.clone(), self.handle.clone());
        tokio::spawn(self.server);
        (url, handle)
    }
}
