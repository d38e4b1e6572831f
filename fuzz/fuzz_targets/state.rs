//! Restoring any bytes as a limiter's saved state: an error or a limiter, never a panic; and
//! what a restored limiter saves restores again.
#![no_main]

use headroom_core::limiter::{Config, Limiter};
use headroom_core::time::Instant;
use headroom_core::window::{Buckets, Log, Window};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let mut l: Limiter<(Window<Log<60>>, Window<Buckets<56>>)> = Limiter::new(
        (Window::learned_exact(), Window::learned_bucketed()),
        Config::DEFAULT,
    );
    let now = Instant::from_millis(1 << 40);
    if l.restore(now, 1_800_000_000_000, data).is_ok() {
        let mut buf = [0u8; 1024];
        let n = l.save(now, 1_800_000_000_000, &mut buf).expect("fits");
        let mut again = l.clone();
        again
            .restore(now, 1_800_000_000_000, &buf[..n])
            .expect("own state");
    }
});
