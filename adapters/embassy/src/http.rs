//! A small HTTP/1.1 client over [`embedded_nal_async`], rate limited end to end.
//!
//! httparse reads the response head (zero-copy, in the caller's buffer) rather than reqwless:
//! the client needs the raw header lines for the core anyway, httparse is the smaller of the two
//! in flash, and its only job here is a head, not a whole client with its own buffering. TLS is
//! the transport's business: pass a [`TcpConnect`] whose connections are TLS streams.
//!
//! One request per connection (`Connection: close`); the body is read by `Content-Length`, or
//! to the end of the stream. Chunked responses are refused ([`HttpError::Unsupported`]).

use crate::{Error, SharedLimiter};
use core::net::{IpAddr, Ipv4Addr, SocketAddr};
use embassy_sync::blocking_mutex::raw::RawMutex;
use embedded_io_async::{Read, Write};
use embedded_nal_async::{AddrType, Dns, TcpConnect};
use headroom_core::header::parse_digits;
use headroom_core::{Defaults, Method, RetryPolicy, Tuning, Windows};
use rand_core::Rng;

/// Headers read from a response head at most.
const MAX_HEADERS: usize = 32;

/// Why a request got no usable response.
#[derive(Debug, PartialEq, Eq)]
#[cfg_attr(feature = "defmt", derive(defmt::Format))]
pub enum HttpError<T, D> {
    /// The URL is not `http://host[:port][/path]`.
    Url,
    /// The host name did not resolve.
    Dns(D),
    /// Connecting, writing or reading failed.
    Io(T),
    /// The response head did not fit in the receive buffer.
    HeadTooLarge,
    /// The response body did not fit in the receive buffer after its head.
    BodyTooLarge,
    /// The connection closed before a whole response arrived.
    Closed,
    /// The response head is not HTTP/1.x.
    Malformed,
    /// A response form this client does not read (chunked transfer coding).
    Unsupported,
}

impl<T: core::fmt::Debug, D: core::fmt::Debug> core::fmt::Display for HttpError<T, D> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self {
            HttpError::Url => f.write_str("the URL is not http://host[:port][/path]"),
            HttpError::Dns(e) => write!(f, "the host name did not resolve: {e:?}"),
            HttpError::Io(e) => write!(f, "connecting, writing or reading failed: {e:?}"),
            HttpError::HeadTooLarge => f.write_str("the response head does not fit the buffer"),
            HttpError::BodyTooLarge => f.write_str("the response body does not fit the buffer"),
            HttpError::Closed => f.write_str("the connection closed before a whole response"),
            HttpError::Malformed => f.write_str("the response head is not HTTP/1.x"),
            HttpError::Unsupported => f.write_str("chunked responses are not read"),
        }
    }
}

impl<T: core::fmt::Debug, D: core::fmt::Debug> core::error::Error for HttpError<T, D> {}

/// A response, borrowing the caller's receive buffer.
#[derive(Debug)]
pub struct Response<'b> {
    /// The status code.
    pub status: u16,
    /// The raw head (status line and header lines).
    pub head: &'b [u8],
    /// The body.
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

/// An HTTP client drawing on one [`SharedLimiter`].
pub struct Client<'a, T, D, M: RawMutex, W, const B: usize = 2, C = Defaults> {
    tcp: &'a T,
    dns: &'a D,
    limiter: &'a SharedLimiter<M, W, B, C>,
    headers: &'a [(&'a str, &'a str)],
    policy: RetryPolicy,
}

/// Where a response lies in the receive buffer.
#[derive(Clone, Copy)]
struct Placed {
    status: u16,
    head: usize,
    end: usize,
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
            dns,
            limiter,
            headers,
            policy: RetryPolicy::DEFAULT,
        }
    }

    /// Replaces the retry policy (default [`RetryPolicy::DEFAULT`]).
    pub fn with_retry(mut self, policy: RetryPolicy) -> Self {
        self.policy = policy;
        self
    }

    /// GET `url`, the response read into `rx`.
    pub async fn get<'b>(
        &self,
        url: &str,
        rx: &'b mut [u8],
        rng: &mut impl Rng,
    ) -> Result<Response<'b>, Error<HttpError<T::Error, D::Error>>> {
        self.request("GET", url, None, rx, rng).await
    }

    /// POST `body` to `url` (not retried unless the policy retries non-idempotent methods).
    pub async fn post<'b>(
        &self,
        url: &str,
        body: &[u8],
        rx: &'b mut [u8],
        rng: &mut impl Rng,
    ) -> Result<Response<'b>, Error<HttpError<T::Error, D::Error>>> {
        self.request("POST", url, Some(body), rx, rng).await
    }

    /// Sends `method` to `url`: waits for the limiter, feeds every response back, retries as
    /// the core decides. `rx` holds the final response.
    pub async fn request<'b>(
        &self,
        method: &str,
        url: &str,
        body: Option<&[u8]>,
        rx: &'b mut [u8],
        rng: &mut impl Rng,
    ) -> Result<Response<'b>, Error<HttpError<T::Error, D::Error>>> {
        let target = Target::parse(url).ok_or(Error::Transport(HttpError::Url))?;
        let mut attempts = 0;
        let placed = crate::retry(
            self.limiter,
            &self.policy,
            Method::from_name(method),
            rng,
            async |reply| {
                attempts = reply.attempt();
                let placed = self.exchange(method, &target, body, rx).await?;
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

    /// One request on a new connection; the response is left in `rx`.
    async fn exchange(
        &self,
        method: &str,
        target: &Target<'_>,
        body: Option<&[u8]>,
        rx: &mut [u8],
    ) -> Result<Placed, HttpError<T::Error, D::Error>> {
        let ip = match ipv4(target.host) {
            Some(ip) => IpAddr::V4(ip),
            None => self
                .dns
                .get_host_by_name(target.host, AddrType::Either)
                .await
                .map_err(HttpError::Dns)?,
        };
        let mut conn = self
            .tcp
            .connect(SocketAddr::new(ip, target.port))
            .await
            .map_err(HttpError::Io)?;
        let head =
            compose_head(rx, method, target, self.headers, body).ok_or(HttpError::HeadTooLarge)?;
        conn.write_all(&rx[..head]).await.map_err(HttpError::Io)?;
        if let Some(b) = body {
            conn.write_all(b).await.map_err(HttpError::Io)?;
        }
        conn.flush().await.map_err(HttpError::Io)?;
        read_response(&mut conn, rx).await
    }
}

/// Hands the response in `buf` to the retry loop's reply.
#[inline(never)]
fn answer<M: RawMutex, W: Windows, const B: usize, C: Tuning, R: Rng>(
    buf: &[u8],
    placed: &Placed,
    reply: &mut crate::Reply<'_, M, W, B, C, R>,
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

/// Reads a whole response into `rx`: the head, then the body by `Content-Length` or to EOF.
async fn read_response<C: Read, D>(
    conn: &mut C,
    rx: &mut [u8],
) -> Result<Placed, HttpError<C::Error, D>> {
    let mut filled = 0;
    let (status, head, length) = loop {
        let Some(free) = rx.get_mut(filled..).filter(|f| !f.is_empty()) else {
            return Err(HttpError::HeadTooLarge);
        };
        let n = conn.read(free).await.map_err(HttpError::Io)?;
        if n == 0 {
            return Err(HttpError::Closed);
        }
        filled += n;
        if let Some(found) = parse_head(&rx[..filled])? {
            break found;
        }
    };
    let want = match length {
        Length::Known(l) => head.checked_add(l).ok_or(HttpError::BodyTooLarge)?,
        Length::ToEnd => rx.len(),
    };
    if want > rx.len() {
        return Err(HttpError::BodyTooLarge);
    }
    while filled < want {
        let n = conn
            .read(&mut rx[filled..want])
            .await
            .map_err(HttpError::Io)?;
        if n == 0 {
            if length == Length::ToEnd {
                break;
            }
            return Err(HttpError::Closed);
        }
        filled += n;
    }
    if length == Length::ToEnd && filled == rx.len() {
        // More may follow than fits.
        let mut probe = [0u8; 1];
        if conn.read(&mut probe).await.map_err(HttpError::Io)? > 0 {
            return Err(HttpError::BodyTooLarge);
        }
    }
    Ok(Placed {
        status,
        head,
        end: filled.min(want),
    })
}

/// A complete head: status, head length, body length.
type Head = (u16, usize, Length);

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Length {
    Known(usize),
    ToEnd,
}

/// The status, head length and body length once the head is complete; `None` while partial.
#[inline(never)]
fn parse_head<T, D>(buf: &[u8]) -> Result<Option<Head>, HttpError<T, D>> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut headers);
    let head = match parsed.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(HttpError::Malformed),
    };
    let status = parsed.code.ok_or(HttpError::Malformed)?;
    let header = |name: &str| {
        parsed
            .headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| h.value)
    };
    if header("transfer-encoding").is_some_and(|v| !v.eq_ignore_ascii_case(b"identity")) {
        return Err(HttpError::Unsupported);
    }
    let length = match header("content-length") {
        Some(v) => Length::Known(parse_usize(v).ok_or(HttpError::Malformed)?),
        // No body at all for these statuses.
        None if status == 204 || status == 304 || (100..200).contains(&status) => Length::Known(0),
        None => Length::ToEnd,
    };
    Ok(Some((status, head, length)))
}

fn parse_usize(v: &[u8]) -> Option<usize> {
    parse_digits(v.trim_ascii()).and_then(|n| usize::try_from(n).ok())
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

/// The parts of an `http://` URL.
#[derive(Debug, PartialEq, Eq)]
struct Target<'u> {
    host: &'u str,
    port: u16,
    path: &'u str,
}

impl<'u> Target<'u> {
    fn parse(url: &'u str) -> Option<Self> {
        let rest = url.strip_prefix("http://")?;
        let (authority, path) = match rest.find(['/', '?']) {
            Some(i) if rest.as_bytes()[i] == b'/' => rest.split_at(i),
            Some(_) => return None,
            None => (rest, "/"),
        };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (h, p.parse().ok()?),
            _ => (authority, 80),
        };
        let host = host.trim_start_matches('[').trim_end_matches(']');
        if host.is_empty() || path.bytes().any(|b| b <= b' ') {
            return None;
        }
        Some(Target { host, port, path })
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
        for bad in [
            "https://a/",
            "http://",
            "http://a:x/",
            "http://a/b c",
            "ftp://a",
        ] {
            assert_eq!(Target::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn heads() {
        let response = b"HTTP/1.1 429 Too Many\r\nContent-Length: 5\r\nRetry-After: 3\r\n\r\nhello";
        let ok: Result<_, HttpError<(), ()>> = parse_head(response);
        assert_eq!(ok, Ok(Some((429, response.len() - 5, Length::Known(5)))));
        let partial: Result<_, HttpError<(), ()>> = parse_head(b"HTTP/1.1 200 OK\r\nA: b");
        assert!(matches!(partial, Ok(None)));
        let chunked: Result<_, HttpError<(), ()>> =
            parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n");
        assert_eq!(chunked.map(|_| ()), Err(HttpError::Unsupported));
        let bad: Result<_, HttpError<(), ()>> =
            parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n");
        assert_eq!(bad.map(|_| ()), Err(HttpError::Malformed));
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
