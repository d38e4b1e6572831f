//! The quota-utilization simulation, in virtual time (nothing sleeps).
//!
//! The server is `headroom serve`'s own model ([`Quotas`]: fixed windows aligned to the clock,
//! counted per identity, answered with serve's headers). Clients of one identity, each with its
//! own limiter (separate processes or devices) and one or more threads sharing it, work
//! through a batch; every request travels to the server and back with a jittered delay, so
//! requests of different clients interleave as they do on a real network. Each [`Strategy`]
//! is a way to pace them.

use headroom_cli::serve::{self, HeaderMode, PolicySpec, Quotas};
use headroom_core::backoff::Backoff;
use headroom_core::device::{Device, Reading};
use headroom_core::limiter::{Config, Grant, Limiter};
use headroom_core::observation::Observation;
use headroom_core::time::{Duration, Instant};
use headroom_std::Rate;
use headroom_std::shared::{StdWindows, std_windows};
use rand::rngs::SmallRng;
use rand::{RngExt, SeedableRng};
use std::cmp::Reverse;
use std::collections::BinaryHeap;

/// How a client paces itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Strategy {
    /// headroom, configured with nothing, learning and syncing from the server's headers.
    HeadroomSynced,
    /// headroom configured with the server's limits, ignoring its rate-limit headers (it still
    /// honours `Retry-After`).
    HeadroomConfigured,
    /// The seeds' naive client: sliding windows at 80 % of the documented quotas, waiting out
    /// `Retry-After` on a 429.
    NaiveSliding80,
    /// headroom's device path ([`headroom_core::device`]), learning and syncing from the
    /// server's headers.
    DeviceSynced,
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
            Strategy::DeviceSynced => "headroom's device path, synced from headers",
        }
    }
}

/// SynthLink's own windows: 60 per minute, 1,000 per day.
pub fn synthlink() -> Vec<PolicySpec> {
    serve::synthlink_policy()
}

/// Scaled windows (30 per 10 s, 100 per 60 s), as the many-clients measurements use.
pub fn scaled() -> Vec<PolicySpec> {
    policies(&[(30, 10), (100, 60)])
}

/// Windows `(quota, seconds)`, named `w0`, `w1`, ….
pub fn policies(windows: &[(u64, u64)]) -> Vec<PolicySpec> {
    windows
        .iter()
        .enumerate()
        .map(|(i, &(quota, window_s))| PolicySpec {
            name: format!("w{i}"),
            quota,
            window_s,
            route: None,
        })
        .collect()
}

/// One run's setting.
#[derive(Clone, Debug)]
pub struct Scenario {
    /// The server's windows.
    pub policies: Vec<PolicySpec>,
    /// How the clients pace themselves.
    pub strategy: Strategy,
    /// Clients of the identity, each with its own limiter.
    pub clients: usize,
    /// Threads (or tasks) per client, sharing its limiter.
    pub threads: usize,
    /// Requests in the batch, split evenly between the clients.
    pub requests: u64,
    /// Unix time of the start, ms.
    pub start_ms: u64,
    /// Mean round trip, ms; each one-way trip takes between half and 1.5 times its half.
    pub rtt_ms: u64,
    /// Every client starts at the same instant (a fleet after a power cut); otherwise each
    /// starts at a random point within its first two round trips.
    pub together: bool,
    /// Client 0 stops once it is halfway through its share; the rest of it is never sent.
    pub peer_stops: bool,
    /// Seeds the jitter.
    pub seed: u64,
}

impl Scenario {
    /// `clients` synced headroom clients of one thread on `policies`, 120 ms round trips.
    pub fn new(policies: Vec<PolicySpec>, clients: usize, requests: u64) -> Self {
        Scenario {
            policies,
            strategy: Strategy::HeadroomSynced,
            clients,
            threads: 1,
            requests,
            start_ms: START_MS,
            rtt_ms: 120,
            together: false,
            peer_stops: false,
            seed: 1,
        }
    }
}

/// 2026-11-03 03:17:23.4 UTC: not aligned to any window.
pub const START_MS: u64 = 1_793_675_843_400;

/// What one run gave.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Outcome {
    /// When the server accepted the batch's last request, over the ideal schedule's.
    pub ratio: f64,
    /// 429s received.
    pub throttled: u64,
    /// Requests sent in all.
    pub sent: u64,
    /// Requests the server accepted (the batch, less what a stopped peer never sent).
    pub accepted: u64,
}

impl Outcome {
    /// 429s in percent of the requests sent.
    pub fn throttled_percent(&self) -> f64 {
        100.0 * self.throttled as f64 / self.sent.max(1) as f64
    }
}

type SimLimiter = Limiter<StdWindows, 4>;

struct Client {
    limiter: Option<SimLimiter>,
    device: Option<Box<Device>>,
    /// Requests of its share not yet accepted.
    left: u64,
    /// Requests of its share not yet handed to a thread.
    queued: u64,
    /// Stop handing out work once `left` falls to this (a peer that stops).
    stop_at: u64,
    failures: u32,
    previous_backoff: Duration,
}

enum Event {
    /// A thread of client `.0` looks for work (`.1`: its thread, `.2`: the wake's generation).
    Wake(usize, usize, u64),
    /// A request of client `.0`'s thread `.1` reaches the server.
    Arrive(usize, usize, Option<Grant>),
    /// Its response reaches the client.
    Return(
        usize,
        usize,
        Option<Grant>,
        u16,
        Vec<(&'static str, String)>,
    ),
}

struct Queue {
    heap: BinaryHeap<Reverse<(u64, u64)>>,
    events: Vec<Option<Event>>,
}

impl Queue {
    fn push(&mut self, at: u64, e: Event) {
        self.heap.push(Reverse((at, self.events.len() as u64)));
        self.events.push(Some(e));
    }

    fn pop(&mut self) -> Option<(u64, Event)> {
        let Reverse((at, i)) = self.heap.pop()?;
        self.events[i as usize].take().map(|e| (at, e))
    }
}

/// Runs one scenario.
pub fn run(s: &Scenario) -> Outcome {
    let quotas = Quotas::new(s.policies.clone());
    let mut rng = SmallRng::seed_from_u64(s.seed);
    let clients = s.clients.max(1);
    let threads = s.threads.max(1);
    let mut all: Vec<Client> = (0..clients)
        .map(|i| {
            let share =
                s.requests / clients as u64 + u64::from((i as u64) < s.requests % clients as u64);
            Client {
                limiter: limiter(s),
                device: (s.strategy == Strategy::DeviceSynced).then(|| Box::new(Device::new())),
                left: share,
                queued: share,
                stop_at: if s.peer_stops && i == 0 { share / 2 } else { 0 },
                failures: 0,
                previous_backoff: Duration::ZERO,
            }
        })
        .collect();
    let mut queue = Queue {
        heap: BinaryHeap::new(),
        events: Vec::new(),
    };
    // Each waiting thread's wake generation: a response wakes every waiter of its client early
    // (as the adapters do), which makes the wake scheduled for its deadline stale.
    let mut generation = vec![vec![0u64; threads]; clients];
    let mut waiting = vec![vec![false; threads]; clients];
    for (c, gens) in generation.iter().enumerate() {
        for (t, &g) in gens.iter().enumerate() {
            let offset = if s.together {
                0
            } else {
                rng.random_range(0..=2 * s.rtt_ms)
            };
            queue.push(s.start_ms + offset + t as u64, Event::Wake(c, t, g));
        }
    }
    let one_way = |rng: &mut SmallRng| {
        let half = s.rtt_ms.max(2) / 2;
        rng.random_range(half / 2..=half + half / 2)
    };
    let (mut throttled, mut sent, mut accepted, mut last_accept) = (0, 0, 0, s.start_ms);
    let synced = s.strategy == Strategy::HeadroomSynced;
    while let Some((now, event)) = queue.pop() {
        match event {
            Event::Wake(c, t, g) => {
                if g != generation[c][t] {
                    continue;
                }
                waiting[c][t] = false;
                let client = &mut all[c];
                if client.queued == 0 || client.left <= client.stop_at {
                    continue; // no work left for this thread
                }
                if let Some(device) = client.device.as_mut()
                    && let Err(denied) = device.acquire(Instant::from_millis(now))
                {
                    waiting[c][t] = true;
                    let at = denied.until.as_millis().max(now + 1);
                    queue.push(at, Event::Wake(c, t, g));
                    continue;
                }
                let grant = match client.limiter.as_mut() {
                    None => None,
                    Some(l) => match l.try_acquire(Instant::from_millis(now)) {
                        Ok(grant) => Some(grant),
                        Err(denied) => {
                            waiting[c][t] = true;
                            let at = denied.until.as_millis().max(now + 1);
                            queue.push(at, Event::Wake(c, t, g));
                            continue;
                        }
                    },
                };
                client.queued -= 1;
                sent += 1;
                queue.push(now + one_way(&mut rng), Event::Arrive(c, t, grant));
            }
            Event::Arrive(c, t, grant) => {
                let verdict = quotas.take("identity", now);
                let status = if verdict.allowed { 200 } else { 429 };
                if verdict.allowed {
                    accepted += 1;

                    last_accept = now;
                } else {
                    throttled += 1;
                }
                let headers = serve::rate_limit_headers(HeaderMode::Full, &s.policies, &verdict);
                queue.push(
                    now + one_way(&mut rng),
                    Event::Return(c, t, grant, status, headers),
                );
            }
            Event::Return(c, t, grant, status, headers) => {
                let client = &mut all[c];
                let seen = headers
                    .iter()
                    .filter(|(name, _)| synced || *name == "Retry-After")
                    .map(|(name, value)| (*name, value.as_bytes()));
                let obs: Observation =
                    Observation::of(&headroom_core::Response::new(status, seen), &mut [0; 256]);
                let mut resume = now;
                if status == 200 {
                    client.left -= 1;
                    client.failures = 0;
                } else {
                    client.queued += 1; // sent again
                    if grant.is_none() && client.device.is_none() {
                        let delay = Backoff::DEFAULT.delay(
                            client.failures,
                            client.previous_backoff,
                            &mut rng,
                        );
                        client.failures += 1;
                        client.previous_backoff = delay;
                        resume = now + delay.as_millis();
                    }
                }
                if let Some(device) = client.device.as_mut() {
                    let all = headers
                        .iter()
                        .map(|(name, value)| (*name, value.as_bytes()));
                    let reading = Reading::of(&headroom_core::Response::new(status, all));
                    device.observe(Instant::from_millis(now), &reading);
                }
                if let (Some(l), Some(g)) = (client.limiter.as_mut(), grant) {
                    l.observe(Instant::from_millis(now), g, &obs);
                }
                generation[c][t] += 1;
                queue.push(resume, Event::Wake(c, t, generation[c][t]));
                for w in 0..threads {
                    if waiting[c][w] {
                        generation[c][w] += 1;
                        waiting[c][w] = false;
                        queue.push(now, Event::Wake(c, w, generation[c][w]));
                    }
                }
            }
        }
    }
    let first_arrival = s.start_ms + s.rtt_ms / 2;
    let ideal = Quotas::ideal_finish_ms(&s.policies, first_arrival, accepted);
    Outcome {
        ratio: (last_accept - s.start_ms) as f64 / (ideal - s.start_ms).max(1) as f64,
        throttled,
        sent,
        accepted,
    }
}

fn limiter(s: &Scenario) -> Option<SimLimiter> {
    let configured = |permille| {
        let rates: Vec<Rate> = s
            .policies
            .iter()
            .map(|p| Rate {
                quota: p.quota as u32,
                per: Duration::from_secs(p.window_s),
            })
            .collect();
        let config = Config {
            quota_permille: permille,
            ..Config::DEFAULT
        };
        Some(Limiter::new(std_windows(&rates).ok()?, config))
    };
    match s.strategy {
        Strategy::HeadroomSynced => Some(Limiter::new(std_windows(&[]).ok()?, Config::DEFAULT)),
        Strategy::HeadroomConfigured => configured(1000),
        Strategy::NaiveSliding80 => configured(800),
        Strategy::RetryOnly | Strategy::DeviceSynced => None,
    }
}
