//! # headroom-ureq
//!
//! A blocking HTTP client for std programs that stays inside the rate limits of the API it
//! calls, built on [ureq](https://docs.rs/ureq) 3 and [`headroom_core`]:
//!
//! - before each request it waits until the shared limiter allows it (exact sliding windows,
//!   several at once, configured and/or learned from the server's `RateLimit-Policy`);
//! - after each response it feeds the status and headers back, so the limiter follows the
//!   server's own count (`RateLimit`), including quota used by other clients of the identity;
//! - on 429 (and 503 with `Retry-After`) it retries idempotent requests as the core decides:
//!   the server's delay first, else jittered exponential backoff, within caps; when the core
//!   gives up, you get [`Error::GaveUp`] with the last response;
//! - optionally caches GET responses per route ([`Cache`]).
//!
//! ```no_run
//! use headroom_ureq::{Cache, Client, SharedLimiter};
//! use std::time::Duration;
//!
//! // One limiter per identity: every key of the identity, every thread, shares it.
//! let limiter = SharedLimiter::new(&["60/1m".parse()?, "1000/1d".parse()?])?;
//! let client = Client::builder(limiter.clone())
//!     .header("Authorization", "Bearer KEY")
//!     .cache(Cache::new(256).route("/v1/lists", Duration::from_secs(600)))
//!     .build();
//! std::thread::scope(|s| {
//!     for _ in 0..4 {
//!         let client = client.clone();
//!         s.spawn(move || client.get("https://api.synth-link.example/v1/lists?limit=10"));
//!     }
//! });
//! # Ok::<(), headroom_ureq::Error>(())
//! ```
//!
//! Logging goes through the [`log`](https://docs.rs/log) crate: waits and ignored header
//! fields at `debug`, retries at `info`, give-ups and transport errors at `warn`.
//!
//! Nothing here panics on what a server sends; a server cannot make a caller wait longer than
//! the configured cap ([`headroom_core::Config::max_wait`], 300 s by default, one setting
//! for the limiter's waits and the server's): beyond it the call
//! fails at once with [`Error::WouldWait`] or [`Error::GaveUp`].

pub mod cache;
pub mod client;
pub mod clock;
pub mod error;
#[cfg(feature = "redis")]
mod remote;
pub mod shared;

pub use cache::Cache;
pub use client::{Client, ClientBuilder, Request, Response, Stats};
pub use clock::{Clock, ManualClock, SystemClock};
pub use error::Error;
pub use headroom_core;
pub use shared::{Rate, STD_BUDGETS, SharedLimiter, StdLimiter, Ticket};
