//! Test bodies shared by the host tests and the on-target runner (`core/on-target`, a
//! Cortex-M4 under QEMU): `no_std`, no allocation, so they run on both. A host test file
//! includes this module and wraps each body in a `#[test]`; the runner calls [`ALL`].
#![allow(dead_code, unused_imports)]

pub mod dates;
pub mod device;
pub mod headers;
pub mod limiter;
pub mod sf;
