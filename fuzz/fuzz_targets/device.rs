//! The device path: headers and body to a Reading, fed to a Device and its retries. Never
//! panics, and no response makes the device wait longer than its caps.
#![no_main]
use headroom_core::device::{Attempts, Device, Next, Reading};
use headroom_core::{DefaultRetries, Instant, Method};
use libfuzzer_sys::fuzz_target;

struct Rng(u32);
impl rand_core::TryRng for Rng {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        self.0 = self.0.wrapping_mul(747_796_405).wrapping_add(2_891_336_453);
        Ok(self.0)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(u64::from(self.try_next_u32()?))
    }
    fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), Self::Error> {
        d.fill(0);
        Ok(())
    }
}

fuzz_target!(|data: &[u8]| {
    let now = headroom_fuzz::NOW;
    // A closure, not `Reading::of` itself: it is general over the fields' lifetime.
    #[allow(clippy::redundant_closure)]
    let reading = headroom_fuzz::with_response(data, |response| Reading::of(response));
    let mut device = Device::new();
    let mut attempts = Attempts::new(Method::Get, DefaultRetries);
    assert_eq!(attempts.next(&mut device, now), Next::Send);
    let _ = attempts.answered(&mut device, now, &reading, &mut Rng(7));
    // A hostile server cannot silence the device past 24 h, plus a reset's guard (1 s) and
    // the day's buckets (a bucket frees its quota up to 1/55 of the window late).
    let cap = 86_400_000 + 1_000 + 86_400_000 / 55 + 250;
    if let Err(denied) = device.acquire(now) {
        assert!(
            denied.until <= Instant::from_millis(now.as_millis() + cap),
            "{denied:?} after {reading:?}"
        );
    }
});
