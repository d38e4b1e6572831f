//! Running a request on the core's retry driver: this adapter only sends and sleeps.

use crate::shared::{Scratch, now, sleep_until};
use crate::{Error, SharedLimiter};
use embassy_sync::blocking_mutex::raw::RawMutex;
use headroom_core::{
    Cost, Decision, Driver, Grant, Key, Method, Observation, Response, Retries, RetryPolicy, Step,
    Tuning, Windows,
};
use rand_core::Rng;

/// One attempt of [`retry`], handed to its closure: the closure sends the request, then gives
/// the response to [`Reply::response`].
///
/// The response is read and fed to the limiter and the core's [`Driver`] right there, in a
/// plain function call: no [`Observation`] is kept in the request's future (on a device, that
/// is about 400 bytes of a task's RAM), and none is copied out of the closure.
pub struct Reply<'a, M: RawMutex, W: Windows, const B: usize, C: Tuning, R: Rng, P = RetryPolicy> {
    attempt: u32,
    limiter: &'a SharedLimiter<M, W, B, C>,
    driver: &'a mut Driver<P>,
    rng: &'a mut R,
    /// Until the response comes; released if the attempt is dropped without one (a
    /// cancelled future, a panic).
    grant: Option<Grant>,
    /// The driver's decision on the response, and the response's status.
    answered: Option<(Decision, u16)>,
}

impl<M: RawMutex, W: Windows, const B: usize, C: Tuning, R: Rng, P> Drop
    for Reply<'_, M, W, B, C, R, P>
{
    fn drop(&mut self) {
        if let Some(grant) = self.grant.take() {
            self.limiter.with(|l| l.release(grant));
        }
    }
}

impl<M: RawMutex, W: Windows, const B: usize, C: Tuning, R: Rng, P: Retries>
    Reply<'_, M, W, B, C, R, P>
{
    /// This attempt's number, 1 for the first.
    pub fn attempt(&self) -> u32 {
        self.attempt
    }

    /// The response to this attempt's request: its status and headers (and its body, for a
    /// 429's `retry_after`). Only the first call counts. A device may have no wall clock:
    /// epoch-style resets are then read against the response's `Date`.
    pub fn response<'h, H>(&mut self, response: &Response<'_, H>)
    where
        H: IntoIterator<Item = (&'h str, &'h [u8])> + Clone,
    {
        let Some(grant) = self.grant.take() else {
            return;
        };
        let mut obs: Observation = Observation::new();
        obs.parse(response, &mut Scratch::new().0);
        let (driver, rng) = (&mut *self.driver, &mut *self.rng);
        let decision = self
            .limiter
            .with(|l| driver.answered(l, now(), grant, &obs, rng));
        self.answered = Some((decision, obs.status().unwrap_or(0)));
    }
}

/// Sends with `send` until the core's [`Driver`] says stop, under `policy`: a
/// [`RetryPolicy`] (or a reference to one), or [`DefaultRetries`](headroom_core::DefaultRetries),
/// the default policy fixed at compile time, in less flash: each attempt waits for a ticket;
/// `send` sends the request, hands the response to [`Reply::response`] and returns the
/// caller's value, or a transport error. A retryable response (429; 503 with `Retry-After`) or
/// a lost one (for idempotent `method`s) is retried after the server's delay or a jittered
/// backoff.
///
/// Being an async closure, `send`'s future may borrow what the closure holds (a receive
/// buffer). The final value is returned, or [`Error::GaveUp`] with the last status,
/// [`Error::Transport`], or [`Error::WouldWait`]. A `send` that returns a value without
/// giving a response ends the request there (its grant is released, as for a lost one). If
/// this future is dropped mid-request, the request's grant is released.
pub fn retry<M, W, const B: usize, C, P, R, T, E, F>(
    limiter: &SharedLimiter<M, W, B, C>,
    policy: P,
    method: Method,
    rng: &mut R,
    send: F,
) -> impl Future<Output = Result<T, Error<E>>>
where
    M: RawMutex,
    W: Windows,
    C: Tuning,
    P: Retries,
    R: Rng,
    F: AsyncFnMut(&mut Reply<'_, M, W, B, C, R, P>) -> Result<T, E>,
{
    // Not an `async fn` awaiting the other: one state machine, not two nested; and the
    // constant ask folds into the code (a device's flash).
    run(limiter, policy, method, One, rng, send)
}

/// [`retry`] for a request of `cost` for `key`: a batch the server counts as several
/// requests, an upload's content bytes, or one of the identity's independent limits (a
/// route, a partition; see [`Key`]).
pub fn retry_with<M, W, const B: usize, C, P, R, T, E, F>(
    limiter: &SharedLimiter<M, W, B, C>,
    policy: P,
    method: Method,
    key: Key,
    cost: Cost,
    rng: &mut R,
    send: F,
) -> impl Future<Output = Result<T, Error<E>>>
where
    M: RawMutex,
    W: Windows,
    C: Tuning,
    P: Retries,
    R: Rng,
    F: AsyncFnMut(&mut Reply<'_, M, W, B, C, R, P>) -> Result<T, E>,
{
    run(limiter, policy, method, (key, cost), rng, send)
}

/// What each attempt of a request asks the limiter for.
trait Ask: Copy {
    fn key(self) -> Key;
    fn cost(self) -> Cost;
}

/// One request for the identity.
#[derive(Clone, Copy)]
struct One;

impl Ask for One {
    fn key(self) -> Key {
        Key::IDENTITY
    }
    fn cost(self) -> Cost {
        Cost::ONE
    }
}

impl Ask for (Key, Cost) {
    fn key(self) -> Key {
        self.0
    }
    fn cost(self) -> Cost {
        self.1
    }
}

async fn run<M, W, const B: usize, C, P, R, T, E, F>(
    limiter: &SharedLimiter<M, W, B, C>,
    policy: P,
    method: Method,
    ask: impl Ask,
    rng: &mut R,
    mut send: F,
) -> Result<T, Error<E>>
where
    M: RawMutex,
    W: Windows,
    C: Tuning,
    P: Retries,
    R: Rng,
    F: AsyncFnMut(&mut Reply<'_, M, W, B, C, R, P>) -> Result<T, E>,
{
    let mut driver = Driver::new(method, policy);
    loop {
        let step = |l: &mut _| driver.step_with(l, now(), ask.key(), ask.cost());
        let grant = match limiter.with(step) {
            Step::Send(grant) => grant,
            Step::Wait(until) => {
                sleep_until(until).await;
                continue;
            }
            Step::WouldWait(denied) => return Err(Error::WouldWait(denied)),
        };
        let mut reply = Reply {
            attempt: driver.attempts(),
            limiter,
            driver: &mut driver,
            rng: &mut *rng,
            grant: Some(grant),
            answered: None,
        };
        let result = send(&mut reply).await;
        let (grant, answered) = (reply.grant.take(), reply.answered);
        drop(reply); // its borrow of the driver ends here

        let lost = || {
            let grant = grant?;
            Some(limiter.with(|l| driver.lost(l, now(), grant, rng)))
        };
        if let Some(outcome) = settle(result, answered, lost) {
            return outcome;
        }
    }
}

/// What follows one attempt, for both retry loops: the caller's value, an error, or (`None`)
/// another attempt. `lost` releases a request that got no response and decides; it gives
/// `None` when a response came first (then the closure's error is not the transport's to
/// retry).
pub(crate) fn settle<T, E>(
    result: Result<T, E>,
    answered: Option<(Decision, u16)>,
    lost: impl FnOnce() -> Option<Decision>,
) -> Option<Result<T, Error<E>>> {
    let decision = match (result, answered) {
        (Ok(value), Some((Decision::Done, _)) | None) => return Some(Ok(value)),
        (Ok(_), Some((Decision::GiveUp(reason), status))) => {
            crate::fmt::warning!("headroom: giving up after status {}", status);
            return Some(Err(Error::GaveUp { reason, status }));
        }
        (Ok(_), Some((decision, _))) => decision,
        (Err(e), _) => match lost() {
            None | Some(Decision::GiveUp(_)) => return Some(Err(Error::Transport(e))),
            Some(decision) => decision,
        },
    };
    if let Decision::Retry { after, .. } = decision {
        crate::fmt::debug!("headroom: retry in {} ms", after.as_millis());
    }
    None
}
