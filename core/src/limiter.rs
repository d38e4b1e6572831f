//! The limiter: one per identity, fed by every request it grants and every response it sees.
//!
//! ```
//! use headroom_core::{Buckets, Config, Duration, Instant, Limiter, Log, Observation, Response, Window};
//!
//! // The SynthLink policy: 60/min exactly, 1,000/day in 56 buckets.
//! let mut limiter: Limiter<(Window<Log<60>>, Window<Buckets<56>>)> = Limiter::new(
//!     (Window::exact(60, Duration::from_secs(60)), Window::bucketed(1000, Duration::from_secs(86_400))),
//!     Config::DEFAULT,
//! );
//! let now = Instant::from_millis(0);
//! let grant = limiter.try_acquire(now).expect("fresh limiter");
//!
//! // The server says the minute window is spent for 12 s: every caller waits.
//! let headers = [("RateLimit", &br#""minute";r=0;t=12"#[..])];
//! let obs: Observation = Observation::of(&Response::new(200, headers), &mut [0; 64]);
//! limiter.observe(now, grant, &obs);
//! let denied = limiter.try_acquire(now).unwrap_err();
//! assert!(denied.until >= now + Duration::from_secs(12));
//! ```
//!
//! ## How server sync works
//! - `RateLimit-Policy` `q`/`w` define a learned window or tighten a configured one of the same
//!   length (matched by name once seen); a configured quota is never loosened by the server.
//! - `RateLimit` `r`/`t` set a *budget*: at most `r` more grants until `t` (+ `reset_guard`,
//!   at most 1/64 of the policy's window). Requests still in flight when a response arrives
//!   may not be counted in its `r` yet (requests overtake each other), so they are subtracted
//!   from it until their own responses show where the server counted them: an `r` above the
//!   lowest one heard means that request was already in it. So concurrent callers of one
//!   limiter neither overshoot nor waste quota on their own requests.
//! - While a budget is fresh it replaces the local count of the *learned* window it belongs to:
//!   the server knows its own window, fixed or sliding, better than a local estimate. When the
//!   budget runs out at its reset, one request (a *probe*) may go before the local window frees;
//!   its response brings the next budget. So a client stays aligned with a fixed-window server's
//!   resets instead of drifting a sliding window behind them. Locally configured windows are
//!   always enforced.
//! - Responses are matched to the server window they come from by their announced reset: a
//!   later window's replaces the budget, a finished window's is ignored (for windows of 4 s and
//!   more; `t`'s whole seconds blur shorter ones, whose responses only ever tighten).
//! - `Retry-After` (header or body) on a 413, 429 or 503 pauses every caller of this limiter.
//! - With no headers at all the configured windows alone decide.
//!
//! ## Costs, units and keys
//!
//! - **Weighted**: [`Limiter::try_acquire_with`] takes a [`Cost`]. A grant of `n` requests
//!   counts `n` in every window and request budget, all-or-nothing; a cost over a window's
//!   quota is refused for good ([`Instant::MAX`]).
//! - **Units** (`qu`, with the `units` feature): a `content-bytes` policy is a budget of
//!   bytes (its `r`), against which a request costs its content bytes and bytes in flight are
//!   all taken as uncounted; it never becomes a request window. A `concurrent-requests`
//!   policy of `q` caps the requests in flight at `q` (at most 255). Other units (tokens) are
//!   reported and left alone.
//! - **Keys** (with the `partitions` feature): see [`Limiter::observe`] for which key a
//!   response's policies belong to, and [`Key`] for what holds a keyed request back. A
//!   throttled response pauses what it names: a problem details body's `violated-policies`,
//!   else a keyed response's key (unless Discord's body says `global`), else every caller.
//!
//! ## Many clients of one identity, no shared store
//!
//! Processes on hosts without a shared store, or a fleet of devices, each with its own key of
//! one identity and its own limiter. The model:
//!
//! - **What a client knows**: its own grants, its requests in flight, and every response's
//!   `r`/`t`. Within one server window `r` only falls, so the fall between two of its own
//!   responses, less what its own requests explain, is what the others spent meanwhile (a
//!   lower bound: each of its own requests in flight is assumed counted, so a client alone
//!   never takes its own requests for another's).
//! - **What it assumes**: the others go on spending as much per response of its own as they
//!   did over the current window. Before a request it grants reaches the server, that many
//!   of theirs land for each response of its own that comes first (those in flight, and the
//!   request's own): their requests in flight, and those they send on counts as old as its
//!   own. It leaves that many units to them, plus one while that is under 6
//!   ([`Limiter::shared_reserve`]), so the clients stop short of a window's last units instead of all asking for them at once. A
//!   wait adds nothing: every client of the identity waits out the same server windows.
//! - **Pace**: each client's reset is a second uncertain (`t` is whole seconds), so while
//!   others share a window a client spends its part of what remains (as its responses are to
//!   their spending) over at least a second. The last client to start on a window still
//!   finds its part, and the clients' decisions do not all fall on one instant. In its first
//!   window a client has measured nobody yet, and clients started together would not show
//!   until they have sent: it takes that window's first half as shared with one client as
//!   fast as itself, paced over the 250 ms that clients started together take to start.
//! - **Across windows** the measurement carries over at half its weight: a client is careful
//!   from the first request of a new window, and when a peer stops (or crashes) its share
//!   comes back within a few windows, as what the others spend per response falls and the
//!   carried part halves at each reset.
//! - **Windows under 4 s**: `t`'s whole seconds do not tell one window's responses from the
//!   next's, so their budgets only ever tighten: requests in flight stay counted as spent
//!   until the window ends, and a client alone may take a response of the next window for
//!   another client's spending (and hold a unit back).
//! - **Not covered**: a client that has not heard from the server yet knows nothing of the
//!   others, so processes started one after another may still find a short window spent by
//!   the first ones (a 429 with `Retry-After` each); and a fleet larger than a window's quota
//!   cannot all send at its reset. A state saved across runs ([`Limiter::save`]) keeps what
//!   was learned.
//!
//! The simulation (`cargo run --release -p headroom-benches --bin utilization`, written to
//! `benches/utilization.md`) and `.ci/many-processes` (real processes) measure it.

mod count;
mod persist;

pub(crate) use count::ServerCount;

pub use persist::StateError;

use crate::cost::{Cost, KEYED, Key, UNITS};
use crate::effect::{Apply, PolicyId, effects};
use crate::observation::Observation;
use crate::sat_u32;
use crate::time::{Duration, Instant};
use crate::window::{Crate, MaybeQuota, Rule, Windows};

/// Tuning. [`Config::DEFAULT`] is what the docs call "the defaults".
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Config {
    /// Fraction of each quota used, in thousandths (1000 = all; the seeds' advice is 800).
    /// Default 1000: the windows are exact and server sync corrects drift, so no quota is wasted.
    pub quota_permille: u16,
    /// Added to every window's length, so that send-time jitter cannot put one grant too many
    /// into the server's window. Default 250 ms, at most 1/64 of the window.
    pub guard: Duration,
    /// Added to every server-announced reset, because `t` is rounded to whole seconds.
    /// Default 1 s, at most 1/64 of the window.
    pub reset_guard: Duration,
    /// The longest any caller waits, whether this limiter or the server asks: a longer wait
    /// is reported as [`Denied::within_max_wait`] = false, and the retry driver gives up
    /// rather than sleep it. Default 300 s.
    pub max_wait: Duration,
    /// Cap on any server-requested pause or reset the limiter records, so a hostile or broken
    /// server cannot silence a device for longer. Default 24 h.
    pub max_pause: Duration,
    /// Pause for every caller after a 429 that says nothing about when to retry. Default 1 s.
    pub bare_429_pause: Duration,
}

impl Config {
    /// The defaults (see each field).
    pub const DEFAULT: Config = Config {
        quota_permille: 1000,
        guard: Duration::from_millis(250),
        reset_guard: Duration::from_secs(1),
        max_wait: Duration::from_secs(300),
        max_pause: Duration::from_secs(86_400),
        bare_429_pause: Duration::from_secs(1),
    };
}

impl Default for Config {
    fn default() -> Self {
        Config::DEFAULT
    }
}

/// Where a limiter's [`Config`] comes from: a [`Config`] value, chosen at run time, or a type
/// that fixes it at compile time, such as [`Defaults`].
///
/// A compile-time tuning takes no bytes, and the compiler folds its numbers into the code. On a
/// device that matters twice: the code is smaller, and a `static` limiter over learned windows
/// starts as all zero bits, so it sits in `.bss` rather than having an initial image in flash.
///
/// ```
/// use headroom_core::{Config, Duration, Limiter, Log, Tuning, Window};
///
/// /// This device's tuning: it would rather give up than wait over a minute.
/// #[derive(Clone, Copy, Debug, PartialEq, Eq)]
/// struct Impatient;
///
/// impl Tuning for Impatient {
///     fn config(&self) -> Config {
///         Config { max_wait: Duration::from_secs(60), ..Config::DEFAULT }
///     }
/// }
///
/// static LIMITER: Limiter<Window<Log<60>>, 2, Impatient> =
///     Limiter::new(Window::learned_exact(), Impatient);
/// assert_eq!(LIMITER.config().max_wait, Duration::from_secs(60));
/// ```
pub trait Tuning {
    /// The configuration.
    fn config(&self) -> Config;
}

impl Tuning for Config {
    #[inline]
    fn config(&self) -> Config {
        *self
    }
}

/// [`Config::DEFAULT`], fixed at compile time (see [`Tuning`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Defaults;

impl Tuning for Defaults {
    #[inline]
    fn config(&self) -> Config {
        Config::DEFAULT
    }
}

/// Permission to send one request. Hand it back with [`Limiter::observe`] or
/// [`Limiter::release`] so the limiter knows it is no longer in flight.
#[must_use = "return the grant with observe() or release()"]
#[derive(Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Grant {
    key: Key,
    cost: Cost,
}

impl Grant {
    /// The key it was granted for.
    pub const fn key(&self) -> Key {
        self.key
    }

    /// What it was granted for.
    pub const fn cost(&self) -> Cost {
        self.cost
    }
}

/// What held a request back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum Cause {
    /// Window `i` is full.
    Window(u8),
    /// The server said no quota remains until its reset.
    ServerBudget,
    /// The server asked every caller to wait (`Retry-After`, or a bare 429).
    Paused,
    /// The first request is in flight: until its response tells the server's limits, no other
    /// request goes (concurrent callers would otherwise overshoot an unknown quota).
    Discovering,
    /// The server's `concurrent-requests` policy allows no more requests in flight.
    InFlight,
    /// The shared store that holds the identity's state (Redis) did not answer: nothing is
    /// granted until it does.
    StoreUnavailable,
}

/// A refusal. Nothing was consumed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Denied {
    /// The earliest instant a request may be granted ([`Instant::MAX`]: never, e.g. quota 0).
    pub until: Instant,
    /// What is holding it back (the constraint that lasts longest).
    pub cause: Cause,
    /// False when waiting would exceed [`Config::max_wait`]: give up rather than sleep.
    pub within_max_wait: bool,
}

impl core::fmt::Display for Cause {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match *self {
            Cause::Window(i) => write!(f, "window {i} is full"),
            Cause::ServerBudget => f.write_str("the server's quota is spent until its reset"),
            Cause::Paused => f.write_str("the server asked every caller to wait"),
            Cause::Discovering => f.write_str("the first response is awaited"),
            Cause::InFlight => f.write_str("the server allows no more requests in flight"),
            Cause::StoreUnavailable => f.write_str("the shared store does not answer"),
        }
    }
}

impl core::fmt::Display for Denied {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        if self.until == Instant::MAX {
            write!(f, "no request may go: {}", self.cause)
        } else if self.within_max_wait {
            write!(
                f,
                "{}; a request may go at {} ms",
                self.cause,
                self.until.as_millis()
            )
        } else {
            write!(f, "{}; the wait is longer than max_wait", self.cause)
        }
    }
}

impl core::error::Error for Denied {}

/// The server's count of one policy's window, as this limiter knows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
struct Budget {
    /// The server's count (and the policy's name hash) and what explains its fall.
    count: ServerCount,
    /// No grant has gone out since this budget expired: the next one is its probe, and until
    /// then its learned window does not count locally.
    awaiting_probe: bool,
    /// What it counts.
    kind: Kind,
    /// The key it belongs to ([`Key::IDENTITY`]: identity-wide).
    key: Key,
    until: Instant,
}

impl Budget {
    const EMPTY: Budget = Budget {
        count: ServerCount::EMPTY,
        awaiting_probe: false,
        kind: Kind::Requests,
        key: Key::IDENTITY,
        until: Instant::ZERO,
    };

    /// Whether it holds back a request for `key`.
    fn applies(&self, key: Key) -> bool {
        !KEYED || key.is_identity() || self.key.is_identity() || self.key == key
    }
}

/// The rate limiter for one identity, over windows `W`, tracking up to `B` server budgets, tuned
/// by `C` (a [`Config`], or a compile-time [`Tuning`] such as [`Defaults`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limiter<W, const B: usize = 2, C = Config> {
    windows: W,
    budgets: [Budget; B],
    paused_until: Instant,
    last_now: Instant,
    in_flight: u16,
    /// Bytes of content in flight.
    in_flight_bytes: u32,
    /// The server's cap on requests in flight (`concurrent-requests`, at most 255: a
    /// device's limiter stays small); 0 when it set none.
    max_in_flight: u8,
    /// A response has been observed (the server's limits, if it declares any, are known).
    heard: bool,
    /// When the last request was granted.
    last_grant: Instant,
    tuning: C,
}

impl<W: Windows, const B: usize, C: Tuning> Limiter<W, B, C> {
    /// A limiter over `windows`, tuned by `tuning` (a [`Config`], or a [`Tuning`] type such as
    /// [`Defaults`]). `const`, so it can live in a `static`.
    pub const fn new(windows: W, tuning: C) -> Self {
        Limiter {
            windows,
            budgets: [Budget::EMPTY; B],
            paused_until: Instant::ZERO,
            last_now: Instant::ZERO,
            in_flight: 0,
            in_flight_bytes: 0,
            max_in_flight: 0,
            heard: false,
            last_grant: Instant::ZERO,
            tuning,
        }
    }

    /// The configuration.
    pub fn config(&self) -> Config {
        self.tuning.config()
    }

    /// The windows.
    pub fn windows(&self) -> &W {
        &self.windows
    }

    /// Requests granted and not yet observed or released.
    pub fn in_flight(&self) -> u16 {
        self.in_flight
    }

    /// Units of server quota held back at `now` for other clients of the same identity
    /// (other processes or devices using another key of it), the largest over current budgets.
    ///
    /// When a response's `remaining` is lower than this limiter's own grants explain, other
    /// clients spent the difference. What they spent per response of this limiter's, over the
    /// server window so far, tells how many of their requests will reach the server before
    /// one granted now: as many per response that comes before its own (those in flight, and
    /// its own). That many units are left to them, plus one while they are fewer than 6 (the
    /// estimate is rounded down), so several clients do not all send for a window's last
    /// units. 0 while this limiter looks like the identity's only
    /// client. See the module docs for the model.
    pub fn shared_reserve(&self, now: Instant) -> u32 {
        let now = now.max(self.last_now);
        self.budgets
            .iter()
            .filter(|b| b.until > now)
            .map(|b| b.count.others_reserve(self.in_flight))
            .max()
            .unwrap_or(0)
    }

    /// Whether a request would be granted at `now`, without consuming anything.
    pub fn peek(&self, now: Instant) -> Result<(), Denied> {
        self.peek_with(now, Key::IDENTITY, Cost::ONE)
    }

    /// Whether a request of `cost` for `key` would be granted at `now`, without consuming
    /// anything.
    pub fn peek_with(&self, now: Instant, key: Key, cost: Cost) -> Result<(), Denied> {
        let now = now.max(self.last_now);
        let (until, cause) = self.earliest(now, key, cost);
        if until <= now {
            return Ok(());
        }
        let wait = until.millis_since(now);
        Err(Denied {
            until,
            cause,
            within_max_wait: wait <= self.config().max_wait.as_millis(),
        })
    }

    /// The earliest instant (≥ `now`) at which a request may be granted.
    pub fn next_allowed(&self, now: Instant) -> Instant {
        self.earliest(now.max(self.last_now), Key::IDENTITY, Cost::ONE)
            .0
    }

    /// Grants a request at `now`, counting it in every window and budget, or refuses it having
    /// consumed nothing (all windows are checked before any records).
    pub fn try_acquire(&mut self, now: Instant) -> Result<Grant, Denied> {
        self.try_acquire_with(now, Key::IDENTITY, Cost::ONE)
    }

    /// Grants a request of `cost` for `key` at `now` (see [`Cost`] and [`Key`]), or refuses
    /// it having consumed nothing: every window and budget it falls under has room for all
    /// of the cost, or none of it is taken. A cost no window can ever hold is refused with
    /// [`Instant::MAX`].
    // Inlined, so that a constant cost (every `try_acquire`) records without a loop: 20.6 ns
    // an acquire on x86_64 instead of 51 ns (`cargo bench --bench compare -- acquire/headroom`),
    // and no larger on a device.
    #[inline(always)]
    pub fn try_acquire_with(
        &mut self,
        now: Instant,
        key: Key,
        cost: Cost,
    ) -> Result<Grant, Denied> {
        let now = now.max(self.last_now);
        self.peek_with(now, key, cost)?;
        self.last_now = now;
        let guard = self.config().guard;
        self.windows.each_mut(Crate(()), |_, rule, track| {
            // Every window with a length counts the grant (peek found room in those with a
            // quota); an unset one is cleared when it is learned.
            if !rule.is_unset() {
                let length = effective_length(rule, guard);
                for _ in 0..cost.requests {
                    track.record(now, length);
                }
            }
        });
        for b in self.budgets.iter_mut().filter(|b| b.applies(key)) {
            if b.until <= now {
                b.awaiting_probe = false;
            } else if !UNITS || b.kind != Kind::Bytes {
                b.count.uncounted = b.count.uncounted.saturating_add(cost.requests);
            }
        }
        self.in_flight = self.in_flight.saturating_add(cost.requests);
        if UNITS {
            self.in_flight_bytes = self.in_flight_bytes.saturating_add(cost.content_bytes);
        }
        self.last_grant = now;
        Ok(Grant { key, cost })
    }

    /// The request got no response (connection error, timeout). It stays counted in the windows,
    /// since it may have reached the server; it is no longer in flight.
    pub fn release(&mut self, grant: Grant) {
        let (key, requests) = (grant.key, grant.cost.requests);
        self.landed(grant);
        // It may have been counted: then it explains what `r` falls by, which must not be
        // taken for another client's.
        let now = self.last_now;
        for b in self.budgets.iter_mut() {
            if b.until > now && b.applies(key) {
                b.count.ours = b.count.ours.saturating_add(requests.into());
            }
        }
    }

    /// Feeds the response to the request `grant` allowed: learns policies, sets budgets, pauses.
    ///
    /// Which key a response's policies belong to:
    /// - one the server put in a partition (`pk`, GitHub's resource, Discord's bucket): the
    ///   grant's [`Key`], or for a grant without one, the partition's;
    /// - one it did not: the whole identity's when the response puts others in partitions,
    ///   else the grant's key.
    ///
    /// Only identity-wide policies become windows; the others are budgets of their key. A throttled response's wait (`Retry-After`, a bare 429) pauses
    /// what it names: the policies of a problem details body's `violated-policies`, else a
    /// keyed response's key (unless Discord's body says `global`), else every caller.
    pub fn observe<const P: usize>(&mut self, now: Instant, grant: Grant, obs: &Observation<P>) {
        let now = now.max(self.last_now);
        self.last_now = now;
        let route = grant.key;
        self.landed(grant);
        self.heard = true;
        let config = self.config();
        effects(obs, route, &config, At { limiter: self, now });
    }

    /// `grant` is no longer in flight.
    fn landed(&mut self, grant: Grant) {
        let Grant { cost, .. } = grant;
        self.in_flight = self.in_flight.saturating_sub(cost.requests);
        if UNITS {
            self.in_flight_bytes = self.in_flight_bytes.saturating_sub(cost.content_bytes);
        }
    }

    fn earliest(&self, now: Instant, key: Key, cost: Cost) -> (Instant, Cause) {
        let mut worst = (now, Cause::Paused);
        let mut consider = |t: Instant, c: Cause| {
            if t > worst.0 {
                worst = (t, c);
            }
        };
        consider(self.paused_until, Cause::Paused);
        // Waits that end with a response, not at a known instant: re-check shortly (adapters
        // also wake waiters on every response).
        let recheck = || now + self.config().guard.max(Duration::from_millis(1));
        if !self.heard && self.in_flight > 0 {
            consider(recheck(), Cause::Discovering);
        }
        let cap = u16::from(self.max_in_flight);
        if UNITS && cap > 0 && self.in_flight.saturating_add(cost.requests) > cap {
            let until = if cost.requests > cap {
                Instant::MAX
            } else {
                recheck()
            };
            consider(until, Cause::InFlight);
        }
        for b in &self.budgets {
            if b.until <= now || !b.applies(key) {
                continue;
            }
            let (remaining, need) = if UNITS && b.kind == Kind::Bytes {
                let left = b.count.floor.saturating_sub(self.in_flight_bytes);
                (left, cost.content_bytes.max(1))
            } else {
                let others = b.count.others_reserve(self.in_flight);
                let held = self.reserve(b.count.name_hash) + others;
                (
                    b.count.remaining(),
                    held.saturating_add(cost.requests.into()),
                )
            };
            if remaining < need {
                consider(b.until, Cause::ServerBudget);
            } else if let Some(next) = self.paced(b) {
                consider(next, Cause::ServerBudget);
            }
        }
        let n = u32::from(cost.requests);
        self.windows.each(|i, rule, track| {
            let Some(q) = rule.quota() else { return };
            if self.budget_governs(rule, now) {
                return;
            }
            // Room for `n` grants is fewer than `q - n + 1` held; a cost over the quota asks
            // for room 0, which no ring ever has (its `free_at` is `Instant::MAX`).
            let q = apply_permille(q, self.config().quota_permille);
            let room = q.saturating_add(1).saturating_sub(n);
            if track.holds_fewer_than(room) {
                return; // room whatever the time: no need to compute when
            }
            let t = track.free_at(now, effective_length(rule, self.config().guard), room);
            consider(t, Cause::Window(i as u8));
        });
        worst
    }

    /// The next grant at our pace, while other clients share `b`'s window: our part of what
    /// remains (as our responses are to their spending) over one second, however much of the
    /// window is left. Each client's reset is that uncertain, so a window
    /// is never spent before the last of them has started on it, and their decisions do not
    /// all fall on the same instant. (Not in windows under 4 s, which that second is most of.)
    fn paced(&self, b: &Budget) -> Option<Instant> {
        if b.kind != Kind::Requests {
            return None;
        }
        let gap = u64::from(b.count.pace_gap()?);
        // A wrap needs a clock within a second of `u64::MAX` ms (584 million years): it would
        // only pace faster.
        Some(Instant::from_millis(
            self.last_grant.as_millis().wrapping_add(gap),
        ))
    }

    /// A learned window's local count is replaced by its server budget while that is fresh, and
    /// for one probe once it has expired.
    fn budget_governs(&self, rule: &Rule, now: Instant) -> bool {
        if rule.is_local() || rule.server_quota == MaybeQuota::NONE {
            return false;
        }
        self.budgets.iter().any(|b| {
            b.count.name_hash == rule.name_hash
                && (!KEYED || b.key.is_identity())
                && (b.until > now || b.awaiting_probe)
        })
    }

    /// Units of a budget kept unused so that `quota_permille` holds under server sync too.
    fn reserve(&self, hash: u16) -> u32 {
        self.server_quota_of(hash)
            .map_or(0, |q| q - apply_permille(q, self.config().quota_permille))
    }

    /// The quota in force in the window bound to server policy `hash`.
    fn server_quota_of(&self, hash: u16) -> Option<u32> {
        self.rule_where(|r| r.name_hash == hash && r.server_quota != MaybeQuota::NONE)
            .and_then(Rule::quota)
    }

    /// The length of the window policy `hash` is bound to, once known.
    fn length_of(&self, hash: u16) -> Option<Duration> {
        self.rule_where(|r| r.name_hash == hash && !r.is_unset())
            .map(Rule::length)
    }

    /// The first window rule matching `f`.
    fn rule_where(&self, f: impl Fn(&Rule) -> bool) -> Option<&Rule> {
        (0..self.windows.count())
            .filter_map(|i| self.windows.get(i))
            .map(|(r, _)| r)
            .find(|r| f(r))
    }

    /// The slack added to a server reset, which is rounded to whole seconds: `reset_guard`,
    /// at most 1/64 of the policy's window when that is known (as for `guard`).
    fn reset_guard(&self, window: Option<Duration>) -> Duration {
        match window {
            Some(w) => self.guard_for(w),
            None => self.config().reset_guard,
        }
    }

    /// The reset guard of a window of `length`.
    fn guard_for(&self, length: Duration) -> Duration {
        let guard = self.config().reset_guard;
        guard.min(Duration::from_millis(length.as_millis() / 64))
    }

    /// Applies a server policy (`q` per `w`) to the window it names, else the window of the same
    /// length, else a free window; failing all, tightens a longer window (still conservative).
    fn learn(&mut self, now: Instant, hash: u16, quota: u32, length: Duration) {
        // A quota of 0 or a window longer than max_pause would let a server silence the device
        // indefinitely; the r/t budget (itself capped) still tells when quota returns.
        let len_ms = sat_u32(length.min(self.config().max_pause).as_millis());
        if len_ms == 0 || quota == 0 {
            return;
        }
        let target = self.learn_target(hash, quota, len_ms);
        if let Some((rule, track)) = target.and_then(|i| self.windows.get_mut(i, Crate(()))) {
            if !rule.is_local() && rule.length_ms != len_ms {
                rule.length_ms = len_ms;
                track.clear();
                // The grant just answered, and any still in flight, went out before this
                // window existed: count them now (later than sent, so conservatively).
                let length = effective_length(rule, self.tuning.config().guard);
                for _ in 0..=self.in_flight {
                    track.record(now, length);
                }
            }
            if rule.length_ms == len_ms {
                rule.server_quota = MaybeQuota::of(quota);
                rule.name_hash = hash;
            }
            return;
        }
        let longer = (0..self.windows.count()).find(|&i| {
            self.windows
                .get(i)
                .is_some_and(|(r, _)| r.length_ms >= len_ms && r.quota().is_some_and(|q| q > quota))
        });
        if let Some((rule, _)) = longer.and_then(|i| self.windows.get_mut(i, Crate(()))) {
            rule.server_quota = MaybeQuota::of(rule.server_quota.or_max().min(quota));
        }
    }

    /// The window a server policy (`hash`, `quota` per `len_ms`) applies to: the window bound
    /// to its name, else one of the same length (unnamed or of that name), else a free ring
    /// that can count the whole quota, else any free ring. One pass, keeping the best rank
    /// (the first window of it).
    fn learn_target(&self, hash: u16, quota: u32, len_ms: u32) -> Option<usize> {
        let mut best: Option<(u8, usize)> = None;
        for i in 0..self.windows.count() {
            let Some((r, t)) = self.windows.get(i) else {
                continue;
            };
            let rank = if hash != 0 && r.name_hash == hash && !r.is_unset() {
                0
            } else if r.length_ms == len_ms && (r.name_hash == 0 || r.name_hash == hash) {
                1
            } else if r.is_unset() && t.max_quota() >= quota {
                2
            } else if r.is_unset() {
                3
            } else {
                continue;
            };
            if best.is_none_or(|(b, _)| rank < b) {
                best = Some((rank, i));
            }
        }
        best.map(|(_, i)| i)
    }

    /// The budget slot `slot` names: its own, else a free or expired one, else the one that
    /// resets soonest.
    fn slot_for(&self, slot: &Slot) -> (Option<usize>, usize) {
        let now = self.last_now;
        let current = self
            .budgets
            .iter()
            .position(|b| b.count.name_hash == slot.hash && (!KEYED || b.key == slot.key));
        let evict = (0..B)
            .min_by_key(|&i| match self.budgets.get(i) {
                Some(b) if b.until > now => b.until,
                _ => Instant::ZERO,
            })
            .unwrap_or(0);
        (current, current.unwrap_or(evict))
    }

    /// `length`: the length of the window bound to `slot`'s policy, if any.
    fn set_budget(&mut self, slot: Slot, r: u32, until: Instant, length: Option<Duration>) {
        let now = self.last_now;
        // Every other grant still in flight may be missing from `r`, issued before or after
        // this one (requests overtake each other). Bytes in flight are subtracted when asked.
        let in_flight = if slot.bytes { 0 } else { self.in_flight };
        let kind = match (slot.bytes, length.is_none_or(|w| w < MEASURED_WINDOW)) {
            (true, _) => Kind::Bytes,
            (false, true) => Kind::ShortRequests,
            (false, false) => Kind::Requests,
        };
        let (current, index) = self.slot_for(&slot);
        let window = length.unwrap_or(Duration::from_secs(1));
        if let Some(b) = current.and_then(|i| self.budgets.get_mut(i))
            && b.until > now
        {
            match Relation::of(until, b.until, window) {
                Relation::Past => return, // a late answer from a window that has ended
                Relation::Next => {}
                Relation::Same => {
                    // `t` is whole seconds: the earliest reset heard in one window is the
                    // sharpest.
                    b.until = b.until.min(until);
                    b.count.hear(r, in_flight, b.kind == Kind::Requests);
                    return;
                }
                Relation::Unsure => {
                    // Perhaps another server window: the count held now (our grants since
                    // included) holds until the later reset, as the earlier may be the last
                    // window's (a response that crossed the reset), and a budget ended there
                    // would let a stale response's count pass for the new window's. A lower
                    // count is a fresher one, not a measurement.
                    b.until = b.until.max(until);
                    b.count.take_lower(r, in_flight);
                    return;
                }
            }
        }
        // A new server window (or the first). Other clients seen in the last one are assumed
        // to be still there: their measurement carries over at half its weight, so it fades
        // within a few windows once they stop.
        let (others, answered) = current
            .and_then(|i| self.budgets.get(i))
            .map_or((0, 0), |b| (b.count.others() / 2, b.count.answered() / 2));
        if let Some(b) = self.budgets.get_mut(index) {
            *b = slot.budget(until);
            b.kind = kind;
            b.count.rebase(r, in_flight, others, answered);
        }
    }

    /// Nothing of `slot`'s policy remains until `until` (a throttled response said so).
    fn hold(&mut self, slot: Slot, until: Instant) {
        let (current, index) = self.slot_for(&slot);
        let Some(b) = self.budgets.get_mut(index) else {
            return;
        };
        let until = match current {
            Some(_) if b.until > self.last_now => b.until.max(until),
            _ => until,
        };
        *b = slot.budget(until);
    }
}

/// What a budget counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[repr(u8)]
enum Kind {
    /// Requests, in a window of 4 s or more.
    Requests,
    /// Requests, in a window under 4 s (or of unknown length): responses may be the next
    /// window's, so they only ever tighten (see [`MEASURED_WINDOW`]).
    ShortRequests,
    /// Content bytes: bytes in flight are all taken as uncounted, and nothing is measured of
    /// other clients.
    Bytes,
}

impl Kind {
    /// The kind saved as `v`; unknown values are read as bytes (which never loosens a count).
    pub(super) fn from_u8(v: u8) -> Kind {
        match v {
            0 => Kind::Requests,
            1 => Kind::ShortRequests,
            _ => Kind::Bytes,
        }
    }
}

/// A limiter taking a response's effects at `now`.
struct At<'a, W, const B: usize, C> {
    limiter: &'a mut Limiter<W, B, C>,
    now: Instant,
}

impl<W: Windows, const B: usize, C: Tuning> Apply for At<'_, W, B, C> {
    #[inline]
    fn learn(&mut self, policy: PolicyId, quota: u32, window: Duration) {
        self.limiter.learn(self.now, policy.get(), quota, window);
    }

    #[inline]
    fn budget(
        &mut self,
        policy: PolicyId,
        key: Key,
        bytes: bool,
        remaining: u32,
        reset: Duration,
        window: Option<Duration>,
    ) {
        let hash = policy.get();
        // The window bound to the policy, looked up once for the guard and the budget's kind.
        let bound = self.limiter.length_of(hash);
        let guard = self.limiter.reset_guard(window.or(bound));
        let bytes = UNITS && bytes;
        let slot = Slot { hash, key, bytes };
        self.limiter
            .set_budget(slot, remaining, self.now + reset + guard, bound);
    }

    #[inline]
    fn in_flight_cap(&mut self, max: u32) {
        // Only `units` makes this effect: a device without it links none of this.
        if UNITS {
            self.limiter.max_in_flight = u8::try_from(max).unwrap_or(u8::MAX);
        }
    }

    #[inline]
    fn pause(&mut self, wait: Duration) {
        let l = &mut *self.limiter;
        l.paused_until = l.paused_until.max(self.now + wait);
    }

    #[inline]
    fn hold(&mut self, policy: PolicyId, key: Key, bytes: bool, wait: Duration) {
        // Only keys and problem details bodies make holds.
        if KEYED || cfg!(feature = "json") {
            let hash = policy.get();
            self.limiter
                .hold(Slot { hash, key, bytes }, self.now + wait);
        }
    }
}

/// Which budget a policy's numbers go to.
struct Slot {
    /// The policy's name hash ([`crate::observation::Policy::key`]).
    hash: u16,
    /// The key it belongs to.
    key: Key,
    /// It counts content bytes.
    bytes: bool,
}

impl Slot {
    /// A budget of nothing until `until`, for this slot; its first grant after is a probe.
    fn budget(&self, until: Instant) -> Budget {
        Budget {
            count: ServerCount {
                name_hash: self.hash,
                ..ServerCount::EMPTY
            },
            until,
            awaiting_probe: true,
            kind: if self.bytes {
                Kind::Bytes
            } else {
                Kind::Requests
            },
            key: self.key,
        }
    }
}

/// The shortest window whose responses are told apart from the next window's well enough to
/// give back our own requests once counted (see [`Relation`]).
const MEASURED_WINDOW: Duration = Duration::from_millis(4000);

/// Where a response announcing a reset at `until` stands against a budget resetting at `held`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Relation {
    /// From a server window that has ended.
    Past,
    /// From the budget's own server window.
    Same,
    /// From a later server window.
    Next,
    /// Cannot be told: merge conservatively.
    Unsure,
}

impl Relation {
    fn of(until: Instant, held: Instant, window: Duration) -> Relation {
        let after = sat_u32(until.millis_since(held));
        let before = sat_u32(held.millis_since(until));
        Relation::between(after, before, window.millis())
    }

    /// The announced reset is `after` ms after the held one, or `before` ms before it (one of
    /// the two is 0), in a window of `w` ms. `t` is whole seconds and reaches us after a
    /// varying delay, so responses from one server window announce resets up to ~2 s apart,
    /// and those from neighbouring windows a window apart. Windows of 4 s and more are told
    /// apart by that; for shorter ones only resets within a quarter window count as the same
    /// window, and nothing as another. (The device path's limiter decides by it too.)
    pub(crate) fn between(after: u32, before: u32, w: u32) -> Relation {
        if w >= 4000 {
            let half = w / 2;
            if after >= half {
                Relation::Next
            } else if before >= half {
                Relation::Past
            } else {
                Relation::Same
            }
        } else if after.max(before) < w / 4 {
            Relation::Same
        } else {
            Relation::Unsure
        }
    }
}

#[inline]
fn effective_length(rule: &Rule, guard: Duration) -> Duration {
    let len = rule.length();
    len + guard.min(Duration::from_millis(len.as_millis() / 64))
}

/// `quota × permille / 1000`, rounded down but never below 1 for a non-zero quota.
#[inline]
fn apply_permille(quota: u32, permille: u16) -> u32 {
    if permille >= 1000 || quota == 0 {
        return quota;
    }
    // floor(q × p / 1000) for q = 1000a + b is a × p + floor(b × p / 1000): exact, in 32 bits.
    let p = u32::from(permille);
    ((quota / 1000) * p + (quota % 1000) * p / 1000).max(1)
}

#[cfg(test)]
mod tests {
    use super::apply_permille;

    #[test]
    fn permille_in_32_bits_matches_the_wide_formula() {
        let quotas = [
            1,
            2,
            59,
            60,
            999,
            1000,
            1001,
            86_399,
            4_000_000,
            u32::MAX - 1,
            u32::MAX,
        ];
        for q in quotas {
            for p in [0u16, 1, 500, 800, 999, 1000, 1500] {
                let wide = if p >= 1000 {
                    u64::from(q)
                } else {
                    (u64::from(q) * u64::from(p) / 1000).max(1)
                };
                assert_eq!(u64::from(apply_permille(q, p)), wide, "q={q} p={p}");
            }
        }
        assert_eq!(apply_permille(0, 800), 0);
    }
}
