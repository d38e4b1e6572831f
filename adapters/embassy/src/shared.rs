//! The limiter every task of a device shares.

use crate::Error;
use core::cell::RefCell;
use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::blocking_mutex::raw::RawMutex;
use headroom_core::limiter::{Defaults, Denied, Grant, Limiter, Tuning};
use headroom_core::observation::Observation;
use headroom_core::time::{Duration, Instant};
use headroom_core::window::{Buckets, Log, Window, Windows};

/// Windows for a SynthLink-like API: an exact minute (up to 60 grants) and a bucketed day.
pub type SynthLinkWindows = (Window<Log<60>>, Window<Buckets<56>>);

/// A limiter for SynthLink configured with nothing: both windows are learned from the
/// server's `RateLimit-Policy` and kept in sync with its `RateLimit` values; the tuning is the
/// compile-time [`Defaults`], so a `static` one is all zero bits (in `.bss`, no flash).
pub const fn synthlink() -> Limiter<SynthLinkWindows, 2, Defaults> {
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

/// Permission to send one request: hand it back with [`SharedLimiter::observe`] (or
/// [`SharedLimiter::observe_response`]), or [`SharedLimiter::release`] when nothing came back.
#[must_use = "return the ticket with observe() or release()"]
#[derive(Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub struct Ticket(Grant);

/// Now, in the core's time: milliseconds since boot from embassy-time's 64-bit tick counter.
pub(crate) fn now() -> Instant {
    Instant::from_millis(embassy_time::Instant::now().as_millis())
}

/// Sleeps for `d` (at most `u32::MAX` ms, so no tick arithmetic can overflow).
pub(crate) async fn sleep(d: Duration) {
    let ms = d.as_millis().min(u64::from(u32::MAX));
    embassy_time::Timer::after(embassy_time::Duration::from_millis(ms)).await;
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
    pub fn try_acquire(&self) -> Result<Ticket, Denied> {
        self.with(|l| l.try_acquire(now())).map(Ticket)
    }

    /// Waits (with embassy-time) until a request may go, then takes a ticket. A wait beyond
    /// `Config::max_wait_ms` returns [`Error::WouldWait`] at once instead of sleeping.
    pub async fn acquire<E>(&self) -> Result<Ticket, Error<E>> {
        loop {
            match self.try_acquire() {
                Ok(ticket) => return Ok(ticket),
                Err(denied) if !denied.within_max_wait => return Err(Error::WouldWait(denied)),
                Err(denied) => {
                    let wait = denied.until.saturating_duration_since(now());
                    crate::fmt::debug!("headroom: waiting {} ms", wait.as_millis());
                    sleep(wait).await;
                }
            }
        }
    }

    /// Feeds the response to `ticket`'s request back.
    pub fn observe<const P: usize>(&self, ticket: Ticket, obs: &Observation<P>) {
        self.with(|l| l.observe(now(), ticket.0, obs));
    }

    /// Reduces a response to facts and feeds them back; returns them too (the retry decision
    /// needs them). `headers` is iterated more than once (a slice iterator, or a `map` over one).
    pub fn observe_response<'h, I>(
        &self,
        ticket: Ticket,
        status: u16,
        headers: I,
        body: Option<&[u8]>,
    ) -> Observation
    where
        I: IntoIterator<Item = (&'h str, &'h [u8])> + Clone,
    {
        // A device may have no wall clock: epoch-style resets use the response's Date header.
        let obs = Observation::parse(Some(status), headers, body, None, &mut [0u8; 256]);
        self.observe(ticket, &obs);
        obs
    }

    /// The request got no response; it stays counted (it may have reached the server).
    pub fn release(&self, ticket: Ticket) {
        self.with(|l| l.release(ticket.0));
    }
}
