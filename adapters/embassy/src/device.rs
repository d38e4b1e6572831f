//! The device path ([`headroom_core::device`]): one identity's fixed-shape limiter, shared by
//! every task, and its retry loop, for one identity whose API has at most a short and a long
//! window: 7.4 KiB of a Cortex-M4's flash where [`SharedLimiter`](crate::SharedLimiter) with
//! [`retry`](crate::retry) takes 11.8 KiB (docs/footprint.md). No keys, weighted costs, draft
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
//! A request then goes through [`retry`], as with the generic limiter.

use crate::Error;
use crate::retry::settle;
use crate::shared::{now, sleep_until};
use core::cell::RefCell;
use embassy_sync::blocking_mutex::Mutex;
use embassy_sync::blocking_mutex::raw::RawMutex;
use headroom_core::device::{Attempts, Device, Next, Reading};
use headroom_core::{Decision, Method, Response, Retries, RetryPolicy};
use rand_core::Rng;

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

/// One attempt of [`retry`], handed to its closure: the closure sends the request, then gives
/// the response to [`Reply::response`].
pub struct Reply<'a, M: RawMutex, R: Rng, P = RetryPolicy> {
    device: &'a SharedDevice<M>,
    attempts: &'a mut Attempts<P>,
    rng: &'a mut R,
    /// The request is sent and unanswered; released if the attempt is dropped without a
    /// response (a cancelled future, a panic).
    pending: bool,
    /// The decision on the response, and the response's status.
    answered: Option<(Decision, u16)>,
}

impl<M: RawMutex, R: Rng, P> Drop for Reply<'_, M, R, P> {
    fn drop(&mut self) {
        if self.pending {
            self.device.with(|d| d.release(now()));
        }
    }
}

impl<M: RawMutex, R: Rng, P: Retries> Reply<'_, M, R, P> {
    /// This attempt's number, 1 for the first.
    pub fn attempt(&self) -> u32 {
        self.attempts.attempts()
    }

    /// The response to this attempt's request: its status and headers (and its body, for a
    /// 429's `retry_after` with `json`). Only the first call counts.
    pub fn response<'h, H>(&mut self, response: &Response<'_, H>)
    where
        H: IntoIterator<Item = (&'h str, &'h [u8])> + Clone,
    {
        if !core::mem::take(&mut self.pending) {
            return;
        }
        // Read in place: a returned `Reading` is moved, a block copy on a device.
        let mut reading = Reading::new();
        reading.fill(response);
        let (attempts, rng) = (&mut *self.attempts, &mut *self.rng);
        let decision = self
            .device
            .with(|d| attempts.answered(d, now(), &reading, rng));
        self.answered = Some((decision, reading.status()));
    }
}

/// Sends with `send` until `policy` says stop, as [`crate::retry`] does on the generic
/// limiter: each attempt waits for the device's grant; `send` sends the request, hands the
/// response to [`Reply::response`] and returns the caller's value, or a transport error.
/// `policy` is a [`RetryPolicy`], or [`DefaultRetries`](headroom_core::DefaultRetries): the
/// default policy fixed at compile time, in less flash.
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
        match device.with(|d| attempts.next(d, now())) {
            Next::Send => {}
            Next::Wait(until) => {
                sleep_until(until).await;
                continue;
            }
            Next::WouldWait(denied) => return Err(Error::WouldWait(denied)),
        }
        let mut reply = Reply {
            device,
            attempts: &mut attempts,
            rng: &mut *rng,
            pending: true,
            answered: None,
        };
        let result = send(&mut reply).await;
        let answered = reply.answered;
        // A lost request is released below; one the closure ended without a response, by
        // the reply's drop.
        let pending = result.is_err() && core::mem::take(&mut reply.pending);
        drop(reply);

        let lost = || pending.then(|| device.with(|d| attempts.lost(d, now(), rng)));
        if let Some(outcome) = settle(result, answered, lost) {
            return outcome;
        }
    }
}
