#![doc = include_str!("../README.md")]

pub mod cache;
pub mod client;
pub mod error;
pub mod pacing;
pub mod retry;

pub use cache::Cache;
pub use client::{Client, ClientBuilder, check_url};
pub use error::Error;
pub use headroom_core;
pub use headroom_std::{
    Clock, ManualClock, Rate, Routes, STD_BUDGETS, SharedLimiter, Stats, StdLimiter, SystemClock,
    Ticket, clock, shared,
};
pub use pacing::Pacing;
pub use retry::{Sent, retry, retry_with};
