//! The quota-utilization tables: `cargo run --release -p headroom-benches --bin utilization [FILE]`.
//! Prints Markdown tables and writes them to FILE (default `benches/utilization.md`).

use headroom_benches::sim::{self, Outcome, Scenario, Strategy};
use std::fmt::Write;

/// Seeds per row: the tables give the 429s over all of them and the worst completion.
const SEEDS: u64 = 5;

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/utilization.md").to_string());
    let mut out = String::new();
    strategies(&mut out);
    many_clients(&mut out);
    print!("{out}");
    if let Err(e) = std::fs::write(&path, &out) {
        eprintln!("utilization: cannot write {path}: {e}");
        std::process::exit(1);
    }
    eprintln!("written to {path}");
}

/// Runs `s` under every seed: (429s over requests sent, worst completion / ideal).
fn over_seeds(s: &Scenario) -> (f64, f64, Outcome) {
    let (mut throttled, mut sent, mut worst) = (0, 0, 0f64);
    let mut last = None;
    for seed in 1..=SEEDS {
        let o = sim::run(&Scenario { seed, ..s.clone() });
        throttled += o.throttled;
        sent += o.sent;
        worst = worst.max(o.ratio);
        last = Some(o);
    }
    let last = last.expect("at least one seed");
    (100.0 * throttled as f64 / sent.max(1) as f64, worst, last)
}

fn strategies(out: &mut String) {
    let _ = write!(
        out,
        "## Pacing strategies\n\n\
         SynthLink's policy (60/min, 1,000/day, fixed windows), 120 ms round trips, virtual \
         time, starting 3 h 17 min 23.4 s into a day; clients of one identity split the batch. \
         Completion is when the server accepts the last request, over the ideal schedule \
         (every request the instant the windows allow it); 429s are over {SEEDS} seeds, \
         completion the worst of them.\n\n\
         | client | requests | clients | completion / ideal | 429s | requests sent (seed 5) |\n\
         |---|---|---|---|---|---|\n"
    );
    for n in [500, 2500] {
        for clients in [1, 2] {
            for strategy in Strategy::ALL {
                let s = Scenario {
                    strategy,
                    ..Scenario::new(sim::synthlink(), clients, n)
                };
                let (percent, worst, last) = over_seeds(&s);
                let _ = writeln!(
                    out,
                    "| {} | {n} | {clients} | {worst:.3}× | {percent:.1} % | {} |",
                    strategy.label(),
                    last.sent
                );
            }
        }
    }
}

fn many_clients(out: &mut String) {
    let _ = write!(
        out,
        "\n## One identity, many clients\n\n\
         Synced headroom clients, each with its own limiter (processes or devices with their \
         own keys of one identity), on SynthLink's windows (500 requests, 120 ms round trips) \
         and on scaled ones (30 per 10 s and 100 per 60 s, 240 requests, 20 ms round trips, and \
         2 ms as on loopback, where each client's reset is a whole second of rounding wide \
         against windows spent in milliseconds). \
         \"together\": every client starts at the same instant; \"peer stops\": one client \
         stops halfway through its share. 429s over {SEEDS} seeds, completion the worst.\n\n\
         | windows | clients | threads each | start | 429s | completion / ideal |\n\
         |---|---|---|---|---|---|\n"
    );
    let sets = [
        ("SynthLink 60/min, 1,000/day", sim::synthlink(), 500, 120),
        ("30/10 s, 100/60 s", sim::scaled(), 240, 20),
        ("30/10 s, 100/60 s, 2 ms round trips", sim::scaled(), 240, 2),
    ];
    for (label, policies, n, rtt) in sets {
        let mut rows: Vec<(usize, usize, &str)> = Vec::new();
        rows.extend([1, 2, 4, 8, 16].map(|c| (c, 1, "staggered")));
        rows.extend([4, 8].map(|t| (1, t, "staggered")));
        rows.extend([
            (8, 1, "together"),
            (16, 1, "together"),
            (8, 1, "peer stops"),
        ]);
        rows.push((4, 4, "staggered"));
        for (clients, threads, start) in rows {
            let s = Scenario {
                threads,
                rtt_ms: rtt,
                together: start == "together",
                peer_stops: start == "peer stops",
                ..Scenario::new(policies.clone(), clients, n)
            };
            let (percent, worst, _) = over_seeds(&s);
            let _ = writeln!(
                out,
                "| {label} | {clients} | {threads} | {start} | {percent:.1} % | {worst:.3}× |"
            );
        }
    }
}
