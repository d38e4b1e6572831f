//! Firmware that already has reqwless: headroom paces, reqwless sends, headroom reads the
//! response, and the core's retry driver decides what follows a 429.
//!
//! On a device the stack is embassy-net's `TcpClient` and `DnsSocket`; here, to run on a
//! host against `headroom serve` (`cargo run -p headroom-cli -- serve --port 8080`):
//!
//! ```sh
//! cargo run -p headroom-embassy --example reqwless -- http://127.0.0.1:8080/v1/lists
//! ```

use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
use embedded_nal_async::{Dns, TcpConnect};
use headroom_embassy::headroom_core::{Method, RetryPolicy};
use headroom_embassy::{Error, MinuteAndDay, SharedLimiter, from_reqwless, retry, synthlink};
use reqwless::client::HttpClient;
use reqwless::request::RequestBuilder;

/// One identity's limits, shared by every task of the device.
static API: SharedLimiter<CriticalSectionRawMutex, MinuteAndDay> = SharedLimiter::new(synthlink());

/// GETs `url` through `http` within the API's limits; returns the status and body length.
async fn get<T: TcpConnect, D: Dns>(
    http: &mut HttpClient<'_, T, D>,
    url: &str,
    rx: &mut [u8],
    rng: &mut impl rand_core::Rng,
) -> Result<(u16, usize), Error<reqwless::Error>> {
    retry(
        &API,
        &RetryPolicy::DEFAULT,
        Method::Get,
        rng,
        async |reply| {
            let headers = [("Authorization", "Bearer key-a")];
            let mut request = http
                .request(reqwless::request::Method::GET, url)
                .await?
                .headers(&headers);
            let response = request.send(&mut *rx).await?;
            // Status and headers to headroom first: reqwless moves the body over the head.
            reply.response(&from_reqwless::response(&response));
            let status = response.status.0;
            let body = response.body().read_to_end().await?;
            Ok((status, body.len()))
        },
    )
    .await
}

fn main() {
    let Some(url) = std::env::args().nth(1) else {
        eprintln!(
            "usage: reqwless URL  (e.g. http://127.0.0.1:8080/v1/lists from `headroom serve`)"
        );
        std::process::exit(2);
    };
    let stack = std_embedded_nal_async::Stack::default();
    let mut http = HttpClient::new(&stack, &stack);
    let mut rng = <rand::rngs::SmallRng as rand::SeedableRng>::seed_from_u64(1);
    let mut rx = [0u8; 4096];
    for _ in 0..3 {
        match embassy_futures::block_on(get(&mut http, &url, &mut rx, &mut rng)) {
            Ok((status, len)) => println!("{status}: {len} bytes"),
            Err(e) => println!("failed: {e}"),
        }
    }
}
