//! Running a request on the core's retry driver: this adapter only sends and sleeps.

use crate::shared::{Ticket, now, sleep_until};
use crate::{Error, SharedLimiter};
use embassy_sync::blocking_mutex::raw::RawMutex;
use headroom_core::{Decision, Driver, Method, Observation, RetryPolicy, Step, Tuning, Windows};
use rand_core::Rng;

/// Sends with `send` until the core's [`Driver`] says stop: each attempt waits for a ticket,
/// `send` fills the [`Observation`] it is given from the response (with
/// [`Observation::parse`], in place) and returns the caller's value, or a transport error; a
/// retryable response (429; 503 with `Retry-After`) or a lost one (for idempotent `method`s)
/// is retried after the server's delay or a jittered backoff.
///
/// `send` gets the attempt's number (1-based); being an async closure, its future may borrow
/// what the closure holds (a receive buffer). The final value is returned, or
/// [`Error::GaveUp`] with the last status, [`Error::Transport`], or [`Error::WouldWait`]. If
/// this future is dropped mid-request, the request's grant is released.
pub async fn retry<M, W, const B: usize, C, T, E, F>(
    limiter: &SharedLimiter<M, W, B, C>,
    policy: &RetryPolicy,
    method: Method,
    rng: &mut impl Rng,
    mut send: F,
) -> Result<T, Error<E>>
where
    M: RawMutex,
    W: Windows,
    C: Tuning,
    F: AsyncFnMut(u32, &mut Observation) -> Result<T, E>,
{
    let mut driver = Driver::new(method, *policy);
    let mut obs = Observation::new();
    loop {
        let ticket = match limiter.with(|l| driver.step(l, now())) {
            Step::Send(grant) => Ticket::new(limiter, grant),
            Step::Wait(until) => {
                sleep_until(until).await;
                continue;
            }
            Step::WouldWait(denied) => return Err(Error::WouldWait(denied)),
        };
        let result = send(driver.attempts(), &mut obs).await;
        let Some(grant) = ticket.into_grant() else {
            continue;
        };
        let decision = limiter.with(|l| match result {
            Ok(_) => driver.answered(l, now(), grant, &obs, rng),
            Err(_) => driver.lost(l, now(), grant, rng),
        });
        match (decision, result) {
            (Decision::Done, Ok(value)) => return Ok(value),
            (Decision::Retry { after, .. }, _) => {
                crate::fmt::debug!("headroom: retry in {} ms", after.as_millis());
            }
            (Decision::GiveUp(reason), Ok(_)) => {
                let status = obs.status().unwrap_or(0);
                crate::fmt::warning!("headroom: giving up after status {}", status);
                return Err(Error::GaveUp { reason, status });
            }
            (_, Err(e)) => return Err(Error::Transport(e)),
        }
    }
}
