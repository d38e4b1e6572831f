//! Integration tests.
//! headroom-ureq against `headroom serve` on loopback. Single-caller cases run in virtual time
//! (a [`ManualClock`] shared by client and server: waiting advances it); the multi-threaded
//! cases run in real time on short windows and assert counts, never timings.

use headroom_cli::serve::{self, Fault, HeaderMode, PolicySpec, ServeOptions};
use headroom_core::limiter::Config;
use headroom_core::{Backoff, GiveUp, RetryPolicy};
use headroom_ureq::{Client, Clock, Error, ManualClock, Sent, SharedLimiter, SystemClock};
use std::sync::atomic::Ordering;

fn policies(spec: &[&str]) -> Vec<PolicySpec> {
    spec.iter().map(|s| s.parse().unwrap()).collect()
}

fn manual_client(
    server_opts: ServeOptions,
    retry: RetryPolicy,
) -> (serve::Server, Client<ManualClock>, ManualClock) {
    // A fixed Unix origin on a window boundary keeps the schedule deterministic.
    let clock = ManualClock::new(1_800_000_000_000);
    let server = serve::spawn(server_opts, clock.clone()).unwrap();
    let limiter = SharedLimiter::with_clock(&[], Config::DEFAULT, clock.clone()).unwrap();
    let client = Client::builder(limiter)
        .header("Authorization", "Bearer key-a")
        .retry(retry)
        .build();
    (server, client, clock)
}

#[test]
fn paces_a_sequential_batch_across_windows_with_no_429() {
    let opts = ServeOptions {
        policies: policies(&["minute:5:60", "day:12:240"]),
        ..Default::default()
    };
    let (server, client, clock) = manual_client(opts, RetryPolicy::DEFAULT);
    for i in 0..30 {
        let r = client
            .get(&format!("{}/v1/records?page={i}", server.base_url()))
            .unwrap();
        assert_eq!(r.status(), 200);
        assert_eq!(Sent::of(&r).unwrap().attempts, 1);
    }
    assert_eq!(server.stats.throttled.load(Ordering::Relaxed), 0);
    // 30 requests need three day windows (12 each): at least 2 × 240 s.
    assert!(
        clock.now().as_millis() >= 480_000,
        "{}",
        clock.now().as_millis()
    );
}

#[test]
fn honours_retry_after_when_another_key_spends_the_quota() {
    let opts = ServeOptions {
        policies: policies(&["minute:3:60"]),
        ..Default::default()
    };
    let (server, client, clock) = manual_client(opts, RetryPolicy::DEFAULT);
    let other = ureq::Agent::new_with_defaults();
    for _ in 0..3 {
        let r = other
            .get(&server.base_url())
            .header("Authorization", "Bearer key-b")
            .call()
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let before = clock.now();
    let r = client.get(&server.base_url()).unwrap();
    assert_eq!(
        (r.status().as_u16(), Sent::of(&r).unwrap().attempts),
        (200, 2),
        "one 429, then a retry after Retry-After"
    );
    assert!(clock.now().saturating_duration_since(before).as_millis() >= 60_000);
}

#[test]
fn backs_off_without_headers_and_gives_up_with_the_last_response() {
    let opts = ServeOptions {
        policies: policies(&["minute:1:60"]),
        headers: HeaderMode::None,
        ..Default::default()
    };
    let retry = RetryPolicy {
        max_retries: 2,
        ..RetryPolicy::DEFAULT
    };
    let (server, client, _clock) = manual_client(opts, retry);
    assert_eq!(client.get(&server.base_url()).unwrap().status(), 200);
    match client.get(&server.base_url()) {
        Err(Error::GaveUp { reason, response }) => {
            assert_eq!(reason, GiveUp::RetriesExhausted { attempts: 3 });
            assert_eq!(response.status(), 429);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(client.stats().retries(), 2);
}

#[test]
fn malformed_headers_are_ignored_and_nothing_panics() {
    let opts = ServeOptions {
        policies: policies(&["minute:2:60"]),
        headers: HeaderMode::Malformed,
        ..Default::default()
    };
    let (server, client, _clock) = manual_client(opts, RetryPolicy::DEFAULT);
    let r = client.get(&server.base_url()).unwrap();
    let obs = headroom_std::observation(r.status().as_u16(), r.headers(), None, None);
    assert!(obs.policies().is_empty());
    let ignored: Vec<_> = obs.ignored().iter().map(|i| i.field.name()).collect();
    assert!(
        ignored.contains(&"ratelimit") && ignored.contains(&"ratelimit-policy"),
        "{ignored:?}"
    );
}

#[test]
fn a_server_that_closes_or_stalls_is_a_transport_error_after_retries() {
    let quick = RetryPolicy {
        max_retries: 2,
        backoff: Backoff {
            base: headroom_core::time::Duration::from_millis(10),
            ..Backoff::DEFAULT
        },
        ..RetryPolicy::DEFAULT
    };
    let no_retry = RetryPolicy {
        retry_no_response: false,
        ..quick
    };
    for fault in [Fault::Close, Fault::Stall] {
        let server = serve::spawn(
            ServeOptions {
                fault,
                ..Default::default()
            },
            SystemClock::new(),
        )
        .unwrap();
        for (policy, expected) in [(quick, 3), (no_retry, 1)] {
            let limiter = SharedLimiter::new(&[]).unwrap();
            let client = Client::builder(limiter.clone())
                .timeout(std::time::Duration::from_millis(300))
                .retry(policy)
                .build();
            match client.get(&server.base_url()) {
                Err(Error::Transport { attempts, .. }) => assert_eq!(attempts, expected),
                other => panic!("{fault:?}: {other:?}"),
            }
            assert_eq!(client.stats().sent(), u64::from(expected));
            assert_eq!(
                limiter.snapshot().in_flight(),
                0,
                "the tickets were released"
            );
        }
        // A POST is not retried by default: it may have reached the server.
        let client = Client::builder(SharedLimiter::new(&[]).unwrap())
            .timeout(std::time::Duration::from_millis(300))
            .retry(quick)
            .build();
        let url = server.base_url();
        let post = http::Request::post(&url).body(b"{}").unwrap();
        assert!(matches!(
            client.send(&post),
            Err(Error::Transport { attempts: 1, .. })
        ));
    }
}

#[test]
fn threads_sharing_one_limiter_get_no_429() {
    let opts = ServeOptions {
        policies: policies(&["minute:6:1", "day:15:3"]),
        ..Default::default()
    };
    let server = serve::spawn(opts, SystemClock::new()).unwrap();
    let limiter = SharedLimiter::new(&[]).unwrap();
    let client = Client::builder(limiter)
        .header("Authorization", "Bearer key-a")
        .build();
    let urls: Vec<String> = (0..24)
        .map(|i| format!("{}/r?page={i}", server.base_url()))
        .collect();
    let outcomes = headroom_cli::fetch::run(&client, &urls, 4, |_, _| {});
    assert!(outcomes.iter().all(|o| o.ok()), "{outcomes:?}");
    assert_eq!(server.stats.throttled.load(Ordering::Relaxed), 0);
    assert_eq!(client.stats().sent(), 24);
}

#[test]
fn limit_above_100_and_unknown_keys_are_refused() {
    let (server, client, _clock) = manual_client(ServeOptions::default(), RetryPolicy::DEFAULT);
    assert_eq!(
        client
            .get(&format!("{}/v1/x?limit=101", server.base_url()))
            .unwrap()
            .status(),
        400
    );
    assert_eq!(
        client
            .get(&format!("{}/v1/x?limit=100", server.base_url()))
            .unwrap()
            .status(),
        200
    );
    let stranger = Client::builder(SharedLimiter::new(&[]).unwrap())
        .header("Authorization", "Bearer nope")
        .build();
    assert_eq!(stranger.get(&server.base_url()).unwrap().status(), 401);
}

#[test]
fn a_second_run_with_the_state_sends_nothing_until_the_spent_window_frees() {
    let opts = ServeOptions {
        policies: policies(&["minute:5:60"]),
        ..Default::default()
    };
    let clock = ManualClock::new(1_800_000_000_000);
    let server = serve::spawn(opts, clock.clone()).unwrap();
    let options = headroom_cli::fetch::FetchOptions {
        headers: vec![("Authorization".into(), "Bearer key-a".into())],
        ..Default::default()
    };
    let dir = std::env::temp_dir().join(format!("headroom-state-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("limiter.state");
    let _ = std::fs::remove_file(&path);
    let urls = |n: usize| -> Vec<String> {
        (0..n)
            .map(|i| format!("{}/v1/records?page={i}", server.base_url()))
            .collect()
    };
    let run = |n: usize, with_state: bool| {
        let client = headroom_cli::fetch::client(&options, clock.clone()).unwrap();
        if with_state {
            headroom_cli::fetch::load_state(&client, &path).unwrap();
        }
        let outcomes = headroom_cli::fetch::run(&client, &urls(n), 1, |_, _| {});
        if with_state {
            headroom_cli::fetch::store_state(&client, &path).unwrap();
        }
        assert!(outcomes.iter().all(|o| o.ok()), "{outcomes:?}");
    };
    // The first run spends the window and leaves its state behind.
    assert!(
        !headroom_cli::fetch::load_state(
            &headroom_cli::fetch::client(&options, clock.clone()).unwrap(),
            &path
        )
        .unwrap()
    );
    run(5, true);
    assert!(path.exists() && !dir.join("limiter.state.tmp").exists());
    let spent_at = clock.now().as_millis();
    // The second run knows: its request waits for the window, and the server refuses nothing.
    run(1, true);
    assert_eq!(server.stats.throttled.load(Ordering::Relaxed), 0);
    assert!(
        clock.now().as_millis() >= 60_000,
        "sent at {} ms",
        clock.now().as_millis()
    );
    assert!(spent_at < 60_000);
    // Without the state, a third run into a spent window gets a 429 first.
    clock.advance(headroom_core::time::Duration::from_millis(
        60_000 - clock.now().as_millis() % 60_000,
    ));
    run(5, true);
    run(1, false);
    assert_eq!(server.stats.throttled.load(Ordering::Relaxed), 1);
    // A damaged state file is refused, and left as it was.
    std::fs::write(&path, b"not a state").unwrap();
    let client = headroom_cli::fetch::client(&options, clock.clone()).unwrap();
    let err = headroom_cli::fetch::load_state(&client, &path).unwrap_err();
    assert!(err.contains("not a headroom limiter state"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), b"not a state");
    let _ = std::fs::remove_dir_all(&dir);
}

/// GitHub-style independent limits: a server whose `search` window counts `/search` only.
/// With that route configured, spent searches hold back searches alone; without it, every
/// call waits for them (the client cannot tell which limit a call falls under).
#[test]
fn a_spent_search_route_does_not_hold_back_other_calls() {
    let opts = || ServeOptions {
        policies: policies(&["minute:20:60", "search:2:60@/search"]),
        ..Default::default()
    };
    for routed in [true, false] {
        let clock = ManualClock::new(1_800_000_000_000);
        let server = serve::spawn(opts(), clock.clone()).unwrap();
        let limiter = SharedLimiter::with_clock(&[], Config::DEFAULT, clock.clone()).unwrap();
        let mut builder = Client::builder(limiter).header("Authorization", "Bearer key-a");
        if routed {
            builder = builder.route("/search");
        }
        let client = builder.build();
        let get = |path: &str| client.get(&format!("{}{path}", server.base_url())).unwrap();
        let start = clock.now();
        for _ in 0..2 {
            assert_eq!(get("/search/code?q=x").status(), 200);
        }
        let searches = headroom_core::Key::named("/search");
        let spent = client
            .limiter()
            .try_acquire_with(searches, headroom_core::Cost::ONE);
        assert!(
            spent.is_err(),
            "routed {routed}: the search window is spent"
        );
        for i in 0..5 {
            assert_eq!(get(&format!("/v1/records?page={i}")).status(), 200);
        }
        let waited = clock.now().saturating_duration_since(start);
        if routed {
            // At most the pacing of a first window, nothing like the search window's minute.
            assert!(waited.as_millis() < 5_000, "core calls waited {waited:?}");
        } else {
            assert!(
                waited.as_millis() >= 59_000,
                "waited {waited:?} for the search window"
            );
        }
        // The third search waits for its window in both cases, and nothing is refused.
        assert_eq!(get("/search/code?q=y").status(), 200);
        assert!(clock.now().saturating_duration_since(start).as_millis() >= 59_000);
        assert_eq!(
            server.stats.throttled.load(Ordering::Relaxed),
            0,
            "routed {routed}"
        );
    }
}
