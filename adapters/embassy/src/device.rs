//! The device path ([`headroom_core::device`]): one identity's fixed-shape limiter, shared by
//! every task, and its retries, for one identity whose API has at most a short and a long
//! window: 6.0 KiB of a Cortex-M4's flash where [`SharedLimiter`](crate::SharedLimiter) with
//! [`retry`](crate::retry) takes 11.6 KiB (docs/footprint.md). No keys, weighted costs, draft
//! -11 units, saved state or diagnostics.
//!
//! ```
//! use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
//! use headroom_embassy::device::SharedDevice;
//!
//! /// Every task of the device shares it; all zero bits, so it costs no flash.
//! static API: SharedDevice<CriticalSectionRawMutex> = SharedDevice::new();
//! ```
//!
//! A request then goes through the task's own loop over [`SharedDevice::attempt`] (the least
//! flash), or through [`retry`] and a closure, as with the generic limiter.

use crate::Error;
use crate::retry::settle;
use crate::shared::{now, sleep_until};
use core::cell::RefCell;
use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::blocking_mutex::raw::RawMutex;
use headroom_core::device::{Device, Next, Reading};
use headroom_core::{Decision, Denied, Method, Response, Retries, RetryPolicy};
use rand_core::Rng;

pub use headroom_core::device::Attempts;

/// The device path's [`Device`] behind an embassy-sync blocking mutex: `const`, so it can be a
/// `static` shared by every task; generic over the raw mutex.
pub struct SharedDevice<M: RawMutex> {
    inner: Mutex<M, RefCell<Device>>,
}

impl<M: RawMutex> Default for SharedDevice<M> {
    fn default() -> Self {
        Self::new()
    }
}

impl<M: RawMutex> SharedDevice<M> {
    /// Nothing learned, nothing granted: every window is learned from the server.
    pub const fn new() -> Self {
        SharedDevice {
            inner: Mutex::new(RefCell::new(Device::new())),
        }
    }

    /// Runs `f` on the limiter, under the lock (for inspection and tests).
    pub fn with<R>(&self, f: impl FnOnce(&mut Device) -> R) -> R {
        self.inner.lock(|cell| f(&mut cell.borrow_mut()))
    }
}

/// One granted attempt, from [`SharedDevice::attempt`]: send its request, then hand back the
/// response with [`Attempt::answered`] (one without a status when none came), or call
/// [`Attempt::lost`]. Dropped without
/// either (a cancelled future, a timeout around it, a panic), it releases its grant, so no
/// capacity stays in flight for good.
#[must_use = "hand the attempt back with answered() or lost()"]
pub struct Attempt<'a, M: RawMutex, P = RetryPolicy> {
    device: &'a SharedDevice<M>,
    attempts: &'a mut Attempts<P>,
    /// Granted and not yet answered or lost.
    pending: bool,
}

impl<M: RawMutex, P> Drop for Attempt<'_, M, P> {
    fn drop(&mut self) {
        if self.pending {
            self.device.with(|d| d.release(now()));
        }
    }
}

impl<M: RawMutex, P: Retries> Attempt<'_, M, P> {
    /// This attempt's number, 1 for the first.
    pub fn number(&self) -> u32 {
        self.attempts.attempts()
    }

    /// The response to this attempt's request (its status and headers, and its body for a
    /// 429's `retry_after` with `json`), fed to the limiter; then what the retry policy
    /// decides: [`Decision::Retry`] means ask [`SharedDevice::attempt`] again.
    ///
    /// A response without a status ([`Response::status`] `None`) stands for none: the request
    /// is lost, as with [`Attempt::lost`]. So a task can hand both outcomes to this one call,
    /// which takes less flash than calling each (about 100 B on a Cortex-M4).
    pub fn answered<'h, H>(mut self, response: &Response<'_, H>, rng: &mut impl Rng) -> Decision
    where
        H: IntoIterator<Item = (&'h str, &'h [u8])> + Clone,
    {
        self.answer(response, rng)
    }

    /// The request got no response (refused, reset, timed out): released in the limiter (it
    /// stays counted: it may have reached the server), then decided.
    pub fn lost(mut self, rng: &mut impl Rng) -> Decision {
        self.lose(rng)
    }

    fn answer<'h, H>(&mut self, response: &Response<'_, H>, rng: &mut impl Rng) -> Decision
    where
        H: IntoIterator<Item = (&'h str, &'h [u8])> + Clone,
    {
        self.pending = false;
        // Read in place: a returned `Reading` is moved, a block copy on a device.
        let mut reading = Reading::new();
        reading.fill(response);
        let attempts = &mut *self.attempts;
        self.device
            .with(|d| attempts.answered(d, now(), &reading, rng))
    }

    fn lose(&mut self, rng: &mut impl Rng) -> Decision {
        self.pending = false;
        let attempts = &mut *self.attempts;
        self.device.with(|d| attempts.lost(d, now(), rng))
    }
}

impl<M: RawMutex> SharedDevice<M> {
    /// Waits until `attempts` may send: its retry delay, then the limiter's grant, which it
    /// takes. A wait for the limiter longer than [`MAX_WAIT`](headroom_core::device::MAX_WAIT)
    /// is not taken: the [`Denied`] says when and why.
    ///
    /// The loop [`retry`] runs, written out, for the least flash (no nested futures):
    ///
    /// ```no_run
    /// use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
    /// use headroom_embassy::device::{Attempts, SharedDevice};
    /// use headroom_embassy::headroom_core::{Decision, DefaultRetries, Denied, Method, Response};
    ///
    /// static API: SharedDevice<CriticalSectionRawMutex> = SharedDevice::new();
    ///
    /// async fn poll(rng: &mut impl rand_core::Rng) -> Result<Decision, Denied> {
    ///     let mut attempts = Attempts::new(Method::Get, DefaultRetries);
    ///     loop {
    ///         let attempt = API.attempt(&mut attempts).await?;
    ///         // ... send the request with your own stack, then hand the response back:
    ///         let headers = [("RateLimit", &b"\"minute\";r=41;t=30"[..])];
    ///         let decision = attempt.answered(&Response::new(200, headers), rng);
    ///         if !matches!(decision, Decision::Retry { .. }) {
    ///             return Ok(decision);
    ///         }
    ///     }
    /// }
    /// ```
    pub async fn attempt<'a, P: Retries>(
        &'a self,
        attempts: &'a mut Attempts<P>,
    ) -> Result<Attempt<'a, M, P>, Denied> {
        loop {
            match self.with(|d| attempts.next(d, now())) {
                Next::Send => break,
                Next::Wait(until) => sleep_until(until).await,
                Next::WouldWait(denied) => return Err(denied),
            }
        }
        Ok(Attempt {
            device: self,
            attempts,
            pending: true,
        })
    }
}

/// One attempt of [`retry`], handed to its closure: the closure sends the request, then gives
/// the response to [`Reply::response`].
pub struct Reply<'a, M: RawMutex, R: Rng, P = RetryPolicy> {
    /// Answered by the response; left pending, it is released when the reply is dropped.
    attempt: Attempt<'a, M, P>,
    rng: &'a mut R,
    /// The decision on the response, and the response's status.
    answered: Option<(Decision, u16)>,
}

impl<M: RawMutex, R: Rng, P: Retries> Reply<'_, M, R, P> {
    /// This attempt's number, 1 for the first.
    pub fn attempt(&self) -> u32 {
        self.attempt.number()
    }

    /// The response to this attempt's request: its status and headers (and its body, for a
    /// 429's `retry_after` with `json`). Only the first call counts.
    pub fn response<'h, H>(&mut self, response: &Response<'_, H>)
    where
        H: IntoIterator<Item = (&'h str, &'h [u8])> + Clone,
    {
        if self.attempt.pending {
            let decision = self.attempt.answer(response, self.rng);
            self.answered = Some((decision, response.status.unwrap_or(0)));
        }
    }
}

/// Sends with `send` until `policy` says stop, as [`crate::retry`] does on the generic
/// limiter: each attempt waits for the device's grant; `send` sends the request, hands the
/// response to [`Reply::response`] and returns the caller's value, or a transport error.
/// `policy` is a [`RetryPolicy`], or [`DefaultRetries`](headroom_core::DefaultRetries): the
/// default policy fixed at compile time, in less flash. [`SharedDevice::attempt`] is the same
/// loop written out by the caller, in about 500 B less (no nested futures).
///
/// A wait for the limiter longer than [`MAX_WAIT`](headroom_core::device::MAX_WAIT) ends
/// with [`Error::WouldWait`]; the rest as [`crate::retry`].
pub async fn retry<M, P, R, T, E, F>(
    device: &SharedDevice<M>,
    policy: P,
    method: Method,
    rng: &mut R,
    mut send: F,
) -> Result<T, Error<E>>
where
    M: RawMutex,
    P: Retries,
    R: Rng,
    F: AsyncFnMut(&mut Reply<'_, M, R, P>) -> Result<T, E>,
{
    let mut attempts = Attempts::new(method, policy);
    loop {
        // `SharedDevice::attempt`'s wait, written out: awaited as a nested future it costs
        // the task 116 B of flash.
        loop {
            match device.with(|d| attempts.next(d, now())) {
                Next::Send => break,
                Next::Wait(until) => sleep_until(until).await,
                Next::WouldWait(denied) => return Err(Error::WouldWait(denied)),
            }
        }
        let attempt = Attempt {
            device,
            attempts: &mut attempts,
            pending: true,
        };
        let mut reply = Reply {
            attempt,
            rng: &mut *rng,
            answered: None,
        };
        let result = send(&mut reply).await;
        // A lost request is released here; one the closure ended without a response, as
        // its attempt is dropped with the reply.
        let lost =
            (result.is_err() && reply.attempt.pending).then(|| reply.attempt.lose(reply.rng));
        let answered = reply.answered;
        drop(reply);
        let lost = || lost;
        if let Some(outcome) = settle(result, answered, lost) {
            return outcome;
        }
    }
}
