#![forbid(unsafe_code)]
#![deny(missing_docs)]
//! # headroom-redis
//!
//! One identity's rate-limit state in Redis (or Valkey), shared exactly by every process and
//! host that calls the API under that identity: at most `q` grants in any window of length
//! `w`, across all of them.
//!
//! ```no_run
//! use headroom_core::{Config, Cost, Duration, Key};
//! use headroom_redis::{Acquired, RedisLimiter};
//! let limiter = RedisLimiter::connect(
//!     "redis://127.0.0.1:6379",
//!     "dev@example.com",
//!     &[(60, Duration::from_secs(60)), (1000, Duration::from_secs(86_400))],
//!     Config::DEFAULT,
//! )?;
//! match limiter.try_acquire_with(Key::IDENTITY, Cost::ONE)? {
//!     Acquired::Granted(grant) => {
//!         // ... send; then feed the response back with `limiter.observe(grant, &obs)` ...
//!         limiter.release(grant)?;
//!     }
//!     Acquired::Wait { wait, .. } => println!("come back in {} ms", wait.as_millis()),
//! }
//! # Ok::<(), headroom_redis::Error>(())
//! ```
//!
//! ## What Redis holds, and how
//!
//! Four kinds of keys per identity, all named `headroom:{IDENTITY}:…` so that they share one
//! Cluster slot (the identity is the hash tag), all declared to the script, all expiring
//! after the longest window, budget or pause they hold (plus a minute):
//!
//! | key | type | holds |
//! |---|---|---|
//! | `…:state` | hash | the grant sequence, the pause, the in-flight cap, the server's budgets (per key and policy), the policies learned from `RateLimit-Policy` |
//! | `…:inflight` | sorted set | requests in flight, scored by when they stop counting (a crashed process's grants fall out after the in-flight lifetime) |
//! | `…:learned` | sorted set | one member per unit granted: the exact log of the learned windows |
//! | `…:w:LEN:Q:S` | sorted set or hash | a configured window: an exact log (windows up to an hour), or `S` buckets (longer ones: released up to a bucket late, never early) |
//!
//! One Lua script (`src/store.lua`) does each step atomically, in one round trip: an acquire
//! checks every window and budget all-or-nothing and either records the grant or says when
//! to come back; an observed response applies the effects [`headroom_core::effect`]
//! decided. It is loaded once and called by hash, and reloaded transparently after
//! `NOSCRIPT` (a restart, a failover, `SCRIPT FLUSH`). Time is Redis's own (`TIME`), so host
//! clocks do not matter.
//!
//! ## Where it differs from the in-process limiter
//!
//! The script is a second implementation of the grant rule, kept to what the atomic step
//! needs; which policies, budgets and pauses a response sets is the core's decision
//! ([`headroom_core::effect::effects`]). Documented differences, all because the store is
//! exact where a lone process has to estimate:
//! - the first request's wait for its response (which tells the server's limits) holds
//!   every process of the identity, not only the one that sent it;
//! - no share is held back for other clients of the identity and no pace is kept while they
//!   share a window: their grants are in the same state;
//! - a budget counts every process's requests in flight when a response arrives as possibly
//!   missing from its `r` (the in-process limiter counts its own), and gives none back when
//!   later responses show they were counted;
//! - a content-bytes budget subtracts no bytes in flight at a response;
//! - a learned window's log keeps one member per unit granted (the in-process limiter sizes
//!   its rings at compile time).
//!
//! ## When Redis fails
//!
//! Failure closes, never opens: an unreachable or frozen Redis is an [`Error`] within the
//! configured timeout, and nothing is granted. headroom-ureq's caller waits up to its
//! `max_wait` for Redis to come back, then gets the error. If Redis restarts with its state
//! lost, the next responses' headers tighten the budgets again, and each process re-adds its
//! own grants still in flight. Credentials in the URL (`redis://user:password@host`) are used for
//! AUTH and never appear in logs or errors.

#[cfg(feature = "tokio")]
mod aio;
mod error;
pub mod server;
mod store;

pub use error::Error;
pub use store::{Acquired, RedisLimiter, RemoteGrant, SCRIPT};
