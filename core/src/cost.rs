//! What one acquire asks for: its [`Cost`] in each quota unit, and the [`Key`] of the limit it
//! falls under.
//!
//! ```
//! use headroom_core::{Config, Cost, Duration, Instant, Key, Limiter, Log, Observation, Window};
//! let mut limiter: Limiter<Window<Log<60>>> =
//!     Limiter::new(Window::exact(60, Duration::from_secs(60)), Config::DEFAULT);
//! let now = Instant::from_millis(0);
//!
//! // A batch endpoint that counts as 50 requests; its response says nothing of limits.
//! let batch = limiter.try_acquire_with(now, Key::IDENTITY, Cost::requests(50))?;
//! limiter.observe(now, batch, &Observation::<4>::new());
//! // An upload of 4 KiB on the "search" route.
//! let upload = limiter.try_acquire_with(now, Key::named("search"), Cost::ONE.content_bytes(4096))?;
//! // 51 of 60 spent: a batch of 10 must wait, a batch of 9 may go.
//! assert!(limiter.peek_with(now, Key::IDENTITY, Cost::requests(10)).is_err());
//! assert!(limiter.peek_with(now, Key::IDENTITY, Cost::requests(9)).is_ok());
//! # limiter.release(upload);
//! # Ok::<(), headroom_core::Denied>(())
//! ```

use crate::observation::name_hash;

/// Keys are kept apart (the `partitions` feature); without it every key is the identity, so
/// every limit holds back every request, and a device links none of the keyed code.
pub(crate) const KEYED: bool = cfg!(feature = "partitions");

/// `content-bytes` and `concurrent-requests` policies are enforced (the `units` feature);
/// without it they are reported and left alone (never taken for request quotas).
pub(crate) const UNITS: bool = cfg!(feature = "units");

/// A request's cost in each unit a server may count (draft -11's `qu`).
///
/// - `requests` counts in every window and in every `requests` policy (a batch endpoint
///   that the server counts as several requests asks for several).
/// - `content_bytes` counts in `content-bytes` policies: the bytes of the request's content,
///   its body as sent (the `Content-Length`). Those are the only bytes a client knows before
///   the server answers; a server that counts response bytes too tells the rest through its
///   `r`, which the limiter follows.
/// - A `concurrent-requests` policy caps the requests in flight at once: `requests` of them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Cost {
    pub(crate) requests: u16,
    pub(crate) content_bytes: u32,
}

impl Cost {
    /// One request without content: what [`crate::Limiter::try_acquire`] asks for.
    pub const ONE: Cost = Cost {
        requests: 1,
        content_bytes: 0,
    };

    /// `n` requests without content. A cost of 0 requests is taken as 1.
    pub const fn requests(n: u16) -> Cost {
        Cost {
            requests: if n == 0 { 1 } else { n },
            content_bytes: 0,
        }
    }

    /// This cost, with `bytes` of request content.
    #[must_use]
    pub const fn content_bytes(self, bytes: u32) -> Cost {
        Cost {
            content_bytes: bytes,
            ..self
        }
    }

    /// Requests counted.
    pub const fn request_count(&self) -> u16 {
        self.requests
    }

    /// Bytes of request content counted.
    pub const fn byte_count(&self) -> u32 {
        self.content_bytes
    }
}

impl Default for Cost {
    fn default() -> Self {
        Cost::ONE
    }
}

/// Which of an identity's independent limits a request falls under: GitHub's `core` and
/// `search` resources, a Discord bucket, a draft -11 partition (`pk`), or a route prefix the
/// caller names.
///
/// - [`Key::IDENTITY`] (the default) may fall under any of them: every limit the limiter
///   knows holds it back.
/// - Any other key is held back by the identity-wide limits (the windows, and server policies
///   learned from responses to requests without a key) and by its own: policies that a
///   response to a request of this key described, and those whose partition the server named
///   with this key's name.
///
/// A key is a 16-bit hash: two names that collide share their limits, which only ever holds
/// requests back. Without the `partitions` feature keys are not kept apart: every limit holds
/// back every request, as for [`Key::IDENTITY`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Key(pub(crate) u16);

impl Key {
    /// No key: every limit applies.
    pub const IDENTITY: Key = Key(0);

    /// The key named `name`: a partition's, a resource's, a bucket's, or a route's.
    pub fn named(name: &str) -> Key {
        Key::of(name.as_bytes())
    }

    /// The key of a name given as bytes (see [`Key::named`]).
    pub fn of(name: &[u8]) -> Key {
        // Never 0 (reserved for the identity).
        Key(name_hash(name.iter().copied()))
    }

    /// The 16-bit hash (0 for the identity), as a shared store keeps it.
    pub const fn get(self) -> u16 {
        self.0
    }

    /// Whether this is [`Key::IDENTITY`].
    pub const fn is_identity(self) -> bool {
        self.0 == 0
    }
}
