//! # headroom-ureq
//!
//! Rate limits for [ureq](https://docs.rs/ureq) 3 programs, on [`headroom_core`]:
//!
//! - [`Pacing`], a ureq middleware for **your own Agent** (proxies, TLS roots, timeouts and
//!   other middleware stay yours): before each request it waits until the shared limiter
//!   allows it (exact sliding windows, several at once, configured and/or learned from the
//!   server's `RateLimit-Policy`); after each response it feeds the status and headers back,
//!   so the limiter follows the server's own count, including quota other clients spent;
//! - [`retry()`], around a request closure: on 429 (and 503 with `Retry-After`) it retries as
//!   the core's driver decides: the server's delay first, else jittered exponential backoff,
//!   within caps; when the driver gives up you get [`Error::GaveUp`] with the last response;
//! - [`Client`], the two together on an Agent of its own, with an optional GET [`Cache`].
//!
//! ```no_run
//! use headroom_ureq::{Pacing, SharedLimiter, retry, headroom_core::Method};
//!
//! // One limiter per identity: every key of the identity, every thread, shares it.
//! let limiter = SharedLimiter::new(&["60/1m".parse()?, "1000/1d".parse()?])?;
//! let agent: ureq::Agent = ureq::Agent::config_builder()
//!     .middleware(Pacing::new(limiter.clone()))
//!     .build()
//!     .into();
//! std::thread::scope(|s| {
//!     for _ in 0..4 {
//!         s.spawn(|| retry(&limiter, Method::Get, || agent.get("https://api.synth-link.example/v1/lists").call()));
//!     }
//! });
//! println!("{} sent, {} throttled", limiter.stats().sent(), limiter.stats().throttled());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! Logging goes through the [`log`](https://docs.rs/log) crate: waits and ignored header
//! fields at `debug`, retries at `info`, give-ups and transport errors at `warn`; with the
//! `tracing` feature, each [`Client`] request also has a span (attempts, waits, the policy
//! that bound). URLs are logged without their userinfo and header values never.
//!
//! Nothing here panics on what a server sends; a server cannot make a caller wait longer than
//! the configured cap ([`headroom_core::Config::max_wait`], 300 s by default, one setting
//! for the limiter's waits and the server's): beyond it the call fails at once.

pub mod cache;
pub mod client;
pub mod error;
pub mod pacing;
pub mod retry;

pub use cache::Cache;
pub use client::{Client, ClientBuilder, check_url};
pub use error::Error;
pub use headroom_core;
pub use headroom_std::{
    Clock, ManualClock, Rate, Routes, STD_BUDGETS, SharedLimiter, Stats, StdLimiter, SystemClock,
    Ticket, clock, shared,
};
pub use pacing::Pacing;
pub use retry::{Sent, retry, retry_with};
