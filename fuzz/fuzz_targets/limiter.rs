//! The limiter as a state machine under arbitrary acquire / peek / observe / release / time
//! steps, with arbitrary server headers. Invariants: never more grants than a configured quota
//! in any window of its length; a refusal consumes nothing; `peek` agrees with `try_acquire`;
//! no wait exceeds the longest window or the pause cap.
#![no_main]
use arbitrary::Arbitrary;
use headroom_core::limiter::{Config, Grant, Limiter};
use headroom_core::observation::Observation;
use headroom_core::time::{Duration, Instant};
use headroom_core::window::{Log, Window};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op {
    Advance(u16),
    AdvanceFar(u32),
    Acquire,
    Peek,
    Release,
    Observe {
        status: u8,
        named: bool,
        q: u16,
        w: u16,
        r: u16,
        t: u16,
        retry_after: Option<u16>,
    },
}

#[derive(Arbitrary, Debug)]
struct Case {
    quotas: (u8, u8),
    lengths_s: (u8, u16),
    ops: Vec<Op>,
}

fuzz_target!(|case: Case| {
    let q = [
        u32::from(case.quotas.0 % 32) + 1,
        u32::from(case.quotas.1 % 64) + 1,
    ];
    let w = [
        u64::from(case.lengths_s.0 % 120) + 1,
        u64::from(case.lengths_s.1 % 4000) + 1,
    ];
    let config = Config::DEFAULT;
    let mut limiter: Limiter<(Window<Log<32>>, Window<Log<64>>)> = Limiter::new(
        (
            Window::exact(q[0], Duration::from_secs(w[0])),
            Window::exact(q[1], Duration::from_secs(w[1])),
        ),
        config,
    );
    let cap_ms = (w[1].max(w[0]) * 1000 + config.guard.as_millis()).max(
        config.max_pause.as_millis() + config.reset_guard.as_millis() + config.guard.as_millis(),
    );
    let mut now = Instant::from_millis(1_000_000);
    let mut granted: Vec<Instant> = Vec::new();
    let mut in_flight: Vec<Grant> = Vec::new();
    for op in case.ops {
        match op {
            Op::Advance(ms) => now = now + Duration::from_millis(u64::from(ms)),
            Op::AdvanceFar(ms) => now = now + Duration::from_millis(u64::from(ms)),
            Op::Peek | Op::Acquire => {
                let before = limiter.clone();
                let peeked = limiter.peek(now);
                match limiter.try_acquire(now) {
                    Ok(g) => {
                        assert!(peeked.is_ok(), "peek refused what acquire granted");
                        granted.push(now);
                        for i in 0..2 {
                            let from = now
                                .saturating_duration_since(Instant::ZERO)
                                .as_millis()
                                .saturating_sub(w[i] * 1000);
                            let inside = granted.iter().filter(|t| t.as_millis() > from).count();
                            assert!(
                                inside as u32 <= q[i],
                                "{inside} grants in {} s (quota {})",
                                w[i],
                                q[i]
                            );
                        }
                        if matches!(op, Op::Peek) {
                            limiter.release(g);
                        } else {
                            in_flight.push(g);
                        }
                    }
                    Err(d) => {
                        assert_eq!(peeked, Err(d), "peek and acquire disagree");
                        assert_eq!(limiter, before, "a refusal consumed something");
                        assert!(d.until > now);
                        let wait = d.until.saturating_duration_since(now).as_millis();
                        assert!(wait <= cap_ms, "wait {wait} ms over the cap {cap_ms}");
                    }
                }
            }
            Op::Release => {
                if let Some(g) = in_flight.pop() {
                    limiter.release(g);
                }
            }
            Op::Observe {
                status,
                named,
                q,
                w,
                r,
                t,
                retry_after,
            } => {
                let Some(g) = in_flight.pop() else { continue };
                let status = [200, 429, 503, 413, 500][usize::from(status) % 5];
                let name = if named { "\"n\";" } else { "" };
                let (policy, state) = if named {
                    (format!("{name}q={q};w={w}"), format!("{name}r={r};t={t}"))
                } else {
                    (
                        format!("{q};w={w}"),
                        format!("limit={q}, remaining={r}, reset={t}"),
                    )
                };
                let ra = retry_after.map(|s| s.to_string()).unwrap_or_default();
                let headers = [
                    ("RateLimit-Policy", policy.as_bytes()),
                    ("RateLimit", state.as_bytes()),
                    ("Retry-After", ra.as_bytes()),
                ];
                let lines = headers.iter().copied().filter(|h| !h.1.is_empty());
                let obs: Observation =
                    Observation::of(&headroom_core::Response::new(status, lines), &mut [0; 64]);
                limiter.observe(now, g, &obs);
            }
        }
    }
});
