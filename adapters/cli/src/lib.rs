//! The `headroom` command's library: each subcommand is a module, so tests and the demo call
//! the same code the binary runs.
//!
//! | module | subcommand |
//! |---|---|
//! | [`inspect`] | `headroom inspect`: a response head → the JSON of what headroom reads from it |
//! | [`fetch`] | `headroom fetch`: URLs through one shared limiter, N threads |
//! | [`serve`] | `headroom serve`: a local SynthLink-compatible API |
//! | [`demo`] | `headroom demo`: serve + fetch in-process, against the ideal schedule |
//! | [`peers`] | (for tests) third-party peers: express-rate-limit |

//!
//! `serve` is the API the std adapters are tested against. Your own ureq Agent, paced by
//! headroom, four threads, against a server of 6 requests a second and 15 per 3 s, no 429:
//!
//! ```
//! use headroom_cli::serve::{self, ServeOptions};
//! use headroom_ureq::{Pacing, SharedLimiter, SystemClock, retry, headroom_core::Method};
//! use std::sync::atomic::Ordering;
//!
//! let options = ServeOptions {
//!     policies: vec!["minute:6:1s".parse()?, "day:15:3s".parse()?],
//!     ..ServeOptions::default()
//! };
//! let server = serve::spawn(options, SystemClock::new())?;
//! let limiter = SharedLimiter::new(&[])?; // learns the windows from the server
//! let agent: ureq::Agent = ureq::Agent::config_builder()
//!     .timeout_global(Some(std::time::Duration::from_secs(20)))
//!     .middleware(Pacing::new(limiter.clone()))
//!     .build()
//!     .into();
//! std::thread::scope(|s| {
//!     for t in 0..4 {
//!         let (agent, limiter, base) = (&agent, &limiter, server.base_url());
//!         s.spawn(move || {
//!             for i in 0..5 {
//!                 let url = format!("{base}/v1/records?t={t}&i={i}");
//!                 let call = || agent.get(&url).header("Authorization", "Bearer key-a").call();
//!                 assert_eq!(retry(limiter, Method::Get, call).unwrap().status(), 200);
//!             }
//!         });
//!     }
//! });
//! assert_eq!(server.stats.throttled.load(Ordering::Relaxed), 0);
//! assert_eq!(limiter.stats().ok(), 20);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod demo;
pub mod fetch;
pub mod inspect;
pub mod peers;
pub mod serve;
