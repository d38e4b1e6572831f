//! The quota-utilization simulation, in virtual time (nothing sleeps).
//!
//! A server with SynthLink's policy (60 per minute, 1,000 per day, fixed windows aligned to the
//! clock, counted per identity, the seed's header formats) and clients working through a batch
//! one request at a time, with a fixed round trip. Each [`Strategy`] is a way to pace them.

use headroom_core::backoff::Backoff;
use headroom_core::limiter::{Config, Limiter};
use headroom_core::observation::Observation;
use headroom_core::time::{Duration, Instant};
use headroom_core::window::{Log, Window};
use rand::SeedableRng;
use rand::rngs::SmallRng;

/// SynthLink's windows: (quota, length in ms).
pub const SYNTHLINK: [(u64, u64); 2] = [(60, 60_000), (1000, 86_400_000)];

/// How a client paces itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// headroom, configured with nothing, learning and syncing from the server's headers.
    HeadroomSynced,
    /// headroom configured with 60/min and 1,000/day, ignoring the server's rate-limit headers
    /// (it still honours `Retry-After`).
    HeadroomConfigured,
    /// The seeds' naive client: sliding windows at 80 % of the documented quotas, waiting out
    /// `Retry-After` on a 429.
    NaiveSliding80,
    /// No limiter: send, and on a 429 back off exponentially (1 s × 2ⁿ, capped at 60 s,
    /// jittered), ignoring what the server says.
    RetryOnly,
}

impl Strategy {
    /// All, in table order.
    pub const ALL: [Strategy; 4] = [
        Strategy::HeadroomSynced,
        Strategy::HeadroomConfigured,
        Strategy::NaiveSliding80,
        Strategy::RetryOnly,
    ];

    /// The table's label.
    pub fn label(self) -> &'static str {
        match self {
            Strategy::HeadroomSynced => "headroom, synced from headers",
            Strategy::HeadroomConfigured => "headroom, configured limits only",
            Strategy::NaiveSliding80 => "naive sliding window at 80 %",
            Strategy::RetryOnly => "retry-only (exponential backoff)",
        }
    }
}

/// A fixed-window server for one identity.
struct Server {
    counts: [(u64, u64); 2], // (window index, count)
}

impl Server {
    /// Answers a request arriving at `t` ms: status and the seed's headers.
    fn handle(&mut self, t: u64) -> (u16, [(&'static str, String); 3]) {
        for (i, &(_, w)) in SYNTHLINK.iter().enumerate() {
            if self.counts[i].0 != t / w {
                self.counts[i] = (t / w, 0);
            }
        }
        let full = SYNTHLINK
            .iter()
            .zip(&self.counts)
            .any(|(&(q, _), &(_, c))| c >= q);
        if !full {
            self.counts.iter_mut().for_each(|c| c.1 += 1);
        }
        let reset = |i: usize| ((self.counts[i].0 + 1) * SYNTHLINK[i].1 - t).div_ceil(1000);
        let remaining = |i: usize| SYNTHLINK[i].0 - self.counts[i].1;
        // Retry-After: until every full window has reset.
        let retry_after = (0..2)
            .filter(|&i| remaining(i) == 0)
            .map(reset)
            .max()
            .unwrap_or(0);
        let headers = [
            (
                "RateLimit-Policy",
                r#""minute";q=60;w=60, "day";q=1000;w=86400"#.to_string(),
            ),
            (
                "RateLimit",
                format!(
                    r#""minute";r={};t={}, "day";r={};t={}"#,
                    remaining(0),
                    reset(0),
                    remaining(1),
                    reset(1)
                ),
            ),
            (
                "Retry-After",
                if full {
                    retry_after.to_string()
                } else {
                    String::new()
                },
            ),
        ];
        (if full { 429 } else { 200 }, headers)
    }
}

type SimLimiter = Limiter<(Window<Log<64>>, Window<Log<1024>>)>;

/// One sequential client.
struct Client {
    strategy: Strategy,
    limiter: SimLimiter,
    left: u64,
    next: u64,
    failures: u32,
    previous_backoff: Duration,
    rng: SmallRng,
}

impl Client {
    fn new(strategy: Strategy, n: u64, start: u64, seed: u64) -> Self {
        let configured = |permille| {
            Limiter::new(
                (
                    Window::exact(60, Duration::from_secs(60)),
                    Window::exact(1000, Duration::from_secs(86_400)),
                ),
                Config {
                    quota_permille: permille,
                    ..Config::DEFAULT
                },
            )
        };
        let limiter = match strategy {
            Strategy::HeadroomSynced => Limiter::new(
                (Window::learned_exact(), Window::learned_exact()),
                Config::DEFAULT,
            ),
            Strategy::NaiveSliding80 => configured(800),
            _ => configured(1000),
        };
        Client {
            strategy,
            limiter,
            left: n,
            next: start,
            failures: 0,
            previous_backoff: Duration::ZERO,
            rng: SmallRng::seed_from_u64(seed),
        }
    }
}

/// What one run gave.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    /// When the server accepted the batch's last request, over the ideal schedule's.
    pub ratio: f64,
    /// 429s received.
    pub throttled: u64,
    /// Requests sent in all.
    pub sent: u64,
}

/// Runs `clients` clients of one identity, splitting `n` requests, from `start` ms, with a
/// round trip of `rtt` ms.
pub fn run(strategy: Strategy, clients: u64, n: u64, start: u64, rtt: u64) -> Outcome {
    let mut server = Server {
        counts: [(0, 0); 2],
    };
    let mut all: Vec<Client> = (0..clients)
        .map(|i| {
            Client::new(
                strategy,
                n / clients + u64::from(i < n % clients),
                start,
                i + 1,
            )
        })
        .collect();
    let (mut throttled, mut sent, mut last_accept) = (0, 0, start);
    let backoff = Backoff::DEFAULT;
    // Each client is sequential and the round trip is fixed, so serving clients in order of
    // their send times serves requests in order of arrival.
    while let Some(c) = all.iter_mut().filter(|c| c.left > 0).min_by_key(|c| c.next) {
        let now = c.next;
        let grant = if c.strategy == Strategy::RetryOnly {
            None
        } else {
            match c.limiter.try_acquire(Instant::from_millis(now)) {
                Ok(g) => Some(g),
                Err(d) => {
                    c.next = d.until.as_millis().max(now + 1);
                    continue;
                }
            }
        };
        sent += 1;
        let arrive = now + rtt / 2;
        let (status, headers) = server.handle(arrive);
        let back = now + rtt;
        c.next = back;
        if status == 200 {
            c.left -= 1;
            c.failures = 0;
            last_accept = arrive;
        } else {
            throttled += 1;
        }
        let synced = c.strategy == Strategy::HeadroomSynced;
        let seen = headers
            .iter()
            .filter(|(name, value)| !value.is_empty() && (synced || *name == "Retry-After"))
            .map(|(name, value)| (*name, value.as_bytes()));
        let obs: Observation = Observation::parse(Some(status), seen, None, None, &mut [0; 128]);
        if let Some(g) = grant {
            c.limiter.observe(Instant::from_millis(back), g, &obs);
        } else if status == 429 {
            let delay = backoff.delay(c.failures, c.previous_backoff, &mut c.rng);
            c.failures += 1;
            c.previous_backoff = delay;
            c.next = back + delay.as_millis();
        }
    }
    let ideal = ideal_finish(start + rtt / 2, n);
    Outcome {
        ratio: (last_accept - start) as f64 / (ideal - start).max(1) as f64,
        throttled,
        sent,
    }
}

/// When the `n`-th request would be accepted arriving the instant the windows allow, from `t`.
pub fn ideal_finish(mut t: u64, n: u64) -> u64 {
    let mut server = Server {
        counts: [(0, 0); 2],
    };
    let mut done = 0;
    loop {
        if server.handle(t).0 == 200 {
            done += 1;
            if done == n {
                return t;
            }
        } else {
            t = SYNTHLINK
                .iter()
                .map(|&(_, w)| (t / w + 1) * w)
                .min()
                .unwrap_or(t + 1);
        }
    }
}
