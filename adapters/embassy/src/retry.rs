//! Running a request under the core's retry and backoff decisions.

use crate::{Error, SharedLimiter};
use embassy_sync::blocking_mutex::raw::RawMutex;
use headroom_core::backoff::{Attempt, Decision, Method, RetryPolicy};
use headroom_core::limiter::Tuning;
use headroom_core::observation::Observation;
use headroom_core::window::Windows;
use rand_core::Rng;

/// Sends with `send` until the core's decisions say stop: each attempt waits for a ticket,
/// `send` returns the response's facts and the caller's value (or a transport error), and a
/// retryable response (429; 503 with `Retry-After`) or a lost one (for idempotent `method`s)
/// is retried after the server's delay or a jittered backoff.
///
/// `send` gets the attempt's number (1-based); being an async closure, its future may borrow
/// what the closure holds (a receive buffer). The final value is returned, or
/// [`Error::GaveUp`] with the last status, [`Error::Transport`], or [`Error::WouldWait`].
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
    F: AsyncFnMut(u32) -> Result<(Observation, T), E>,
{
    let mut attempt = Attempt::new(method);
    let mut n = 0u32;
    loop {
        n = n.saturating_add(1);
        let ticket = limiter.acquire().await?;
        // Decided before sleeping, so the response's facts are not held across the sleep
        // (they would double the caller's future).
        let after = match send(n).await {
            Ok((obs, value)) => {
                limiter.observe(ticket, &obs);
                match attempt.next(policy, &obs, rng) {
                    Decision::Done => return Ok(value),
                    Decision::Retry { after, .. } => after,
                    Decision::GiveUp(reason) => {
                        let status = obs.status.unwrap_or(0);
                        crate::fmt::warning!("headroom: giving up after status {}", status);
                        return Err(Error::GaveUp { reason, status });
                    }
                }
            }
            Err(e) => {
                limiter.release(ticket);
                attempt
                    .after_no_response(policy, rng)
                    .ok_or(Error::Transport(e))?
            }
        };
        crate::fmt::debug!("headroom: retry in {} ms", after.as_millis());
        crate::shared::sleep(after).await;
    }
}
