//! A minimal Cortex-M4F application: one task polls SynthLink every second. Its builds
//! measure headroom's footprint against the same application:
//! - no features: the application's own request (DNS, connect, write, read the head with
//!   httparse), unpaced;
//! - `device`: the same request through headroom-embassy's device path, the task's own loop
//!   over `SharedDevice::attempt`, current drafts only (the lean image); `device-full` with
//!   headroom-embassy's defaults plus `json` (the full image); `device-retry` through
//!   `device::retry`'s closure instead of the loop;
//! - `legacy`: the same request, paced by a static headroom limiter, its response headers fed
//!   back, retried under headroom's backoff: the limiter, header parser and backoff;
//! - `paced`: the same, reading only the current drafts' `RateLimit-Policy`/`RateLimit` (no
//!   `X-RateLimit-*` or older drafts: headroom-embassy without its `legacy` feature);
//! - `client` (default): headroom-embassy's HTTP client does the request;
//! - `tls`: the same client over HTTPS (embedded-tls through reqwless), its record buffers in
//!   the task (a size probe: the stand-in stack answers in plain text).
#![no_std]
#![no_main]

mod driver;
mod net;

use embassy_executor::Spawner;
use embassy_time::Timer;
use panic_halt as _;

#[cfg(not(feature = "tls"))]
const URL: &str = "http://api.synth-link.example/v1/records?limit=10";
#[cfg(feature = "tls")]
const URL: &str = "https://api.synth-link.example/v1/records?limit=10";

/// The API's CA certificate (DER) would go here.
#[cfg(feature = "tls")]
static CA: &[u8] = &[0x30, 0x82];

#[embassy_executor::main]
async fn main(spawner: Spawner) {
    let peripherals = cortex_m::Peripherals::take().unwrap();
    driver::start(peripherals.SYST, 16_000_000);
    spawner.spawn(poll().unwrap());
}

#[cfg(any(feature = "paced", feature = "device"))]
mod paced {
    #[cfg(feature = "paced")]
    pub use limiter::API;

    #[cfg(feature = "paced")]
    mod limiter {
        use embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex;
        use headroom_embassy::{MinuteAndDay, SharedLimiter};

        /// Every task of the device shares this limiter.
        pub static API: SharedLimiter<CriticalSectionRawMutex, MinuteAndDay> =
            SharedLimiter::new(headroom_embassy::synthlink());

        // The limiter's RAM on the device: at most 512 B (the shared static adds the
        // `RefCell`'s borrow flag, padded to 8 B).
        const _: () = {
            use headroom_embassy::headroom_core::{Defaults, Limiter};
            assert!(size_of::<Limiter<MinuteAndDay, 2, Defaults>>() <= 512);
        };
    }

    // The device path's limiter: at most 512 B of RAM too.
    #[cfg(feature = "device")]
    const _: () = assert!(size_of::<headroom_embassy::headroom_core::device::Device>() <= 512);

    /// The device path's limiter, which every task of the device shares.
    #[cfg(feature = "device")]
    pub static DEVICE: headroom_embassy::device::SharedDevice<
        embassy_sync::blocking_mutex::raw::CriticalSectionRawMutex,
    > = headroom_embassy::device::SharedDevice::new();

    /// xorshift64, seeded per device; a real device would use its hardware RNG (which is a
    /// `CryptoRng`, as TLS needs: this stand-in only says it is, for the size probe).
    pub struct Jitter(pub u64);

    #[cfg(feature = "tls")]
    impl rand_core::TryCryptoRng for Jitter {}

    impl rand_core::TryRng for Jitter {
        type Error = core::convert::Infallible;
        fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
            Ok(self.try_next_u64()? as u32)
        }
        fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            Ok(self.0)
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
            for b in dst {
                *b = self.try_next_u64()? as u8;
            }
            Ok(())
        }
    }
}

#[cfg(feature = "client")]
#[embassy_executor::task]
async fn poll() {
    let stack = net::Stack;
    let headers = [("Authorization", "Bearer device-key")];
    let mut rng = paced::Jitter(0x9e37_79b9_7f4a_7c15);
    #[cfg(feature = "tls")]
    let (mut read, mut write) = ([0u8; 16_640], [0u8; 4096]);
    #[allow(unused_mut)]
    let mut client = headroom_embassy::http::Client::new(&stack, &stack, &paced::API, &headers);
    #[cfg(feature = "tls")]
    let mut client = client.with_tls(headroom_embassy::tls::Tls::new(
        CA, &mut read, &mut write, &mut rng,
    ));
    loop {
        let mut rx = Rx::new();
        if let Ok(response) = client.get(URL, &mut rx.0, &mut rng).await {
            core::hint::black_box(response.body);
        }
        Timer::after_secs(1).await;
    }
}

/// The application's own request: resolves, connects, sends, and reads until the response
/// head is complete. Returns how much of `rx` was filled.
#[cfg(not(feature = "client"))]
async fn exchange(stack: &net::Stack, rx: &mut [u8]) -> Option<usize> {
    use embedded_io_async::{Read, Write};
    use embedded_nal_async::{AddrType, Dns, TcpConnect};
    let ip = stack
        .get_host_by_name("api.synth-link.example", AddrType::Either)
        .await
        .ok()?;
    let mut conn = stack
        .connect(core::net::SocketAddr::new(ip, 80))
        .await
        .ok()?;
    conn.write_all(b"GET /v1/records?limit=10 HTTP/1.1\r\nHost: api.synth-link.example\r\nConnection: close\r\nAuthorization: Bearer device-key\r\n\r\n")
        .await
        .ok()?;
    let mut filled = 0;
    while let Ok(n @ 1..) = conn.read(&mut rx[filled..]).await {
        filled += n;
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut parsed = httparse::Response::new(&mut headers);
        if let Ok(httparse::Status::Complete(_)) = parsed.parse(&rx[..filled]) {
            return Some(filled);
        }
    }
    None
}

#[cfg(not(any(feature = "paced", feature = "device")))]
#[embassy_executor::task]
async fn poll() {
    let stack = net::Stack;
    loop {
        let mut rx = Rx::new();
        if let Some(filled) = exchange(&stack, &mut rx.0).await {
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut parsed = httparse::Response::new(&mut headers);
            if let Ok(httparse::Status::Complete(head)) = parsed.parse(&rx.0[..filled]) {
                core::hint::black_box((parsed.code, &rx.0[head..filled]));
            }
        }
        let _ = URL;
        Timer::after_secs(1).await;
    }
}

/// What both paced tasks hand a response to: the generic limiter's reply or the device path's.
#[cfg(all(
    any(feature = "paced", feature = "device-retry"),
    not(feature = "client")
))]
trait Respond {
    fn response<'h, H>(&mut self, response: &headroom_embassy::headroom_core::Response<'_, H>)
    where
        H: IntoIterator<Item = (&'h str, &'h [u8])> + Clone;
}

#[cfg(all(feature = "paced", not(feature = "client")))]
impl<M, W, const B: usize, C, R, P> Respond for headroom_embassy::Reply<'_, M, W, B, C, R, P>
where
    M: embassy_sync::blocking_mutex::raw::RawMutex,
    W: headroom_embassy::headroom_core::Windows,
    C: headroom_embassy::headroom_core::Tuning,
    R: rand_core::Rng,
    P: headroom_embassy::headroom_core::Retries,
{
    fn response<'h, H>(&mut self, response: &headroom_embassy::headroom_core::Response<'_, H>)
    where
        H: IntoIterator<Item = (&'h str, &'h [u8])> + Clone,
    {
        headroom_embassy::Reply::response(self, response)
    }
}

#[cfg(feature = "device-retry")]
impl<M, R, P> Respond for headroom_embassy::device::Reply<'_, M, R, P>
where
    M: embassy_sync::blocking_mutex::raw::RawMutex,
    R: rand_core::Rng,
    P: headroom_embassy::headroom_core::Retries,
{
    fn response<'h, H>(&mut self, response: &headroom_embassy::headroom_core::Response<'_, H>)
    where
        H: IntoIterator<Item = (&'h str, &'h [u8])> + Clone,
    {
        headroom_embassy::device::Reply::response(self, response)
    }
}

/// Reads the response in `rx` (its head, and the body after it: with `json`, a 429's
/// `retry_after` is read from it) and hands it to `reply`; the head's length.
#[cfg(all(
    any(feature = "paced", feature = "device-retry"),
    not(feature = "client")
))]
fn respond(rx: &[u8], reply: &mut impl Respond) -> Result<usize, ()> {
    let mut headers = [httparse::EMPTY_HEADER; 32];
    let mut parsed = httparse::Response::new(&mut headers);
    let Ok(httparse::Status::Complete(head)) = parsed.parse(rx) else {
        return Err(());
    };
    let fields = parsed.headers.iter().map(|h| (h.name, h.value));
    let body = rx.get(head..).unwrap_or_default();
    let mut response = headroom_embassy::headroom_core::Response::headers_only(fields).body(body);
    response.status = parsed.code;
    reply.response(&response);
    Ok(head)
}

#[cfg(all(feature = "paced", not(feature = "client")))]
#[embassy_executor::task]
async fn poll() {
    use headroom_embassy::headroom_core::{DefaultRetries, Method};
    let stack = net::Stack;
    let mut rng = paced::Jitter(0x9e37_79b9_7f4a_7c15);
    loop {
        let mut rx = Rx::new();
        let sent = headroom_embassy::retry(
            &paced::API,
            DefaultRetries,
            Method::Get,
            &mut rng,
            async |reply| {
                let filled = exchange(&stack, &mut rx.0).await.ok_or(())?;
                respond(&rx.0[..filled], reply)
            },
        )
        .await;
        core::hint::black_box(sent.is_ok());
        let _ = URL;
        Timer::after_secs(1).await;
    }
}

#[cfg(feature = "device-retry")]
#[embassy_executor::task]
async fn poll() {
    use headroom_embassy::device::retry;
    use headroom_embassy::headroom_core::{DefaultRetries, Method};
    let stack = net::Stack;
    let mut rng = paced::Jitter(0x9e37_79b9_7f4a_7c15);
    loop {
        let mut rx = Rx::new();
        let sent = retry(
            &paced::DEVICE,
            DefaultRetries,
            Method::Get,
            &mut rng,
            async |reply| {
                let filled = exchange(&stack, &mut rx.0).await.ok_or(())?;
                respond(&rx.0[..filled], reply)
            },
        )
        .await;
        core::hint::black_box(sent.is_ok());
        let _ = URL;
        Timer::after_secs(1).await;
    }
}

/// The device path, the task's own loop: each attempt waits for its grant, sends, and hands
/// back the response (one without a status when none came), until the retry rules say stop.
#[cfg(all(feature = "device", not(feature = "device-retry")))]
#[embassy_executor::task]
async fn poll() {
    use headroom_embassy::device::Attempts;
    use headroom_embassy::headroom_core::{Decision, DefaultRetries, Method, Response};
    let stack = net::Stack;
    let mut rng = paced::Jitter(0x9e37_79b9_7f4a_7c15);
    loop {
        let mut attempts = Attempts::new(Method::Get, DefaultRetries);
        let sent = loop {
            let Ok(attempt) = paced::DEVICE.attempt(&mut attempts).await else {
                break false; // the next grant is further away than MAX_WAIT
            };
            let mut rx = Rx::new();
            let filled = exchange(&stack, &mut rx.0).await;
            let mut headers = [httparse::EMPTY_HEADER; 32];
            let mut parsed = httparse::Response::new(&mut headers);
            // The head's status and fields, and the body (with `json`, a 429's `retry_after`
            // is read from it); no status when no response came: the request is lost.
            let (status, fields, body) =
                match filled.map(|filled| (filled, parsed.parse(&rx.0[..filled]))) {
                    Some((filled, Ok(httparse::Status::Complete(head)))) => (
                        parsed.code,
                        &parsed.headers[..],
                        rx.0.get(head..filled).unwrap_or_default(),
                    ),
                    _ => (None, &[][..], &[][..]),
                };
            let mut response =
                Response::headers_only(fields.iter().map(|h| (h.name, h.value))).body(body);
            response.status = status;
            let decision = attempt.answered(&response, &mut rng);
            match decision {
                Decision::Retry { .. } => continue,
                Decision::Done => break true,
                Decision::GiveUp(_) => break false,
            }
        };
        core::hint::black_box(sent);
        let _ = URL;
        Timer::after_secs(1).await;
    }
}

/// The receive buffer, 8-aligned: clearing it is then the double-word clear every build
/// links, so no build's size depends on where its buffer happens to fall in the task.
#[repr(align(8))]
struct Rx([u8; 1024]);

impl Rx {
    fn new() -> Self {
        Rx([0; 1024])
    }
}
