//! Reading an HTTP/1.1 response into the caller's buffer: the head (httparse, zero-copy),
//! then the body by `Content-Length`, chunked transfer coding, or to the end of the stream.
//! The head stays where it is, so the core can read its fields after the body is in.
//!
//! Chunked bodies are decoded in place, here rather than by reqwless: its decoder moves the
//! body over the head, which the rate limiter still needs to read.

use crate::http::HttpError;
use embedded_io_async::Read;
use headroom_core::header::parse_digits;

/// Header fields read from a response head at most.
pub(crate) const MAX_HEADERS: usize = 32;

/// Where a response lies in the receive buffer: `..head` the head, `head..end` the body.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Placed {
    pub(crate) status: u16,
    pub(crate) head: usize,
    pub(crate) end: usize,
}

/// How the body's end is known.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Length {
    Known(usize),
    Chunked,
    ToEnd,
}

/// Reads one whole response from `conn` into `rx`.
pub(crate) async fn read_response<C: Read>(
    conn: &mut C,
    rx: &mut [u8],
) -> Result<Placed, HttpError> {
    let mut filled = 0;
    let (status, head, length) = loop {
        let Some(free) = rx.get_mut(filled..).filter(|f| !f.is_empty()) else {
            return Err(HttpError::HeadTooLarge);
        };
        let n = conn.read(free).await.map_err(io)?;
        if n == 0 {
            return Err(HttpError::Closed);
        }
        filled += n;
        if let Some(found) = parse_head(&rx[..filled])? {
            break found;
        }
    };
    let end = match length {
        Length::Known(len) => read_known(conn, rx, head, filled, len).await?,
        Length::ToEnd => read_to_end(conn, rx, filled).await?,
        Length::Chunked => decode_chunked(conn, rx, head, filled).await?,
    };
    Ok(Placed { status, head, end })
}

fn io<E: embedded_io_async::Error>(e: E) -> HttpError {
    HttpError::Io(e.kind())
}

async fn read_known<C: Read>(
    conn: &mut C,
    rx: &mut [u8],
    head: usize,
    mut filled: usize,
    len: usize,
) -> Result<usize, HttpError> {
    let want = head
        .checked_add(len)
        .filter(|&w| w <= rx.len())
        .ok_or(HttpError::BodyTooLarge)?;
    while filled < want {
        let n = conn.read(&mut rx[filled..want]).await.map_err(io)?;
        if n == 0 {
            return Err(HttpError::Closed);
        }
        filled += n;
    }
    // Bytes past the declared length are not this response's: dropped (one per connection).
    Ok(want)
}

async fn read_to_end<C: Read>(
    conn: &mut C,
    rx: &mut [u8],
    mut filled: usize,
) -> Result<usize, HttpError> {
    while filled < rx.len() {
        let n = conn.read(&mut rx[filled..]).await.map_err(io)?;
        if n == 0 {
            return Ok(filled);
        }
        filled += n;
    }
    // Full: more may follow than fits.
    let mut probe = [0u8; 1];
    match conn.read(&mut probe).await.map_err(io)? {
        0 => Ok(filled),
        _ => Err(HttpError::BodyTooLarge),
    }
}

/// The raw, still-encoded bytes of a chunked body: `rx[pos..filled]`, with the decoded body
/// growing at `rx[head..out]` behind them.
struct Raw {
    out: usize,
    pos: usize,
    filled: usize,
}

impl Raw {
    /// Reads more raw bytes, first moving the unread ones down behind the decoded body when
    /// the buffer is full.
    async fn more<C: Read>(&mut self, conn: &mut C, rx: &mut [u8]) -> Result<(), HttpError> {
        if self.filled == rx.len() {
            rx.copy_within(self.pos..self.filled, self.out);
            self.filled = self.out + (self.filled - self.pos);
            self.pos = self.out;
            if self.filled == rx.len() {
                return Err(HttpError::BodyTooLarge);
            }
        }
        let n = conn.read(&mut rx[self.filled..]).await.map_err(io)?;
        if n == 0 {
            return Err(HttpError::Closed);
        }
        self.filled += n;
        Ok(())
    }

    /// The end of the line starting at `pos` (the index of its `\r\n`), reading as needed.
    async fn line<C: Read>(&mut self, conn: &mut C, rx: &mut [u8]) -> Result<usize, HttpError> {
        loop {
            if let Some(i) = rx[self.pos..self.filled]
                .windows(2)
                .position(|w| w == b"\r\n")
            {
                return Ok(self.pos + i);
            }
            self.more(conn, rx).await?;
        }
    }
}

/// Decodes a chunked body in place; returns the end of the decoded body.
pub(crate) async fn decode_chunked<C: Read>(
    conn: &mut C,
    rx: &mut [u8],
    head: usize,
    filled: usize,
) -> Result<usize, HttpError> {
    let mut raw = Raw {
        out: head,
        pos: head,
        filled,
    };
    loop {
        let eol = raw.line(conn, rx).await?;
        let size = chunk_size(&rx[raw.pos..eol]).ok_or(HttpError::Malformed)?;
        raw.pos = eol + 2;
        if size == 0 {
            // Trailer fields, ignored, up to the empty line.
            loop {
                let eol = raw.line(conn, rx).await?;
                let empty = eol == raw.pos;
                raw.pos = eol + 2;
                if empty {
                    return Ok(raw.out);
                }
            }
        }
        if size > rx.len() - raw.out {
            return Err(HttpError::BodyTooLarge);
        }
        let mut left = size;
        while left > 0 {
            if raw.pos == raw.filled {
                raw.more(conn, rx).await?;
            }
            let take = left.min(raw.filled - raw.pos);
            rx.copy_within(raw.pos..raw.pos + take, raw.out);
            raw.out += take;
            raw.pos += take;
            left -= take;
        }
        while raw.filled - raw.pos < 2 {
            raw.more(conn, rx).await?;
        }
        if &rx[raw.pos..raw.pos + 2] != b"\r\n" {
            return Err(HttpError::Malformed);
        }
        raw.pos += 2;
    }
}

/// A chunk-size line's size (hex digits, then optional `;extensions`).
fn chunk_size(line: &[u8]) -> Option<usize> {
    let digits = line.split(|&b| b == b';').next()?.trim_ascii();
    if digits.is_empty() || digits.len() > 8 {
        return None; // 8 hex digits: up to 4 GiB, more than any device buffer
    }
    digits.iter().try_fold(0usize, |n, &b| {
        let d = (b as char).to_digit(16)?;
        n.checked_mul(16)?.checked_add(d as usize)
    })
}

/// A complete head: status, head length, body length.
type Head = (u16, usize, Length);

/// The status, head length and body length once the head is complete; `None` while partial.
#[inline(never)]
pub(crate) fn parse_head(buf: &[u8]) -> Result<Option<Head>, HttpError> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut parsed = httparse::Response::new(&mut headers);
    let head = match parsed.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(HttpError::HeadTooLarge),
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
    let no_body = status == 204 || status == 304 || (100..200).contains(&status);
    let length = match (header("transfer-encoding"), header("content-length")) {
        _ if no_body => Length::Known(0),
        (Some(te), _) if ends_with_chunked(te) => Length::Chunked,
        (Some(te), _) if !te.trim_ascii().eq_ignore_ascii_case(b"identity") => {
            return Err(HttpError::Malformed);
        }
        (_, Some(v)) => Length::Known(parse_usize(v).ok_or(HttpError::Malformed)?),
        (_, None) => Length::ToEnd,
    };
    Ok(Some((status, head, length)))
}

/// `chunked` is the last transfer coding (RFC 9112 §6.3).
fn ends_with_chunked(te: &[u8]) -> bool {
    te.rsplit(|&b| b == b',')
        .next()
        .is_some_and(|last| last.trim_ascii().eq_ignore_ascii_case(b"chunked"))
}

fn parse_usize(v: &[u8]) -> Option<usize> {
    parse_digits(v.trim_ascii()).and_then(|n| usize::try_from(n).ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use embassy_futures::block_on;

    /// A stream that hands out `data` in pieces of at most `step` bytes.
    struct Pieces<'a> {
        data: &'a [u8],
        step: usize,
    }

    impl embedded_io_async::ErrorType for Pieces<'_> {
        type Error = embedded_io_async::ErrorKind;
    }

    impl Read for Pieces<'_> {
        async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Self::Error> {
            let n = self.data.len().min(buf.len()).min(self.step);
            buf[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    fn read(data: &[u8], step: usize, rx: &mut [u8]) -> Result<Placed, HttpError> {
        block_on(read_response(&mut Pieces { data, step }, rx))
    }

    #[test]
    fn chunked_bodies_decode_in_place_whatever_the_reads() {
        let wire =
            b"HTTP/1.1 429 Too Many\r\nTransfer-Encoding: gzip, chunked\r\nRetry-After: 3\r\n\r\n\
            4;ext=1\r\n{\"re\r\n12\r\ntry_after\": 7}    \r\n0\r\nX-Trailer: y\r\n\r\n";
        for step in [1, 2, 3, 7, 64, 1000] {
            let mut rx = [0u8; 256];
            let placed = read(wire, step, &mut rx).unwrap();
            assert_eq!(placed.status, 429);
            assert_eq!(
                &rx[placed.head..placed.end],
                b"{\"retry_after\": 7}    ",
                "step {step}"
            );
            assert!(
                rx[..placed.head].ends_with(b"Retry-After: 3\r\n\r\n"),
                "the head stays"
            );
        }
        // Room for the head, the decoded body and a chunk line, not the whole encoded body:
        // the encoded bytes are moved down as they are decoded.
        let head = wire.windows(4).position(|w| w == b"\r\n\r\n").unwrap() + 4;
        let mut small = [0u8; 256];
        let placed = read(wire, 5, &mut small[..head + 22 + 16]).unwrap();
        assert_eq!(placed.end - placed.head, 22);
    }

    #[test]
    fn bad_and_endless_chunked_bodies_end_in_errors() {
        let mut rx = [0u8; 128];
        let head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
        let mut wire = head.to_vec();
        wire.extend_from_slice(b"zz\r\nab\r\n0\r\n\r\n");
        assert_eq!(read(&wire, 4, &mut rx), Err(HttpError::Malformed));
        let mut wire = head.to_vec();
        wire.extend_from_slice(b"2\r\nabXX0\r\n\r\n");
        assert_eq!(
            read(&wire, 4, &mut rx),
            Err(HttpError::Malformed),
            "no CRLF after data"
        );
        let mut wire = head.to_vec();
        wire.extend_from_slice(b"ffffffffff\r\n");
        assert_eq!(
            read(&wire, 4, &mut rx),
            Err(HttpError::Malformed),
            "a size past 8 digits"
        );
        let mut wire = head.to_vec();
        wire.extend_from_slice(b"ffff\r\n");
        assert_eq!(read(&wire, 4, &mut rx), Err(HttpError::BodyTooLarge));
        let mut wire = head.to_vec();
        for _ in 0..40 {
            wire.extend_from_slice(b"4\r\nabcd\r\n");
        }
        assert_eq!(
            read(&wire, 9, &mut rx),
            Err(HttpError::BodyTooLarge),
            "endless"
        );
        let mut wire = head.to_vec();
        wire.extend_from_slice(b"4\r\nab");
        assert_eq!(
            read(&wire, 9, &mut rx),
            Err(HttpError::Closed),
            "closed mid-chunk"
        );
    }

    #[test]
    fn heads() {
        let response = b"HTTP/1.1 429 Too Many\r\nContent-Length: 5\r\nRetry-After: 3\r\n\r\nhello";
        assert_eq!(
            parse_head(response),
            Ok(Some((429, response.len() - 5, Length::Known(5))))
        );
        assert!(matches!(parse_head(b"HTTP/1.1 200 OK\r\nA: b"), Ok(None)));
        assert_eq!(
            parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n").map(|_| ()),
            Err(HttpError::Malformed)
        );
        assert_eq!(
            parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: br\r\n\r\n").map(|_| ()),
            Err(HttpError::Malformed),
            "a coding this client cannot undo"
        );
        assert_eq!(
            parse_head(b"\x16\x03\x01garbage\r\n\r\n"),
            Err(HttpError::Malformed)
        );
    }
}
