//! An HTTP/1.1 client for devices, rate limited end to end, over any
//! [`embedded_nal_async`] stack (embassy-net's `TcpClient` and `DnsSocket` on a device).
//!
//! [reqwless](https://docs.rs/reqwless) opens the connection: DNS, TCP, and with the `tls`
//! feature TLS 1.3 through embedded-tls, the URL's host as SNI, so a firmware that has
//! reqwless links one HTTP and one TLS stack. This module writes the request and reads the
//! response into the caller's buffer itself (`wire.rs`): the core needs the raw head
//! after the body is in, which reqwless's reader overwrites. One request per connection
//! (`Connection: close`); bodies by `Content-Length`, chunked, or to the end of the stream.
//!
//! Every exchange has a deadline ([`Client::with_timeout`], 30 s by default): a server that
//! drips a byte a second, or never ends its body, ends in [`HttpError::Timeout`] or
//! [`HttpError::BodyTooLarge`], never a hang or a write past a buffer.

use crate::wire::{MAX_HEADERS, Placed, read_response};
use crate::{Error, SharedLimiter};
use core::net::{IpAddr, Ipv4Addr};
use embassy_sync::blocking_mutex::raw::RawMutex;
use embedded_io_async::Write;
use embedded_nal_async::{AddrType, Dns, TcpConnect};
use headroom_core::header::parse_digits;
use headroom_core::{Defaults, Method, Retries, RetryPolicy, Tuning, Windows};
use rand_core::Rng;

/// Why a request got no usable response.
#[derive(Clone, Copy, Debug)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
#[non_exhaustive]
pub enum HttpError {
    /// The URL is not `http[s]://host[:port][/path]`.
    Url,
    /// An `https://` URL, and no TLS configured ([`Client::with_tls`], feature `tls`).
    TlsNotConfigured,
    /// The host name did not resolve.
    Dns,
    /// Connecting, writing or reading failed.
    Io(embedded_io_async::ErrorKind),
    /// The TLS handshake or a TLS record failed (a certificate not signed by the CA, a name
    /// that does not match, an unsupported cipher suite…).
    #[cfg(feature = "tls")]
    Tls(embedded_tls::TlsError),
    /// The exchange took longer than the client's timeout.
    Timeout,
    /// The response head did not fit in the receive buffer (or had too many fields).
    HeadTooLarge,
    /// The response body did not fit in the receive buffer after its head.
    BodyTooLarge,
    /// The connection closed before a whole response arrived.
    Closed,
    /// The response is not HTTP/1.x, or its body's framing is broken.
    Malformed,
}

impl core::fmt::Display for HttpError {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            HttpError::Url => f.write_str("the URL is not http[s]://host[:port][/path]"),
            HttpError::TlsNotConfigured => f.write_str("an https URL, and no TLS configured"),
            HttpError::Dns => f.write_str("the host name did not resolve"),
            HttpError::Io(kind) => write!(f, "connecting, writing or reading failed: {kind:?}"),
            #[cfg(feature = "tls")]
            HttpError::Tls(e) => write!(f, "TLS failed: {e:?}"),
            HttpError::Timeout => f.write_str("the exchange took longer than the timeout"),
            HttpError::HeadTooLarge => f.write_str("the response head does not fit the buffer"),
            HttpError::BodyTooLarge => f.write_str("the response body does not fit the buffer"),
            HttpError::Closed => f.write_str("the connection closed before a whole response"),
            HttpError::Malformed => f.write_str("the response is not well-formed HTTP/1.x"),
        }
    }
}

impl core::error::Error for HttpError {}

/// TLS failures compare by kind (embedded-tls's error has no `PartialEq`).
impl PartialEq for HttpError {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (HttpError::Io(a), HttpError::Io(b)) => a == b,
            #[cfg(feature = "tls")]
            (HttpError::Tls(a), HttpError::Tls(b)) => {
                core::mem::discriminant(a) == core::mem::discriminant(b)
            }
            (a, b) => core::mem::discriminant(a) == core::mem::discriminant(b),
        }
    }
}

impl Eq for HttpError {}

impl From<reqwless::Error> for HttpError {
    fn from(e: reqwless::Error) -> Self {
        match e {
            reqwless::Error::Dns => HttpError::Dns,
            reqwless::Error::Network(kind) => HttpError::Io(kind),
            reqwless::Error::InvalidUrl(_) => HttpError::Url,
            #[cfg(feature = "tls")]
            reqwless::Error::Tls(e) => HttpError::Tls(e),
            reqwless::Error::ConnectionAborted => HttpError::Closed,
            reqwless::Error::BufferTooSmall => HttpError::HeadTooLarge,
            _ => HttpError::Malformed,
        }
    }
}

/// A response, borrowing the caller's receive buffer.
#[derive(Debug)]
pub struct Response<'b> {
    /// The status code.
    pub status: u16,
    /// The raw head (status line and header lines).
    pub head: &'b [u8],
    /// The body (decoded, when it came chunked).
    pub body: &'b [u8],
    /// Requests sent for it (1 when not retried).
    pub attempts: u32,
}

impl Response<'_> {
    /// The value of header `name` (case-insensitive), the first if repeated.
    pub fn header(&self, name: &str) -> Option<&[u8]> {
        let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut parsed = httparse::Response::new(&mut headers);
        parsed.parse(self.head).ok()?;
        let found = parsed
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name));
        found.map(|h| h.value)
    }
}

/// Resolves dotted-quad IPv4 literals itself (a network stack's resolver may not), and asks
/// `D` for names.
struct Literal<'a, D>(&'a D);

impl<D: Dns> Dns for Literal<'_, D> {
    type Error = D::Error;

    async fn get_host_by_name(&self, host: &str, addr_type: AddrType) -> Result<IpAddr, D::Error> {
        match ipv4(host) {
            Some(ip) => Ok(IpAddr::V4(ip)),
            None => self.0.get_host_by_name(host, addr_type).await,
        }
    }

    async fn get_host_by_address(
        &self,
        addr: IpAddr,
        result: &mut [u8],
    ) -> Result<usize, D::Error> {
        self.0.get_host_by_address(addr, result).await
    }
}

/// An HTTP client drawing on one [`SharedLimiter`].
pub struct Client<'a, T, D, M: RawMutex, W, const B: usize = 2, C = Defaults> {
    tcp: &'a T,
    dns: Literal<'a, D>,
    limiter: &'a SharedLimiter<M, W, B, C>,
    headers: &'a [(&'a str, &'a str)],
    policy: RetryPolicy,
    timeout: embassy_time::Duration,
    #[cfg(feature = "tls")]
    tls: Option<crate::tls::Tls<'a>>,
}

impl<'a, T, D, M, W, const B: usize, C> Client<'a, T, D, M, W, B, C>
where
    T: TcpConnect,
    D: Dns,
    M: RawMutex,
    W: Windows,
    C: Tuning,
{
    /// A client over `tcp` and `dns`, sending `headers` (e.g. `Authorization`) on every request.
    pub fn new(
        tcp: &'a T,
        dns: &'a D,
        limiter: &'a SharedLimiter<M, W, B, C>,
        headers: &'a [(&'a str, &'a str)],
    ) -> Self {
        Client {
            tcp,
            dns: Literal(dns),
            limiter,
            headers,
            policy: RetryPolicy::DEFAULT,
            timeout: embassy_time::Duration::from_secs(30),
            #[cfg(feature = "tls")]
            tls: None,
        }
    }

    /// Replaces the retry policy (default [`RetryPolicy::DEFAULT`]).
    pub fn with_retry(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// The longest one exchange (connect, handshake, request, whole response) may take;
    /// default 30 s.
    pub fn with_timeout(mut self, timeout: embassy_time::Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// `https://` URLs through `tls` (feature `tls`): its CA, record buffers and seeds.
    #[cfg(feature = "tls")]
    pub fn with_tls(mut self, tls: crate::tls::Tls<'a>) -> Self {
        self.tls = Some(tls);
        self
    }

    /// GET `url`, the response read into `rx`.
    pub async fn get<'b>(
        &mut self,
        url: &str,
        rx: &'b mut [u8],
        rng: &mut impl Rng,
    ) -> Result<Response<'b>, Error<HttpError>> {
        self.request("GET", url, None, rx, rng).await
    }

    /// POST `body` to `url` (not retried unless the policy retries non-idempotent methods).
    pub async fn post<'b>(
        &mut self,
        url: &str,
        body: &[u8],
        rx: &'b mut [u8],
        rng: &mut impl Rng,
    ) -> Result<Response<'b>, Error<HttpError>> {
        self.request("POST", url, Some(body), rx, rng).await
    }

    /// Sends `method` to `url`: waits for the limiter, feeds every response back, retries as
    /// the core decides. `rx` holds the final response.
    pub async fn request<'b>(
        &mut self,
        method: &str,
        url: &str,
        body: Option<&[u8]>,
        rx: &'b mut [u8],
        rng: &mut impl Rng,
    ) -> Result<Response<'b>, Error<HttpError>> {
        let target = Target::parse(url).ok_or(Error::Transport(HttpError::Url))?;
        if target.tls && !self.has_tls() {
            return Err(Error::Transport(HttpError::TlsNotConfigured));
        }
        let (limiter, policy, timeout) = (self.limiter, self.policy, self.timeout);
        let mut attempts = 0;
        let placed = crate::retry(
            limiter,
            &policy,
            Method::from_name(method),
            rng,
            async |reply| {
                attempts = reply.attempt();
                let exchange = self.exchange(method, url, &target, body, rx);
                let placed = match embassy_time::with_timeout(timeout, exchange).await {
                    Ok(placed) => placed?,
                    Err(_) => return Err(HttpError::Timeout),
                };
                answer(&rx[..placed.end], &placed, reply);
                Ok(placed)
            },
        )
        .await?;
        let (head, body) = rx[..placed.end].split_at(placed.head);
        Ok(Response {
            status: placed.status,
            head,
            body,
            attempts,
        })
    }

    fn has_tls(&self) -> bool {
        #[cfg(feature = "tls")]
        return self.tls.is_some();
        #[cfg(not(feature = "tls"))]
        false
    }

    /// One request on a new connection; the response is left in `rx`.
    async fn exchange(
        &mut self,
        method: &str,
        url: &str,
        target: &Target<'_>,
        body: Option<&[u8]>,
        rx: &mut [u8],
    ) -> Result<Placed, HttpError> {
        #[cfg(feature = "tls")]
        let mut http = match self.tls.as_mut() {
            Some(tls) if target.tls => {
                reqwless::client::HttpClient::new_with_tls(self.tcp, &self.dns, tls.config())
            }
            _ => reqwless::client::HttpClient::new(self.tcp, &self.dns),
        };
        #[cfg(not(feature = "tls"))]
        let mut http = reqwless::client::HttpClient::new(self.tcp, &self.dns);
        let mut resource = http.resource(url).await?;
        let conn = &mut resource.conn;
        let head =
            compose_head(rx, method, target, self.headers, body).ok_or(HttpError::HeadTooLarge)?;
        conn.write_all(&rx[..head]).await.map_err(HttpError::Io)?;
        if let Some(b) = body {
            conn.write_all(b).await.map_err(HttpError::Io)?;
        }
        conn.flush().await.map_err(HttpError::Io)?;
        read_response(conn, rx).await
    }
}

/// Hands the response in `buf` to the retry loop's reply.
#[inline(never)]
fn answer<M: RawMutex, W: Windows, const B: usize, C: Tuning, R: Rng, P: Retries>(
    buf: &[u8],
    placed: &Placed,
    reply: &mut crate::Reply<'_, M, W, B, C, R, P>,
) {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut headers);
    let _ = parsed.parse(buf);
    let pairs = parsed.headers.iter().map(|h| (h.name, h.value));
    let mut response = headroom_core::Response::new(placed.status, pairs);
    response.body = buf.get(placed.head..);
    reply.response(&response);
}

/// Writes the request head into `buf` (the receive buffer, free until the response comes),
/// so it goes out in one write; `None` when it does not fit.
#[inline(never)]
fn compose_head(
    buf: &mut [u8],
    method: &str,
    target: &Target<'_>,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Option<usize> {
    let mut len = 0;
    let mut put = |bytes: &[u8]| {
        let end = len + bytes.len();
        buf.get_mut(len..end)?.copy_from_slice(bytes);
        len = end;
        Some(())
    };
    for part in [method, " ", target.path, " HTTP/1.1\r\nHost: ", target.host] {
        put(part.as_bytes())?;
    }
    put(b"\r\nConnection: close\r\nUser-Agent: headroom-embassy\r\n")?;
    for (name, value) in headers {
        for part in [*name, ": ", *value, "\r\n"] {
            put(part.as_bytes())?;
        }
    }
    if let Some(b) = body {
        let mut digits = [0u8; 20];
        put(b"Content-Length: ")?;
        put(decimal(b.len(), &mut digits))?;
        put(b"\r\n")?;
    }
    put(b"\r\n")?;
    Some(len)
}

/// `n` in decimal, written at the end of `buf`.
/// `usize`, not `u64`: a 32-bit device divides it in hardware, without a 64-bit division routine.
fn decimal(mut n: usize, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            return &buf[i..];
        }
    }
}

/// A dotted-quad IPv4 literal (core's `IpAddr` parser costs more flash than all of this
/// module); anything else goes to DNS.
fn ipv4(host: &str) -> Option<Ipv4Addr> {
    let mut octets = [0u8; 4];
    let mut parts = host.split('.');
    for o in &mut octets {
        let p = parts.next()?;
        if p.len() > 3 {
            return None; // "0001" is not an octet
        }
        *o = parse_digits(p.as_bytes()).and_then(|v| u8::try_from(v).ok())?;
    }
    parts.next().is_none().then(|| Ipv4Addr::from(octets))
}

/// The parts of an `http://` or `https://` URL.
#[derive(Debug, PartialEq, Eq)]
struct Target<'u> {
    tls: bool,
    host: &'u str,
    port: u16,
    path: &'u str,
}

impl<'u> Target<'u> {
    fn parse(url: &'u str) -> Option<Self> {
        let (tls, rest) = match url.strip_prefix("https://") {
            Some(rest) => (true, rest),
            None => (false, url.strip_prefix("http://")?),
        };
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) if rest.as_bytes()[i] == b'/' => rest.split_at(i),
            Some(_) => return None,
            None => (rest, "/"),
        };
        let default_port = if tls { 443 } else { 80 };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (h, p.parse().ok()?),
            _ => (authority, default_port),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || authority.contains('@') || path.bytes().any(|b| b <= b' ') {
            return None;
        }
        Some(Target {
            tls,
            host,
            port,
            path,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        let t = Target::parse("http://api.example:8080/v1/records?limit=10").unwrap();
        assert_eq!(
            (t.host, t.port, t.path),
            ("api.example", 8080, "/v1/records?limit=10")
        );
        let t = Target::parse("http://127.0.0.1").unwrap();
        assert_eq!((t.host, t.port, t.path), ("127.0.0.1", 80, "/"));
        let t = Target::parse("http://[::1]:81/x").unwrap();
        assert_eq!((t.host, t.port), ("::1", 81));
        let t = Target::parse("https://api.synth-link.example/v1").unwrap();
        assert_eq!(
            (t.tls, t.host, t.port, t.path),
            (true, "api.synth-link.example", 443, "/v1")
        );
        for bad in [
            "https://user:pw@a/",
            "http://",
            "http://a:x/",
            "http://a/b c",
            "ftp://a",
        ] {
            assert_eq!(Target::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn literals_and_decimals() {
        assert_eq!(ipv4("127.0.0.1"), Some(Ipv4Addr::new(127, 0, 0, 1)));
        for bad in [
            "256.0.0.1",
            "1.2.3",
            "1.2.3.4.5",
            "a.b.c.d",
            "1..2.3",
            "localhost",
        ] {
            assert_eq!(ipv4(bad), None, "{bad}");
        }
        let mut buf = [0u8; 20];
        assert_eq!(decimal(0, &mut buf), b"0");
        assert_eq!(decimal(1234, &mut buf), b"1234");
    }
}
