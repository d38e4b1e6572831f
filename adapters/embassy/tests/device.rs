//! headroom-embassy's device path on the host, for real: embassy-time's std driver,
//! std-embedded-nal-async's TCP, and `headroom serve` on loopback. The request is the
//! application's own (written and read here, as firmware does); the tests assert counts
//! (requests, 429s, attempts), never timings.

mod common;

use common::{frozen_server, server, spend_with_key_b};
use embassy_futures::block_on;
use embassy_futures::join::join3;
use embassy_sync::blocking_mutex::raw::{CriticalSectionRawMutex, NoopRawMutex};
use embedded_io_async::{Read, Write};
use embedded_nal_async::TcpConnect;
use headroom_cli::serve::{self, Fault};
use headroom_core::{Duration, GiveUp, Method, Response, RetryPolicy};
use headroom_embassy::Error;
use headroom_embassy::device::{Reply, SharedDevice, retry};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use std::sync::atomic::Ordering;
use std_embedded_nal_async::Stack;

/// One GET with key A, as firmware sends it: the response's status, or `Err` when the
/// connection failed or the head did not arrive whole.
async fn get<M, R, P>(server: &serve::Server, reply: &mut Reply<'_, M, R, P>) -> Result<u16, ()>
where
    M: embassy_sync::blocking_mutex::raw::RawMutex,
    R: rand_core::Rng,
    P: headroom_core::Retries,
{
    let stack = Stack::default();
    let addr = format!("127.0.0.1:{}", server.port()).parse().unwrap();
    let mut conn = stack.connect(addr).await.map_err(drop)?;
    let request = "GET /v1/records HTTP/1.1\r\nHost: 127.0.0.1\r\n\
                   Authorization: Bearer key-a\r\nConnection: close\r\n\r\n";
    conn.write_all(request.as_bytes()).await.map_err(drop)?;
    let (mut rx, mut filled) = ([0u8; 2048], 0);
    loop {
        let n = conn.read(&mut rx[filled..]).await.map_err(drop)?;
        if n == 0 {
            return Err(());
        }
        filled += n;
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut parsed = httparse::Response::new(&mut headers);
        if let Ok(httparse::Status::Complete(head)) = parsed.parse(&rx[..filled]) {
            let fields = parsed.headers.iter().map(|h| (h.name, h.value));
            let mut response = Response::headers_only(fields).body(&rx[head..filled]);
            response.status = parsed.code;
            reply.response(&response);
            return Ok(parsed.code.unwrap_or(0));
        }
    }
}

static SHARED: SharedDevice<CriticalSectionRawMutex> = SharedDevice::new();

#[test]
fn tasks_share_a_static_device_without_429s() {
    let server = server(&["minute:6:1", "day:100:60"], Fault::None);
    let task = |seed: u64| {
        let server = &server;
        async move {
            let mut rng = SmallRng::seed_from_u64(seed);
            for _ in 0..6 {
                let sent = retry(
                    &SHARED,
                    &RetryPolicy::DEFAULT,
                    Method::Get,
                    &mut rng,
                    async |r| get(server, r).await,
                );
                assert_eq!(sent.await.unwrap(), 200);
            }
        }
    };
    block_on(join3(task(1), task(2), task(3)));
    assert_eq!(server.stats.ok.load(Ordering::Relaxed), 18);
    assert_eq!(server.stats.throttled.load(Ordering::Relaxed), 0);
    assert_eq!(SHARED.with(|d| d.in_flight()), 0);
}

#[test]
fn honours_retry_after_when_another_key_spent_the_window() {
    let server = server(&["minute:3:2"], Fault::None);
    spend_with_key_b(&server, 3);
    let device: SharedDevice<NoopRawMutex> = SharedDevice::new();
    let mut rng = SmallRng::seed_from_u64(2);
    let mut attempts = 0;
    let sent = retry(
        &device,
        &RetryPolicy::DEFAULT,
        Method::Get,
        &mut rng,
        async |r| {
            attempts = r.attempt();
            get(&server, r).await
        },
    );
    assert_eq!(block_on(sent), Ok(200));
    // Unless the window turned between the two clients, the first attempt met a 429.
    let throttled = server.stats.throttled.load(Ordering::Relaxed);
    assert_eq!(u64::from(attempts), 1 + throttled);
}

#[test]
fn gives_up_when_the_server_asks_for_too_long() {
    let server = frozen_server(&["minute:1:3600"]);
    spend_with_key_b(&server, 1);
    let device: SharedDevice<NoopRawMutex> = SharedDevice::new();
    let mut rng = SmallRng::seed_from_u64(3);
    let policy = RetryPolicy::DEFAULT;
    let sent = retry(&device, &policy, Method::Get, &mut rng, async |r| {
        get(&server, r).await
    });
    match block_on(sent) {
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
    // The device now refuses at once rather than sleep for the hour.
    let again = retry(&device, &policy, Method::Get, &mut rng, async |r| {
        get(&server, r).await
    });
    assert!(matches!(block_on(again), Err(Error::WouldWait(_))));
    assert_eq!(server.stats.throttled.load(Ordering::Relaxed), 1);
}

#[test]
fn lost_requests_are_retried_released_and_reported() {
    let quick = RetryPolicy {
        max_retries: 2,
        backoff: headroom_core::Backoff {
            base: Duration::from_millis(10),
            ..headroom_core::Backoff::DEFAULT
        },
        ..RetryPolicy::DEFAULT
    };
    // A server that closes every connection without answering.
    let closing = server(&["minute:60:60"], Fault::Close);
    let device: SharedDevice<NoopRawMutex> = SharedDevice::new();
    let mut rng = SmallRng::seed_from_u64(4);
    let mut attempts = 0;
    let sent = retry(&device, &quick, Method::Get, &mut rng, async |r| {
        attempts = r.attempt();
        get(&closing, r).await
    });
    assert_eq!(block_on(sent), Err(Error::Transport(())));
    assert_eq!(attempts, 3);
    assert_eq!(device.with(|d| d.in_flight()), 0, "every grant released");
    // A POST that got no response is not sent again.
    let mut attempts = 0;
    let sent = retry(&device, &quick, Method::Post, &mut rng, async |r| {
        attempts = r.attempt();
        get(&closing, r).await
    });
    assert_eq!(block_on(sent), Err(Error::Transport(())));
    assert_eq!(attempts, 1);
}

#[test]
fn a_request_cancelled_mid_flight_gives_its_grant_back() {
    use embassy_futures::select::{Either, select};
    let server = server(&["minute:5:60"], Fault::Stall);
    let device: SharedDevice<NoopRawMutex> = SharedDevice::new();
    let mut rng = SmallRng::seed_from_u64(5);
    let in_flight = || device.with(|d| d.in_flight());
    let sent = async {
        while in_flight() == 0 {
            embassy_futures::yield_now().await;
        }
    };
    let request = retry(
        &device,
        &RetryPolicy::DEFAULT,
        Method::Get,
        &mut rng,
        async |r| get(&server, r).await,
    );
    let outcome = block_on(select(request, sent));
    assert!(
        matches!(outcome, Either::Second(())),
        "the stalled request cannot finish"
    );
    assert_eq!(in_flight(), 0, "the dropped request's grant was released");
}
