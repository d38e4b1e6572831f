//! For firmware that already sends with [reqwless](https://docs.rs/reqwless): headroom paces,
//! reqwless sends, and [`response`] hands reqwless's response head to headroom.
//!
//! See `examples/reqwless.rs` for the whole loop on the core's retry driver.

use embedded_io_async::Read;
use headroom_core::Response;

/// A reqwless response's header fields, read again each time the core asks.
pub struct Fields<'a, 'r, 'b, C: Read>(&'a reqwless::response::Response<'r, 'b, C>);

impl<C: Read> Clone for Fields<'_, '_, '_, C> {
    fn clone(&self) -> Self {
        Fields(self.0)
    }
}

impl<'a, C: Read> IntoIterator for Fields<'a, '_, '_, C> {
    type Item = (&'a str, &'a [u8]);
    type IntoIter = reqwless::response::HeaderIterator<'a>;

    fn into_iter(self) -> Self::IntoIter {
        self.0.headers()
    }
}

/// `response`'s status and header fields, for [`Reply::response`](crate::Reply::response)
/// or [`Ticket::observe_response`](crate::Ticket::observe_response). Read it before the
/// body: reqwless moves the body over the head.
pub fn response<'a, 'r, 'b, C: Read>(
    response: &'a reqwless::response::Response<'r, 'b, C>,
) -> Response<'a, Fields<'a, 'r, 'b, C>> {
    Response::new(response.status.0, Fields(response))
}
