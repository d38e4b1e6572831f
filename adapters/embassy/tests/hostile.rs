//! The device client against servers that misbehave, on loopback: each case ends in bounded
//! time with a clear error, and no write past the caller's buffer (the buffers are slices: a
//! write past one would panic, and nothing here does).

use embassy_futures::block_on;
use embassy_sync::blocking_mutex::raw::NoopRawMutex;
use headroom_core::time::Duration;
use headroom_core::{Backoff, GiveUp, RetryPolicy};
use headroom_embassy::http::{Client, HttpError};
use headroom_embassy::{Error, MinuteAndDay, SharedLimiter, synthlink};
use rand::SeedableRng;
use rand::rngs::SmallRng;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std_embedded_nal_async::Stack;

/// A server on loopback that reads each request's head, then does `answer` with the stream.
/// Returns its URL and the count of connections it took.
fn hostile(answer: impl Fn(&mut TcpStream) + Send + Sync + 'static) -> (String, Arc<AtomicUsize>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/v1/lists", listener.local_addr().unwrap());
    let count = Arc::new(AtomicUsize::new(0));
    let (answer, seen) = (Arc::new(answer), count.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            seen.fetch_add(1, Ordering::SeqCst);
            let answer = answer.clone();
            std::thread::spawn(move || {
                let mut stream = stream;
                let mut head = Vec::new();
                let mut byte = [0u8; 1];
                while !head.ends_with(b"\r\n\r\n") && stream.read(&mut byte).is_ok_and(|n| n == 1) {
                    head.push(byte[0]);
                }
                answer(&mut stream);
            });
        }
    });
    (url, count)
}

/// One attempt only, and a short deadline: each case shows its own error.
const ONCE: RetryPolicy = RetryPolicy {
    max_retries: 0,
    ..RetryPolicy::DEFAULT
};

fn get(url: &str, rx: &mut [u8], policy: RetryPolicy) -> Result<u16, Error<HttpError>> {
    let limiter: SharedLimiter<NoopRawMutex, MinuteAndDay> = SharedLimiter::new(synthlink());
    let stack = Stack::default();
    let mut client = Client::new(&stack, &stack, &limiter, &[])
        .with_retry(policy)
        .with_timeout(embassy_time::Duration::from_millis(1500));
    let mut rng = SmallRng::seed_from_u64(1);
    let r = block_on(client.get(url, rx, &mut rng)).map(|r| r.status);
    assert_eq!(
        limiter.with(|l| l.in_flight()),
        0,
        "the ticket was released"
    );
    r
}

#[test]
fn a_head_larger_than_the_buffer() {
    let (url, _) = hostile(|s| {
        let mut head = b"HTTP/1.1 200 OK\r\n".to_vec();
        for i in 0..200 {
            head.extend_from_slice(format!("X-Pad-{i}: {}\r\n", "a".repeat(40)).as_bytes());
        }
        head.extend_from_slice(b"Content-Length: 0\r\n\r\n");
        let _ = s.write_all(&head);
    });
    let mut rx = [0u8; 1024];
    assert_eq!(
        get(&url, &mut rx, ONCE),
        Err(Error::Transport(HttpError::HeadTooLarge))
    );
}

#[test]
fn a_slow_drip_against_a_short_deadline() {
    let (url, _) = hostile(|s| {
        for b in b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" {
            if s.write_all(&[*b]).is_err() {
                return; // the client gave up
            }
            std::thread::sleep(std::time::Duration::from_millis(700));
        }
    });
    let mut rx = [0u8; 1024];
    assert_eq!(
        get(&url, &mut rx, ONCE),
        Err(Error::Transport(HttpError::Timeout))
    );
}

#[test]
fn an_endless_body() {
    let (url, _) = hostile(|s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\n\r\n");
        while s.write_all(&[b'x'; 1024]).is_ok() {}
    });
    let mut rx = [0u8; 4096];
    assert_eq!(
        get(&url, &mut rx, ONCE),
        Err(Error::Transport(HttpError::BodyTooLarge))
    );
    let (url, _) = hostile(|s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        while s.write_all(b"400\r\n").is_ok() && s.write_all(&[b'x'; 1024]).is_ok() {
            let _ = s.write_all(b"\r\n");
        }
    });
    assert_eq!(
        get(&url, &mut rx, ONCE),
        Err(Error::Transport(HttpError::BodyTooLarge))
    );
    let (url, _) = hostile(|s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n");
    });
    assert_eq!(
        get(&url, &mut rx, ONCE),
        Err(Error::Transport(HttpError::BodyTooLarge))
    );
}

#[test]
fn bytes_that_are_not_http() {
    let (url, _) = hostile(|s| {
        let _ = s.write_all(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03 hello\r\n\r\n");
    });
    let mut rx = [0u8; 1024];
    assert_eq!(
        get(&url, &mut rx, ONCE),
        Err(Error::Transport(HttpError::Malformed))
    );
}

#[test]
fn a_close_mid_response_is_retried_then_reported() {
    let (url, connections) = hostile(|s| {
        let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly part");
    });
    let quick = RetryPolicy {
        max_retries: 2,
        backoff: Backoff {
            base: Duration::from_millis(10),
            ..Backoff::DEFAULT
        },
        ..RetryPolicy::DEFAULT
    };
    let mut rx = [0u8; 1024];
    assert_eq!(
        get(&url, &mut rx, quick),
        Err(Error::Transport(HttpError::Closed))
    );
    assert_eq!(
        connections.load(Ordering::SeqCst),
        3,
        "a GET is retried, within the policy"
    );
}

#[test]
fn an_absurd_retry_after_or_reset_never_puts_the_device_to_sleep() {
    let (url, _) = hostile(|s| {
        let _ = s.write_all(
            b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 999999999999\r\nContent-Length: 0\r\n\r\n",
        );
    });
    let mut rx = [0u8; 1024];
    match get(&url, &mut rx, RetryPolicy::DEFAULT) {
        Err(Error::GaveUp {
            reason: GiveUp::WaitTooLong {
                from_server: true, ..
            },
            status: 429,
        }) => {}
        other => panic!("{other:?}"),
    }
    // A reset a century away on a spent budget: the next request is refused at once.
    let (url, _) = hostile(|s| {
        let _ = s.write_all(
            b"HTTP/1.1 200 OK\r\nRateLimit-Policy: \"day\";q=10;w=86400\r\n\
              RateLimit: \"day\";r=0;t=3155760000\r\nContent-Length: 2\r\n\r\nok",
        );
    });
    let limiter: SharedLimiter<NoopRawMutex, MinuteAndDay> = SharedLimiter::new(synthlink());
    let stack = Stack::default();
    let mut client = Client::new(&stack, &stack, &limiter, &[]);
    let mut rng = SmallRng::seed_from_u64(2);
    let mut rx = [0u8; 1024];
    assert_eq!(
        block_on(client.get(&url, &mut rx, &mut rng)).map(|r| r.status),
        Ok(200)
    );
    let mut rx = [0u8; 1024];
    let again = block_on(client.get(&url, &mut rx, &mut rng));
    assert!(
        matches!(again, Err(Error::WouldWait(_))),
        "refused, not slept: {again:?}"
    );
}
