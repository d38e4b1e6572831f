//! Weighted and keyed acquires: quota units (`qu`), partitions and routes, and the pauses a
//! throttled response names. Property tests and the vendors' own cases, in injected time.

use headroom_core::{
    Config, Cost, Duration, Instant, Key, Limiter, Log, Observation, Response, UnixTime, Window,
    Windows,
};
use proptest::prelude::*;

fn ms(n: u64) -> Instant {
    Instant::from_millis(n)
}

fn obs(status: u16, headers: &[(&str, &str)], body: Option<&str>) -> Observation<8> {
    let pairs = headers.iter().map(|(n, v)| (*n, v.as_bytes()));
    let response = Response {
        status: Some(status),
        headers: pairs,
        body: body.map(str::as_bytes),
        received_at: Some(UnixTime::from_secs(1_700_000_000)),
    };
    Observation::of(&response, &mut [0u8; 512])
}

/// A limiter that knows nothing yet, with a plain response heard (so several may be in flight).
fn learned() -> Limiter<(Window<Log<16>>, Window<Log<16>>), 4> {
    let mut l = Limiter::new(
        (Window::learned_exact(), Window::learned_exact()),
        Config::DEFAULT,
    );
    let g = l.try_acquire(ms(0)).unwrap();
    l.observe(ms(0), g, &obs(200, &[], None));
    l
}

#[derive(Clone, Debug)]
enum Op {
    Advance(u16),
    Acquire(u16),
    Answer(u8),
    Release,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u16..3_000).prop_map(Op::Advance),
        6 => (1u16..5).prop_map(Op::Acquire),
        2 => any::<u8>().prop_map(Op::Answer),
        1 => Just(Op::Release),
    ]
}

/// Without `units`, a content-bytes policy is neither a request window nor a budget.
#[cfg(not(feature = "units"))]
#[test]
fn without_units_other_quota_units_are_left_alone() {
    let mut l = learned();
    let g = l.try_acquire(ms(0)).unwrap();
    let headers = [
        (
            "RateLimit-Policy",
            r#""upload";q=1000000;w=60;qu="content-bytes", "c";q=1;qu="concurrent-requests""#,
        ),
        ("RateLimit", r#""upload";r=0;t=60"#),
    ];
    l.observe(ms(0), g, &obs(200, &headers, None));
    assert!(l.windows().rule(0).unwrap().quota().is_none());
    let a = l
        .try_acquire_with(ms(0), Key::IDENTITY, Cost::ONE.content_bytes(10))
        .unwrap();
    assert!(l.try_acquire(ms(0)).is_ok());
    l.release(a);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Grants of several requests each never put more than `q` units in any window, whatever
    /// the server says of a policy of its own.
    #[test]
    fn weighted_grants_never_exceed_a_window(ops in proptest::collection::vec(op(), 1..300)) {
        let (q, w) = (7u64, 2_000u64);
        let mut l: Limiter<Window<Log<8>>> =
            Limiter::new(Window::exact(7, Duration::from_millis(w)), Config::DEFAULT);
        let (mut now, mut grants, mut out) = (0u64, Vec::<(u64, u64)>::new(), Vec::new());
        for op in ops {
            match op {
                Op::Advance(d) => now += u64::from(d),
                Op::Acquire(n) => {
                    let before = l.clone();
                    match l.try_acquire_with(ms(now), Key::IDENTITY, Cost::requests(n)) {
                        Ok(g) => { grants.push((now, u64::from(n))); out.push(g); }
                        Err(d) => {
                            prop_assert_eq!(&l, &before);
                            prop_assert!(d.until > ms(now));
                        }
                    }
                }
                Op::Answer(r) => if let Some(g) = out.pop() {
                    let rl = format!("\"a\";r={r};t=1");
                    l.observe(ms(now), g, &obs(200, &[("RateLimit-Policy", "\"a\";q=50;w=2"), ("RateLimit", &rl)], None));
                },
                Op::Release => if let Some(g) = out.pop() { l.release(g) },
            }
        }
        for (i, &(start, _)) in grants.iter().enumerate() {
            let units: u64 = grants[i..].iter().take_while(|(t, _)| *t < start + w).map(|(_, n)| n).sum();
            prop_assert!(units <= q, "{} units within {} ms of {}", units, w, start);
        }
        // A cost larger than the window's quota is never granted.
        let d = l.peek_with(ms(now), Key::IDENTITY, Cost::requests(8)).unwrap_err();
        prop_assert_eq!(d.until, Instant::MAX);
    }

    /// Once the server declares a `concurrent-requests` policy of `q`, no grant puts more than
    /// `q` requests in flight.
    #[cfg(feature = "units")]
    #[test]
    fn never_more_than_q_in_flight(q in 1u8..6, ops in proptest::collection::vec(op(), 1..300)) {
        let mut l = learned();
        let policy = format!("\"conc\";q={q};qu=\"concurrent-requests\"");
        let g = l.try_acquire(ms(0)).unwrap();
        l.observe(ms(0), g, &obs(200, &[("RateLimit-Policy", &policy)], None));
        let (mut now, mut out) = (0u64, Vec::new());
        for op in ops {
            match op {
                Op::Advance(d) => now += u64::from(d),
                Op::Acquire(n) => match l.try_acquire_with(ms(now), Key::IDENTITY, Cost::requests(n)) {
                    Ok(g) => out.push(g),
                    Err(d) if n > u16::from(q) => prop_assert_eq!(d.until, Instant::MAX),
                    Err(d) => prop_assert!(matches!(d.cause, headroom_core::Cause::InFlight | headroom_core::Cause::Window(_) | headroom_core::Cause::ServerBudget)),
                },
                Op::Answer(_) => if let Some(g) = out.pop() { l.observe(ms(now), g, &obs(200, &[], None)) },
                Op::Release => if let Some(g) = out.pop() { l.release(g) },
            }
            prop_assert!(l.in_flight() <= u16::from(q), "{} in flight, cap {}", l.in_flight(), q);
        }
    }
}

#[cfg(feature = "units")]
#[test]
fn a_content_bytes_budget_counts_the_bytes_in_flight_and_no_requests() {
    let mut l = learned();
    let g = l.try_acquire(ms(0)).unwrap();
    let headers = [
        (
            "RateLimit-Policy",
            r#""upload";q=1000000;w=60;qu="content-bytes""#,
        ),
        ("RateLimit", r#""upload";r=5000;t=60"#),
    ];
    l.observe(ms(0), g, &obs(200, &headers, None));
    // Not a request quota: no window of 1,000,000 requests was learned.
    assert!(l.windows().rule(0).unwrap().quota().is_none());
    let upload = |bytes| Cost::ONE.content_bytes(bytes);
    let big = l
        .try_acquire_with(ms(10), Key::IDENTITY, upload(4_000))
        .unwrap();
    // 1,000 bytes remain while 4,000 are in flight.
    let d = l
        .peek_with(ms(10), Key::IDENTITY, upload(2_000))
        .unwrap_err();
    assert_eq!(d.cause, headroom_core::Cause::ServerBudget);
    assert!(d.until >= ms(60_000));
    let small = l
        .try_acquire_with(ms(10), Key::IDENTITY, upload(1_000))
        .unwrap();
    // Spent to the byte: even a request without content waits for the reset.
    assert!(l.peek(ms(10)).is_err());
    l.release(small);
    // The server counted the first upload: 1,000 bytes left, none in flight.
    l.observe(
        ms(20),
        big,
        &obs(200, &[("RateLimit", r#""upload";r=1000;t=60"#)], None),
    );
    assert!(l.peek_with(ms(20), Key::IDENTITY, upload(1_000)).is_ok());
    assert!(l.peek_with(ms(20), Key::IDENTITY, upload(1_001)).is_err());
}

/// GitHub: the `search` resource spent does not hold back `core` calls; a caller that gives
/// no key is held back by every resource.
#[cfg(all(feature = "github", feature = "partitions"))]
#[test]
fn a_spent_search_key_does_not_hold_back_core_calls() {
    let mut l = learned();
    let search = Key::named("search");
    let core = Key::named("core");
    let g = l.try_acquire_with(ms(0), search, Cost::ONE).unwrap();
    let spent = [
        ("x-ratelimit-limit", "30"),
        ("x-ratelimit-remaining", "0"),
        ("x-ratelimit-reset", "1700000060"),
        ("x-ratelimit-resource", "search"),
    ];
    l.observe(ms(0), g, &obs(200, &spent, None));
    let d = l.peek_with(ms(0), search, Cost::ONE).unwrap_err();
    assert_eq!(d.cause, headroom_core::Cause::ServerBudget);
    assert!(d.until >= ms(60_000));
    assert!(l.peek_with(ms(0), core, Cost::ONE).is_ok());
    assert!(l.peek(ms(0)).is_err(), "an unkeyed call may be a search");
    // A response to an unkeyed request names its resource: the budget is the resource's.
    let mut l = learned();
    let g = l.try_acquire(ms(0)).unwrap();
    l.observe(ms(0), g, &obs(200, &spent, None));
    assert!(l.peek_with(ms(0), search, Cost::ONE).is_err());
    assert!(l.peek_with(ms(0), core, Cost::ONE).is_ok());
    // A 403 with retry-after (a secondary limit) on core pauses core only.
    let g = l.try_acquire_with(ms(0), core, Cost::ONE).unwrap();
    l.observe(
        ms(0),
        g,
        &obs(
            403,
            &[("retry-after", "30"), ("x-ratelimit-resource", "core")],
            None,
        ),
    );
    let d = l.peek_with(ms(0), core, Cost::ONE).unwrap_err();
    assert!(d.until >= ms(30_000));
    assert!(l.peek_with(ms(0), Key::named("graphql"), Cost::ONE).is_ok());
}

/// Draft -11 partitions: the same policy name under two `pk`s is two budgets.
#[cfg(feature = "partitions")]
#[test]
fn policies_of_two_partitions_do_not_overwrite_each_other() {
    let mut l = learned();
    let (a, b) = (Key::named("YQ=="), Key::named("Yg=="));
    for (pk, r) in [("Yg==", 5), ("YQ==", 0)] {
        let g = l.try_acquire(ms(0)).unwrap();
        let rl = format!("\"minute\";r={r};t=30;pk=:{pk}:, \"day\";r=100;t=300");
        l.observe(ms(0), g, &obs(200, &[("RateLimit", &rl)], None));
    }
    assert!(l.peek_with(ms(0), a, Cost::ONE).is_err());
    assert!(l.peek_with(ms(0), b, Cost::ONE).is_ok());
    // Policies heard on a keyed request's response are that key's, whatever they are named.
    let route = Key::named("/v1/uploads");
    let g = l.try_acquire_with(ms(0), route, Cost::ONE).unwrap();
    l.observe(
        ms(0),
        g,
        &obs(200, &[("RateLimit", r#""minute";r=0;t=30"#)], None),
    );
    assert!(l.peek_with(ms(0), route, Cost::ONE).is_err());
    assert!(l.peek_with(ms(0), b, Cost::ONE).is_ok());
    // A `pk` on every policy is the caller's own partition (express-rate-limit's client
    // key): the policies are the identity's, and become windows.
    let mut e = learned();
    let g = e.try_acquire(ms(0)).unwrap();
    let headers = [
        (
            "RateLimit-Policy",
            r#""minute";q=6;w=8;pk=:YQ==:, "day";q=15;w=24;pk=:YQ==:"#,
        ),
        (
            "RateLimit",
            r#""minute";r=0;t=8;pk=:YQ==:, "day";r=14;t=24;pk=:YQ==:"#,
        ),
    ];
    e.observe(ms(0), g, &obs(200, &headers, None));
    assert_eq!(e.windows().rule(0).unwrap().quota(), Some(6));
    assert!(
        e.peek_with(ms(0), Key::named("elsewhere"), Cost::ONE)
            .is_err()
    );
}

/// A problem details 429 names the policy it violated: that one is paused, not the others.
#[cfg(all(feature = "json", feature = "partitions"))]
#[test]
fn a_problem_details_429_pauses_the_violated_policy() {
    let mut l = learned();
    let (search, core) = (Key::named("search"), Key::named("core"));
    let g = l.try_acquire_with(ms(0), search, Cost::ONE).unwrap();
    let body = r#"{"type": "https://iana.org/assignments/http-problem-types#quota-exceeded", "violated-policies": ["search-minute"]}"#;
    let headers = [
        ("Retry-After", "20"),
        ("RateLimit", r#""search-minute";r=0;t=20"#),
    ];
    l.observe(ms(0), g, &obs(429, &headers, Some(body)));
    let d = l.peek_with(ms(0), search, Cost::ONE).unwrap_err();
    assert!(d.until >= ms(20_000));
    assert!(l.peek_with(ms(0), core, Cost::ONE).is_ok());
    // The same 429 without the body pauses only its key too (it was a keyed request).
    let g = l.try_acquire_with(ms(0), core, Cost::ONE).unwrap();
    l.observe(ms(0), g, &obs(429, &[("Retry-After", "20")], None));
    assert!(l.peek_with(ms(0), core, Cost::ONE).is_err());
    assert!(l.peek_with(ms(0), Key::named("other"), Cost::ONE).is_ok());
    // An unkeyed 429 without a body pauses every caller.
    let mut l = learned();
    let g = l.try_acquire(ms(0)).unwrap();
    l.observe(ms(0), g, &obs(429, &[("Retry-After", "20")], None));
    assert_eq!(
        l.peek_with(ms(0), Key::named("other"), Cost::ONE)
            .unwrap_err()
            .cause,
        headroom_core::Cause::Paused
    );
}

/// Discord: a bucket's 429 pauses the bucket; a global one pauses everything.
#[cfg(all(feature = "discord", feature = "json", feature = "partitions"))]
#[test]
fn discord_buckets_pause_alone_unless_global() {
    let headers = [
        ("Retry-After", "65"),
        ("X-RateLimit-Limit", "10"),
        ("X-RateLimit-Remaining", "0"),
        ("X-RateLimit-Reset-After", "64.57"),
        ("X-RateLimit-Bucket", "abcd1234"),
    ];
    let body = |global: bool| {
        format!(
            r#"{{"message": "You are being rate limited.", "retry_after": 64.57, "global": {global}}}"#
        )
    };
    let (bucket, other) = (Key::named("abcd1234"), Key::named("efgh5678"));
    let mut l = learned();
    let g = l.try_acquire(ms(0)).unwrap();
    l.observe(ms(0), g, &obs(429, &headers, Some(&body(false))));
    assert!(l.peek_with(ms(0), bucket, Cost::ONE).unwrap_err().until >= ms(65_000));
    assert!(l.peek_with(ms(0), other, Cost::ONE).is_ok());
    let mut l = learned();
    let g = l.try_acquire(ms(0)).unwrap();
    l.observe(ms(0), g, &obs(429, &headers, Some(&body(true))));
    assert_eq!(
        l.peek_with(ms(0), other, Cost::ONE).unwrap_err().cause,
        headroom_core::Cause::Paused
    );
}
