//! headroom-embassy on the host, for real: embassy-time's std driver, std-embedded-nal-async's
//! TCP and DNS, and `headroom serve` on loopback. Windows are short and the tests assert counts
//! (requests, 429s, attempts), never timings.

mod common;

use common::{frozen_server, server, spend_with_key_b};
use embassy_futures::block_on;
use embassy_futures::join::join3;
use embassy_sync::blocking_mutex::raw::{CriticalSectionRawMutex, NoopRawMutex};
use headroom_cli::serve::Fault;
use headroom_core::time::Duration;
use headroom_core::{Backoff, GiveUp, RetryPolicy};
use headroom_embassy::http::{Client, HttpError};
use headroom_embassy::{Error, MinuteAndDay, SharedLimiter, synthlink};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use std::sync::atomic::Ordering;
use std_embedded_nal_async::Stack;

const KEY_A: &[(&str, &str)] = &[("Authorization", "Bearer key-a")];

fn learned(
    limiter: &SharedLimiter<impl embassy_sync::blocking_mutex::raw::RawMutex, MinuteAndDay>,
) -> Vec<(u32, u64)> {
    limiter.with(|l| {
        let (minute, day) = l.windows();
        [minute.rule(), day.rule()]
            .iter()
            .filter_map(|r| Some((r.quota()?, r.length().as_secs_ceil())))
            .collect()
    })
}

#[test]
fn paces_across_windows_and_learns_the_limits() {
    let server = server(&["minute:5:1", "day:12:3"], Fault::None);
    let limiter: SharedLimiter<NoopRawMutex, MinuteAndDay> = SharedLimiter::new(synthlink());
    let stack = Stack::default();
    let mut client = Client::new(&stack, &stack, &limiter, KEY_A);
    let mut rng = SmallRng::seed_from_u64(1);
    let url = format!("{}/v1/records?limit=5", server.base_url());
    block_on(async {
        for _ in 0..15 {
            let mut rx = [0u8; 2048];
            let r = client.get(&url, &mut rx, &mut rng).await.unwrap();
            assert_eq!((r.status, r.attempts), (200, 1));
            assert!(
                r.body.starts_with(b"{"),
                "{:?}",
                core::str::from_utf8(r.body)
            );
            assert!(r.header("RateLimit").is_some());
        }
    });
    assert_eq!(server.stats.throttled.load(Ordering::Relaxed), 0);
    assert_eq!(server.stats.ok.load(Ordering::Relaxed), 15);
    assert_eq!(learned(&limiter), [(5, 1), (12, 3)]);
}

static SHARED: SharedLimiter<CriticalSectionRawMutex, MinuteAndDay> =
    SharedLimiter::new(synthlink());

#[test]
fn tasks_share_a_static_limiter_without_429s() {
    let server = server(&["minute:6:1", "day:100:60"], Fault::None);
    let stack = Stack::default();
    let url = format!("{}/v1/records", server.base_url());
    let task = |seed: u64| {
        let (stack, url) = (&stack, &url);
        async move {
            let mut client = Client::new(stack, stack, &SHARED, KEY_A);
            let mut rng = SmallRng::seed_from_u64(seed);
            for _ in 0..6 {
                let mut rx = [0u8; 2048];
                let r = client.get(url, &mut rx, &mut rng).await.unwrap();
                assert_eq!(r.status, 200);
            }
        }
    };
    block_on(join3(task(1), task(2), task(3)));
    assert_eq!(server.stats.ok.load(Ordering::Relaxed), 18);
    assert_eq!(server.stats.throttled.load(Ordering::Relaxed), 0);
    assert_eq!(SHARED.with(|l| l.in_flight()), 0);
}

#[test]
fn honours_retry_after_when_another_key_spent_the_window() {
    let server = server(&["minute:3:2"], Fault::None);
    spend_with_key_b(&server, 3);
    let limiter: SharedLimiter<NoopRawMutex, MinuteAndDay> = SharedLimiter::new(synthlink());
    let stack = Stack::default();
    let mut client = Client::new(&stack, &stack, &limiter, KEY_A);
    let mut rng = SmallRng::seed_from_u64(2);
    let mut rx = [0u8; 2048];
    let r = block_on(client.get(&server.base_url(), &mut rx, &mut rng)).unwrap();
    // Unless the window turned between the two clients, the first attempt met a 429.
    let throttled = server.stats.throttled.load(Ordering::Relaxed);
    assert_eq!((r.status, u64::from(r.attempts)), (200, 1 + throttled));
}

#[test]
fn gives_up_when_the_server_asks_for_too_long() {
    // Frozen: on the system clock, a run across the hour saw the window turn and got a 200.
    let server = frozen_server(&["minute:1:3600"]);
    spend_with_key_b(&server, 1);
    let limiter: SharedLimiter<NoopRawMutex, MinuteAndDay> = SharedLimiter::new(synthlink());
    let stack = Stack::default();
    let mut client = Client::new(&stack, &stack, &limiter, KEY_A);
    let mut rng = SmallRng::seed_from_u64(3);
    let mut rx = [0u8; 2048];
    match block_on(client.get(&server.base_url(), &mut rx, &mut rng)) {
        Err(Error::GaveUp {
            reason:
                GiveUp::WaitTooLong {
                    wait,
                    from_server: true,
                },
            status: 429,
        }) => assert!(wait > Duration::from_secs(300), "{wait:?}"),
        other => panic!("{other:?}"),
    }
    // The limiter now refuses at once rather than sleep for the hour.
    let mut rx = [0u8; 2048];
    let again = block_on(client.get(&server.base_url(), &mut rx, &mut rng));
    assert!(matches!(again, Err(Error::WouldWait(_))), "{again:?}");
    assert_eq!(server.stats.throttled.load(Ordering::Relaxed), 1);
}

#[test]
fn connection_errors_are_retried_then_reported() {
    let quick = RetryPolicy {
        max_retries: 2,
        backoff: Backoff {
            base: Duration::from_millis(10),
            ..Backoff::DEFAULT
        },
        ..RetryPolicy::DEFAULT
    };
    let stack = Stack::default();
    let mut rng = SmallRng::seed_from_u64(4);
    // A server that closes every connection without answering.
    let closing = server(&["minute:60:60"], Fault::Close);
    let limiter: SharedLimiter<NoopRawMutex, MinuteAndDay> = SharedLimiter::new(synthlink());
    let mut client = Client::new(&stack, &stack, &limiter, KEY_A).with_retry(quick);
    let mut rx = [0u8; 1024];
    let r = block_on(client.get(&closing.base_url(), &mut rx, &mut rng));
    assert!(
        matches!(
            r,
            Err(Error::Transport(HttpError::Closed | HttpError::Io(_)))
        ),
        "{r:?}"
    );
    assert_eq!(limiter.with(|l| l.in_flight()), 0, "every ticket released");
    // Nothing listening at all.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut rx = [0u8; 1024];
    let r = block_on(client.get(&format!("http://127.0.0.1:{port}/"), &mut rx, &mut rng));
    assert!(
        matches!(r, Err(Error::Transport(HttpError::Io(_)))),
        "{r:?}"
    );
    // A head larger than the buffer is an error, not a panic.
    let fine = server(&["minute:60:60"], Fault::None);
    let mut tiny = [0u8; 16];
    let r = block_on(client.get(&fine.base_url(), &mut tiny, &mut rng));
    assert!(
        matches!(r, Err(Error::Transport(HttpError::HeadTooLarge))),
        "{r:?}"
    );
}

#[test]
fn a_request_cancelled_mid_flight_gives_its_grant_back() {
    use embassy_futures::select::{Either, select};
    // The server reads the request and never answers: the request is in flight until dropped.
    let server = server(&["minute:5:60"], Fault::Stall);
    let limiter: SharedLimiter<NoopRawMutex, MinuteAndDay> = SharedLimiter::new(synthlink());
    let stack = Stack::default();
    let mut client = Client::new(&stack, &stack, &limiter, KEY_A);
    let mut rng = SmallRng::seed_from_u64(5);
    let mut rx = [0u8; 2048];
    let in_flight = || limiter.with(|l| l.in_flight());
    // The caller gives up (a timeout, a select on a button press) once the request is out.
    let sent = async {
        while in_flight() == 0 {
            embassy_futures::yield_now().await;
        }
    };
    let outcome = block_on(select(
        client.get(&server.base_url(), &mut rx, &mut rng),
        sent,
    ));
    assert!(
        matches!(outcome, Either::Second(())),
        "the stalled request cannot finish"
    );
    assert_eq!(in_flight(), 0, "the dropped request's grant was released");
    // Released, not forgotten: the request may have reached the server, so it stays counted,
    // and a next one is not held back as if the first were still in flight.
    assert!(limiter.try_acquire().is_ok());
}
