//! headroom-redis against a real redis-server (started on loopback, stopped after), in
//! injected time: the script's decisions, compared with the core limiter's.

use headroom_core::{
    Cause, Config, Cost, Duration, Instant, Key, Limiter, Log, Observation, Response, Window,
};
use headroom_redis::server::RedisServer;
use headroom_redis::{Acquired, RedisLimiter, RemoteGrant};
use proptest::prelude::*;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

const T0: u64 = 1_800_000_000_000;

fn obs(status: u16, headers: &[(&str, &str)]) -> Observation {
    let pairs = headers.iter().map(|(n, v)| (*n, v.as_bytes()));
    Observation::of(&Response::new(status, pairs), &mut [0u8; 512])
}

/// A store on `server` for `identity`, reading time from `clock` (Unix ms).
fn store(
    server: &RedisServer,
    identity: &str,
    windows: &[(u32, Duration)],
    clock: &Arc<AtomicU64>,
) -> RedisLimiter {
    let clock = Arc::clone(clock);
    RedisLimiter::connect(&server.url(), identity, windows, Config::DEFAULT)
        .unwrap()
        .with_clock(move || clock.load(Ordering::SeqCst))
}

/// One plain response heard by the identity: the first request's wait for it is over.
fn heard(s: &RedisLimiter) {
    let g = granted(s.try_acquire().unwrap());
    s.observe(g, &obs(200, &[])).unwrap();
}

fn granted(a: Acquired) -> RemoteGrant {
    match a {
        Acquired::Granted(g) => g,
        other => panic!("refused: {other:?}"),
    }
}

fn wait_of(a: Acquired) -> (Duration, Cause) {
    match a {
        Acquired::Wait { wait, cause } => (wait, cause),
        Acquired::Granted(g) => panic!("granted {g:?}"),
    }
}

#[test]
fn windows_are_exact_across_limiters_and_refusals_say_when() {
    let Some(server) = RedisServer::for_test("windows_are_exact_across_limiters") else {
        return;
    };
    let clock = Arc::new(AtomicU64::new(T0));
    let windows = [(3, Duration::from_secs(10))];
    // Two processes of one identity.
    let (a, b) = (
        store(&server, "id", &windows, &clock),
        store(&server, "id", &windows, &clock),
    );
    for s in [&a, &b, &a] {
        let g = granted(s.try_acquire().unwrap());
        s.release(g).unwrap();
    }
    let (wait, cause) = wait_of(b.try_acquire().unwrap());
    assert_eq!(cause, Cause::Window(0));
    // The first grant leaves at 10 s + the guard (1/64 of the window, at most 250 ms).
    assert_eq!(wait, Duration::from_millis(10_156));
    // Another identity is not held back.
    let other = store(&server, "other", &windows, &clock);
    assert!(matches!(other.try_acquire().unwrap(), Acquired::Granted(_)));
    clock.fetch_add(10_156, Ordering::SeqCst);
    assert!(matches!(b.try_acquire().unwrap(), Acquired::Granted(_)));
    // A weighted grant is all-or-nothing; one over the quota is refused for good.
    let (wait, _) = wait_of(
        a.try_acquire_with(Key::IDENTITY, Cost::requests(3))
            .unwrap(),
    );
    assert!(wait > Duration::ZERO);
    let (wait, _) = wait_of(
        a.try_acquire_with(Key::IDENTITY, Cost::requests(4))
            .unwrap(),
    );
    assert_eq!(wait, Duration::MAX);
}

#[test]
fn one_process_sees_what_another_heard() {
    let Some(server) = RedisServer::for_test("one_process_sees_what_another_heard") else {
        return;
    };
    let clock = Arc::new(AtomicU64::new(T0));
    let (a, b) = (
        store(&server, "id", &[], &clock),
        store(&server, "id", &[], &clock),
    );
    heard(&a);
    let (g1, g2) = (
        granted(a.try_acquire().unwrap()),
        granted(b.try_acquire().unwrap()),
    );
    let spent = obs(
        200,
        &[
            ("RateLimit-Policy", r#""minute";q=60;w=60"#),
            ("RateLimit", r#""minute";r=0;t=50"#),
        ],
    );
    a.observe(g1, &spent).unwrap();
    let (wait, cause) = wait_of(b.try_acquire().unwrap());
    assert_eq!(cause, Cause::ServerBudget);
    assert!(wait >= Duration::from_secs(50), "{wait:?}");
    // A stale response (a window that ended) loosens nothing.
    clock.fetch_add(5_000, Ordering::SeqCst);
    b.observe(g2, &obs(200, &[("RateLimit", r#""minute";r=40;t=1"#)]))
        .unwrap();
    let (wait, _) = wait_of(a.try_acquire().unwrap());
    assert!(wait >= Duration::from_secs(45), "{wait:?}");
    // Retry-After pauses every process, beyond the budget.
    clock.fetch_add(50_000, Ordering::SeqCst);
    let g = granted(b.try_acquire().unwrap());
    b.observe(g, &obs(429, &[("Retry-After", "30")])).unwrap();
    let (wait, cause) = wait_of(a.try_acquire().unwrap());
    assert_eq!((wait, cause), (Duration::from_secs(30), Cause::Paused));
}

#[test]
fn a_spent_key_does_not_hold_back_another() {
    let Some(server) = RedisServer::for_test("a_spent_key_does_not_hold_back_another") else {
        return;
    };
    let clock = Arc::new(AtomicU64::new(T0));
    let s = store(&server, "id", &[], &clock);
    let (search, core) = (Key::named("/search"), Key::named("/"));
    let g = granted(s.try_acquire_with(search, Cost::ONE).unwrap());
    s.observe(
        g,
        &obs(
            200,
            &[(
                "RateLimit",
                r#""search";r=0;t=60;pk=:c2VhcmNo:, "minute";r=50;t=60"#,
            )],
        ),
    )
    .unwrap();
    assert!(matches!(
        s.try_acquire_with(search, Cost::ONE).unwrap(),
        Acquired::Wait { .. }
    ));
    assert!(matches!(
        s.try_acquire_with(core, Cost::ONE).unwrap(),
        Acquired::Granted(_)
    ));
    assert!(
        matches!(s.try_acquire().unwrap(), Acquired::Wait { .. }),
        "an unkeyed call may be a search"
    );
}

#[test]
fn every_key_expires_and_the_script_survives_a_flush() {
    let Some(server) = RedisServer::for_test("every_key_expires") else {
        return;
    };
    let clock = Arc::new(AtomicU64::new(T0));
    let s = store(
        &server,
        "id",
        &[
            (5, Duration::from_secs(60)),
            (100, Duration::from_secs(86_400)),
        ],
        &clock,
    );
    let g = granted(s.try_acquire().unwrap());
    s.observe(
        g,
        &obs(
            200,
            &[
                ("RateLimit-Policy", r#""m";q=60;w=60"#),
                ("RateLimit", r#""m";r=50;t=60"#),
            ],
        ),
    )
    .unwrap();
    let keys = server.cli(&["KEYS", "*"]).unwrap();
    assert!(keys.lines().count() >= 3, "{keys}");
    for key in keys.lines() {
        let ttl: i64 = server.cli(&["PTTL", key]).unwrap().parse().unwrap();
        assert!(ttl > 0, "{key} has no expiry ({ttl})");
        assert!(key.contains("{id}"), "{key}: the identity is the hash tag");
    }
    assert_eq!(server.cli(&["SCRIPT", "FLUSH"]).unwrap(), "OK");
    assert!(
        matches!(s.try_acquire().unwrap(), Acquired::Granted(_)),
        "reloaded after NOSCRIPT"
    );
}

#[test]
fn an_unreachable_redis_is_an_error_and_grants_nothing() {
    let s = RedisLimiter::connect("redis://:hunter2@127.0.0.1:1", "id", &[], Config::DEFAULT)
        .unwrap()
        .timeout(Duration::from_millis(200));
    let e = s.try_acquire().unwrap_err();
    assert!(e.is_unavailable(), "{e}");
    assert!(!e.to_string().contains("hunter2"), "{e}");
    let bad =
        RedisLimiter::connect("http://user:hunter2@x", "id", &[], Config::DEFAULT).unwrap_err();
    assert!(!bad.to_string().contains("hunter2"), "{bad}");
}

#[test]
fn a_frozen_redis_is_an_error_within_the_timeout_and_recovers() {
    let Some(server) = RedisServer::for_test("a_frozen_redis") else {
        return;
    };
    let s = RedisLimiter::connect(&server.url(), "id", &[], Config::DEFAULT)
        .unwrap()
        .timeout(Duration::from_millis(300));
    heard(&s);
    server.freeze();
    let e = s.try_acquire().unwrap_err();
    assert!(e.is_unavailable(), "{e}");
    server.thaw();
    assert!(matches!(s.try_acquire().unwrap(), Acquired::Granted(_)));
}

#[derive(Clone, Debug)]
enum Op {
    Advance(u16),
    Acquire(u8),
    Answer { retry_after: Option<u8>, status: u8 },
    Release,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        3 => (0u16..4_000).prop_map(Op::Advance),
        5 => (1u8..4).prop_map(Op::Acquire),
        2 => (proptest::option::of(0u8..5), 0u8..3).prop_map(|(retry_after, status)| Op::Answer { retry_after, status }),
        1 => Just(Op::Release),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// The same sequences of weighted acquires, answers (429s with and without Retry-After,
    /// 503s, 200s), releases and time steps give the same grants and refusals, at the same
    /// instants, in the core limiter and in the Redis store.
    #[test]
    fn the_store_decides_as_the_core(ops in proptest::collection::vec(op(), 1..80)) {
        let Some(server) = RedisServer::for_test("the_store_decides_as_the_core") else { return Ok(()) };
        let clock = Arc::new(AtomicU64::new(T0));
        let (short, long) = ((4, Duration::from_secs(2)), (9, Duration::from_secs(30)));
        let redis = store(&server, "diff", &[short, long], &clock);
        let mut core: Limiter<(Window<Log<8>>, Window<Log<16>>)> = Limiter::new(
            (Window::exact(short.0, short.1), Window::exact(long.0, long.1)),
            Config::DEFAULT,
        );
        // The core holds every request but the first until a response tells the limits;
        // the store needs no such discovery: start both past it.
        let g = core.try_acquire(Instant::from_millis(0)).unwrap();
        core.observe(Instant::from_millis(0), g, &obs(200, &[]));
        let g = granted(redis.try_acquire().unwrap());
        redis.observe(g, &obs(200, &[])).unwrap();
        let mut out = Vec::new();
        let now = |c: &AtomicU64| Instant::from_millis(c.load(Ordering::SeqCst) - T0);
        for op in ops {
            match op {
                Op::Advance(ms) => { clock.fetch_add(u64::from(ms), Ordering::SeqCst); }
                Op::Acquire(n) => {
                    let cost = Cost::requests(n.into());
                    let t = now(&clock);
                    match (core.try_acquire_with(t, Key::IDENTITY, cost), redis.try_acquire_with(Key::IDENTITY, cost).unwrap()) {
                        (Ok(g), Acquired::Granted(r)) => out.push((g, r)),
                        (Err(d), Acquired::Wait { wait, .. }) => {
                            let core_wait = if d.until == Instant::MAX { Duration::MAX } else { d.until.saturating_duration_since(t) };
                            prop_assert_eq!(core_wait, wait);
                        }
                        (c, r) => prop_assert!(false, "core {:?}, store {:?}", c, r),
                    }
                }
                Op::Answer { retry_after, status } => if let Some((g, r)) = out.pop() {
                    let status = [200, 429, 503][usize::from(status)];
                    let ra = retry_after.map(|s| s.to_string()).unwrap_or_default();
                    let headers: Vec<(&str, &str)> = retry_after.map(|_| ("Retry-After", ra.as_str())).into_iter().collect();
                    let o = obs(status, &headers);
                    core.observe(now(&clock), g, &o);
                    redis.observe(r, &o).unwrap();
                },
                Op::Release => if let Some((g, r)) = out.pop() {
                    core.release(g);
                    redis.release(r).unwrap();
                },
            }
        }
    }
}

#[test]
fn credentials_from_the_url_are_used_and_never_shown() {
    let Some(server) = (match RedisServer::start_with(&["--requirepass", "s3cret-pw"]) {
        Ok(s) => Some(s),
        Err(_) => RedisServer::for_test("credentials_from_the_url"),
    }) else {
        return;
    };
    let port = server.url().rsplit(':').next().unwrap().to_string();
    let good = format!("redis://:s3cret-pw@127.0.0.1:{port}");
    let s = RedisLimiter::connect(&good, "id", &[], Config::DEFAULT).unwrap();
    assert!(matches!(s.try_acquire().unwrap(), Acquired::Granted(_)));
    let bad = format!("redis://:wrong-pw@127.0.0.1:{port}");
    let s = RedisLimiter::connect(&bad, "id", &[], Config::DEFAULT).unwrap();
    let e = s.try_acquire().unwrap_err();
    assert!(!e.to_string().contains("wrong-pw"), "{e}");
    let none = RedisLimiter::connect(&server.url(), "id", &[], Config::DEFAULT).unwrap();
    assert!(none.try_acquire().is_err(), "no AUTH, nothing granted");
}

#[test]
fn after_redis_loses_its_state_each_process_re_adds_its_grants_in_flight() {
    let Some(server) = RedisServer::for_test("after_redis_loses_its_state") else {
        return;
    };
    let clock = Arc::new(AtomicU64::new(T0));
    let windows = [(3, Duration::from_secs(10))];
    let (a, b) = (
        store(&server, "id", &windows, &clock),
        store(&server, "id", &windows, &clock),
    );
    heard(&a);
    clock.fetch_add(11_000, Ordering::SeqCst);
    let (g1, g2) = (
        granted(a.try_acquire().unwrap()),
        granted(a.try_acquire().unwrap()),
    );
    // Redis loses everything (a restart without persistence).
    assert_eq!(server.cli(&["FLUSHALL"]).unwrap(), "OK");
    clock.fetch_add(1, Ordering::SeqCst);
    // The next step of the process with grants in flight sees the new state and re-adds
    // them: with its own new grant, the window's 3 are spent for the other process too.
    let g3 = granted(a.try_acquire().unwrap());
    assert!(matches!(b.try_acquire().unwrap(), Acquired::Wait { .. }));
    for g in [g1, g2, g3] {
        a.release(g).unwrap();
    }
}
