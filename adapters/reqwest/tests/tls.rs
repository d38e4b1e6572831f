//! Both std adapters' TLS in one process: ureq and reqwest, each paced by headroom, over
//! HTTPS to a loopback rustls server with a certificate made at start. With two crypto
//! providers linked (reqwest's default aws-lc-rs beside ureq's ring), rustls could not pick
//! one and the reqwest client would not build; here both run on ring.

use headroom_core::Method;
use headroom_reqwest::SharedLimiter;
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;

/// A TLS server on loopback answering every request with a 200 and a RateLimit policy.
/// Returns its port and its certificate.
fn tls_server() -> (u16, CertificateDer<'static>) {
    let made = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let cert = made.cert.der().clone();
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(made.signing_key.serialize_der()));
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![cert.clone()], key)
        .unwrap();
    let config = Arc::new(config);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let config = Arc::clone(&config);
            std::thread::spawn(move || {
                let Ok(conn) = rustls::ServerConnection::new(config) else {
                    return;
                };
                let mut tls = rustls::StreamOwned::new(conn, stream);
                let mut reader = BufReader::new(&mut tls);
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 2) {
                    line.clear();
                }
                let _ = tls.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\
                      RateLimit-Policy: \"minute\";q=50;w=60\r\nRateLimit: \"minute\";r=49;t=60\r\n\r\nok",
                );
                tls.conn.send_close_notify();
                let _ = tls.flush();
            });
        }
    });
    (port, cert)
}

#[tokio::test]
async fn ureq_and_reqwest_both_speak_tls_in_one_process() {
    let (port, cert) = tls_server();
    let url = format!("https://localhost:{port}/v1/lists");

    let reqwest_limiter = SharedLimiter::new(&[]).unwrap();
    let inner = headroom_reqwest::client_builder()
        .tls_certs_only([reqwest::Certificate::from_der(&cert).unwrap()])
        .build()
        .expect("a reqwest client builds with one crypto provider");
    let client = reqwest_middleware::ClientBuilder::new(inner)
        .with(headroom_reqwest::Pacing::new(reqwest_limiter.clone()))
        .build();
    let r = client.get(&url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.text().await.unwrap(), "ok");
    assert_eq!(reqwest_limiter.stats().ok(), 1);

    let ureq_limiter = headroom_ureq::SharedLimiter::new(&[]).unwrap();
    let root = ureq::tls::Certificate::from_der(cert.as_ref()).to_owned();
    let roots = ureq::tls::RootCerts::Specific(Arc::new(vec![root]));
    let agent: ureq::Agent = ureq::Agent::config_builder()
        .tls_config(ureq::tls::TlsConfig::builder().root_certs(roots).build())
        .middleware(headroom_ureq::Pacing::new(ureq_limiter.clone()))
        .build()
        .into();
    let url2 = url.clone();
    let status = tokio::task::spawn_blocking(move || {
        headroom_ureq::retry(&ureq_limiter, Method::Get, || agent.get(&url2).call())
            .map(|r| r.status().as_u16())
            .map_err(|e| e.to_string())
    })
    .await
    .unwrap();
    assert_eq!(status, Ok(200));

    // A certificate nobody vouches for is refused, in words.
    let stranger = headroom_reqwest::client_builder().build().unwrap();
    let e = stranger.get(&url).send().await.unwrap_err();
    let chain = format!("{e:?}");
    assert!(
        chain.contains("UnknownIssuer") || chain.contains("certificate"),
        "{chain}"
    );
}
