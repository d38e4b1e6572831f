//! The whole response path: headers and body to an Observation, fed to a limiter. Never
//! panics, and no response makes the limiter wait longer than its configured caps.
#![no_main]
use headroom_core::{Buckets, Config, Duration, Limiter, Log, Observation, Window};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let now = headroom_fuzz::NOW;
    let obs: Observation =
        headroom_fuzz::with_response(data, |response| Observation::of(response, &mut [0; 256]));
    assert!(obs.policies().len() <= 4);
    let mut limiter: Limiter<(Window<Log<60>>, Window<Buckets<56>>)> = Limiter::new(
        (Window::learned_exact(), Window::learned_bucketed()),
        Config::DEFAULT,
    );
    let grant = limiter.try_acquire(now).expect("a fresh limiter grants");
    limiter.observe(now, grant, &obs);
    // A hostile server cannot silence the device past max_pause, plus the window guards and
    // the day ring's bucket (a `Buckets<56>` frees quota up to 1/55 of its window late).
    let max_pause = Config::DEFAULT.max_pause.as_millis();
    let cap = Duration::from_millis(max_pause + max_pause.div_ceil(55))
        + Config::DEFAULT.reset_guard
        + Config::DEFAULT.guard;
    let next = limiter.next_allowed(now);
    assert!(next <= now + cap, "{next:?} after {obs:?}");
});
