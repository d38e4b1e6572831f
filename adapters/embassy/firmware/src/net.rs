//! A stand-in for the device's network stack (embassy-net's `TcpClient` and `DnsSocket` on real
//! hardware): every connection swallows the request and answers with a canned SynthLink
//! response. Both images use it, so it is not part of headroom's measured footprint.

use core::convert::Infallible;
use core::net::{IpAddr, Ipv4Addr, SocketAddr};
use embedded_io_async::{ErrorType, Read, Write};
use embedded_nal_async::{AddrType, Dns, TcpConnect};

const RESPONSE: &[u8] = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\
RateLimit-Policy: \"minute\";q=60;w=60, \"day\";q=1000;w=86400\r\n\
RateLimit: \"minute\";r=59;t=60, \"day\";r=999;t=86400\r\n\r\n{}";

/// The stand-in stack.
pub struct Stack;

/// One canned exchange.
pub struct Connection {
    sent: usize,
    read: usize,
}

impl ErrorType for Connection {
    type Error = Infallible;
}

impl Read for Connection {
    async fn read(&mut self, buf: &mut [u8]) -> Result<usize, Infallible> {
        let rest = &RESPONSE[self.read.min(RESPONSE.len())..];
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        self.read += n;
        Ok(n)
    }
}

impl Write for Connection {
    async fn write(&mut self, buf: &[u8]) -> Result<usize, Infallible> {
        self.sent += buf.len();
        Ok(buf.len())
    }

    async fn flush(&mut self) -> Result<(), Infallible> {
        Ok(())
    }
}

impl TcpConnect for Stack {
    type Error = Infallible;
    type Connection<'a> = Connection;

    async fn connect(&self, _remote: SocketAddr) -> Result<Connection, Infallible> {
        Ok(Connection { sent: 0, read: 0 })
    }
}

impl Dns for Stack {
    type Error = Infallible;

    async fn get_host_by_name(&self, _host: &str, _t: AddrType) -> Result<IpAddr, Infallible> {
        Ok(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)))
    }

    async fn get_host_by_address(&self, _a: IpAddr, _r: &mut [u8]) -> Result<usize, Infallible> {
        Ok(0)
    }
}
