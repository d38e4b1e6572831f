//! The device path ([`headroom_core::device`]): its limiter, reader and retries, from what a
//! server sends; run on the host (`tests/device.rs`) and on a Cortex-M4 under QEMU
//! (`core/on-target`). (Its behaviour in fleets is held to the generic limiter's by the
//! utilization simulation's test, `benches/tests/sim.rs`.)

use headroom_core::device::{Attempts, Device, Next, Reading};
use headroom_core::{
    Cause, Decision, DefaultRetries, Duration, GiveUp, Instant, Method, Response, Retries,
    RetryPolicy,
};

fn ms(t: u64) -> Instant {
    Instant::from_millis(t)
}

fn reading(status: u16, headers: &[(&'static str, &'static str)]) -> Reading {
    let fields = headers.iter().map(|(n, v)| (*n, v.as_bytes()));
    Reading::of(&Response::new(status, fields))
}

/// One request granted at `at` and answered then.
fn exchange(d: &mut Device, at: u64, status: u16, headers: &[(&'static str, &'static str)]) {
    d.acquire(ms(at)).expect("granted");
    d.observe(ms(at), &reading(status, headers));
}

struct Rng(u32);
impl rand_core::TryRng for Rng {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.0)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(u64::from(self.0))
    }
    fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), Self::Error> {
        d.fill(0);
        Ok(())
    }
}

const POLICY: (&str, &str) = (
    "RateLimit-Policy",
    r#""minute";q=60;w=60, "day";q=1000;w=86400"#,
);

pub fn one_request_finds_the_limits_before_others_go() {
    let mut d = Device::new();
    d.acquire(ms(0)).unwrap();
    let held = d.acquire(ms(10)).unwrap_err();
    assert_eq!(held.cause, Cause::Discovering);
    d.observe(ms(100), &reading(200, &[POLICY]));
    assert!(d.acquire(ms(100)).is_ok());
}

pub fn a_reading_filled_again_holds_only_the_new_response() {
    let mut r = reading(
        429,
        &[
            POLICY,
            ("RateLimit", r#""minute";r=0;t=30"#),
            ("Retry-After", "30"),
        ],
    );
    let day = [("RateLimit-Policy", r#""day";q=1000;w=86400"#)];
    let fields = day.iter().map(|(n, v)| (*n, v.as_bytes()));
    r.fill(&Response::new(200, fields));
    assert_eq!(r, reading(200, &day));
    assert_eq!(r.retry_after(), None);
    assert_ne!(r, reading(200, &[POLICY]));
}

pub fn a_learned_minute_is_counted_exactly() {
    let mut d = Device::new();
    for i in 0..60 {
        exchange(&mut d, i * 10, 200, &[POLICY]);
    }
    let held = d.acquire(ms(600)).unwrap_err();
    assert_eq!(held.cause, Cause::Window(0));
    // A minute after the first grant, with the window's guard (1/64 of it, at most 250 ms).
    assert_eq!(held.until, ms(60_000 + 250));
    assert!(held.within_max_wait);
    assert!(d.acquire(ms(60_249)).is_err());
    assert!(d.acquire(ms(60_250)).is_ok());
}

/// A short window of 7 per 2 s, over 3,000 requests at uneven times (the log's ring wraps
/// many times): each is granted exactly when fewer than 7 were granted within the window and
/// its guard (31 ms) before it, and held until the 7th last leaves it.
pub fn a_short_window_is_counted_exactly_as_it_slides() {
    const SPAN: u64 = 2_000 + 31;
    let policy = [("RateLimit-Policy", r#""burst";q=7;w=2"#)];
    let mut d = Device::new();
    exchange(&mut d, 0, 200, &policy);
    // The model: the last 7 grants, the oldest at `next`.
    let mut last = [0u64; 7];
    let (mut next, mut granted) = (1usize, 1usize);
    let (mut t, mut lcg) = (0u64, 12_345u32);
    for _ in 0..3_000 {
        lcg = lcg.wrapping_mul(1_103_515_245).wrapping_add(12_345);
        t += u64::from(lcg >> 16) % 700;
        let seventh_last = (granted >= 7).then(|| last[next]);
        match (d.acquire(ms(t)), seventh_last) {
            (Ok(()), Some(g)) => assert!(t >= g + SPAN, "granted at {t}"),
            (Ok(()), None) => {}
            (Err(held), Some(g)) => {
                assert_eq!((held.cause, held.until), (Cause::Window(0), ms(g + SPAN)));
                continue;
            }
            (Err(held), None) => panic!("held at {t}: {held:?}"),
        }
        d.observe(ms(t), &reading(200, &policy));
        last[next] = t;
        next = (next + 1) % 7;
        granted += 1;
    }
    assert!(granted > 1_000, "{granted} granted");
}

/// A day of 1,000 listed before the minute still goes to the buckets, which can count it (the
/// log holds 60 grants), and the minute to the exact log.
pub fn each_window_goes_where_its_quota_fits() {
    let mut d = Device::new();
    let day_first = (
        "RateLimit-Policy",
        r#""day";q=1000;w=86400, "minute";q=60;w=60"#,
    );
    for i in 0..60 {
        exchange(&mut d, i * 10, 200, &[day_first]);
    }
    let held = d.acquire(ms(600)).unwrap_err();
    assert_eq!((held.cause, held.until), (Cause::Window(0), ms(60_250)));
}

pub fn the_servers_budget_holds_until_its_reset() {
    let mut d = Device::new();
    let spent = [
        POLICY,
        ("RateLimit", r#""minute";r=0;t=30, "day";r=900;t=5000"#),
    ];
    exchange(&mut d, 0, 200, &spent);
    let held = d.acquire(ms(1)).unwrap_err();
    assert_eq!(held.cause, Cause::ServerBudget);
    // The reset, with a guard of 1/64 of the window (at most 1 s).
    assert_eq!(held.until, ms(30_000 + 937));
}

pub fn a_429_pauses_for_retry_after_in_seconds_or_as_a_date() {
    let mut d = Device::new();
    exchange(&mut d, 0, 429, &[("Retry-After", "7")]);
    let held = d.acquire(ms(1)).unwrap_err();
    assert_eq!((held.cause, held.until), (Cause::Paused, ms(7_000)));

    let mut d = Device::new();
    let dated = [
        ("Date", "Sun, 06 Nov 1994 08:49:37 GMT"),
        ("Retry-After", "Sunday, 06-Nov-94 08:50:07 GMT"),
    ];
    exchange(&mut d, 0, 503, &dated);
    assert_eq!(d.acquire(ms(1)).unwrap_err().until, ms(30_000));
    // A bare 429 pauses for a second.
    let mut d = Device::new();
    exchange(&mut d, 0, 429, &[]);
    assert_eq!(d.acquire(ms(1)).unwrap_err().until, ms(1_000));
}

pub fn a_hostile_server_cannot_make_it_sleep_for_hours() {
    let mut d = Device::new();
    let hostile = [
        ("Retry-After", "99999999999999999999"),
        ("RateLimit-Policy", r#""x";q=1;w=999999999999"#),
        ("RateLimit", r#""x";r=0;t=999999999999"#),
    ];
    exchange(&mut d, 0, 429, &hostile);
    let held = d.acquire(ms(1)).unwrap_err();
    // Every wait is capped at 24 h (and a reset's guard), and reported as too long to take.
    assert!(held.until <= ms(86_400_000 + 1_000), "{held:?}");
    assert!(!held.within_max_wait);
}

pub fn a_cached_response_and_invalid_fields_are_not_read() {
    let mut d = Device::new();
    let cached = [("Age", "30"), ("RateLimit", r#""minute";r=0;t=30"#), POLICY];
    exchange(&mut d, 0, 200, &cached);
    assert!(d.acquire(ms(1)).is_ok());
    // An invalid List is ignored whole: `q=6O` is no Integer.
    let mut d = Device::new();
    exchange(
        &mut d,
        0,
        200,
        &[("RateLimit-Policy", r#""minute";q=1;w=60, "day";q=6O"#)],
    );
    assert!(d.acquire(ms(1)).is_ok() && d.acquire(ms(2)).is_ok());
}

pub fn a_field_on_several_lines_is_read_all_or_nothing() {
    let two = [
        ("RateLimit-Policy", r#""minute";q=2;w=60"#),
        ("ratelimit-policy", r#""day";q=1000;w=86400"#),
    ];
    let mut d = Device::new();
    exchange(&mut d, 0, 200, &two);
    exchange(&mut d, 1, 200, &[]);
    assert_eq!(d.acquire(ms(2)).unwrap_err().cause, Cause::Window(0));
    let broken = [
        ("RateLimit-Policy", r#""minute";q=2;w=60"#),
        ("RateLimit-Policy", r#""day";q=1000;w="#),
    ];
    let mut d = Device::new();
    exchange(&mut d, 0, 200, &broken);
    exchange(&mut d, 1, 200, &[]);
    assert!(d.acquire(ms(2)).is_ok());
}

pub fn a_singleton_sent_twice_is_ignored() {
    let r = reading(429, &[("Retry-After", "5"), ("Retry-After", "9")]);
    assert_eq!(r.retry_after(), None);
}

pub fn a_silence_past_32_bits_of_milliseconds() {
    let start = 1_793_675_843_400; // a clock that counts from the Unix epoch
    let mut d = Device::new();
    for i in 0..59 {
        exchange(&mut d, start + i, 200, &[POLICY]);
    }
    let spent = [
        POLICY,
        ("RateLimit", r#""minute";r=0;t=30"#),
        ("Retry-After", "10"),
    ];
    exchange(&mut d, start + 59, 429, &spent);
    assert!(d.acquire(ms(start + 61)).is_err());
    let later = start + 60 * 86_400_000;
    for i in 0..60 {
        exchange(&mut d, later + i * 10, 200, &[]);
    }
    let held = d.acquire(ms(later + 600)).unwrap_err();
    assert_eq!(
        (held.cause, held.until),
        (Cause::Window(0), ms(later + 60_250))
    );
}

pub fn retries_follow_the_policy() {
    let mut rng = Rng(u32::MAX / 2);
    let mut d = Device::new();
    let mut a = Attempts::new(Method::Get, RetryPolicy::DEFAULT);
    let mut now = 0;
    for attempt in 1..=4 {
        assert_eq!(a.attempts(), attempt);
        loop {
            match a.next(&mut d, ms(now)) {
                Next::Send => break,
                Next::Wait(until) => now = until.as_millis(),
                Next::WouldWait(denied) => panic!("{denied:?}"),
            }
        }
        let decision = a.answered(&mut d, ms(now), &reading(429, &[]), &mut rng);
        if attempt < 4 {
            assert!(matches!(decision, Decision::Retry { .. }), "{decision:?}");
        } else {
            assert_eq!(
                decision,
                Decision::GiveUp(GiveUp::RetriesExhausted { attempts: 4 })
            );
        }
    }
    // A POST that got no response is not sent again.
    let mut a = Attempts::new(Method::Post, RetryPolicy::DEFAULT);
    assert_eq!(a.next(&mut d, ms(now + 60_000)), Next::Send);
    assert_eq!(
        a.lost(&mut d, ms(now + 60_000), &mut rng),
        Decision::GiveUp(GiveUp::NotIdempotent)
    );
    // A server delay past max_wait (300 s) is not waited for.
    let mut a = Attempts::new(Method::Get, RetryPolicy::DEFAULT);
    let later = now + 120_000;
    assert_eq!(a.next(&mut d, ms(later)), Next::Send);
    let long = reading(503, &[("Retry-After", "301")]);
    let wait = Duration::from_secs(301);
    assert_eq!(
        a.answered(&mut d, ms(later), &long, &mut rng),
        Decision::GiveUp(GiveUp::WaitTooLong {
            wait,
            from_server: true
        })
    );
    // Then the limiter's own wait is too long as well: the server paused everyone.
    let mut a = Attempts::new(Method::Get, RetryPolicy::DEFAULT);
    assert!(matches!(a.next(&mut d, ms(later + 1)), Next::WouldWait(_)));
}

/// A reading without a status stands for no response: handed to `answered`, it is decided
/// and released as `lost` would, whatever headers came with it.
pub fn a_reading_without_a_status_is_a_lost_request() {
    let mut rng = Rng(u32::MAX / 2);
    let none = Reading::new();
    for (method, lost) in [
        (Method::Get, None),
        (Method::Post, Some(GiveUp::NotIdempotent)),
    ] {
        let (mut by_reading, mut by_lost) = (Device::new(), Device::new());
        let mut a = Attempts::new(method, RetryPolicy::DEFAULT);
        let mut b = Attempts::new(method, RetryPolicy::DEFAULT);
        assert_eq!(a.next(&mut by_reading, ms(0)), Next::Send);
        assert_eq!(b.next(&mut by_lost, ms(0)), Next::Send);
        let decision = a.answered(&mut by_reading, ms(5), &none, &mut rng);
        assert_eq!(decision, b.lost(&mut by_lost, ms(5), &mut rng));
        match lost {
            Some(give_up) => assert_eq!(decision, Decision::GiveUp(give_up)),
            // Retried after the policy's backoff (1 s with equal jitter: 0.5 to 1 s).
            None => match decision {
                Decision::Retry { after, from_server } => {
                    assert!(!from_server);
                    assert!((500..=1_000).contains(&after.as_millis()), "{after:?}");
                }
                other => panic!("{other:?}"),
            },
        }
        // Released: nothing in flight, as after `lost`.
        assert_eq!(by_reading.in_flight(), 0);
        assert_eq!(
            a.next(&mut by_reading, ms(6_000)),
            b.next(&mut by_lost, ms(6_000))
        );
    }
    // A status-less reading of a field's headers is still no response: nothing learned.
    let mut d = Device::new();
    let mut a = Attempts::new(Method::Get, RetryPolicy::DEFAULT);
    assert_eq!(a.next(&mut d, ms(0)), Next::Send);
    let headless = reading(0, &[POLICY, ("RateLimit", r#""minute";r=0;t=60"#)]);
    assert!(matches!(
        a.answered(&mut d, ms(5), &headless, &mut rng),
        Decision::Retry { .. }
    ));
    assert_eq!(d.in_flight(), 0);
}

#[cfg(feature = "legacy")]
pub fn the_pre_standard_fields_are_one_policy() {
    let mut d = Device::new();
    let github = [
        ("X-RateLimit-Limit", "60"),
        ("X-RateLimit-Used", "60"),
        ("X-RateLimit-Reset", "1764547230"),
        ("Date", "Mon, 01 Dec 2025 00:00:00 GMT"),
    ];
    exchange(&mut d, 0, 200, &github);
    let held = d.acquire(ms(1)).unwrap_err();
    // Nothing remains (60 of 60 used) until the reset, 30 s after the response's Date.
    assert_eq!(held.cause, Cause::ServerBudget);
    assert!((ms(30_000)..=ms(31_000)).contains(&held.until), "{held:?}");
}

#[cfg(feature = "json")]
pub fn a_429s_body_says_when() {
    let fields = [("Content-Type", &b"application/json"[..])];
    let response = Response::new(429, fields).body(br#"{"retry_after": 2.5}"#);
    assert_eq!(
        Reading::of(&response).retry_after(),
        Some(Duration::from_secs(3))
    );
}

/// The default policy fixed at compile time decides as the run-time one does.
pub fn default_retries_are_the_default_policy() {
    fn decisions(policy: impl Retries + Copy) -> [Decision; 5] {
        let mut rng = Rng(12345);
        let mut d = Device::new();
        let mut a = Attempts::new(Method::Get, policy);
        let mut out = [Decision::Done; 5];
        let mut now = 0;
        let answers = [
            (429, None),
            (0, None),
            (503, Some("2")),
            (503, None),
            (429, Some("1")),
        ];
        for (slot, (status, delay)) in out.iter_mut().zip(answers) {
            while let Next::Wait(until) = a.next(&mut d, ms(now)) {
                now = until.as_millis();
            }
            *slot = match (status, delay) {
                (0, _) => a.lost(&mut d, ms(now), &mut rng),
                (s, Some(v)) => {
                    let r = reading(s, &[("Retry-After", v)]);
                    a.answered(&mut d, ms(now), &r, &mut rng)
                }
                (s, None) => a.answered(&mut d, ms(now), &reading(s, &[]), &mut rng),
            };
        }
        out
    }
    let fixed = decisions(DefaultRetries);
    assert_eq!(fixed, decisions(RetryPolicy::DEFAULT));
    let exhausted = Decision::GiveUp(GiveUp::RetriesExhausted { attempts: 4 });
    assert_eq!(fixed[4], exhausted);
}
