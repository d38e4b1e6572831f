#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
//! # headroom-core
//!
//! An allocation-free, sans-IO rate-limit engine that keeps an HTTP client inside the limits of
//! the API it calls: it paces requests *before* the server refuses them, learns the real limits
//! from the server's `RateLimit-Policy` / `RateLimit` headers, and backs off correctly when
//! throttled. `#![no_std]`, no `alloc`, no `unsafe`, no panics on any input.
//!
//! ## Quick start
//!
//! ```
//! use headroom_core::{Config, Duration, Instant, Limiter, Log, Window};
//! let mut limiter: Limiter<Window<Log<60>>> = Limiter::new(Window::exact(60, Duration::from_secs(60)), Config::DEFAULT);
//! let grant = limiter.try_acquire(Instant::from_millis(0))?;
//! # limiter.release(grant);
//! # Ok::<(), headroom_core::Denied>(())
//! ```
//!
//! ## Architecture (wire → facts → state → decisions)
//!
//! | layer | module | what it does |
//! |---|---|---|
//! | wire | [`sf`] | RFC 9651 Structured Fields, zero-copy, every bare-item type |
//! | wire | [`header`] | RateLimit drafts -03 … -11, `X-RateLimit-*`, `Retry-After`, HTTP-dates, the 429 body |
//! | facts | [`response`], [`observation`] | a borrowed response, reduced to policies, a retry delay, and the fields ignored |
//! | state | [`window`], [`limiter`] | sliding windows checked all-or-nothing, synced to the server |
//! | decisions | [`backoff`], [`driver`] | jittered exponential backoff; one request's acquire → send → observe → retry as a state machine |
//!
//! Nothing here reads a clock, sleeps or does I/O: every call takes `now` ([`Instant`], in
//! milliseconds), so every behaviour is deterministic to test. Adapters (`headroom-ureq`,
//! `headroom-embassy`) bring the clock and the transport, and run the [`Driver`]: they only
//! send and sleep.
//!
//! ## A request's life
//!
//! ```
//! use headroom_core::{Buckets, Config, Duration, Instant, Limiter, Log, Observation, Response, Window};
//!
//! // One limiter per identity; `const`, so it may be a `static` behind a mutex.
//! let mut limiter: Limiter<(Window<Log<60>>, Window<Buckets<56>>)> = Limiter::new(
//!     (Window::exact(60, Duration::from_secs(60)), Window::bucketed(1000, Duration::from_secs(86_400))),
//!     Config::DEFAULT,
//! );
//! let now = Instant::from_millis(1_000);
//! let grant = limiter.try_acquire(now).expect("a fresh limiter has room");
//! // ... send the request; the server answers 429 with Retry-After: 12 ...
//! let headers = [("Retry-After", &b"12"[..]), ("RateLimit", br#""minute";r=0;t=12"#)];
//! let response: Observation = Observation::of(&Response::new(429, headers), &mut [0; 256]);
//! limiter.observe(now, grant, &response);
//! // Every caller of this limiter now waits at least 12 s.
//! assert!(limiter.try_acquire(now).unwrap_err().until >= now + Duration::from_secs(12));
//! ```
//!
//! The [`driver`] module runs the whole loop, retries included. A request may cost more than
//! one unit, or fall under one of the identity's independent limits: see [`cost`].
//!
//! ## Memory
//!
//! The state for the SynthLink policy (60/min exact + 1,000/day in 56 buckets + 2 server budgets)
//! is 560 bytes on x86_64 (`size_of`, printed by `cargo test -p headroom-core --test limiter --
//! --nocapture`), 512 with its tuning fixed at compile time ([`Defaults`]; see
//! [`Tuning`]). The day window releases quota up to one bucket (26 min) late, never early.
//!
//! ## Features
//!
//! All but `defmt` are on by default; a device leaves out what its API does not send.
//!
//! | feature | what it reads or does |
//! |---|---|
//! | `json` | a throttled response's JSON body (`serde-json-core`): `retry_after`, a problem details object's `violated-policies`, Discord's `global` |
//! | `legacy` | the pre-standard forms: draft -07's `RateLimit` Dictionary and unnamed `RateLimit-Policy` items, `RateLimit-Limit`/`-Remaining`/`-Reset`, `X-RateLimit-*` |
//! | `partitions` | keeps an identity's independent limits apart by [`Key`] (draft -11 `pk`, GitHub's resources, Discord's buckets, a caller's routes) |
//! | `units` | enforces `content-bytes` (a request costs its content bytes, see [`Cost`]) and `concurrent-requests` policies; without it they are reported only |
//! | `openai` | `x-ratelimit-*-requests`/`-tokens` (Go-duration resets), `retry-after-ms` |
//! | `anthropic` | `anthropic-ratelimit-*` (RFC 3339 resets) |
//! | `discord` | `X-RateLimit-Reset-After`, `X-RateLimit-Bucket` (needs `legacy`) |
//! | `shopify` | `X-Shopify-Shop-Api-Call-Limit` |
//! | `github` | `x-ratelimit-resource`; a 403 with `retry-after` or a policy at 0 is throttling (needs `legacy`) |
//! | `gitlab` | `RateLimit-ResetTime` (an HTTP-date; needs `legacy`) |
//! | `defmt` | derives `defmt::Format` on public types |

pub mod backoff;
pub mod cost;
pub mod driver;
pub mod effect;
pub mod header;
pub mod limiter;
pub mod observation;
pub mod response;
pub mod sf;
pub mod time;
pub mod window;

pub use backoff::{Backoff, Jitter, Method, RetryPolicy};
pub use cost::{Cost, Key};
pub use driver::{Decision, Driver, GiveUp, Step};
pub use limiter::{Cause, Config, Defaults, Denied, Grant, Limiter, Tuning};
pub use observation::Observation;
pub use response::Response;
pub use time::{Duration, Instant, UnixTime};
pub use window::{Buckets, Log, Window, Windows};

/// `v` as `u32`, saturating: counts, seconds and milliseconds past `u32::MAX` all mean "more
/// than a device will ever spend or wait", and 32-bit values keep its arithmetic in registers.
pub(crate) fn sat_u32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}
