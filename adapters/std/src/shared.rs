//! One limiter per identity, shared by every thread, task and agent that calls on its behalf.
//!
//! ```
//! use headroom_std::{Rate, SharedLimiter};
//! let limiter = SharedLimiter::new(&["60/1m".parse()?, "1000/1d".parse()?])?;
//! let worker = limiter.clone(); // same state: hand one to each thread
//! let ticket = worker.acquire()?;  // returns at once: the windows are empty
//! worker.release(ticket);
//! # Ok::<(), headroom_std::Error>(())
//! ```

use crate::clock::{Clock, SystemClock};
use crate::error::Error;
use crate::stats::Stats;
use event_listener::{Event, EventListener};
use headroom_core::window::{Track, Windows};
use headroom_core::{
    Buckets, Cause, Config, Cost, Decision, Denied, Driver, Duration, Grant, Key, Limiter, Log,
    Observation, Step, Window,
};
use std::fmt;
use std::str::FromStr;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

/// Slots for up to four windows, configured or learned from the server: two exact logs of up to
/// 4,096 grants each (for the shorter windows) and two 4,096-bucket counters, which release
/// quota at most 1/4,095 of their window late. 48 KiB in all.
pub type StdWindows = (
    Window<Log<LOG_CAP>>,
    Window<Log<LOG_CAP>>,
    Window<Buckets<4096>>,
    Window<Buckets<4096>>,
);

/// The largest quota an exact window slot counts one by one.
pub const LOG_CAP: usize = 4096;

/// A local limit: `quota` requests per `per`. Parses from `Q/DURATION`, e.g. `60/1m`,
/// `1000/1d`, `10/2s`, `5/500ms`, `100/1h` (a bare number of seconds works too: `10/30`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rate {
    /// Requests per window.
    pub quota: u32,
    /// Window length.
    pub per: Duration,
}

impl FromStr for Rate {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        let bad = |why: &str| {
            Error::InvalidRate(format!("{s:?}: {why} (expected Q/DURATION, e.g. 60/1m)"))
        };
        let (q, d) = s.trim().split_once('/').ok_or_else(|| bad("no '/'"))?;
        let quota: u32 = q
            .trim()
            .parse()
            .map_err(|_| bad("quota is not a whole number"))?;
        let per = parse_duration(d).map_err(|why| bad(&why))?;
        if quota == 0 {
            return Err(bad("quota must be at least 1"));
        }
        Ok(Rate { quota, per })
    }
}

/// Parses a duration as every headroom tool writes one: a whole number with a unit `ms`, `s`,
/// `m`, `h` or `d` (`500ms`, `5s`, `1m`, `1d`), a bare unit for one of it (`h`), or a bare
/// number of seconds (`30`). Above zero and at most 49 days.
///
/// ```
/// use headroom_std::{parse_duration, headroom_core::Duration};
/// assert_eq!(parse_duration("5s"), Ok(Duration::from_secs(5)));
/// assert_eq!(parse_duration("30"), Ok(Duration::from_secs(30)));
/// assert!(parse_duration("5y").is_err());
/// ```
pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let d = text.trim();
    let split = d.find(|c: char| !c.is_ascii_digit()).unwrap_or(d.len());
    let (n, unit) = d.split_at(split);
    let n: u64 = if n.is_empty() && !unit.is_empty() {
        1
    } else {
        n.parse()
            .map_err(|_| "duration is not a number".to_string())?
    };
    let unit_ms: u64 = match unit {
        "ms" => 1,
        "" | "s" => 1_000,
        "m" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return Err("unit must be ms, s, m, h or d".into()),
    };
    n.checked_mul(unit_ms)
        .filter(|&ms| ms > 0 && ms <= u64::from(u32::MAX))
        .map(Duration::from_millis)
        .ok_or_else(|| "duration must be above 0 and at most 49 days".into())
}

/// `d` in the largest whole unit: `1d`, `1m`, `90s`, `500ms`.
fn short_duration(d: Duration) -> String {
    let ms = d.as_millis();
    for (unit, name) in [
        (86_400_000, "d"),
        (3_600_000, "h"),
        (60_000, "m"),
        (1_000, "s"),
    ] {
        if ms >= unit && ms.is_multiple_of(unit) {
            return format!("{}{name}", ms / unit);
        }
    }
    format!("{ms}ms")
}

impl fmt::Display for Rate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}ms", self.quota, self.per.as_millis())
    }
}

/// Builds the window slots: configured rates first (shortest windows into the exact logs while
/// their quotas fit), the rest left for the server's policies.
pub fn std_windows(rates: &[Rate]) -> Result<StdWindows, Error> {
    if rates.len() > 4 {
        return Err(Error::InvalidRate(format!(
            "{} rates given; at most 4 are supported",
            rates.len()
        )));
    }
    let mut sorted = rates.to_vec();
    sorted.sort_by_key(|r| r.per);
    let (mut logs, mut buckets) = (Vec::new(), Vec::new());
    for r in sorted {
        if r.quota as usize <= LOG_CAP && logs.len() < 2 {
            logs.push(r);
        } else if buckets.len() < 2 {
            buckets.push(r);
        } else {
            logs.push(r); // a third small rate: an exact log slot is the only one left
        }
    }
    fn slot<T: Track + Default>(r: Option<&Rate>) -> Window<T> {
        r.map_or_else(Window::learned, |r| Window::configured(r.quota, r.per))
    }
    Ok((
        slot(logs.first()),
        slot(logs.get(1)),
        slot(buckets.first()),
        slot(buckets.get(1)),
    ))
}

/// Permission to send one request, from [`SharedLimiter::acquire`]. Give it back with
/// [`SharedLimiter::observe`], [`SharedLimiter::lost`] or [`SharedLimiter::release`]. A
/// ticket that is dropped (a panic, an early return) releases its grant, so no capacity stays
/// in flight for good.
#[must_use = "return the ticket with observe(), lost() or release()"]
pub struct Ticket<C: Clock = SystemClock> {
    pub(crate) inner: Arc<Inner<C>>,
    pub(crate) grant: Option<Grant>,
    #[cfg(feature = "redis")]
    pub(crate) remote: Option<headroom_redis::RemoteGrant>,
}

impl<C: Clock> Ticket<C> {
    fn take(mut self) -> Option<Grant> {
        self.grant.take()
    }
}

impl<C: Clock> Drop for Ticket<C> {
    fn drop(&mut self) {
        if let Some(grant) = self.grant.take() {
            lock(&self.inner).release(grant);
            self.inner.wake();
        }
        #[cfg(feature = "redis")]
        if let (Some(grant), Some(store)) = (self.remote.take(), self.inner.remote.as_ref()) {
            if let Err(e) = store.release(grant) {
                log::warn!("headroom: releasing a grant: {e}");
            }
            self.inner.wake();
        }
    }
}

impl<C: Clock> fmt::Debug for Ticket<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Ticket")
            .field("held", &self.grant.is_some())
            .finish()
    }
}

/// What [`SharedLimiter::poll_send`] says: send now, or sleep (a runtime's own sleep) and ask
/// again.
#[derive(Debug)]
pub enum Poll<C: Clock = SystemClock> {
    /// Send the request; hand its outcome back with the ticket.
    Send(Ticket<C>),
    /// Sleep this long, or until [`SharedLimiter::listen`]'s listener fires, whichever is
    /// first.
    Wait {
        /// How long.
        wait: Duration,
        /// What holds it back (`None` while a retry's delay runs).
        cause: Option<Cause>,
    },
}

/// Server budgets a std limiter keeps: one per policy and key it hears of (GitHub's resources,
/// Discord's buckets, draft -11 partitions), the ones that reset soonest given up first.
pub const STD_BUDGETS: usize = 16;

/// The core limiter behind a [`SharedLimiter`].
pub type StdLimiter = Limiter<StdWindows, STD_BUDGETS>;

fn lock<C>(inner: &Inner<C>) -> MutexGuard<'_, StdLimiter> {
    // A panic elsewhere while holding the lock cannot leave the limiter inconsistent: every
    // core call is all-or-nothing. Keep going with its state.
    inner.limiter.lock().unwrap_or_else(|p| p.into_inner())
}

pub(crate) struct Inner<C> {
    pub(crate) limiter: Mutex<StdLimiter>,
    /// Wakes blocked threads when quota may have been freed.
    pub(crate) changed: Condvar,
    /// Wakes async tasks for the same.
    pub(crate) event: Event,
    pub(crate) clock: C,
    pub(crate) stats: Stats,
    /// Where the identity's state lives when it is shared through Redis (the local limiter
    /// then only keeps the configuration).
    #[cfg(feature = "redis")]
    pub(crate) remote: Option<headroom_redis::RedisLimiter>,
    /// When the store last started failing to answer, while it still does.
    #[cfg(feature = "redis")]
    pub(crate) store_down_since: Mutex<Option<headroom_core::time::Instant>>,
}

impl<C> Inner<C> {
    pub(crate) fn new(limiter: StdLimiter, clock: C) -> Self {
        Inner {
            limiter: Mutex::new(limiter),
            changed: Condvar::new(),
            event: Event::new(),
            clock,
            stats: Stats::default(),
            #[cfg(feature = "redis")]
            remote: None,
            #[cfg(feature = "redis")]
            store_down_since: Mutex::new(None),
        }
    }

    pub(crate) fn wake(&self) {
        self.changed.notify_all();
        self.event.notify(usize::MAX);
    }
}

/// The limiter for one identity, cheap to clone, safe to share between threads and tasks:
/// every clone draws from the same windows and budgets, so racing callers never overshoot.
pub struct SharedLimiter<C: Clock = SystemClock> {
    pub(crate) inner: Arc<Inner<C>>,
}

impl<C: Clock> Clone for SharedLimiter<C> {
    fn clone(&self) -> Self {
        SharedLimiter {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<C: Clock> fmt::Debug for SharedLimiter<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SharedLimiter")
            .field("in_flight", &self.lock().in_flight())
            .finish()
    }
}

impl SharedLimiter<SystemClock> {
    /// A limiter with local `rates` (may be empty: then it follows the server) and the default
    /// [`Config`], on the system clock.
    pub fn new(rates: &[Rate]) -> Result<Self, Error> {
        Self::with_clock(rates, Config::DEFAULT, SystemClock::new())
    }
}

impl<C: Clock> SharedLimiter<C> {
    /// A limiter with local `rates`, `config`, and `clock`.
    pub fn with_clock(rates: &[Rate], config: Config, clock: C) -> Result<Self, Error> {
        let limiter = Limiter::new(std_windows(rates)?, config);
        Ok(SharedLimiter {
            inner: Arc::new(Inner::new(limiter, clock)),
        })
    }

    /// The clock.
    pub fn clock(&self) -> &C {
        &self.inner.clock
    }

    /// The counters of every request drawn from this limiter.
    pub fn stats(&self) -> &Stats {
        &self.inner.stats
    }

    /// True when the identity's state lives in a shared store (Redis): then every step is a
    /// network round trip, which async callers should not make on a runtime thread.
    pub fn is_remote(&self) -> bool {
        #[cfg(feature = "redis")]
        if self.inner.remote.is_some() {
            return true;
        }
        false
    }

    /// The configuration: guards, caps, and `max_wait`.
    pub fn config(&self) -> Config {
        self.lock().config()
    }

    /// A copy of the core limiter's state (windows, rules learned, in flight).
    pub fn snapshot(&self) -> StdLimiter {
        self.lock().clone()
    }

    fn lock(&self) -> MutexGuard<'_, StdLimiter> {
        lock(&self.inner)
    }

    fn ticket(&self, grant: Grant) -> Ticket<C> {
        Ticket {
            inner: Arc::clone(&self.inner),
            grant: Some(grant),
            #[cfg(feature = "redis")]
            remote: None,
        }
    }

    /// Takes a ticket now, or says how long until one is available.
    pub fn try_acquire(&self) -> Result<Ticket<C>, Denied> {
        self.try_acquire_with(Key::IDENTITY, Cost::ONE)
    }

    /// Takes a ticket for a request of `cost` for `key` now (see
    /// [`Limiter::try_acquire_with`]), or says how long until one is available.
    pub fn try_acquire_with(&self, key: Key, cost: Cost) -> Result<Ticket<C>, Denied> {
        #[cfg(feature = "redis")]
        if let Some(store) = &self.inner.remote {
            return self.try_remote(store, key, cost);
        }
        let now = self.inner.clock.now();
        let grant = self.lock().try_acquire_with(now, key, cost)?;
        Ok(self.ticket(grant))
    }

    /// Blocks until the limiter grants a request. Fails with [`Error::WouldWait`] instead of
    /// waiting longer than [`Config::max_wait`]. Woken early when a response frees quota.
    pub fn acquire(&self) -> Result<Ticket<C>, Error> {
        self.acquire_with(Key::IDENTITY, Cost::ONE)
    }

    /// [`SharedLimiter::acquire`] for a request of `cost` for `key`.
    pub fn acquire_with(&self, key: Key, cost: Cost) -> Result<Ticket<C>, Error> {
        let mut driver = Driver::new(
            headroom_core::Method::Get,
            headroom_core::RetryPolicy::DEFAULT,
        );
        self.next_send(&mut driver, key, cost)
    }

    /// Blocks as `driver` and the limiter say until a request of `cost` for `key` may go, then
    /// takes its ticket (woken early when a response frees quota): the core decides, this only
    /// sleeps.
    pub fn next_send(&self, driver: &mut Driver, key: Key, cost: Cost) -> Result<Ticket<C>, Error> {
        loop {
            match self.poll_send(driver, key, cost)? {
                Poll::Send(ticket) => return Ok(ticket),
                Poll::Wait { wait, cause } => {
                    log::debug!(
                        "headroom: waiting {} ms ({})",
                        wait.as_millis(),
                        cause.map_or("retry delay".into(), |c| c.to_string())
                    );
                    let guard = self.lock();
                    drop(self.inner.clock.wait(&self.inner.changed, guard, wait));
                }
            }
        }
    }

    /// One step of [`SharedLimiter::next_send`] that never blocks, for async runtimes: the
    /// ticket, or how long to sleep. Take [`SharedLimiter::listen`]'s listener *before* this
    /// call to be woken early without missing a wake-up.
    pub fn poll_send(&self, driver: &mut Driver, key: Key, cost: Cost) -> Result<Poll<C>, Error> {
        let now = self.inner.clock.now();
        if now < driver.resume_at() {
            let wait = driver.resume_at().saturating_duration_since(now);
            return Ok(Poll::Wait { wait, cause: None });
        }
        #[cfg(feature = "redis")]
        if let Some(store) = &self.inner.remote {
            return self.poll_remote(store, key, cost);
        }
        let mut guard = self.lock();
        match driver.step_with(&mut guard, now, key, cost) {
            Step::Send(grant) => Ok(Poll::Send(self.ticket(grant))),
            Step::WouldWait(denied) => Err(Error::WouldWait {
                wait: denied.until.saturating_duration_since(now),
                cause: denied.cause,
            }),
            Step::Wait(until) => Ok(Poll::Wait {
                wait: until.saturating_duration_since(now),
                cause: guard.peek_with(now, key, cost).err().map(|d| d.cause),
            }),
        }
    }

    /// What holds a request for the identity back now, in words, and for how long: `None`
    /// when one may go at once (or the state lives in a store, which only says so when asked
    /// to grant). For progress displays: "waiting 12 s: the 1d window (1000 requests) is
    /// full".
    pub fn holding_back(&self) -> Option<(Duration, String)> {
        #[cfg(feature = "redis")]
        if self.inner.remote.is_some() {
            return None;
        }
        let now = self.inner.clock.now();
        let guard = self.lock();
        let denied = guard.peek(now).err()?;
        let what = match denied.cause {
            Cause::Window(i) => match guard.windows().rule(usize::from(i)) {
                Some(rule) => format!(
                    "the {} window ({} requests) is full",
                    short_duration(rule.length()),
                    rule.quota().unwrap_or(0)
                ),
                None => denied.cause.to_string(),
            },
            cause => cause.to_string(),
        };
        Some((denied.until.saturating_duration_since(now), what))
    }

    /// [`SharedLimiter::poll_send`] for async callers on tokio: a limiter kept in Redis asks
    /// it without blocking the runtime's thread.
    pub async fn poll_send_async(
        &self,
        driver: &mut Driver,
        key: Key,
        cost: Cost,
    ) -> Result<Poll<C>, Error> {
        #[cfg(feature = "redis")]
        if let Some(store) = &self.inner.remote {
            let now = self.inner.clock.now();
            if now < driver.resume_at() {
                let wait = driver.resume_at().saturating_duration_since(now);
                return Ok(Poll::Wait { wait, cause: None });
            }
            return self.poll_remote_async(store, key, cost).await;
        }
        self.poll_send(driver, key, cost)
    }

    /// [`SharedLimiter::observe`] (with `Some(obs)`) or [`SharedLimiter::lost`] (with `None`)
    /// for async callers: a limiter kept in Redis is told without blocking the runtime.
    pub async fn hand_back_async<const P: usize>(
        &self,
        ticket: Ticket<C>,
        obs: Option<&Observation<P>>,
    ) {
        #[cfg(feature = "redis")]
        if let Some(store) = &self.inner.remote {
            match obs {
                Some(obs) => self.inner.stats.record_status(obs.status().unwrap_or(0)),
                None => self.inner.stats.record_lost(),
            }
            self.hand_back_remote(store, ticket, obs).await;
            return;
        }
        match obs {
            Some(obs) => self.observe(ticket, obs),
            None => self.lost(ticket),
        }
    }

    /// A listener that fires when quota may have been freed (a response observed, a ticket
    /// released): await it beside the sleep [`Poll::Wait`] asks for.
    pub fn listen(&self) -> EventListener {
        self.inner.event.listen()
    }

    /// Feeds the response to the request `ticket` allowed, and wakes waiting callers.
    pub fn observe<const P: usize>(&self, ticket: Ticket<C>, obs: &Observation<P>) {
        self.inner.stats.record_status(obs.status().unwrap_or(0));
        #[cfg(feature = "redis")]
        if let Some(store) = &self.inner.remote {
            self.observe_remote(store, ticket, obs);
            return;
        }
        let now = self.inner.clock.now();
        if let Some(grant) = ticket.take() {
            self.lock().observe(now, grant, obs);
        }
        self.inner.wake();
    }

    /// The request `ticket` allowed got no response (refused, reset, timed out): it stays
    /// counted in the windows, as it may have reached the server.
    pub fn lost(&self, ticket: Ticket<C>) {
        self.inner.stats.record_lost();
        drop(ticket);
    }

    /// Gives `ticket` back without a response to report (unsent, or its outcome unknown): it
    /// stays counted in the windows.
    pub fn release(&self, ticket: Ticket<C>) {
        drop(ticket);
    }

    /// What `driver` makes of the response `obs` (already observed through a ticket): done,
    /// retry after a delay (then [`SharedLimiter::next_send`] sleeps it), or give up.
    pub fn decide<const P: usize>(&self, driver: &mut Driver, obs: &Observation<P>) -> Decision {
        let now = self.inner.clock.now();
        let max_wait = self.config().max_wait;
        let decision = driver.decide(now, obs, max_wait, &mut rand::rng());
        self.counted(decision)
    }

    /// What `driver` makes of a request that got no response.
    pub fn decide_lost(&self, driver: &mut Driver) -> Decision {
        let now = self.inner.clock.now();
        let max_wait = self.config().max_wait;
        let decision = driver.decide_lost(now, max_wait, &mut rand::rng());
        self.counted(decision)
    }

    fn counted(&self, decision: Decision) -> Decision {
        if matches!(decision, Decision::Retry { .. }) {
            self.inner.stats.record_retry();
        }
        decision
    }

    /// A state kept in Redis outlives every process: there is nothing to save.
    fn state_is_local(&self) -> Result<(), Error> {
        #[cfg(feature = "redis")]
        if self.inner.remote.is_some() {
            return Err(Error::StateInStore);
        }
        Ok(())
    }

    /// The limiter's state as bytes, dated by the clock, for [`SharedLimiter::restore_state`]
    /// in a later run (see [`Limiter::save`]).
    pub fn save_state(&self) -> Result<Vec<u8>, Error> {
        self.state_is_local()?;
        let unix_ms = self.inner.clock.unix_ms().ok_or(Error::NoWallClock)?;
        let limiter = self.lock();
        let now = self.inner.clock.now();
        let mut buf = vec![0; limiter.saved_len(now)];
        let len = limiter.save(now, unix_ms, &mut buf).map_err(Error::State)?;
        buf.truncate(len);
        Ok(buf)
    }

    /// Restores a state [`SharedLimiter::save_state`] wrote, moved on by the wall-clock time
    /// since. On an error the limiter is unchanged.
    pub fn restore_state(&self, state: &[u8]) -> Result<(), Error> {
        self.state_is_local()?;
        let unix_ms = self.inner.clock.unix_ms().ok_or(Error::NoWallClock)?;
        let now = self.inner.clock.now();
        self.lock()
            .restore(now, unix_ms, state)
            .map_err(Error::State)?;
        self.inner.wake();
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::clock::ManualClock;

    #[test]
    fn rates_parse_every_unit_and_reject_nonsense() {
        let r = |s: &str| s.parse::<Rate>();
        assert_eq!(
            r("60/1m").unwrap(),
            Rate {
                quota: 60,
                per: Duration::from_secs(60)
            }
        );
        assert_eq!(r("1000/1d").unwrap().per, Duration::from_secs(86_400));
        assert_eq!(r("10/2s").unwrap().per, Duration::from_secs(2));
        assert_eq!(r("5/500ms").unwrap().per, Duration::from_millis(500));
        assert_eq!(
            r(" 7 / h ").unwrap(),
            Rate {
                quota: 7,
                per: Duration::from_secs(3600)
            }
        );
        assert_eq!(r("10/30").unwrap().per, Duration::from_secs(30));
        for bad in [
            "",
            "60",
            "x/1m",
            "60/1y",
            "0/1m",
            "60/0s",
            "-1/1m",
            "60/99999999999d",
        ] {
            let err = r(bad).unwrap_err().to_string();
            assert!(err.contains("Q/DURATION"), "{bad}: {err}");
        }
    }

    #[test]
    fn rates_take_exact_slots_first_and_at_most_four() {
        let rates: Vec<Rate> = ["1000/1d", "60/1m", "100000/1h"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect();
        let w = std_windows(&rates).unwrap();
        assert_eq!(w.0.rule().quota(), Some(60));
        assert_eq!(w.1.rule().quota(), Some(1000), "1000 fits an exact log");
        assert_eq!(
            w.2.rule().quota(),
            Some(100_000),
            "too many for a log: buckets"
        );
        assert!(w.3.rule().is_unset(), "left for the server");
        let five = vec![rates[0]; 5];
        assert!(std_windows(&five).is_err());
    }

    #[test]
    fn threads_racing_never_overshoot() {
        let limiter = SharedLimiter::with_clock(
            &["50/1h".parse().unwrap()],
            Config::DEFAULT,
            ManualClock::new(0),
        )
        .unwrap();
        let granted = std::sync::atomic::AtomicU32::new(0);
        std::thread::scope(|s| {
            for _ in 0..8 {
                s.spawn(|| {
                    for _ in 0..20 {
                        if let Ok(t) = limiter.try_acquire() {
                            granted.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                            limiter.release(t);
                        }
                    }
                });
            }
        });
        assert_eq!(granted.into_inner(), 50);
    }

    #[test]
    fn a_wait_beyond_max_wait_is_an_error_not_a_sleep() {
        let clock = ManualClock::new(0);
        let limiter =
            SharedLimiter::with_clock(&["1/1h".parse().unwrap()], Config::DEFAULT, clock.clone())
                .unwrap();
        let t = limiter.acquire().unwrap();
        limiter.release(t);
        match limiter.acquire() {
            Err(Error::WouldWait { wait, .. }) => assert!(wait > Duration::from_secs(3000)),
            other => panic!("{other:?}"),
        }
        assert_eq!(clock.now().as_millis(), 0, "did not sleep");
    }

    #[test]
    fn acquire_waits_in_the_clock_until_the_window_frees() {
        let clock = ManualClock::new(0);
        let limiter =
            SharedLimiter::with_clock(&["2/10s".parse().unwrap()], Config::DEFAULT, clock.clone())
                .unwrap();
        for _ in 0..3 {
            let t = limiter.acquire().unwrap();
            limiter.release(t);
        }
        // The third waited one window plus the guard (≤ 1/64 of it).
        assert_eq!(clock.now().as_millis(), 10_000 + 156);
    }
}
