//! Diagnostics through `defmt` or `log`, whichever feature is on; nothing otherwise.
#![allow(unused_macros)]

macro_rules! debug {
    ($($arg:tt)*) => {{
        #[cfg(feature = "defmt")]
        defmt::debug!($($arg)*);
        #[cfg(feature = "log")]
        log::debug!($($arg)*);
        // Without either, the arguments are still used (no unused-variable warnings).
        #[cfg(not(any(feature = "defmt", feature = "log")))]
        let _ = ($($arg)*);
    }};
}

macro_rules! warning {
    ($($arg:tt)*) => {{
        #[cfg(feature = "defmt")]
        defmt::warn!($($arg)*);
        #[cfg(feature = "log")]
        log::warn!($($arg)*);
        #[cfg(not(any(feature = "defmt", feature = "log")))]
        let _ = ($($arg)*);
    }};
}

pub(crate) use {debug, warning};
