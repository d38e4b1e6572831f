//! The limiter every task of a device shares.

use crate::Error;
use core::cell::RefCell;
use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::blocking_mutex::raw::RawMutex;
use headroom_core::{
    Buckets, Cost, Defaults, Denied, Grant, Instant, Key, Limiter, Log, Observation, Response,
    Tuning, Window, Windows,
};

/// Two window slots: an exact one of up to 60 grants (a minute's quota, say) and one of 56
/// buckets (a day's, released at most 1/55 of the day late).
pub type MinuteAndDay = (Window<Log<60>>, Window<Buckets<56>>);

/// The SynthLink preset (60/min and 1,000/day per identity), configured with nothing: both
/// windows are learned from the server's `RateLimit-Policy` and kept in sync with its
/// `RateLimit` values; the tuning is the compile-time [`Defaults`], so a `static` one is all
/// zero bits (in `.bss`, no flash).
pub const fn synthlink() -> Limiter<MinuteAndDay, 2, Defaults> {
    Limiter::new(
        (Window::learned_exact(), Window::learned_bucketed()),
        Defaults,
    )
}

/// The core [`Limiter`] behind an embassy-sync blocking mutex: `const`, so it can be a
/// `static` shared by every task; generic over the raw mutex. Its tuning `C` is the
/// compile-time [`Defaults`] unless named (a run-time `Config`, or another [`Tuning`]).
pub struct SharedLimiter<M: RawMutex, W, const B: usize = 2, C = Defaults> {
    inner: Mutex<M, RefCell<Limiter<W, B, C>>>,
}

/// Permission to send one request: hand it back with [`Ticket::observe`] (or
/// [`Ticket::observe_response`]), or [`Ticket::release`] when nothing came back. A ticket that
/// is dropped (its future cancelled, a timeout around it, a panic) releases its grant, so no
/// capacity stays in flight for good.
#[must_use = "return the ticket with observe() or release()"]
pub struct Ticket<'a, M: RawMutex, W: Windows, const B: usize, C: Tuning> {
    limiter: &'a SharedLimiter<M, W, B, C>,
    grant: Option<Grant>,
}

impl<'a, M: RawMutex, W: Windows, const B: usize, C: Tuning> Ticket<'a, M, W, B, C> {
    pub(crate) fn new(limiter: &'a SharedLimiter<M, W, B, C>, grant: Grant) -> Self {
        Ticket {
            limiter,
            grant: Some(grant),
        }
    }

    /// Feeds the response to this ticket's request back.
    pub fn observe<const P: usize>(mut self, obs: &Observation<P>) {
        if let Some(grant) = self.grant.take() {
            self.limiter.with(|l| l.observe(now(), grant, obs));
        }
    }

    /// Reduces a response to facts and feeds them back; returns them too. `headers` is
    /// iterated more than once (a slice iterator, or a `map` over one).
    pub fn observe_response<'h, H>(self, response: &Response<'_, H>) -> Observation
    where
        H: IntoIterator<Item = (&'h str, &'h [u8])> + Clone,
    {
        // A device may have no wall clock: epoch-style resets use the response's Date header.
        let obs = Observation::of(response, &mut Scratch::new().0);
        self.observe(&obs);
        obs
    }

    /// The request got no response; it stays counted (it may have reached the server).
    pub fn release(mut self) {
        self.release_grant();
    }

    fn release_grant(&mut self) {
        if let Some(grant) = self.grant.take() {
            self.limiter.with(|l| l.release(grant));
        }
    }
}

impl<M: RawMutex, W: Windows, const B: usize, C: Tuning> Drop for Ticket<'_, M, W, B, C> {
    fn drop(&mut self) {
        self.release_grant();
    }
}

/// Now, in the core's time: milliseconds since boot from embassy-time's 64-bit tick counter.
pub(crate) fn now() -> Instant {
    Instant::from_millis(embassy_time::Instant::now().as_millis())
}

impl<M: RawMutex, W: Windows, const B: usize, C: Tuning> SharedLimiter<M, W, B, C> {
    /// Shares `limiter`.
    pub const fn new(limiter: Limiter<W, B, C>) -> Self {
        SharedLimiter {
            inner: Mutex::new(RefCell::new(limiter)),
        }
    }

    /// Runs `f` on the limiter, under the lock (for inspection and tests).
    pub fn with<R>(&self, f: impl FnOnce(&mut Limiter<W, B, C>) -> R) -> R {
        self.inner.lock(|cell| f(&mut cell.borrow_mut()))
    }

    /// A ticket now, or why not (nothing consumed).
    pub fn try_acquire(&self) -> Result<Ticket<'_, M, W, B, C>, Denied> {
        self.try_acquire_with(Key::IDENTITY, Cost::ONE)
    }

    /// A ticket for a request of `cost` for `key` now, or why not (nothing consumed; see
    /// [`Limiter::try_acquire_with`]).
    pub fn try_acquire_with(&self, key: Key, cost: Cost) -> Result<Ticket<'_, M, W, B, C>, Denied> {
        let grant = self.with(|l| l.try_acquire_with(now(), key, cost))?;
        Ok(Ticket::new(self, grant))
    }

    /// Waits (with embassy-time) until a request may go, then takes a ticket. A wait beyond
    /// `Config::max_wait` returns [`Error::WouldWait`] at once instead of sleeping.
    pub async fn acquire<E>(&self) -> Result<Ticket<'_, M, W, B, C>, Error<E>> {
        self.acquire_with(Key::IDENTITY, Cost::ONE).await
    }

    /// [`SharedLimiter::acquire`] for a request of `cost` for `key`.
    pub async fn acquire_with<E>(
        &self,
        key: Key,
        cost: Cost,
    ) -> Result<Ticket<'_, M, W, B, C>, Error<E>> {
        loop {
            match self.try_acquire_with(key, cost) {
                Ok(ticket) => return Ok(ticket),
                Err(denied) if !denied.within_max_wait => return Err(Error::WouldWait(denied)),
                Err(denied) => sleep_until(denied.until).await,
            }
        }
    }
}

/// The buffer a response's policy names are copied into while it is read. 8-aligned, so
/// clearing it is the double-word clear a device's task already links for its buffers
/// (`__aeabi_memclr8`), not a second routine: -176 B of flash.
#[repr(align(8))]
pub(crate) struct Scratch(pub(crate) [u8; 256]);

impl Scratch {
    pub(crate) const fn new() -> Self {
        Scratch([0; 256])
    }
}

/// Sleeps until `until` on the core's clock (embassy-time's, in milliseconds: see [`now`]).
/// A timer, not an `async fn`: no state machine of its own inside the caller's; and an
/// instant, not a duration from `now`, so no clock reading either (-60 B of flash). (A wait is
/// at most `Duration::MAX`, 49.7 days, so the tick count cannot overflow.)
pub(crate) fn sleep_until(until: Instant) -> embassy_time::Timer {
    crate::fmt::debug!("headroom: waiting until {} ms", until.as_millis());
    embassy_time::Timer::at(embassy_time::Instant::from_millis(until.as_millis()))
}
