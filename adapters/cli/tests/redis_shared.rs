//! Clients of one identity sharing its quota through a real Redis (started on loopback,
//! stopped after), against `headroom serve` on short windows, in real time: counts are
//! asserted (the server's), never timings. Without redis-server these say why and pass,
//! unless `HEADROOM_REQUIRE_PEERS` is set.

use headroom_cli::serve::{self, PolicySpec, ServeOptions};
use headroom_core::limiter::Config;
use headroom_redis::server::RedisServer;
use headroom_ureq::{Client, SharedLimiter, SystemClock};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Barrier};

fn policies(spec: &[&str]) -> Vec<PolicySpec> {
    spec.iter().map(|s| s.parse().unwrap()).collect()
}

/// `n` keys of one identity.
fn keys(n: usize) -> Vec<(String, String)> {
    (0..n)
        .map(|i| (format!("key-{i}"), "dev@example.com".to_string()))
        .collect()
}

/// Client `i`: its own limiter (its own Redis connection, as a process would have), its own
/// key, the identity's shared quota.
fn client(redis: &str, i: usize) -> Client {
    let limiter = SharedLimiter::with_redis_and_clock(
        redis,
        "dev@example.com",
        &[],
        Config::DEFAULT,
        SystemClock::new(),
    )
    .unwrap();
    Client::builder(limiter)
        .header("Authorization", &format!("Bearer key-{i}"))
        .build()
}

/// Each of `clients` fetches `each` URLs at once; `during` runs on the side meanwhile.
/// Returns the statuses.
fn race(
    server: &serve::Server,
    redis: &str,
    clients: usize,
    each: usize,
    during: impl FnOnce() + Send,
) -> Vec<Result<u16, String>> {
    let start = Arc::new(Barrier::new(clients + 1));
    std::thread::scope(|s| {
        let workers: Vec<_> = (0..clients)
            .map(|i| {
                let (start, base) = (Arc::clone(&start), server.base_url());
                let c = client(redis, i);
                s.spawn(move || {
                    start.wait();
                    (0..each)
                        .map(|j| {
                            c.get(&format!("{base}/v1/records?c={i}&j={j}"))
                                .map(|r| r.status().as_u16())
                                .map_err(|e| e.to_string())
                        })
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        start.wait();
        during();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    })
}

#[test]
fn eight_clients_of_one_identity_share_its_quota_exactly() {
    let Some(redis) =
        RedisServer::for_test("eight_clients_of_one_identity_share_its_quota_exactly")
    else {
        return;
    };
    let opts = ServeOptions {
        policies: policies(&["minute:6:2", "day:20:8"]),
        keys: keys(8),
        ..Default::default()
    };
    let server = serve::spawn(opts, SystemClock::new()).unwrap();
    let statuses = race(&server, &redis.url(), 8, 4, || {});
    assert!(statuses.iter().all(|s| s == &Ok(200)), "{statuses:?}");
    assert_eq!(server.stats.throttled.load(Ordering::Relaxed), 0);
    assert_eq!(server.stats.ok.load(Ordering::Relaxed), 32);
}

#[test]
fn a_flushed_script_and_a_killed_redis_fail_no_request() {
    let Some(mut redis) = RedisServer::for_test("a_flushed_script_and_a_killed_redis") else {
        return;
    };
    let opts = ServeOptions {
        policies: policies(&["minute:6:2", "day:20:8"]),
        keys: keys(4),
        ..Default::default()
    };
    let server = serve::spawn(opts, SystemClock::new()).unwrap();
    let url = redis.url();
    let statuses = race(&server, &url, 4, 8, || {
        // Partway through: the script cache emptied, then Redis killed and restarted with
        // its state lost (no persistence).
        std::thread::sleep(std::time::Duration::from_millis(1500));
        assert_eq!(redis.cli(&["SCRIPT", "FLUSH"]).unwrap(), "OK");
        std::thread::sleep(std::time::Duration::from_millis(1500));
        redis.kill_and_restart().unwrap();
    });
    assert!(statuses.iter().all(|s| s == &Ok(200)), "{statuses:?}");
    let throttled = server.stats.throttled.load(Ordering::Relaxed);
    let sent = throttled + server.stats.ok.load(Ordering::Relaxed);
    // After a restart the state is gone: the first responses' headers tighten it again.
    assert!(throttled * 100 <= sent * 5, "{throttled} 429s of {sent}");
}

#[test]
fn a_frozen_redis_is_waited_for_up_to_max_wait_then_an_error() {
    let Some(redis) = RedisServer::for_test("a_frozen_redis_is_waited_for") else {
        return;
    };
    let config = Config {
        max_wait: headroom_core::Duration::from_millis(1_500),
        ..Config::DEFAULT
    };
    let limiter = SharedLimiter::with_redis_and_clock(
        &redis.url(),
        "dev@example.com",
        &[],
        config,
        SystemClock::new(),
    )
    .unwrap();
    // One response heard: the identity's first-response wait is over.
    let plain: headroom_core::Observation =
        headroom_core::Observation::of(&headroom_core::Response::new(200, []), &mut []);
    limiter.observe(limiter.acquire().unwrap(), &plain);
    redis.freeze();
    let started = std::time::Instant::now();
    let e = limiter.acquire().unwrap_err();
    assert!(matches!(e, headroom_std::Error::Store(_)), "{e}");
    // Waited for Redis about max_wait (each call times out after 2 s), and no longer.
    assert!(
        started.elapsed() < std::time::Duration::from_secs(6),
        "{:?}",
        started.elapsed()
    );
    redis.thaw();
    assert!(limiter.acquire().is_ok(), "recovered");
}
