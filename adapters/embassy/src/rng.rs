//! Random numbers as HALs give them. headroom takes rand_core 0.10's [`Rng`](rand_core::Rng)
//! (backoff jitter) and [`CryptoRng`](rand_core::CryptoRng) (TLS keys); embassy's HALs
//! (embassy-rp, -stm32, -nrf) implement the older `RngCore` of rand_core 0.6 or 0.9. Wrap
//! theirs in [`Rng06`] or [`Rng09`]:
//!
//! ```
//! use headroom_embassy::rng::Rng06;
//! # struct HalRng(u32);
//! # impl rand_core_06::RngCore for HalRng {
//! #     fn next_u32(&mut self) -> u32 { self.0 = self.0.wrapping_mul(1664525).wrapping_add(1013904223); self.0 }
//! #     fn next_u64(&mut self) -> u64 { u64::from(self.next_u32()) << 32 | u64::from(self.next_u32()) }
//! #     fn fill_bytes(&mut self, d: &mut [u8]) { for b in d { *b = self.next_u32() as u8 } }
//! #     fn try_fill_bytes(&mut self, d: &mut [u8]) -> Result<(), rand_core_06::Error> { self.fill_bytes(d); Ok(()) }
//! # }
//! # impl rand_core_06::CryptoRng for HalRng {}
//! let mut rng = Rng06(HalRng(7)); // e.g. embassy_stm32::rng::Rng
//! let jitter: u32 = rand_core::Rng::next_u32(&mut rng);
//! # let _ = jitter;
//! ```

use core::convert::Infallible;

/// A rand_core 0.6 `RngCore` as a rand_core 0.10 `Rng` (a `CryptoRng` when it is one).
#[derive(Debug)]
pub struct Rng06<R>(pub R);

/// A rand_core 0.9 `RngCore` as a rand_core 0.10 `Rng` (a `CryptoRng` when it is one).
#[derive(Debug)]
pub struct Rng09<R>(pub R);

impl<R: rand_core_06::RngCore> rand_core::TryRng for Rng06<R> {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.0.next_u32())
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.0.next_u64())
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.0.fill_bytes(dst);
        Ok(())
    }
}

impl<R: rand_core_06::RngCore + rand_core_06::CryptoRng> rand_core::TryCryptoRng for Rng06<R> {}

impl<R: rand_core_09::RngCore> rand_core::TryRng for Rng09<R> {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok(self.0.next_u32())
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.0.next_u64())
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        self.0.fill_bytes(dst);
        Ok(())
    }
}

impl<R: rand_core_09::RngCore + rand_core_09::CryptoRng> rand_core::TryCryptoRng for Rng09<R> {}

/// One seed per TLS connection, from a ChaCha stream keyed once by the caller's `CryptoRng`
/// (reqwless seeds each connection's key exchange with a `u64`).
#[cfg(feature = "tls")]
pub(crate) struct Seeds(rand_chacha::ChaCha20Rng);

#[cfg(feature = "tls")]
impl Seeds {
    pub(crate) fn from_rng(rng: &mut impl rand_core::CryptoRng) -> Self {
        let mut key = [0u8; 32];
        rng.fill_bytes(&mut key);
        Seeds(rand_chacha::rand_core::SeedableRng::from_seed(key))
    }

    pub(crate) fn next(&mut self) -> u64 {
        rand_chacha::rand_core::RngCore::next_u64(&mut self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A counter, as a HAL's RNG of either rand_core version would hand out numbers.
    struct Counter(u64);

    impl rand_core_06::RngCore for Counter {
        fn next_u32(&mut self) -> u32 {
            self.next_u64() as u32
        }
        fn next_u64(&mut self) -> u64 {
            self.0 += 1;
            self.0
        }
        fn fill_bytes(&mut self, dst: &mut [u8]) {
            dst.fill(0xa5);
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), rand_core_06::Error> {
            self.fill_bytes(dst);
            Ok(())
        }
    }
    impl rand_core_06::CryptoRng for Counter {}

    impl rand_core_09::RngCore for Counter {
        fn next_u32(&mut self) -> u32 {
            rand_core_06::RngCore::next_u32(self)
        }
        fn next_u64(&mut self) -> u64 {
            rand_core_06::RngCore::next_u64(self)
        }
        fn fill_bytes(&mut self, dst: &mut [u8]) {
            rand_core_06::RngCore::fill_bytes(self, dst);
        }
    }
    impl rand_core_09::CryptoRng for Counter {}

    fn takes_crypto(rng: &mut impl rand_core::CryptoRng) -> (u64, [u8; 3]) {
        let mut bytes = [0u8; 3];
        rng.fill_bytes(&mut bytes);
        (rng.next_u64(), bytes)
    }

    #[test]
    fn both_versions_plug_in_as_crypto_rngs() {
        assert_eq!(takes_crypto(&mut Rng06(Counter(0))), (1, [0xa5; 3]));
        assert_eq!(takes_crypto(&mut Rng09(Counter(41))), (42, [0xa5; 3]));
    }
}
