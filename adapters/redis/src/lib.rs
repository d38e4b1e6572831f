#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![deny(missing_docs)]

#[cfg(feature = "tokio")]
mod aio;
mod error;
pub mod server;
mod store;

pub use error::Error;
pub use store::{Acquired, RedisLimiter, RemoteGrant, SCRIPT};
