//! TLS settings for [`Client::with_tls`](crate::http::Client::with_tls) (feature `tls`):
//! TLS 1.3 through embedded-tls, at the version reqwless uses, so one TLS stack is linked.
//!
//! ```no_run
//! use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
//! use headroom_embassy::{http::Client, tls::Tls, MinuteAndDay, SharedLimiter, synthlink};
//!
//! static API: SharedLimiter<CriticalSectionRawMutex, MinuteAndDay> = SharedLimiter::new(synthlink());
//!
//! async fn lists(
//!     tcp: &impl embedded_nal_async::TcpConnect, // embassy-net's TcpClient
//!     dns: &impl embedded_nal_async::Dns,        // embassy-net's DnsSocket
//!     rng: &mut impl rand_core::CryptoRng,       // the HAL's, through headroom_embassy::rng
//!     ca_der: &[u8],                             // the API's CA, e.g. include_bytes!("ca.der")
//! ) -> Result<u16, headroom_embassy::Error<headroom_embassy::http::HttpError>> {
//!     // Record buffers are the caller's: a whole TLS record (16 KiB + 256) must fit in `read`.
//!     let (mut read, mut write) = ([0u8; 16_640], [0u8; 4096]);
//!     let tls = Tls::new(ca_der, &mut read, &mut write, rng);
//!     let headers = [("Authorization", "Bearer KEY")];
//!     let mut client = Client::new(tcp, dns, &API, &headers).with_tls(tls);
//!     let mut rx = [0u8; 4096];
//!     let response = client.get("https://api.synth-link.example/v1/lists", &mut rx, rng).await?;
//!     Ok(response.status)
//! }
//! ```
//!
//! What embedded-tls's verifier checks, and does not (its `rustpki` verifier, version 0.18):
//!
//! - **Chain**: the server's certificate must be signed by the CA given here, directly or
//!   through the intermediates the server sends. Give the CA that signs the API's chain
//!   (for most public APIs, a root such as ISRG Root X1); a wrong CA fails the handshake
//!   with `HttpError::Tls(InvalidCertificate)` or `InvalidSignature`.
//! - **Key types**: ECDSA P-256 and P-384, and Ed25519. RSA certificates need embedded-tls's
//!   `rsa` feature (and an allocator); without it, a server with an RSA certificate fails
//!   the handshake. Many public APIs serve ECDSA to clients that ask for it; check yours.
//! - **Names**: the URL's host is sent as SNI and compared with the certificate's *common
//!   name* only; subject alternative names are not read. A certificate whose CN differs from
//!   the host (common for multi-name certificates) is refused: connect to the name in the
//!   CN, or pin the server's own certificate as the CA.
//! - **Validity dates**: not checked (reqwless passes no clock): an expired or not-yet-valid
//!   certificate is accepted. Keep the CA current with your firmware updates.
//! - **Pinning**: giving the server's own (self-signed or leaf) certificate as the CA pins
//!   it: only that certificate is accepted.
//! - **Cipher suite**: TLS_AES_128_GCM_SHA256 with P-256 key exchange (what reqwless offers).
//!
//! [`Tls::insecure_for_development`] skips every check: for a bench server only.

use crate::rng::Seeds;

/// How the server's certificate is checked.
#[derive(Clone, Copy, Debug)]
enum Verify<'a> {
    /// Against this CA certificate (DER).
    Ca(&'a [u8]),
    /// Not at all.
    Insecure,
}

/// TLS for a [`Client`](crate::http::Client): the trust anchor, the record buffers, and a
/// seed stream for each connection's key exchange.
pub struct Tls<'a> {
    read: &'a mut [u8],
    write: &'a mut [u8],
    verify: Verify<'a>,
    seeds: Seeds,
}

impl<'a> Tls<'a> {
    /// Verifies servers against `ca_der` (an X.509 certificate, DER). `read` must hold a whole
    /// TLS record (16,640 bytes for any server; less only if yours sends smaller records);
    /// `write` at least a request plus 128 bytes. `rng` seeds every connection's keys: a
    /// hardware RNG (see [`crate::rng`] to plug in a HAL's).
    pub fn new(
        ca_der: &'a [u8],
        read: &'a mut [u8],
        write: &'a mut [u8],
        rng: &mut impl rand_core::CryptoRng,
    ) -> Self {
        Tls {
            read,
            write,
            verify: Verify::Ca(ca_der),
            seeds: Seeds::from_rng(rng),
        }
    }

    /// No certificate check at all: anyone on the path can read and change the traffic.
    /// For development against a bench server only.
    pub fn insecure_for_development(
        read: &'a mut [u8],
        write: &'a mut [u8],
        rng: &mut impl rand_core::CryptoRng,
    ) -> Self {
        Tls {
            read,
            write,
            verify: Verify::Insecure,
            seeds: Seeds::from_rng(rng),
        }
    }

    /// reqwless's settings for one connection.
    pub(crate) fn config(&mut self) -> reqwless::client::TlsConfig<'_> {
        let verify = match self.verify {
            Verify::Ca(ca) => reqwless::client::TlsVerify::Certificate {
                ca,
                cert: None,
                key: None,
            },
            Verify::Insecure => reqwless::client::TlsVerify::None,
        };
        reqwless::client::TlsConfig::new(self.seeds.next(), self.read, self.write, verify)
    }
}
