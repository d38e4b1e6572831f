//! Benchmarks of headroom against its peers (`benches/compare.rs`, criterion) and the
//! quota-utilization simulation (`src/bin/utilization.rs`).
//!
//! ```sh
//! cargo bench -p headroom-benches                       # full criterion runs
//! cargo bench -p headroom-benches -- --quick            # what CI runs
//! cargo run --release -p headroom-benches --bin utilization
//! ```
//!
//! The library holds what both share: the SynthLink policy and its limiter type.

use headroom_core::limiter::{Config, Limiter};
use headroom_core::time::Duration;
use headroom_core::window::{Buckets, Log, Window};

pub mod sim;

/// A limiter for SynthLink's documented policy: 60/min exact, 1,000/day in 56 buckets.
pub type SynthLink = Limiter<(Window<Log<60>>, Window<Buckets<56>>)>;

/// The SynthLink policy, configured locally.
pub fn synthlink_configured() -> SynthLink {
    Limiter::new(
        (
            Window::exact(60, Duration::from_secs(60)),
            Window::bucketed(1000, Duration::from_secs(86_400)),
        ),
        Config::DEFAULT,
    )
}

/// The seed's `RateLimit-Policy` value.
pub const SEED_POLICY: &[u8] = br#""minute";q=60;w=60, "day";q=1000;w=86400"#;
/// The seed's `RateLimit` value.
pub const SEED_RATELIMIT: &[u8] = br#""minute";r=42;t=12, "day";r=913;t=43120"#;

/// The parse benchmarks' like-for-like work: each field parsed as a List (validated whole)
/// and the Integer `q`, `w`, `r` and `t` parameters of its Items summed (0 when absent), here
/// through headroom's one-pass `sf::walk_list`; `None` when a field is not a List.
pub fn sum_qwrt_headroom(fields: &[&[u8]]) -> Option<u64> {
    use headroom_core::sf::{self, BareItem, Step};
    let mut sum = 0u64;
    for field in fields {
        let mut in_item = false;
        sf::walk_list(field, |step| match step {
            Step::Item(_) => in_item = true,
            Step::InnerList => in_item = false,
            Step::Param(b"q" | b"w" | b"r" | b"t", BareItem::Integer(i)) if in_item => {
                sum = sum.wrapping_add(i as u64);
            }
            Step::Param(..) => {}
        })
        .ok()?;
    }
    Some(sum)
}

/// [`sum_qwrt_headroom`] through sfv: each List parsed into owned values, then each Item's
/// four parameters looked up.
pub fn sum_qwrt_sfv(fields: &[&[u8]]) -> Option<u64> {
    let int = |item: &sfv::Item, key: &str| -> u64 {
        item.params
            .get(key)
            .and_then(|v| v.as_integer())
            .map_or(0, |i| i64::from(i) as u64)
    };
    let mut sum = 0u64;
    for field in fields {
        let list: sfv::List = sfv::Parser::new(field).parse().ok()?;
        for entry in &list {
            if let sfv::ListEntry::Item(item) = entry {
                let four = int(item, "q") + int(item, "w") + int(item, "r") + int(item, "t");
                sum = sum.wrapping_add(four);
            }
        }
    }
    Some(sum)
}

/// A headroom-redis store on a fresh redis-server on loopback, with SynthLink's windows and
/// a clock that moves 100 s at every step (so every acquire is granted), past the first
/// response. The server stops when the first value drops.
pub fn redis_store() -> Result<
    (
        headroom_redis::server::RedisServer,
        headroom_redis::RedisLimiter,
    ),
    String,
> {
    use std::sync::atomic::{AtomicU64, Ordering};
    let server = headroom_redis::server::RedisServer::start()?;
    let clock = AtomicU64::new(1_800_000_000_000);
    let windows = [
        (60, Duration::from_secs(60)),
        (1000, Duration::from_secs(86_400)),
    ];
    let store =
        headroom_redis::RedisLimiter::connect(&server.url(), "bench", &windows, Config::DEFAULT)
            .map_err(|e| e.to_string())?
            .with_clock(move || clock.fetch_add(100_000, Ordering::Relaxed));
    match store.try_acquire().map_err(|e| e.to_string())? {
        headroom_redis::Acquired::Granted(g) => {
            let plain: headroom_core::Observation =
                headroom_core::Observation::of(&headroom_core::Response::new(200, []), &mut []);
            store.observe(g, &plain).map_err(|e| e.to_string())?;
        }
        other => return Err(format!("the first acquire was refused: {other:?}")),
    }
    Ok((server, store))
}
