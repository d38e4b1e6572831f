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
use headroom_core::device::Attempts;
use headroom_core::{Decision, Denied, Duration, GiveUp, Method, Response, RetryPolicy};
use headroom_embassy::Error;
use headroom_embassy::device::{Reply, SharedDevice, retry};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use std::sync::atomic::Ordering;
use std_embedded_nal_async::Stack;

/// A response as received: its status, header lines and body.
struct Received {
    status: Option<u16>,
    headers: Vec<(String, Vec<u8>)>,
    body: Vec<u8>,
}

impl Received {
    fn response(&self) -> Response<'_, impl IntoIterator<Item = (&str, &[u8])> + Clone> {
        let fields = self.headers.iter().map(|(n, v)| (n.as_str(), v.as_slice()));
        let mut response = Response::headers_only(fields).body(&self.body);
        response.status = self.status;
        response
    }
}

/// One GET with key A, as firmware sends it: the response, or `Err` when the connection
/// failed or the head did not arrive whole.
async fn fetch(server: &serve::Server) -> Result<Received, ()> {
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
            let fields = parsed.headers.iter();
            return Ok(Received {
                status: parsed.code,
                headers: fields.map(|h| (h.name.into(), h.value.into())).collect(),
                body: rx[head..filled].into(),
            });
        }
    }
}

/// [`fetch`] in `retry`'s closure: the response goes to `reply`; the status is returned.
async fn get<M, R, P>(server: &serve::Server, reply: &mut Reply<'_, M, R, P>) -> Result<u16, ()>
where
    M: embassy_sync::blocking_mutex::raw::RawMutex,
    R: rand_core::Rng,
    P: headroom_core::Retries,
{
    let received = fetch(server).await?;
    reply.response(&received.response());
    Ok(received.status.unwrap_or(0))
}

/// How the task's own loop hands back a request that got no response.
#[derive(Clone, Copy)]
enum Loss {
    /// [`Attempt::lost`](headroom_embassy::device::Attempt::lost).
    Lost,
    /// A response without a status to `answered`, as the firmware's lean image does.
    NoStatus,
}

/// The task's own loop over [`SharedDevice::attempt`]: the last decision, the attempts made,
/// and the last status (0 when none came).
async fn own_loop<M, P>(
    device: &SharedDevice<M>,
    policy: P,
    method: Method,
    server: &serve::Server,
    rng: &mut SmallRng,
    loss: Loss,
) -> Result<(Decision, u32, u16), Denied>
where
    M: embassy_sync::blocking_mutex::raw::RawMutex,
    P: headroom_core::Retries,
{
    let mut attempts = Attempts::new(method, policy);
    let none = Received {
        status: None,
        headers: Vec::new(),
        body: Vec::new(),
    };
    loop {
        let attempt = device.attempt(&mut attempts).await?;
        let number = attempt.number();
        let (decision, status) = match (fetch(server).await, loss) {
            (Ok(received), _) => (attempt.answered(&received.response(), rng), received.status),
            (Err(()), Loss::Lost) => (attempt.lost(rng), None),
            (Err(()), Loss::NoStatus) => (attempt.answered(&none.response(), rng), None),
        };
        if !matches!(decision, Decision::Retry { .. }) {
            return Ok((decision, number, status.unwrap_or(0)));
        }
    }
}

/// Two retries, 10 ms apart at first: lost requests are retried without a long test.
fn quick_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        backoff: headroom_core::Backoff {
            base: Duration::from_millis(10),
            ..headroom_core::Backoff::DEFAULT
        },
        ..RetryPolicy::DEFAULT
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
    let quick = quick_retries();
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

/// Runs `request` (to a stalled server) until its grant is taken, then drops it: its grant
/// must come back.
fn drop_once_in_flight<T>(device: &SharedDevice<NoopRawMutex>, request: impl Future<Output = T>) {
    use embassy_futures::select::{Either, select};
    let in_flight = || device.with(|d| d.in_flight());
    let sent = async {
        while in_flight() == 0 {
            embassy_futures::yield_now().await;
        }
    };
    let outcome = block_on(select(request, sent));
    assert!(
        matches!(outcome, Either::Second(())),
        "the stalled request cannot finish"
    );
    assert_eq!(in_flight(), 0, "the dropped request's grant was released");
}

#[test]
fn a_request_cancelled_mid_flight_gives_its_grant_back() {
    let server = server(&["minute:5:60"], Fault::Stall);
    let device: SharedDevice<NoopRawMutex> = SharedDevice::new();
    let mut rng = SmallRng::seed_from_u64(5);
    let request = retry(
        &device,
        &RetryPolicy::DEFAULT,
        Method::Get,
        &mut rng,
        async |r| get(&server, r).await,
    );
    drop_once_in_flight(&device, request);
}

#[test]
fn the_tasks_own_loop_honours_retry_after_when_another_key_spent_the_window() {
    let server = server(&["minute:3:2"], Fault::None);
    spend_with_key_b(&server, 3);
    let device: SharedDevice<NoopRawMutex> = SharedDevice::new();
    let mut rng = SmallRng::seed_from_u64(6);
    let policy = RetryPolicy::DEFAULT;
    let sent = own_loop(&device, &policy, Method::Get, &server, &mut rng, Loss::Lost);
    let (decision, attempts, status) = block_on(sent).unwrap();
    assert_eq!((decision, status), (Decision::Done, 200));
    // Unless the window turned between the two clients, the first attempt met a 429.
    let throttled = server.stats.throttled.load(Ordering::Relaxed);
    assert_eq!(u64::from(attempts), 1 + throttled);
    assert_eq!(device.with(|d| d.in_flight()), 0);
}

#[test]
fn the_tasks_own_loop_releases_lost_attempts_and_gives_up_after_the_retries() {
    let quick = quick_retries();
    let closing = server(&["minute:60:60"], Fault::Close);
    // Handed back with `lost`, or as a response without a status: the same.
    for loss in [Loss::Lost, Loss::NoStatus] {
        let device: SharedDevice<NoopRawMutex> = SharedDevice::new();
        let mut rng = SmallRng::seed_from_u64(7);
        let sent = own_loop(&device, &quick, Method::Get, &closing, &mut rng, loss);
        let (decision, attempts, _) = block_on(sent).unwrap();
        let exhausted = GiveUp::RetriesExhausted { attempts: 3 };
        assert_eq!((decision, attempts), (Decision::GiveUp(exhausted), 3));
        assert_eq!(device.with(|d| d.in_flight()), 0, "every grant released");
        // A POST that got no response is not sent again.
        let sent = own_loop(&device, &quick, Method::Post, &closing, &mut rng, loss);
        let (decision, attempts, _) = block_on(sent).unwrap();
        assert_eq!(
            (decision, attempts),
            (Decision::GiveUp(GiveUp::NotIdempotent), 1)
        );
    }
}

#[test]
fn the_tasks_own_loop_stops_when_the_next_grant_is_past_the_longest_wait() {
    let server = frozen_server(&["minute:1:3600"]);
    spend_with_key_b(&server, 1);
    let device: SharedDevice<NoopRawMutex> = SharedDevice::new();
    let mut rng = SmallRng::seed_from_u64(8);
    let policy = RetryPolicy::DEFAULT;
    let sent = own_loop(&device, &policy, Method::Get, &server, &mut rng, Loss::Lost);
    match block_on(sent) {
        Ok((Decision::GiveUp(GiveUp::WaitTooLong { wait, .. }), 1, 429)) => {
            assert!(wait > Duration::from_secs(300), "{wait:?}")
        }
        other => panic!("{other:?}"),
    }
    // The next attempt is refused at once: the server's count is spent until its reset (with
    // the guard, a little after the `Retry-After` pause).
    let again = own_loop(&device, &policy, Method::Get, &server, &mut rng, Loss::Lost);
    let denied = block_on(again).unwrap_err();
    assert!(!denied.within_max_wait);
    assert_eq!(denied.cause, headroom_core::Cause::ServerBudget);
    assert_eq!(server.stats.throttled.load(Ordering::Relaxed), 1);
}

#[test]
fn an_attempt_dropped_mid_flight_gives_its_grant_back() {
    let server = server(&["minute:5:60"], Fault::Stall);
    let device: SharedDevice<NoopRawMutex> = SharedDevice::new();
    let mut rng = SmallRng::seed_from_u64(9);
    let policy = RetryPolicy::DEFAULT;
    let request = own_loop(&device, &policy, Method::Get, &server, &mut rng, Loss::Lost);
    drop_once_in_flight(&device, request);
}
