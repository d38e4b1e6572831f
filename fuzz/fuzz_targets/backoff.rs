//! The backoff calculator and retry decisions: delays within [0, ceiling] and the cap, the
//! ceiling monotone, retries bounded by the policy, waits within `max_wait`.
#![no_main]
use arbitrary::Arbitrary;
use headroom_core::backoff::{Backoff, Jitter, Method, RetryPolicy};
use headroom_core::driver::{Decision, Driver, Step};
use headroom_core::observation::Observation;
use headroom_core::time::Duration;
use headroom_core::{Config, Instant, Limiter, Log, Response, Window};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
struct Case {
    base_ms: u64,
    factor: u32,
    cap_ms: u64,
    jitter: u8,
    attempt: u32,
    previous_ms: u64,
    seed: u64,
    max_retries: u8,
    max_wait_ms: u64,
    statuses: Vec<(u16, Option<u32>)>,
}

struct Rng(u64);
impl rand_core::TryRng for Rng {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.try_next_u64()? as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        Ok(self.0 ^ (self.0 >> 29))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        dst.iter_mut().for_each(|b| *b = self.0 as u8);
        Ok(())
    }
}

fuzz_target!(|c: Case| {
    let backoff = Backoff {
        base: Duration::from_millis(c.base_ms),
        factor: c.factor,
        cap: Duration::from_millis(c.cap_ms),
        jitter: [
            Jitter::None,
            Jitter::Full,
            Jitter::Equal,
            Jitter::Decorrelated,
        ][usize::from(c.jitter % 4)],
    };
    let mut rng = Rng(c.seed);
    let d = backoff.delay(c.attempt, Duration::from_millis(c.previous_ms), &mut rng);
    assert!(d <= backoff.cap, "{d:?} over the cap");
    assert!(backoff.ceiling(c.attempt) <= backoff.cap);
    assert!(backoff.ceiling(c.attempt) <= backoff.ceiling(c.attempt.saturating_add(1)));
    let policy = RetryPolicy {
        backoff,
        max_retries: u32::from(c.max_retries % 16),
        ..RetryPolicy::DEFAULT
    };
    let config = Config {
        max_wait: Duration::from_millis(c.max_wait_ms),
        ..Config::DEFAULT
    };
    let mut driver = Driver::new(Method::Get, policy);
    let mut retries = 0;
    let mut now = Instant::from_millis(0);
    for (status, retry_after) in c.statuses {
        // A fresh limiter each time: only the driver's own rules are under test.
        let mut limiter: Limiter<Window<Log<4>>> = Limiter::new(Window::learned_exact(), config);
        let grant = loop {
            match driver.step(&mut limiter, now) {
                Step::Send(grant) => break grant,
                Step::Wait(until) => {
                    assert!(until <= now + config.max_wait, "{until:?} from {now:?}");
                    now = until;
                }
                Step::WouldWait(_) => return,
            }
        };
        let ra = retry_after.map(|s| s.to_string()).unwrap_or_default();
        let headers = [("Retry-After", ra.as_bytes())];
        let lines = headers.iter().copied().filter(|h| !h.1.is_empty());
        let obs: Observation = Observation::of(&Response::new(status, lines), &mut [0; 16]);
        match driver.answered(&mut limiter, now, grant, &obs, &mut rng) {
            Decision::Retry { after, .. } => {
                retries += 1;
                assert!(after <= config.max_wait);
                assert!(retries <= policy.max_retries);
            }
            Decision::Done | Decision::GiveUp(_) => break,
        }
    }
});
