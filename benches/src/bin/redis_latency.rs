//! Acquire latency through headroom-redis against a redis-server on loopback: the median and
//! 99th percentile of 5,000 acquires (each released untimed), and the round trips per acquire
//! counted by Redis itself (`INFO commandstats`).
//!
//! usage: cargo run --release -p headroom-benches --bin redis_latency

use headroom_redis::Acquired;
use std::time::Instant;

fn calls(server: &headroom_redis::server::RedisServer) -> u64 {
    let info = server.cli(&["INFO", "commandstats"]).unwrap_or_default();
    // The commands a client sends to run the script (EVALSHA, and EVAL or SCRIPT after a
    // NOSCRIPT); the commands the script runs inside are counted apart, as their own.
    info.lines()
        .filter(|l| {
            ["cmdstat_evalsha:", "cmdstat_eval:", "cmdstat_script|"]
                .iter()
                .any(|c| l.starts_with(c))
        })
        .filter_map(|l| {
            l.split("calls=")
                .nth(1)?
                .split(',')
                .next()?
                .parse::<u64>()
                .ok()
        })
        .sum()
}

fn main() {
    let (server, store) = match headroom_benches::redis_store() {
        Ok(s) => s,
        Err(why) => {
            eprintln!("redis_latency: {why}");
            std::process::exit(1);
        }
    };
    const N: usize = 5_000;
    let mut samples = Vec::with_capacity(N);
    let before = calls(&server);
    for _ in 0..N {
        let t = Instant::now();
        let acquired = store.try_acquire().expect("redis answers");
        samples.push(t.elapsed());
        match acquired {
            Acquired::Granted(g) => store.release(g).expect("release"),
            other => panic!("refused: {other:?}"),
        }
    }
    // Each iteration's release is a round trip of its own.
    let acquire_calls = calls(&server) - before - N as u64;
    samples.sort();
    let at = |p: f64| samples[((samples.len() as f64 * p) as usize).min(samples.len() - 1)];
    println!(
        "acquire through Redis on loopback, {N} acquires: median {:?}, p99 {:?}, {:.2} round trips per acquire",
        at(0.5),
        at(0.99),
        acquire_calls as f64 / N as f64
    );
}
