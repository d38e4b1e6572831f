#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
//! headroom-core (docs are written in full below as the layers land).

pub mod backoff;
pub mod header;
pub mod limiter;
pub mod observation;
pub mod sf;
pub mod time;
pub mod window;
