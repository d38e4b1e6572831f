//! What one response asks of a limiter's state, decided once by the core's rules: which
//! policies become windows, which budgets of which key it sets, what it pauses.
//!
//! [`crate::Limiter::observe`] applies these to its own state; a shared store (headroom-redis)
//! applies the same effects to the state it holds, so the rules are not written twice.
//!
//! ```
//! use headroom_core::effect::{Effect, effects};
//! use headroom_core::{Config, Duration, Key, Observation, Response};
//! let headers = [
//!     ("RateLimit-Policy", &br#""minute";q=60;w=60"#[..]),
//!     ("RateLimit", br#""minute";r=0;t=12"#),
//!     ("Retry-After", b"12"),
//! ];
//! let obs: Observation = Observation::of(&Response::new(429, headers), &mut [0; 128]);
//! let mut seen = Vec::new();
//! effects(&obs, Key::IDENTITY, &Config::DEFAULT, |e| seen.push(e));
//! assert!(matches!(seen[0], Effect::Learn { quota: 60, .. }));
//! assert!(matches!(seen[1], Effect::Budget { remaining: 0, .. }));
//! assert_eq!(seen[2], Effect::Pause(Duration::from_secs(12)));
//! ```

use crate::cost::{KEYED, Key, UNITS};
use crate::header::QuotaUnit;
use crate::limiter::Config;
use crate::observation::{Observation, Policy};
use crate::time::Duration;

/// A policy, as the limiter matches it across responses: a 16-bit hash of its name (or, for
/// an unnamed one, of its window).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct PolicyId(pub(crate) u16);

impl PolicyId {
    /// The hash.
    pub const fn get(self) -> u16 {
        self.0
    }
}

/// The policy a throttled keyed response pauses when it names none.
pub(crate) const KEY_PAUSE: PolicyId = PolicyId(0x5041);

/// One change a response asks for. Durations are from the response's arrival.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Effect {
    /// An identity-wide request policy: at most `quota` per `window`.
    Learn {
        /// Which policy.
        policy: PolicyId,
        /// Requests per window.
        quota: u32,
        /// The window's length.
        window: Duration,
    },
    /// The server's count of `policy` for `key`: `remaining` more until `reset` (capped at
    /// `max_pause`; the reset guard is the applier's to add, as it may know the window).
    Budget {
        /// Which policy.
        policy: PolicyId,
        /// Whose.
        key: Key,
        /// It counts content bytes, not requests.
        bytes: bool,
        /// Units left.
        remaining: u32,
        /// Until more are available.
        reset: Duration,
        /// The policy's window, when the response says.
        window: Option<Duration>,
    },
    /// At most this many requests in flight (`concurrent-requests`).
    InFlightCap(u32),
    /// Every caller waits this long (capped at `max_pause`).
    Pause(Duration),
    /// Nothing of `policy` for `key` for this long (capped at `max_pause`): what a throttled
    /// response named.
    Hold {
        /// Which policy.
        policy: PolicyId,
        /// Whose.
        key: Key,
        /// It counts content bytes.
        bytes: bool,
        /// How long.
        wait: Duration,
    },
}

/// Where effects go: a limiter's own state, or a shared store's arguments. Any
/// `FnMut(Effect)` is one.
pub trait Apply {
    /// An identity-wide request policy: at most `quota` per `window`.
    fn learn(&mut self, policy: PolicyId, quota: u32, window: Duration);
    /// The server's count of `policy` for `key` (see [`Effect::Budget`]).
    fn budget(
        &mut self,
        policy: PolicyId,
        key: Key,
        bytes: bool,
        remaining: u32,
        reset: Duration,
        window: Option<Duration>,
    );
    /// At most `max` requests in flight.
    fn in_flight_cap(&mut self, max: u32);
    /// Every caller waits `wait`.
    fn pause(&mut self, wait: Duration);
    /// Nothing of `policy` for `key` for `wait`.
    fn hold(&mut self, policy: PolicyId, key: Key, bytes: bool, wait: Duration);
}

impl<F: FnMut(Effect)> Apply for F {
    fn learn(&mut self, policy: PolicyId, quota: u32, window: Duration) {
        self(Effect::Learn {
            policy,
            quota,
            window,
        });
    }
    fn budget(
        &mut self,
        policy: PolicyId,
        key: Key,
        bytes: bool,
        remaining: u32,
        reset: Duration,
        window: Option<Duration>,
    ) {
        self(Effect::Budget {
            policy,
            key,
            bytes,
            remaining,
            reset,
            window,
        });
    }
    fn in_flight_cap(&mut self, max: u32) {
        self(Effect::InFlightCap(max));
    }
    fn pause(&mut self, wait: Duration) {
        self(Effect::Pause(wait));
    }
    fn hold(&mut self, policy: PolicyId, key: Key, bytes: bool, wait: Duration) {
        self(Effect::Hold {
            policy,
            key,
            bytes,
            wait,
        });
    }
}

/// Hands `to` each effect of `obs`, the response to a request acquired for `route`, in
/// order: the policies' windows, budgets and caps, then at most one kind of pause.
///
/// Which key a policy belongs to: one the server put in a partition (`pk`, GitHub's
/// resource, Discord's bucket) is `route`'s, or for a request without a key, the
/// partition's; one it did not is the identity's when the response partitions others, else
/// `route`'s. A throttled response's wait (`Retry-After`, or `bare_429_pause` for a 429 that
/// says nothing) holds the policies of a problem details body's `violated-policies`, else
/// those of a keyed response's key (unless Discord's body says `global`), else pauses every
/// caller.
// Inlined: a limiter's closure then folds into each call, and no effect is built in memory
// (a device's flash).
#[inline(always)]
pub fn effects<const P: usize>(
    obs: &Observation<P>,
    route: Key,
    config: &Config,
    mut to: impl Apply,
) {
    let route = if KEYED { route } else { Key::IDENTITY };
    let max_pause = config.max_pause;
    let partitioned = KEYED && obs.policies().iter().any(|p| p.partition_key().is_some());
    let key_of = |p: &Policy| match p.partition_key() {
        _ if !KEYED => Key::IDENTITY,
        Some(partition) if route.is_identity() => partition,
        Some(_) => route,
        None if partitioned => Key::IDENTITY,
        None => route,
    };
    for p in obs.policies() {
        let (key, policy) = (key_of(p), PolicyId(p.key()));
        let bytes = match p.unit() {
            QuotaUnit::Requests => false,
            QuotaUnit::ContentBytes if UNITS => true,
            QuotaUnit::ConcurrentRequests if UNITS => {
                if let Some(q) = p.quota().filter(|&q| q > 0) {
                    to.in_flight_cap(q);
                }
                continue;
            }
            _ => continue,
        };
        if let (Some(quota), Some(window), false, true) =
            (p.quota(), p.window(), bytes, key.is_identity())
        {
            to.learn(policy, quota, window);
        }
        // In whole seconds until the one conversion (a device's 64-bit arithmetic is dear).
        if let (Some(remaining), Some(t)) = (p.remaining(), p.reset_s().or(p.window_s())) {
            let reset = Duration::from_secs(t.into()).min(max_pause);
            to.budget(policy, key, bytes, remaining, reset, p.window());
        }
    }
    let wait = match (obs.throttled(), obs.retry_after()) {
        (true, Some(wait)) => wait,
        (true, None)
            if obs.status() == Some(429)
                && obs.policies().iter().all(|p| p.remaining() != Some(0)) =>
        {
            config.bare_429_pause
        }
        _ => return,
    };
    let wait = wait.min(max_pause);
    let mut held = false;
    // Only a JSON body names violated policies.
    for &hash in obs.violated().iter().filter(|_| cfg!(feature = "json")) {
        let named = obs.policies().iter().find(|p| p.key() == hash);
        let bytes = named.is_some_and(|p| p.unit() == QuotaUnit::ContentBytes);
        to.hold(PolicyId(hash), named.map_or(route, key_of), bytes, wait);
        held = true;
    }
    if KEYED && !held && !obs.global() {
        for p in obs.policies().iter().filter(|p| !key_of(p).is_identity()) {
            let bytes = p.unit() == QuotaUnit::ContentBytes;
            to.hold(PolicyId(p.key()), key_of(p), bytes, wait);
            held = true;
        }
        if !held && !route.is_identity() {
            to.hold(KEY_PAUSE, route, false, wait);
            held = true;
        }
    }
    if !held {
        to.pause(wait);
    }
}
