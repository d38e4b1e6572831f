//! headroom-reqwest against `headroom serve` and the express-rate-limit peer, on loopback, in
//! real time on short windows: the assertions are counts, never timings.

use headroom_cli::serve::{self, HeaderMode, ServeOptions};
use headroom_core::{GiveUp, RetryPolicy};
use headroom_reqwest::{Pacing, Sent, SharedLimiter, Stopped, SystemClock};
use reqwest_middleware::ClientWithMiddleware;
use std::sync::atomic::Ordering;

fn server(spec: &[&str], headers: HeaderMode) -> serve::Server {
    let opts = ServeOptions {
        policies: spec.iter().map(|s| s.parse().unwrap()).collect(),
        headers,
        ..Default::default()
    };
    serve::spawn(opts, SystemClock::new()).unwrap()
}

fn client(pacing: Pacing) -> ClientWithMiddleware {
    let inner = headroom_reqwest::client_builder().build().unwrap();
    reqwest_middleware::ClientBuilder::new(inner)
        .with(pacing)
        .build()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_tasks_sharing_one_limiter_get_no_429() {
    let server = server(&["minute:6:1", "day:15:3"], HeaderMode::Full);
    let limiter = SharedLimiter::new(&[]).unwrap();
    let client = client(Pacing::new(limiter.clone()));
    let mut tasks = Vec::new();
    for t in 0..8 {
        let (client, base) = (client.clone(), server.base_url());
        tasks.push(tokio::spawn(async move {
            for i in 0..3 {
                let r = client
                    .get(format!("{base}/v1/records?t={t}&i={i}"))
                    .bearer_auth("key-a")
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(server.stats.throttled.load(Ordering::Relaxed), 0);
    assert_eq!(server.stats.ok.load(Ordering::Relaxed), 24);
    assert_eq!(
        (limiter.stats().sent(), limiter.stats().throttled()),
        (24, 0)
    );
}

#[tokio::test]
async fn retries_after_retry_after_when_another_key_spent_the_window() {
    let server = server(&["minute:2:2"], HeaderMode::Full);
    let other = headroom_reqwest::client_builder().build().unwrap();
    for _ in 0..2 {
        let r = other
            .get(server.base_url())
            .bearer_auth("key-b")
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
    }
    let limiter = SharedLimiter::new(&[]).unwrap();
    let client = client(Pacing::new(limiter.clone()));
    let r = client
        .get(server.base_url())
        .bearer_auth("key-a")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(
        Sent::of(&r),
        Some(Sent {
            attempts: 2,
            stopped: None
        })
    );
    assert_eq!(
        (limiter.stats().throttled(), limiter.stats().retries()),
        (1, 1)
    );
}

#[tokio::test]
async fn gives_up_with_the_last_response_and_says_why() {
    let server = server(&["minute:1:60"], HeaderMode::None);
    let limiter = SharedLimiter::new(&[]).unwrap();
    let client = client(Pacing::new(limiter.clone()).retry(RetryPolicy {
        max_retries: 0,
        ..RetryPolicy::DEFAULT
    }));
    let get = || client.get(server.base_url()).bearer_auth("key-a").send();
    assert_eq!(get().await.unwrap().status(), 200);
    let r = get().await.unwrap();
    assert_eq!(r.status(), 429);
    let sent = Sent::of(&r).unwrap();
    assert_eq!(
        sent.stopped,
        Some(Stopped::GaveUp(GiveUp::RetriesExhausted { attempts: 1 }))
    );
    assert!(
        r.text().await.unwrap().contains("Too Many Requests"),
        "the body is still there"
    );
}

#[tokio::test]
async fn a_body_that_cannot_be_cloned_is_not_retried_and_the_caller_is_told() {
    let server = server(&["minute:1:2"], HeaderMode::Full);
    let limiter = SharedLimiter::new(&[]).unwrap();
    let client = client(Pacing::new(limiter.clone()));
    let other = headroom_reqwest::client_builder().build().unwrap();
    other
        .get(server.base_url())
        .bearer_auth("key-b")
        .send()
        .await
        .unwrap();
    // A PUT is idempotent, so its 429 would be retried; a streamed body cannot be sent again.
    let stream = futures_util::stream::once(async { Ok::<_, std::io::Error>(b"{}".to_vec()) });
    let r = client
        .put(server.base_url())
        .bearer_auth("key-a")
        .header("content-length", "2")
        .body(reqwest::Body::wrap_stream(stream))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 429);
    let sent = Sent::of(&r).unwrap();
    assert_eq!(
        (sent.attempts, sent.stopped),
        (1, Some(Stopped::BodyNotReplayable))
    );
    assert!(
        sent.stopped
            .unwrap()
            .to_string()
            .contains("cannot be sent again")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn learns_express_rate_limit_draft_8_and_stays_inside_it() {
    let Some(peer) =
        headroom_cli::peers::express("headroom-reqwest express interop", (6, 8), (15, 24))
    else {
        return;
    };
    let port = peer.port("draft-8").unwrap();
    let limiter = SharedLimiter::new(&[]).unwrap();
    let client = client(Pacing::new(limiter.clone()));
    let mut tasks = Vec::new();
    for t in 0..4 {
        let client = client.clone();
        tasks.push(tokio::spawn(async move {
            for i in 0..5 {
                let r = client
                    .get(format!("http://127.0.0.1:{port}/v1/records?t={t}&i={i}"))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(r.status(), 200);
            }
        }));
    }
    for t in tasks {
        t.await.unwrap();
    }
    assert_eq!(limiter.stats().ok(), 20);
    assert_eq!(
        limiter.stats().throttled(),
        0,
        "draft-8 names both windows: none refused"
    );
}
