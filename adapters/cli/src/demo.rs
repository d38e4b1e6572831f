//! `headroom demo`: the whole story in under 30 seconds with nothing but the checkout.
//!
//! Starts [`crate::serve`] in-process on a loopback port with SynthLink's two quotas on scaled
//! windows (60 per 1 s, 1,000 per 20 s), fetches a batch larger than the day quota through the
//! same code as `headroom fetch`, prints progress, and compares the elapsed time with the ideal
//! schedule (every request sent the instant the server's windows allow it).

use crate::fetch::{self, FetchOptions};
use crate::serve::{self, PolicySpec, Quotas, ServeOptions};
use headroom_ureq::{Clock, SystemClock};
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

/// What to run.
#[derive(Clone, Debug)]
pub struct DemoOptions {
    /// Requests in the batch.
    pub requests: usize,
    /// Threads per client.
    pub concurrency: usize,
    /// Clients, each with its own key of the same identity and its own limiter (as separate
    /// processes would be), splitting the batch.
    pub clients: usize,
    /// The server's windows.
    pub policies: Vec<PolicySpec>,
}

impl Default for DemoOptions {
    fn default() -> Self {
        DemoOptions {
            requests: 1100,
            concurrency: 1,
            clients: 1,
            policies: vec![
                PolicySpec {
                    name: "minute".into(),
                    quota: 60,
                    window_s: 1,
                    route: None,
                },
                PolicySpec {
                    name: "day".into(),
                    quota: 1000,
                    window_s: 20,
                    route: None,
                },
            ],
        }
    }
}

/// What happened.
#[derive(Debug)]
pub struct DemoReport {
    /// URLs that ended in 2xx.
    pub succeeded: usize,
    /// URLs in all.
    pub requests: usize,
    /// 429s the server sent.
    pub throttled: u64,
    /// Wall time of the batch, in seconds.
    pub elapsed_s: f64,
    /// The ideal schedule's length, in seconds.
    pub ideal_s: f64,
}

impl DemoReport {
    /// Elapsed over ideal.
    pub fn ratio(&self) -> f64 {
        if self.ideal_s > 0.0 {
            self.elapsed_s / self.ideal_s
        } else {
            1.0
        }
    }
}

/// Runs the demo, writing progress and the summary to `out`.
pub fn run(options: &DemoOptions, out: &mut (impl Write + Send)) -> std::io::Result<DemoReport> {
    let clock = SystemClock::new();
    let keys: Vec<(String, String)> = (0..options.clients.max(1))
        .map(|i| {
            (
                format!("demo-key-{}", i + 1),
                "demo@example.com".to_string(),
            )
        })
        .collect();
    let server = serve::spawn(
        ServeOptions {
            policies: options.policies.clone(),
            keys: keys.clone(),
            ..ServeOptions::default()
        },
        clock.clone(),
    )?;
    let policy_text: Vec<String> = options
        .policies
        .iter()
        .map(|p| format!("{} per {} s", p.quota, p.window_s))
        .collect();
    writeln!(
        out,
        "headroom demo: a SynthLink-compatible server on {} ({}, fixed windows, one identity)",
        server.base_url(),
        policy_text.join(" and ")
    )?;
    writeln!(
        out,
        "fetching {} URLs with {} client(s) × {} threads; the client knows no limits until the server's headers tell it\n",
        options.requests,
        keys.len(),
        options.concurrency
    )?;
    let urls: Vec<String> = (0..options.requests)
        .map(|i| format!("{}/v1/records?limit=10&page={}", server.base_url(), i + 1))
        .collect();
    let per_client = urls.len().div_ceil(keys.len());
    let done = AtomicU64::new(0);
    let start_unix = clock.unix_ms().unwrap_or(0);
    let started = Instant::now();
    let out = std::sync::Mutex::new(out);
    let outcomes: Vec<fetch::Outcome> = std::thread::scope(|s| {
        let progress = s.spawn(|| {
            let mut last = u64::MAX;
            while done.load(Ordering::SeqCst) < urls.len() as u64 {
                std::thread::sleep(std::time::Duration::from_millis(100));
                let (d, secs) = (done.load(Ordering::SeqCst), started.elapsed().as_secs());
                if secs != last {
                    last = secs;
                    let bar = "#".repeat(d as usize * 40 / urls.len().max(1));
                    let _ = writeln!(
                        out.lock().unwrap_or_else(|p| p.into_inner()),
                        "  {secs:>3} s [{bar:<40}] {d:>4}/{}  429s: {}",
                        urls.len(),
                        server.stats.throttled.load(Ordering::Relaxed)
                    );
                }
            }
        });
        let workers: Vec<_> = keys
            .iter()
            .zip(urls.chunks(per_client.max(1)))
            .map(|((key, _), chunk)| {
                let (done, clock, threads) = (&done, clock.clone(), options.concurrency);
                s.spawn(move || {
                    let fetch_options = FetchOptions {
                        headers: vec![("Authorization".into(), format!("Bearer {key}"))],
                        ..FetchOptions::default()
                    };
                    match fetch::client(&fetch_options, clock) {
                        Ok(client) => fetch::run(&client, chunk, threads, |_, _| {
                            done.fetch_add(1, Ordering::SeqCst);
                        }),
                        Err(e) => chunk.iter().map(|u| failed(u, &e.to_string())).collect(),
                    }
                })
            })
            .collect();
        let all = workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect();
        let _ = progress.join();
        all
    });
    let elapsed_s = started.elapsed().as_secs_f64();
    let ideal_ms = Quotas::ideal_finish_ms(&options.policies, start_unix, options.requests as u64)
        - start_unix;
    let report = DemoReport {
        succeeded: outcomes.iter().filter(|o| o.ok()).count(),
        requests: options.requests,
        throttled: server.stats.throttled.load(Ordering::Relaxed),
        elapsed_s,
        ideal_s: ideal_ms as f64 / 1000.0,
    };
    let out = out.into_inner().unwrap_or_else(|p| p.into_inner());
    writeln!(out, "\nsummary")?;
    writeln!(
        out,
        "  succeeded      {}/{}",
        report.succeeded, report.requests
    )?;
    writeln!(out, "  429s received {}", report.throttled)?;
    writeln!(out, "  elapsed        {:.1} s", report.elapsed_s)?;
    writeln!(
        out,
        "  ideal schedule {:.1} s (each request the instant the server's windows allow it)",
        report.ideal_s
    )?;
    writeln!(out, "  ratio          {:.3}× ideal", report.ratio())?;
    Ok(report)
}

fn failed(url: &str, why: &str) -> fetch::Outcome {
    fetch::Outcome {
        url: url.into(),
        status: None,
        attempts: 0,
        body: serde_json::Value::Null,
        error: Some(why.into()),
    }
}
