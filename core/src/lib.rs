#![no_std]
#![forbid(unsafe_code)]
#![deny(missing_docs)]
//! headroom-core (docs are written in full below as the layers land).

pub mod header;
pub mod observation;
pub mod sf;
pub mod time;
