//! Interop with a real third-party server: express-rate-limit from npm (versions pinned in
//! `tests/express/package.json` and its lock file), with `standardHeaders` draft-6, draft-7,
//! draft-8 and legacy `X-RateLimit-*` headers, two stacked limiters each ("minute" then "day",
//! scaled to 6 per 8 s and 15 per 24 s).
//!
//! Needs node and `npm ci` in `tests/express`. Without them these tests print why and pass,
//! unless `HEADROOM_REQUIRE_PEERS` is set (`.ci/run` sets it), when they fail.
//!
//! Stacked express limiters before draft-8 write the same unnamed header fields, so a 2xx shows
//! only the last limiter's ("day") numbers and the "minute" limit shows only on its own 429s. A
//! client learning from headers alone therefore meets one 429 per draft-6/7 run (after which it
//! knows the minute window from `RateLimit-Policy`), and one per minute window with legacy
//! headers (which carry no window); configured with the minute rate, none at all.

use headroom_cli::peers::{ExpressPeer as Peer, express};
use headroom_ureq::{Client, Rate, SharedLimiter};

// Windows of 8 s and more: the limiter's send-time guard is 1/64 of a window (125 ms here), and
// on a loaded machine a request can reach the server that much later than it was granted.
const MINUTE: (u32, u64) = (6, 8);
const DAY: (u32, u64) = (15, 24);
/// More than a day window's quota, so every run crosses a day reset.
const BATCH: u32 = 20;

/// What one client saw working through the batch.
#[derive(Debug)]
struct Run {
    mode: &'static str,
    configured: bool,
    ok: u32,
    throttled: u64,
    /// Policies the limiter learned, as (quota, window_s), sorted.
    learned: Vec<(u32, u64)>,
}

fn run(peer: &Peer, mode: &'static str, configured: bool) -> Run {
    let port = peer.port(mode).expect("port for mode");
    let rates: Vec<Rate> = if configured {
        vec![format!("{}/{}s", MINUTE.0, MINUTE.1).parse().unwrap()]
    } else {
        Vec::new()
    };
    let key = format!("Bearer {mode}-{configured}");
    let client = Client::builder(SharedLimiter::new(&rates).unwrap())
        .header("Authorization", &key)
        .build();
    let mut ok = 0;
    for i in 0..BATCH {
        let url = format!("http://127.0.0.1:{port}/v1/records?i={i}");
        match client.get(&url) {
            Ok(r) if r.status() == 200 => ok += 1,
            Ok(r) => panic!("{mode}: {url} ended in {}", r.status()),
            Err(e) => panic!("{mode}: {url}: {e}"),
        }
    }
    let limiter = client.limiter().snapshot();
    let w = limiter.windows();
    let rules = [w.0.rule(), w.1.rule(), w.2.rule(), w.3.rule()];
    let mut learned: Vec<(u32, u64)> = rules
        .iter()
        .filter(|rule| !rule.is_local())
        .filter_map(|rule| Some((rule.quota()?, rule.length().as_millis() / 1000)))
        .collect();
    learned.sort();
    Run {
        mode,
        configured,
        ok,
        throttled: client.stats().throttled(),
        learned,
    }
}

#[test]
fn express_rate_limit_in_every_header_mode() {
    let Some(peer) = express("express-rate-limit interop", MINUTE, DAY) else {
        return;
    };
    let modes = ["draft-6", "draft-7", "draft-8", "legacy"];
    let runs: Vec<Run> = std::thread::scope(|s| {
        let handles: Vec<_> = modes
            .iter()
            .flat_map(|&m| [(m, false), (m, true)])
            .map(|(m, c)| {
                let peer = &peer;
                s.spawn(move || run(peer, m, c))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    for r in &runs {
        eprintln!("{r:?}");
        assert_eq!(r.ok, BATCH, "{r:?}");
        let allowed = match (r.mode, r.configured) {
            (_, true) | ("draft-8", _) => 0,
            ("draft-6" | "draft-7", _) => 1,
            // One per minute window the batch spans.
            _ => u64::from(BATCH.div_ceil(MINUTE.0)) + 1,
        };
        assert!(r.throttled <= allowed, "{r:?}: more than {allowed} 429s");
        // Whatever the server declares with a window is learned: both limiters with draft-8,
        // and with draft-6/7 the day's on every 2xx and the minute's on its 429. A configured
        // minute rate takes the server's minute policy into the configured window instead.
        let expected: &[(u32, u64)] = match (r.mode, r.configured) {
            ("legacy", _) => &[],
            (_, false) => &[(MINUTE.0, MINUTE.1), (DAY.0, DAY.1)],
            (_, true) => &[(DAY.0, DAY.1)],
        };
        assert_eq!(r.learned, expected, "{r:?}");
    }
}
