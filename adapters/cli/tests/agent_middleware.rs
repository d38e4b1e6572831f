//! headroom-ureq on the user's own ureq Agent (Pacing + retry), its GET cache with two
//! identities, and credentials kept out of errors and logs: against `headroom serve` on
//! loopback. Threaded cases run in real time on short windows and assert counts, never
//! timings.

use headroom_cli::serve::{self, HeaderMode, PolicySpec, ServeOptions};
use headroom_core::{Method, RetryPolicy};
use headroom_ureq::{Cache, Client, Error, Pacing, Sent, SharedLimiter, SystemClock, retry};
use std::sync::Mutex;
use std::sync::atomic::Ordering;
use std::time::Duration;

fn policies(spec: &[&str]) -> Vec<PolicySpec> {
    spec.iter().map(|s| s.parse().unwrap()).collect()
}

fn server(spec: &[&str], headers: HeaderMode) -> serve::Server {
    let opts = ServeOptions {
        policies: policies(spec),
        headers,
        ..Default::default()
    };
    serve::spawn(opts, SystemClock::new()).unwrap()
}

/// An Agent as a user builds it: their own timeouts and user agent, ureq's default
/// `http_status_as_error(true)` left on, and Pacing added in one line.
fn users_agent(limiter: &SharedLimiter) -> ureq::Agent {
    ureq::Agent::config_builder()
        .timeout_global(Some(Duration::from_secs(20)))
        .user_agent("my-app/1.0")
        .middleware(Pacing::new(limiter.clone()))
        .build()
        .into()
}

#[test]
fn four_threads_on_the_users_agent_get_no_429() {
    let server = server(&["minute:6:1", "day:15:3"], HeaderMode::Full);
    let limiter = SharedLimiter::new(&[]).unwrap();
    let agent = users_agent(&limiter);
    let base = server.base_url();
    std::thread::scope(|s| {
        for t in 0..4 {
            let (agent, limiter, base) = (&agent, &limiter, &base);
            s.spawn(move || {
                for i in 0..6 {
                    let url = format!("{base}/v1/records?t={t}&i={i}");
                    let r = retry(limiter, Method::Get, || {
                        agent
                            .get(&url)
                            .header("Authorization", "Bearer key-a")
                            .call()
                    })
                    .unwrap();
                    assert_eq!(r.status(), 200);
                }
            });
        }
    });
    assert_eq!(server.stats.throttled.load(Ordering::Relaxed), 0);
    assert_eq!(server.stats.ok.load(Ordering::Relaxed), 24);
    assert_eq!((limiter.stats().sent(), limiter.stats().ok()), (24, 24));
}

#[test]
fn a_429_reaches_the_limiter_even_with_http_status_as_error() {
    // Another key of the identity spends the window: our first request meets a 429.
    let server = server(&["minute:2:60"], HeaderMode::Full);
    let other = ureq::Agent::new_with_defaults();
    for _ in 0..2 {
        other
            .get(server.base_url())
            .header("Authorization", "Bearer key-b")
            .call()
            .unwrap();
    }
    let limiter = SharedLimiter::new(&[]).unwrap();
    let agent = users_agent(&limiter);
    let r = agent
        .get(server.base_url())
        .header("Authorization", "Bearer key-a")
        .call()
        .unwrap();
    assert_eq!(
        r.status(),
        429,
        "a response, with its headers, not Error::StatusCode"
    );
    assert_eq!(limiter.stats().throttled(), 1);
    let denied = limiter.try_acquire().unwrap_err();
    assert!(
        denied.until > limiter.clock_now(),
        "the limiter read the 429: {denied:?}"
    );

    // Asked for ureq's behaviour, Pacing still reads the 429 first, then errs.
    let limiter = SharedLimiter::new(&[]).unwrap();
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .middleware(Pacing::new(limiter.clone()).http_status_as_error(true))
        .build()
        .into();
    let e = agent
        .get(server.base_url())
        .header("Authorization", "Bearer key-a")
        .call()
        .unwrap_err();
    assert!(matches!(e, ureq::Error::StatusCode(429)), "{e}");
    assert!(
        limiter.try_acquire().is_err(),
        "paused by the 429's Retry-After"
    );
}

trait ClockNow {
    fn clock_now(&self) -> headroom_core::time::Instant;
}

impl ClockNow for SharedLimiter {
    fn clock_now(&self) -> headroom_core::time::Instant {
        use headroom_ureq::Clock;
        self.clock().now()
    }
}

#[test]
fn retry_gives_up_with_the_last_response_and_posts_are_not_retried() {
    let server = server(&["minute:1:60"], HeaderMode::None);
    let limiter = SharedLimiter::new(&[]).unwrap();
    let agent = users_agent(&limiter);
    let get = || {
        agent
            .get(server.base_url())
            .header("Authorization", "Bearer key-a")
            .call()
    };
    assert_eq!(retry(&limiter, Method::Get, get).unwrap().status(), 200);
    // A POST may have reached the server: its 429 is handed back, not retried.
    let quick = RetryPolicy {
        max_retries: 1,
        ..RetryPolicy::DEFAULT
    };
    match headroom_ureq::retry_with(&limiter, Method::Post, quick, || {
        agent
            .post(server.base_url())
            .header("Authorization", "Bearer key-a")
            .send(&b"{}"[..])
    }) {
        Err(Error::GaveUp { response, reason }) => {
            assert_eq!(response.status(), 429);
            assert_eq!(reason, headroom_core::GiveUp::NotIdempotent);
            assert_eq!(Sent::of(&response).unwrap().attempts, 1);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_cache_never_hands_one_identitys_response_to_another() {
    let server = server(&["minute:100:60"], HeaderMode::Full);
    let client = Client::builder(SharedLimiter::new(&[]).unwrap())
        .cache(Cache::new(16).route("/", Duration::from_secs(600)))
        .build();
    let url = format!("{}/v1/lists", server.base_url());
    let as_key = |key: &str| {
        http::Request::get(&url)
            .header("Authorization", format!("Bearer {key}"))
            .body(Vec::new())
            .unwrap()
    };
    let first = client.send(&as_key("key-a")).unwrap();
    assert_eq!(
        (
            first.status().as_u16(),
            Sent::of(&first).unwrap().from_cache
        ),
        (200, false)
    );
    let again = client.send(&as_key("key-a")).unwrap();
    assert!(
        Sent::of(&again).unwrap().from_cache,
        "the same caller is served from the cache"
    );
    // Another caller on the same URL: the server decides (401 for an unknown key), not the
    // cache.
    let stranger = client.send(&as_key("nope")).unwrap();
    assert_eq!(stranger.status(), 401);
    assert!(!Sent::of(&stranger).unwrap().from_cache);
    let anonymous = client.get(&url).unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(server.stats.ok.load(Ordering::Relaxed), 1);
}

/// Collects log lines, to show what a user's logger would receive.
struct Capture(Mutex<Vec<String>>);

impl log::Log for Capture {
    fn enabled(&self, _: &log::Metadata) -> bool {
        true
    }
    fn log(&self, record: &log::Record) {
        self.0.lock().unwrap().push(record.args().to_string());
    }
    fn flush(&self) {}
}

static LOGS: Capture = Capture(Mutex::new(Vec::new()));

#[test]
fn credentials_stay_out_of_errors_and_logs() {
    log::set_logger(&LOGS).unwrap();
    log::set_max_level(log::LevelFilter::Trace);
    // A port nothing listens on: refused, retried, then an error.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let quick = RetryPolicy {
        max_retries: 1,
        ..RetryPolicy::DEFAULT
    };
    let client = Client::builder(SharedLimiter::new(&[]).unwrap())
        .header("Authorization", "Bearer SECRET-TOKEN")
        .retry(quick)
        .build();
    let e = client
        .get(&format!("http://user:SECRET-PW@127.0.0.1:{port}/v1/lists"))
        .unwrap_err();
    let shown = format!("{e} / {e:?} / {client:?}");
    let logs = LOGS.0.lock().unwrap().join("\n");
    assert!(logs.contains("127.0.0.1"), "the failure was logged: {logs}");
    for secret in ["SECRET-PW", "SECRET-TOKEN"] {
        assert!(!shown.contains(secret), "{shown}");
        assert!(!logs.contains(secret), "{logs}");
    }
    let e = client.get("ftp://user:SECRET-PW@host/x").unwrap_err();
    assert!(!e.to_string().contains("SECRET-PW"), "{e}");
}
