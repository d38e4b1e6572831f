#![doc = include_str!("../README.md")]

mod pacing;

pub use headroom_core;
pub use headroom_std::{Rate, Routes, SharedLimiter, Stats, SystemClock};
pub use pacing::{Pacing, Sent, Stopped};

/// Installs rustls's *ring* provider as the process default, if none is installed yet.
pub fn install_crypto_provider() {
    // An error only says a provider is already installed: then that one is used.
    let _ = rustls::crypto::ring::default_provider().install_default();
}

/// `reqwest::Client::builder()`, after [`install_crypto_provider`].
pub fn client_builder() -> reqwest::ClientBuilder {
    install_crypto_provider();
    reqwest::Client::builder()
}
