//! Limiter, server-sync and backoff bodies, run on the host (`tests/limiter.rs`) and on a
//! Cortex-M4 under QEMU (`core/on-target`).

use headroom_core::backoff::{Backoff, Jitter, Method, RetryPolicy};
use headroom_core::driver::{Decision, Driver, GiveUp, Step};
use headroom_core::limiter::{Cause, Config, Defaults, Denied, Grant, Limiter, Tuning};
use headroom_core::time::{Duration, Instant};
use headroom_core::window::{Buckets, Log, Window, Windows};
use headroom_core::{Observation, Response, UnixTime};

pub type SynthLink = Limiter<(Window<Log<60>>, Window<Buckets<56>>)>;

pub const MIN: Duration = Duration::from_secs(60);

pub const DAY: Duration = Duration::from_secs(86_400);

/// A deterministic RNG for tests (SplitMix64).
pub struct SplitMix(pub u64);

impl rand_core::TryRng for SplitMix {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        self.try_next_u64().map(|v| (v >> 32) as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Ok(z ^ (z >> 31))
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        for chunk in dst.chunks_mut(8) {
            let v = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
        Ok(())
    }
}

pub fn synthlink() -> SynthLink {
    Limiter::new(
        (Window::exact(60, MIN), Window::bucketed(1000, DAY)),
        Config::DEFAULT,
    )
}

/// The limiter after one plain response, so that it lets several requests be in flight.
pub fn heard(mut l: SynthLink) -> SynthLink {
    exchange(&mut l, 0, 0, 200, &[]);
    l
}

/// One request sent at `sent` ms and answered at `back` ms with `status` and `headers`.
pub fn exchange<W: Windows, const B: usize>(
    l: &mut Limiter<W, B>,
    sent: u64,
    back: u64,
    status: u16,
    headers: &[(&str, &str)],
) {
    let g = l.try_acquire(ms(sent)).unwrap();
    l.observe(ms(back), g, &obs(status, headers));
}

pub fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

pub fn obs(status: u16, headers: &[(&str, &str)]) -> Observation {
    let pairs = headers.iter().map(|(n, v)| (*n, v.as_bytes()));
    Observation::of(&Response::new(status, pairs), &mut [0u8; 512])
}

pub fn decide(driver: &mut Driver, o: Option<&Observation>, rng: &mut SplitMix) -> Decision {
    let mut l: Limiter<Window<Log<8>>> = Limiter::new(Window::learned_exact(), Config::DEFAULT);
    let now = ms(1_000_000 * u64::from(driver.attempts()));
    let Step::Send(g) = driver.step(&mut l, now) else {
        panic!("a limiter with room sends");
    };
    match o {
        Some(o) => driver.answered(&mut l, now, g, o, rng),
        None => driver.lost(&mut l, now, g, rng),
    }
}

pub fn paces_sixty_per_minute_exactly() {
    let mut l = synthlink();
    for i in 0..60 {
        let g = l.try_acquire(ms(i * 100)).expect("within quota");
        l.release(g);
    }
    let d = l.try_acquire(ms(6_000)).unwrap_err();
    assert_eq!(d.cause, Cause::Window(0));
    // Free once the first grant leaves the 60 s window plus the 250 ms guard.
    assert_eq!(d.until, ms(60_250));
    assert!(d.within_max_wait);
    assert!(l.try_acquire(ms(60_250)).is_ok());
}

pub fn a_refusal_consumes_nothing_in_any_window() {
    // Minute window has room, day window (quota 2) does not: the minute window must not count it.
    let mut l: Limiter<(Window<Log<4>>, Window<Buckets<8>>)> = Limiter::new(
        (Window::exact(4, MIN), Window::bucketed(2, DAY)),
        Config::DEFAULT,
    );
    let a = l.try_acquire(ms(0)).unwrap();
    l.release(a);
    let b = l.try_acquire(ms(0)).unwrap();
    l.release(b);
    let before = l.clone();
    let d = l.try_acquire(ms(1)).unwrap_err();
    assert_eq!(d.cause, Cause::Window(1));
    assert_eq!(l, before, "state unchanged by a refusal");
}

pub fn learns_windows_from_the_server_with_no_local_config() {
    let mut l: Limiter<(Window<Log<8>>, Window<Buckets<16>>)> = Limiter::new(
        (Window::learned_exact(), Window::learned_bucketed()),
        Config::DEFAULT,
    );
    assert!(
        l.peek(ms(0)).is_ok(),
        "no limits known, nothing to hold back"
    );
    exchange(
        &mut l,
        0,
        10,
        200,
        &[(
            "RateLimit-Policy",
            r#""second";q=2;w=1, "hour";q=100;w=3600"#,
        )],
    );
    assert_eq!(l.windows().0.rule().quota(), Some(2));
    assert_eq!(l.windows().0.rule().length(), Duration::from_secs(1));
    assert_eq!(l.windows().1.rule().quota(), Some(100));
    // The request that taught the policy counts in it: one more fits in the second.
    let g = l.try_acquire(ms(20)).unwrap();
    l.release(g);
    assert_eq!(l.try_acquire(ms(30)).unwrap_err().cause, Cause::Window(0));
}

pub fn server_can_only_tighten_local_limits() {
    let mut l = synthlink();
    exchange(
        &mut l,
        0,
        0,
        200,
        &[(
            "RateLimit-Policy",
            r#""minute";q=120;w=60, "day";q=10;w=86400"#,
        )],
    );
    assert_eq!(
        l.windows().0.rule().quota(),
        Some(60),
        "server's 120 does not loosen local 60"
    );
    assert_eq!(
        l.windows().1.rule().quota(),
        Some(10),
        "server's 10 tightens local 1000"
    );
}

pub fn remaining_caps_grants_until_reset_and_counts_in_flight() {
    let mut l = heard(synthlink());
    let first = l.try_acquire(ms(0)).unwrap();
    let second = l.try_acquire(ms(1)).unwrap(); // in flight when the first response arrives
    // The server answered `first` with 2 remaining: `second` already used one of them.
    l.observe(
        ms(50),
        first,
        &obs(200, &[("RateLimit", r#""minute";r=2;t=30"#)]),
    );
    let third = l.try_acquire(ms(60)).unwrap();
    let denied = l.try_acquire(ms(70)).unwrap_err();
    assert_eq!(denied.cause, Cause::ServerBudget);
    assert_eq!(
        denied.until,
        ms(50 + 30_000 + 1_000),
        "t plus the reset guard"
    );
    l.observe(
        ms(80),
        second,
        &obs(200, &[("RateLimit", r#""minute";r=1;t=30"#)]),
    );
    l.release(third);
    assert_eq!(l.in_flight(), 0);
    assert_eq!(l.peek(ms(90)).unwrap_err().cause, Cause::ServerBudget);
}

pub fn a_stale_response_does_not_reopen_a_budget() {
    let mut l = heard(synthlink());
    let older = l.try_acquire(ms(0)).unwrap();
    let newer = l.try_acquire(ms(1)).unwrap();
    l.observe(
        ms(40),
        newer,
        &obs(200, &[("RateLimit", r#""minute";r=0;t=30"#)]),
    );
    // The older request's response arrives late, written before the newer one was counted.
    l.observe(
        ms(50),
        older,
        &obs(200, &[("RateLimit", r#""minute";r=5;t=30"#)]),
    );
    assert_eq!(l.peek(ms(60)).unwrap_err().cause, Cause::ServerBudget);
}

pub fn a_hostile_policy_cannot_block_past_max_pause() {
    let mut l: Limiter<(Window<Log<4>>, Window<Buckets<8>>)> = Limiter::new(
        (Window::learned_exact(), Window::learned_bucketed()),
        Config::DEFAULT,
    );
    exchange(
        &mut l,
        0,
        0,
        200,
        &[(
            "RateLimit-Policy",
            r#""z";q=0;w=60, "y";q=1;w=999999999999"#,
        )],
    );
    assert_eq!(
        l.windows().0.rule().quota(),
        Some(1),
        "q=0 shapes no window"
    );
    assert_eq!(
        l.windows().0.rule().length(),
        Duration::from_secs(86_400),
        "w capped at max_pause"
    );
    assert!(
        l.peek(ms(1)).is_err(),
        "the first request used the quota of 1"
    );
    assert!(l.next_allowed(ms(2)) <= ms(86_400_000 + 250));
}

pub fn retry_after_pauses_every_caller_and_is_capped() {
    let mut l = synthlink();
    exchange(&mut l, 0, 100, 429, &[("Retry-After", "12")]);
    let d = l.peek(ms(200)).unwrap_err();
    assert_eq!((d.until, d.cause), (ms(12_100), Cause::Paused));

    exchange(
        &mut l,
        12_100,
        12_200,
        429,
        &[("Retry-After", "999999999999")],
    );
    let d = l.peek(ms(12_300)).unwrap_err();
    assert_eq!(
        d.until,
        ms(12_200 + 86_400_000),
        "capped at max_pause (24 h)"
    );
    assert!(
        !d.within_max_wait,
        "longer than max_wait: callers are told to give up"
    );
}

#[cfg(feature = "json")]
pub fn body_retry_after_pauses_too_and_200_retry_after_does_not() {
    let mut l = synthlink();
    let g = l.try_acquire(ms(0)).unwrap();
    let no_headers: [(&str, &[u8]); 0] = [];
    let o: Observation = Observation::of(
        &Response::new(429, no_headers).body(br#"{"retry_after": 5}"#),
        &mut [],
    );
    l.observe(ms(0), g, &o);
    assert_eq!(l.next_allowed(ms(0)), ms(5_000));
    let mut l = synthlink();
    exchange(&mut l, 0, 0, 200, &[("Retry-After", "5")]);
    assert!(l.peek(ms(0)).is_ok());
}

pub fn works_with_no_headers_and_a_backwards_clock() {
    let mut l: Limiter<Window<Log<2>>> = Limiter::new(Window::exact(2, MIN), Config::DEFAULT);
    for t in [5_000, 1_000] {
        exchange(&mut l, t, t, 200, &[]);
    }
    // The clock went back to 1 s; both grants count as of 5 s.
    assert_eq!(l.next_allowed(ms(0)), ms(5_000 + 60_250));
}

/// A clock that starts at a Unix time, and a limiter left alone for 60 days: more than 2³² ms,
/// so no time may be kept in 32 bits relative to the old one. Nothing from before the silence
/// may hold a request back, and the windows count exactly after it.
pub fn a_silence_past_32_bits_of_milliseconds() {
    let start = 1_793_675_843_400; // 2026-11-03, as the simulation starts
    let mut l = synthlink();
    for i in 0..59 {
        exchange(&mut l, start + i, start + i, 200, &[]);
    }
    // The server says the minute is spent for 30 s, and pauses everyone for 10 s.
    let headers = [
        ("RateLimit-Policy", r#""minute";q=60;w=60"#),
        ("RateLimit", r#""minute";r=0;t=30"#),
        ("Retry-After", "10"),
    ];
    exchange(&mut l, start + 59, start + 60, 429, &headers);
    assert!(l.try_acquire(ms(start + 61)).is_err());
    let later = start + 60 * 86_400_000;
    assert!(later - start > 1 << 32);
    for i in 0..60 {
        let g = l
            .try_acquire(ms(later + i * 10))
            .expect("everything before has expired");
        l.observe(ms(later + i * 10), g, &obs(200, &[]));
    }
    let d = l.try_acquire(ms(later + 600)).unwrap_err();
    assert_eq!(d.cause, Cause::Window(0));
    assert_eq!(d.until, ms(later + 60_250));
    assert!(l.try_acquire(ms(later + 60_250)).is_ok());
}

pub fn the_seeds_eighty_percent_margin() {
    let config = Config {
        quota_permille: 800,
        ..Config::DEFAULT
    };
    let mut l: Limiter<Window<Log<60>>> = Limiter::new(Window::exact(60, MIN), config);
    let granted = (0..60)
        .filter(|&i| l.try_acquire(ms(i)).map(|g| l.release(g)).is_ok())
        .count();
    assert_eq!(granted, 48);
}

pub fn backoff_defaults_and_server_precedence() {
    let policy = RetryPolicy::DEFAULT;
    let mut rng = SplitMix(7);
    let mut a = Driver::new(Method::Get, policy);
    let bare = obs(429, &[]);
    let (mut delays, mut n) = ([0u64; 8], 0);
    loop {
        match decide(&mut a, Some(&bare), &mut rng) {
            Decision::Retry {
                after,
                from_server: false,
            } => {
                delays[n] = after.as_millis();
                n += 1;
            }
            Decision::GiveUp(GiveUp::RetriesExhausted { attempts }) => {
                assert_eq!(attempts, 4);
                break;
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(n, 3, "three retries by default");
    for (i, d) in delays[..n].iter().enumerate() {
        let ceiling = 1000u64 << i;
        assert!(
            (ceiling / 2..=ceiling).contains(d),
            "equal jitter: {d} for attempt {i}"
        );
    }
    let mut a = Driver::new(Method::Get, policy);
    let told = obs(429, &[("Retry-After", "7")]);
    assert_eq!(
        decide(&mut a, Some(&told), &mut rng),
        Decision::Retry {
            after: Duration::from_secs(7),
            from_server: true
        }
    );
}

pub fn which_responses_are_retried() {
    let policy = RetryPolicy::DEFAULT;
    let mut rng = SplitMix(1);
    let once =
        |m, o: &Observation, rng: &mut SplitMix| decide(&mut Driver::new(m, policy), Some(o), rng);
    assert_eq!(once(Method::Get, &obs(200, &[]), &mut rng), Decision::Done);
    assert_eq!(once(Method::Get, &obs(503, &[]), &mut rng), Decision::Done);
    assert!(matches!(
        once(Method::Get, &obs(503, &[("Retry-After", "2")]), &mut rng),
        Decision::Retry { .. }
    ));
    assert_eq!(
        once(Method::Post, &obs(429, &[]), &mut rng),
        Decision::GiveUp(GiveUp::NotIdempotent)
    );
    let lenient = RetryPolicy {
        retry_non_idempotent: true,
        extra_statuses: [502, 0, 0, 0],
        ..policy
    };
    assert!(matches!(
        decide(
            &mut Driver::new(Method::Post, lenient),
            Some(&obs(429, &[])),
            &mut rng
        ),
        Decision::Retry { .. }
    ));
    assert!(matches!(
        decide(
            &mut Driver::new(Method::Get, lenient),
            Some(&obs(502, &[])),
            &mut rng
        ),
        Decision::Retry { .. }
    ));
    let long = obs(429, &[("Retry-After", "3600")]);
    assert_eq!(
        once(Method::Get, &long, &mut rng),
        Decision::GiveUp(GiveUp::WaitTooLong {
            wait: Duration::from_secs(3600),
            from_server: true
        })
    );
}

pub fn a_server_policy_tightens_the_window_of_the_same_length() {
    // The day window is listed first: a policy must not land on it just because it is longer.
    let mut l: Limiter<(Window<Buckets<8>>, Window<Log<60>>)> = Limiter::new(
        (Window::bucketed(1000, DAY), Window::exact(60, MIN)),
        Config::DEFAULT,
    );
    exchange(
        &mut l,
        0,
        0,
        200,
        &[("RateLimit-Policy", r#""minute";q=30;w=60"#)],
    );
    assert_eq!(l.windows().1.rule().quota(), Some(30));
    assert_eq!(l.windows().0.rule().quota(), Some(1000));
}

pub fn after_a_reset_one_probe_goes_then_the_budget_rules() {
    let mut l: Limiter<Window<Log<8>>> = Limiter::new(Window::learned_exact(), Config::DEFAULT);
    let policy = ("RateLimit-Policy", r#""m";q=2;w=64"#);
    exchange(
        &mut l,
        0,
        10,
        200,
        &[policy, ("RateLimit", r#""m";r=1;t=30"#)],
    );
    exchange(
        &mut l,
        20,
        30,
        200,
        &[policy, ("RateLimit", r#""m";r=0;t=30"#)],
    );
    let denied = l.try_acquire(ms(40)).unwrap_err();
    assert_eq!(denied.cause, Cause::ServerBudget);
    // The first response bounds the reset more sharply (10 ms + 30 s) than the second; plus
    // the reset guard, capped at w/64 = 1 s.
    assert_eq!(denied.until, ms(10 + 30_000 + 1_000));
    // The server's window reset at 30 s, long before the local sliding window frees (64 s).
    let probe = l
        .try_acquire(denied.until)
        .expect("one probe after the reset");
    let held = l.try_acquire(denied.until).unwrap_err();
    assert_eq!(held.cause, Cause::Window(0), "only one probe");
    l.observe(
        denied.until + Duration::from_millis(10),
        probe,
        &obs(200, &[policy, ("RateLimit", r#""m";r=1;t=64"#)]),
    );
    let next = denied.until + Duration::from_millis(20);
    let g = l
        .try_acquire(next)
        .expect("the fresh budget allows its one remaining");
    l.release(g);
    assert_eq!(l.try_acquire(next).unwrap_err().cause, Cause::ServerBudget);
}

pub fn reset_guard_is_capped_by_short_windows() {
    let mut l: Limiter<Window<Log<8>>> = Limiter::new(Window::learned_exact(), Config::DEFAULT);
    let g = l.try_acquire(ms(0)).unwrap();
    let o = obs(
        200,
        &[
            ("RateLimit-Policy", r#""s";q=5;w=2"#),
            ("RateLimit", r#""s";r=0;t=2"#),
        ],
    );
    l.observe(ms(0), g, &o);
    assert_eq!(l.peek(ms(0)).unwrap_err().until, ms(2_000 + 2_000 / 64));
}

pub fn the_margin_holds_under_server_sync() {
    let config = Config {
        quota_permille: 800,
        ..Config::DEFAULT
    };
    let mut l: Limiter<Window<Log<16>>> = Limiter::new(Window::learned_exact(), config);
    let g = l.try_acquire(ms(0)).unwrap();
    let o = obs(
        200,
        &[
            ("RateLimit-Policy", r#""m";q=10;w=60"#),
            ("RateLimit", r#""m";r=4;t=60"#),
        ],
    );
    l.observe(ms(0), g, &o);
    // 10 × 80 % = 8: a reserve of 2 of the server's 4 remaining stays unused. (In its first
    // window a client paces the first half, as if another had just started: step to it.)
    for _ in 1..=2 {
        let at = l.next_allowed(ms(1));
        assert!(at < ms(1_000), "{at:?}");
        let g = l.try_acquire(at).expect("within the margin");
        l.release(g);
    }
    let d = l.try_acquire(ms(1_000)).unwrap_err();
    assert_eq!((d.cause, d.until), (Cause::ServerBudget, ms(60_937)));
}

pub fn a_learned_policy_takes_a_ring_that_can_count_it() {
    let mut l: Limiter<(Window<Log<4>>, Window<Log<64>>)> =
        Limiter::new((Window::learned(), Window::learned()), Config::DEFAULT);
    exchange(
        &mut l,
        0,
        0,
        200,
        &[("RateLimit-Policy", r#""big";q=50;w=10, "small";q=3;w=1"#)],
    );
    assert_eq!(
        l.windows().1.rule().quota(),
        Some(50),
        "50 needs the 64-slot log"
    );
    assert_eq!(l.windows().0.rule().quota(), Some(3));
}

pub fn a_response_that_overtook_an_earlier_request_does_not_overshoot() {
    let mut l = heard(synthlink());
    let early = l.try_acquire(ms(0)).unwrap();
    let late = l.try_acquire(ms(1)).unwrap();
    // `late` reached the server first: its r = 2 does not count `early`, still in flight.
    l.observe(
        ms(20),
        late,
        &obs(200, &[("RateLimit", r#""minute";r=2;t=30"#)]),
    );
    let g = l
        .try_acquire(ms(30))
        .expect("one of the two is really left");
    l.release(g);
    assert_eq!(
        l.try_acquire(ms(31)).unwrap_err().cause,
        Cause::ServerBudget
    );
    l.release(early);
}

pub fn only_one_request_goes_until_the_first_response() {
    let mut l: Limiter<Window<Log<8>>> = Limiter::new(Window::learned(), Config::DEFAULT);
    let first = l.try_acquire(ms(0)).unwrap();
    let d = l.try_acquire(ms(1)).unwrap_err();
    assert_eq!(d.cause, Cause::Discovering);
    assert!(d.until > ms(1) && d.within_max_wait);
    l.observe(
        ms(5),
        first,
        &obs(200, &[("RateLimit-Policy", r#""s";q=2;w=1"#)]),
    );
    let a = l
        .try_acquire(ms(6))
        .expect("limits known: concurrency allowed");
    l.release(a);
    let d = l.try_acquire(ms(7)).unwrap_err();
    assert_eq!(
        d.cause,
        Cause::Window(0),
        "the first request counts in the learned window"
    );
    assert_eq!(d.until, ms(5 + 1_000 + 15));
}

pub fn no_response_is_retried_for_idempotent_methods_only() {
    let policy = RetryPolicy::DEFAULT;
    let mut rng = SplitMix(7);
    let mut get = Driver::new(Method::Get, policy);
    for i in 0..policy.max_retries {
        match decide(&mut get, None, &mut rng) {
            Decision::Retry {
                after,
                from_server: false,
            } => {
                assert!(after <= policy.backoff.ceiling(i), "{after:?}")
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(
        decide(&mut get, None, &mut rng),
        Decision::GiveUp(GiveUp::RetriesExhausted { attempts: 4 }),
    );
    let mut post = Driver::new(Method::Post, policy);
    assert_eq!(
        decide(&mut post, None, &mut rng),
        Decision::GiveUp(GiveUp::NotIdempotent)
    );
    let off = RetryPolicy {
        retry_no_response: false,
        ..policy
    };
    assert_eq!(
        decide(&mut Driver::new(Method::Get, off), None, &mut rng),
        Decision::GiveUp(GiveUp::NoResponse)
    );
}

/// OpenAI: a 429 without `Retry-After` whose requests reset in `1m30.5s` holds every caller for
/// 91 s, not the bare-429 pause of 1 s.
#[cfg(feature = "openai")]
pub fn an_openai_429_waits_for_its_reset() {
    let mut l: Limiter<Window<Log<8>>> = Limiter::new(Window::learned_exact(), Config::DEFAULT);
    let headers = [
        ("x-ratelimit-limit-requests", "60"),
        ("x-ratelimit-remaining-requests", "0"),
        ("x-ratelimit-reset-requests", "1m30.5s"),
    ];
    exchange(&mut l, 0, 0, 429, &headers);
    let denied = l.try_acquire(ms(10)).unwrap_err();
    assert_eq!(denied.cause, Cause::ServerBudget);
    assert!(denied.until >= ms(91_000), "{denied:?}");
}

/// Anthropic: a spent `requests` policy holds every caller until its RFC 3339 reset.
#[cfg(feature = "anthropic")]
pub fn an_anthropic_spent_policy_waits_for_its_reset() {
    let mut l: Limiter<Window<Log<8>>> = Limiter::new(Window::learned_exact(), Config::DEFAULT);
    let headers = [
        ("Date", "Sat, 21 Nov 2026 12:00:00 GMT"),
        ("anthropic-ratelimit-requests-limit", "50"),
        ("anthropic-ratelimit-requests-remaining", "0"),
        ("anthropic-ratelimit-requests-reset", "2026-11-21T12:00:30Z"),
    ];
    exchange(&mut l, 0, 0, 200, &headers);
    let denied = l.try_acquire(ms(10)).unwrap_err();
    assert_eq!(denied.cause, Cause::ServerBudget);
    assert!(denied.until >= ms(30_000), "{denied:?}");
}

/// Shopify: a full call-limit bucket holds callers about a second (it leaks at least a call a
/// second), then one call probes it.
#[cfg(feature = "shopify")]
pub fn a_full_shopify_bucket_holds_callers_a_second() {
    let mut l: Limiter<Window<Log<8>>> = Limiter::new(Window::learned_exact(), Config::DEFAULT);
    exchange(
        &mut l,
        0,
        0,
        200,
        &[("X-Shopify-Shop-Api-Call-Limit", "40/40")],
    );
    let denied = l.try_acquire(ms(10)).unwrap_err();
    assert_eq!(denied.cause, Cause::ServerBudget);
    assert!(
        ms(1_000) <= denied.until && denied.until <= ms(2_000),
        "{denied:?}"
    );
    assert!(
        l.try_acquire(denied.until).is_ok(),
        "a probe once the second has passed"
    );
}
