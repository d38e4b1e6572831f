//! The limiter as a state machine under arbitrary acquire / peek / observe / release / time
//! steps, with weighted and keyed acquires and arbitrary server headers (units, partitions,
//! problem details bodies). Invariants: never more units than a configured quota in any
//! window of its length, whatever the keys; a refusal consumes nothing; `peek` agrees with
//! `try_acquire`; no wait exceeds the longest window or the pause cap.
#![no_main]
use arbitrary::Arbitrary;
use headroom_core::limiter::{Cause, Config, Grant, Limiter};
use headroom_core::observation::Observation;
use headroom_core::time::{Duration, Instant};
use headroom_core::window::{Log, Window, Windows};
use headroom_core::{Cost, Key};
use libfuzzer_sys::fuzz_target;

#[derive(Arbitrary, Debug)]
enum Op {
    Advance(u16),
    AdvanceFar(u32),
    Acquire {
        requests: u8,
        key: u8,
    },
    Peek {
        requests: u8,
        key: u8,
    },
    Release,
    Observe {
        status: u8,
        named: bool,
        unit: u8,
        partition: Option<u8>,
        violated: bool,
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
            Op::Peek { requests, key } | Op::Acquire { requests, key } => {
                let n = u16::from(requests % 4) + 1;
                let key = match key % 3 {
                    0 => Key::IDENTITY,
                    k => Key::named(["a", "b"][usize::from(k) - 1]),
                };
                let cost = Cost::requests(n).content_bytes(u32::from(requests) * 100);
                let before = limiter.clone();
                let peeked = limiter.peek_with(now, key, cost);
                match limiter.try_acquire_with(now, key, cost) {
                    Ok(g) => {
                        assert!(peeked.is_ok(), "peek refused what acquire granted");
                        granted.extend((0..n).map(|_| now));
                        for i in 0..2 {
                            let from = now.as_millis().saturating_sub(w[i] * 1000);
                            let inside = granted.iter().filter(|t| t.as_millis() > from).count();
                            assert!(
                                inside as u32 <= q[i],
                                "{inside} grants in {} s (quota {})",
                                w[i],
                                q[i]
                            );
                        }
                        if matches!(op, Op::Peek { .. }) {
                            limiter.release(g);
                        } else {
                            in_flight.push(g);
                        }
                    }
                    Err(d) => {
                        assert_eq!(peeked, Err(d), "peek and acquire disagree");
                        assert_eq!(limiter, before, "a refusal consumed something");
                        assert!(d.until > now);
                        if d.until == Instant::MAX {
                            // Only a cost no window (as configured or as the server
                            // tightened it) or in-flight cap can hold.
                            let quota = |i| limiter.windows().rule(i).and_then(|r| r.quota());
                            let over = (0..2).any(|i| quota(i).is_some_and(|q| u32::from(n) > q));
                            assert!(over || d.cause == Cause::InFlight, "{d:?} for {n}");
                            continue;
                        }
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
                unit,
                partition,
                violated,
                q,
                w,
                r,
                t,
                retry_after,
            } => {
                let Some(g) = in_flight.pop() else { continue };
                let status = [200, 429, 503, 413, 500][usize::from(status) % 5];
                let name = if named { "\"n\";" } else { "" };
                let qu = [
                    "",
                    ";qu=\"content-bytes\"",
                    ";qu=\"concurrent-requests\"",
                    ";qu=\"request\"",
                ][usize::from(unit) % 4];
                let pk = partition
                    .map(|p| format!(";pk=:{}:", ["YQ==", "Yg==", "Yw=="][usize::from(p) % 3]))
                    .unwrap_or_default();
                let (policy, state) = if named {
                    (
                        format!("{name}q={q};w={w}{qu}{pk}"),
                        format!("{name}r={r};t={t}{pk}"),
                    )
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
                let body: &[u8] = if violated {
                    br#"{"violated-policies": ["n"]}"#
                } else {
                    b""
                };
                let response = headroom_core::Response::new(status, lines).body(body);
                let obs: Observation = Observation::of(&response, &mut [0; 64]);
                limiter.observe(now, g, &obs);
            }
        }
    }
});
