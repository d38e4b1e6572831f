//! The quota-utilization table: `cargo run --release -p headroom-benches --bin utilization [FILE]`.
//! Prints a Markdown table and writes it to FILE (default `benches/utilization.md`).

use headroom_benches::sim::{self, Strategy};
use std::fmt::Write;

/// Batches: within one day (the minute window binds), and two and a half days (the day binds).
const BATCHES: [u64; 2] = [500, 2500];
/// Starts 3 h 17 min 23.4 s into a day, 23.4 s into a minute.
const START: u64 = ((3 * 60 + 17) * 60 + 23) * 1000 + 400;
/// Round trip, ms.
const RTT: u64 = 120;

fn main() {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/utilization.md").to_string());
    let mut table = format!(
        "Batches against SynthLink's policy (60/min, 1,000/day, fixed windows), {RTT} ms round \
         trip, virtual time, starting 3 h 17 min 23.4 s into a day; clients of one identity \
         split the batch. Completion is when the server accepts the last request, over the \
         ideal schedule (every request the instant the windows allow it).\n\n\
         | client | requests | clients | completion / ideal | 429s | requests sent |\n\
         |---|---|---|---|---|---|\n"
    );
    for n in BATCHES {
        for clients in [1, 2] {
            for strategy in Strategy::ALL {
                let o = sim::run(strategy, clients, n, START, RTT);
                let _ = writeln!(
                    table,
                    "| {} | {n} | {clients} | {:.3}× | {} | {} |",
                    strategy.label(),
                    o.ratio,
                    o.throttled,
                    o.sent
                );
            }
        }
    }
    print!("{table}");
    if let Err(e) = std::fs::write(&path, &table) {
        eprintln!("utilization: cannot write {path}: {e}");
        std::process::exit(1);
    }
    eprintln!("written to {path}");
}
