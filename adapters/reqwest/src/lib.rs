//! # headroom-reqwest
//!
//! Rate limits for async [reqwest](https://docs.rs/reqwest) programs, as a
//! [reqwest-middleware](https://docs.rs/reqwest-middleware) `Middleware`: one
//! [`SharedLimiter`] per identity, in an `Arc` inside, is shared by every task.
//!
//! - Before each attempt, [`Pacing`] waits (tokio's sleep, woken early when another task's
//!   response frees quota) until the limiter allows it: exact sliding windows, configured
//!   and/or learned from the server's `RateLimit-Policy`.
//! - After each response it feeds the status and headers back, so the limiter follows the
//!   server's own count, including quota other clients of the identity spent.
//! - On 429 (and 503 with `Retry-After`) it retries as the core's driver decides: the
//!   server's delay first, else jittered exponential backoff, within `max_wait`. The request
//!   is replayed with `try_clone`; one whose body cannot be cloned (a stream) is not retried,
//!   and its response says so ([`Sent::stopped`]).
//!
//! ```no_run
//! use headroom_reqwest::{Pacing, SharedLimiter};
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! let limiter = SharedLimiter::new(&["60/1m".parse()?, "1000/1d".parse()?])?;
//! let client = reqwest_middleware::ClientBuilder::new(headroom_reqwest::client_builder().build()?)
//!     .with(Pacing::new(limiter.clone()))
//!     .build();
//! let response = client.get("https://api.synth-link.example/v1/lists").send().await?;
//! println!("{} ({} sent so far)", response.status(), limiter.stats().sent());
//! # Ok(()) }
//! ```
//!
//! **TLS.** This crate builds reqwest on rustls with *ring*, the provider ureq uses, so a
//! program (or a workspace) with both links one provider: reqwest's default, aws-lc-rs, would
//! make rustls refuse to pick one at run time. [`client_builder`] installs ring as the
//! process's default provider (once) and returns `reqwest::Client::builder()`; use it, or
//! call [`install_crypto_provider`] before building a client yourself.
//!
//! With the `redis` feature, a limiter from `SharedLimiter::with_redis` shares the identity's
//! quota exactly with every process; its round trips are awaited through redis-rs's connection
//! manager, never blocking the runtime.

mod pacing;

pub use headroom_core;
pub use headroom_std::{Rate, Routes, SharedLimiter, Stats, SystemClock};
pub use pacing::{Pacing, Sent, Stopped};

/// Installs rustls's *ring* provider as the process default, if none is installed yet.
pub fn install_crypto_provider() {
    // An error only says a provider is already installed: then that one is used.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// `reqwest::Client::builder()`, after [`install_crypto_provider`].
pub fn client_builder() -> reqwest::ClientBuilder {
    install_crypto_provider();
    reqwest::Client::builder()
}
