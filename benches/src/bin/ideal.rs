//! The ideal schedule's finish, from `headroom serve`'s model (`serve::Quotas`): when the
//! `N`-th request would be accepted, sending the instant the clock-aligned windows allow it.
//! For the `.ci` scripts, which time real processes against it.
//!
//! usage: ideal START_UNIX_MS N QUOTA:SECONDS... → prints the finish in Unix ms

use headroom_cli::serve::{PolicySpec, Quotas};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let usage = "usage: ideal START_UNIX_MS N QUOTA:SECONDS...";
    let (Some(start), Some(n)) = (
        args.first().and_then(|a| a.parse::<u64>().ok()),
        args.get(1).and_then(|a| a.parse::<u64>().ok()),
    ) else {
        eprintln!("{usage}");
        std::process::exit(2);
    };
    let policies: Result<Vec<PolicySpec>, String> = args[2..]
        .iter()
        .enumerate()
        .map(|(i, p)| format!("w{i}:{p}").parse())
        .collect();
    match policies {
        Ok(p) if !p.is_empty() => println!("{}", Quotas::ideal_finish_ms(&p, start, n)),
        Ok(_) => {
            eprintln!("{usage}");
            std::process::exit(2);
        }
        Err(e) => {
            eprintln!("ideal: {e}");
            std::process::exit(2);
        }
    }
}
