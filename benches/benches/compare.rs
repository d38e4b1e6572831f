//! headroom side by side with governor (limiting) and sfv (parsing). Benchmark IDs are fixed so
//! results compare over time: acquire/{headroom,governor,redis}, acquire_denied/{headroom,governor},
//! parse/{headroom,device,headroom_sf,sfv}, retry_after_date/headroom. acquire/redis is one acquire through
//! headroom-redis against a redis-server on loopback (its release is not timed); it is left out,
//! with a message, where no redis-server can be started.

use criterion::{Criterion, criterion_group, criterion_main};
use governor::clock::FakeRelativeClock;
use governor::{Quota, RateLimiter};
use headroom_benches::{
    SEED_POLICY, SEED_RATELIMIT, sum_qwrt_headroom, sum_qwrt_sfv, synthlink_configured,
};
use headroom_core::device::Reading;
use headroom_core::header::parse_http_date;
use headroom_core::{Duration, Instant, Observation, Response};
use std::hint::black_box;
use std::num::NonZeroU32;

fn acquire(c: &mut Criterion) {
    let mut g = c.benchmark_group("acquire");
    // 100 s apart, every request fits both of SynthLink's windows: each iteration is a grant.
    g.bench_function("headroom", |b| {
        let mut limiter = synthlink_configured();
        let mut now = Instant::ZERO;
        b.iter(|| {
            now = now + Duration::from_secs(100);
            let grant = limiter.try_acquire(black_box(now)).expect("room");
            limiter.release(grant);
        })
    });
    g.bench_function("governor", |b| {
        let clock = FakeRelativeClock::default();
        let quota = Quota::per_minute(NonZeroU32::new(60).unwrap());
        let limiter = RateLimiter::direct_with_clock(quota, clock.clone());
        b.iter(|| {
            clock.advance(std::time::Duration::from_secs(100));
            limiter.check().expect("room");
        })
    });
    match headroom_benches::redis_store() {
        Ok((_server, store)) => {
            g.bench_function("redis", |b| {
                b.iter_custom(|n| {
                    let mut timed = std::time::Duration::ZERO;
                    for _ in 0..n {
                        let t = std::time::Instant::now();
                        let acquired = store.try_acquire().expect("redis answers");
                        timed += t.elapsed();
                        match acquired {
                            headroom_redis::Acquired::Granted(g) => {
                                store.release(g).expect("release")
                            }
                            other => panic!("refused: {other:?}"),
                        }
                    }
                    timed
                })
            });
        }
        Err(why) => eprintln!("acquire/redis left out: {why}"),
    }
    g.finish();

    let mut g = c.benchmark_group("acquire_denied");
    g.bench_function("headroom", |b| {
        let mut limiter = synthlink_configured();
        while let Ok(grant) = limiter.try_acquire(Instant::ZERO) {
            limiter.release(grant);
        }
        b.iter(|| limiter.try_acquire(black_box(Instant::ZERO)).unwrap_err())
    });
    g.bench_function("governor", |b| {
        let clock = FakeRelativeClock::default();
        let quota = Quota::per_minute(NonZeroU32::new(60).unwrap());
        let limiter = RateLimiter::direct_with_clock(quota, clock);
        while limiter.check().is_ok() {}
        b.iter(|| limiter.check().unwrap_err())
    });
    g.finish();
}

/// (quota, window, remaining, reset) summed over the policies, so nothing is optimised away.
/// `parse/headroom` is the whole response reduction (`Observation::of` on the two fields:
/// validation, name lookups and copies, merging by name), as a caller gets it.
/// `parse/headroom_sf` does what sfv's side does: both Lists parsed (validated whole) and the
/// Integer `q`, `w`, `r` and `t` of their Items summed, through `sf::walk_list`.
fn parse(c: &mut Criterion) {
    let mut g = c.benchmark_group("parse");
    g.bench_function("headroom", |b| {
        b.iter(|| {
            let headers = [
                ("RateLimit-Policy", black_box(SEED_POLICY)),
                ("RateLimit", black_box(SEED_RATELIMIT)),
            ];
            let obs: Observation = Observation::of(&Response::new(200, headers), &mut []);
            let secs = |d: Option<Duration>| d.map_or(0, |d| d.as_secs_ceil());
            obs.policies()
                .iter()
                .map(|p| {
                    u64::from(p.quota().unwrap_or(0) + p.remaining().unwrap_or(0))
                        + secs(p.window())
                        + secs(p.reset())
                })
                .sum::<u64>()
        })
    });
    // The device path's whole reduction: both Lists validated, their policies' numbers kept
    // by name hash (`headroom_core::device::Reading`).
    g.bench_function("device", |b| {
        b.iter(|| {
            let headers = [
                ("RateLimit-Policy", black_box(SEED_POLICY)),
                ("RateLimit", black_box(SEED_RATELIMIT)),
            ];
            Reading::of(&Response::new(200, headers))
        })
    });
    let fields = [SEED_POLICY, SEED_RATELIMIT];
    g.bench_function("headroom_sf", |b| {
        b.iter(|| sum_qwrt_headroom(black_box(&fields)).unwrap())
    });
    g.bench_function("sfv", |b| {
        b.iter(|| sum_qwrt_sfv(black_box(&fields)).unwrap())
    });
    g.finish();

    c.bench_function("retry_after_date/headroom", |b| {
        b.iter(|| parse_http_date(black_box(b"Sun, 06 Nov 1994 08:49:37 GMT"), None).unwrap())
    });
}

criterion_group!(benches, acquire, parse);
criterion_main!(benches);
