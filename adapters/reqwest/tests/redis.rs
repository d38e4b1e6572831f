//! 8 tasks in 2 processes, one identity, its state in a real Redis (started on loopback in a
//! temp dir): no 429 from `headroom serve`. The second process is this test binary again,
//! run with `HEADROOM_CHILD` set.

use headroom_cli::serve::{self, ServeOptions};
use headroom_redis::server::RedisServer;
use headroom_reqwest::{Pacing, SharedLimiter, SystemClock};
use std::sync::atomic::Ordering;

const TEST: &str = "eight_tasks_in_two_processes_share_one_quota_through_redis";

/// Four tasks, three requests each, through a limiter kept in the Redis at `redis`.
async fn four_tasks(redis: &str, base: &str, process: u32) {
    let limiter = SharedLimiter::with_redis(redis, "dev@example.com", &[]).unwrap();
    let inner = headroom_reqwest::client_builder().build().unwrap();
    let client = reqwest_middleware::ClientBuilder::new(inner)
        .with(Pacing::new(limiter))
        .build();
    let mut tasks = Vec::new();
    for t in 0..4 {
        let (client, base) = (client.clone(), base.to_string());
        tasks.push(tokio::spawn(async move {
            for i in 0..3 {
                let r = client
                    .get(format!("{base}/v1/records?p={process}&t={t}&i={i}"))
                    .bearer_auth(if process == 0 { "key-a" } else { "key-b" })
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
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn eight_tasks_in_two_processes_share_one_quota_through_redis() {
    if let (Ok(redis), Ok(base)) = (
        std::env::var("HEADROOM_CHILD_REDIS"),
        std::env::var("HEADROOM_CHILD_BASE"),
    ) {
        four_tasks(&redis, &base, 1).await;
        return;
    }
    let Some(redis) = RedisServer::for_test(TEST) else {
        return;
    };
    let opts = ServeOptions {
        policies: ["minute:6:1", "day:15:3"]
            .iter()
            .map(|s| s.parse().unwrap())
            .collect(),
        ..ServeOptions::default()
    };
    let server = serve::spawn(opts, SystemClock::new()).unwrap();
    let child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([TEST, "--exact", "--nocapture"])
        .env("HEADROOM_CHILD_REDIS", redis.url())
        .env("HEADROOM_CHILD_BASE", server.base_url())
        .spawn()
        .unwrap();
    four_tasks(&redis.url(), &server.base_url(), 0).await;
    let status = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .unwrap()
        .unwrap()
        .status;
    assert!(status.success(), "the second process failed");
    assert_eq!(server.stats.ok.load(Ordering::Relaxed), 24);
    assert_eq!(server.stats.throttled.load(Ordering::Relaxed), 0);
}
