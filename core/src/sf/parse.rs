//! The RFC 9651 §4.2 parsing algorithms over a byte cursor. Every function returns an error
//! rather than panicking; indexing goes through `get`.

use super::value::{
    BareItem, ByteSeq, Decimal, DisplayStr, SfStr, SfToken, base64_value, hex_value,
};
use super::{Error, ErrorKind};

pub(crate) struct Cursor<'a> {
    s: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(s: &'a [u8]) -> Self {
        Cursor { s, pos: 0 }
    }

    pub(crate) fn peek(&self) -> Option<u8> {
        self.s.get(self.pos).copied()
    }

    pub(crate) fn at_end(&self) -> bool {
        self.pos >= self.s.len()
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    pub(crate) fn bump(&mut self) -> Option<u8> {
        let b = self.peek()?;
        self.pos += 1;
        Some(b)
    }

    pub(crate) fn eat(&mut self, b: u8) -> bool {
        let hit = self.peek() == Some(b);
        if hit {
            self.pos += 1;
        }
        hit
    }

    pub(crate) fn skip_sp(&mut self) {
        while self.eat(b' ') {}
    }

    pub(crate) fn skip_ows(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// Advances past the bytes of class `class` (see [`CLASS`]), returning how many.
    #[inline]
    fn skip_class(&mut self, class: u8) -> usize {
        let rest = self.s.get(self.pos..).unwrap_or(&[]);
        let n = rest
            .iter()
            .position(|&b| !is(b, class))
            .unwrap_or(rest.len());
        self.pos += n;
        n
    }

    pub(crate) fn slice(&self, from: usize) -> &'a [u8] {
        self.s.get(from..self.pos).unwrap_or(&[])
    }

    pub(crate) fn err(&self, kind: ErrorKind) -> Error {
        Error { kind, at: self.pos }
    }
}

/// Byte classes, one bit each in [`CLASS`]: a table lookup per byte instead of a chain of
/// range comparisons (as httparse does).
const KEY_START: u8 = 1;
const KEY: u8 = 2;
const TCHAR: u8 = 4;
/// Printable ASCII other than `"` and `\`: bytes a String holds unescaped.
const PLAIN: u8 = 8;

static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0usize;
    while b < 256 {
        let c = b as u8;
        let mut bits = 0;
        if c.is_ascii_lowercase() || c == b'*' {
            bits |= KEY_START | KEY;
        }
        if c.is_ascii_digit() || matches!(c, b'_' | b'-' | b'.') {
            bits |= KEY;
        }
        // tchar (RFC 9110 §5.6.2) plus ":" and "/".
        if c.is_ascii_alphanumeric()
            || matches!(
                c,
                b'!' | b'#'
                    | b'$'
                    | b'%'
                    | b'&'
                    | b'\''
                    | b'*'
                    | b'+'
                    | b'-'
                    | b'.'
                    | b'^'
                    | b'_'
                    | b'`'
                    | b'|'
                    | b'~'
                    | b':'
                    | b'/'
            )
        {
            bits |= TCHAR;
        }
        if c >= 0x20 && c <= 0x7e && c != b'"' && c != b'\\' {
            bits |= PLAIN;
        }
        t[b] = bits;
        b += 1;
    }
    t
};

#[inline]
fn is(b: u8, class: u8) -> bool {
    CLASS[usize::from(b)] & class != 0
}

/// Strips the leading and trailing SP that RFC 9651 discards around a whole field.
pub(crate) fn trim_sp(s: &[u8]) -> &[u8] {
    let start = s.iter().position(|&b| b != b' ').unwrap_or(s.len());
    let end = s.iter().rposition(|&b| b != b' ').map_or(start, |i| i + 1);
    s.get(start..end).unwrap_or(&[])
}

/// A List or Dictionary member: an Item or an Inner List, each with parameters.
pub(crate) enum RawMember<'a> {
    Item(BareItem<'a>, &'a [u8]),
    Inner(&'a [u8], &'a [u8]),
}

pub(crate) fn member<'a>(c: &mut Cursor<'a>) -> Result<RawMember<'a>, Error> {
    if c.peek() == Some(b'(') {
        let items = inner_list(c)?;
        Ok(RawMember::Inner(items, parameters(c)?))
    } else {
        let bare = bare_item(c)?;
        Ok(RawMember::Item(bare, parameters(c)?))
    }
}

/// Parses `( item *( 1*SP item ) )`, returning the text between the parentheses.
pub(crate) fn inner_list<'a>(c: &mut Cursor<'a>) -> Result<&'a [u8], Error> {
    c.eat(b'(');
    let start = c.pos();
    loop {
        c.skip_sp();
        if c.peek() == Some(b')') {
            let items = c.slice(start);
            c.eat(b')');
            return Ok(items);
        }
        if c.at_end() {
            return Err(c.err(ErrorKind::UnterminatedInnerList));
        }
        bare_item(c)?;
        parameters(c)?;
        if !matches!(c.peek(), Some(b' ' | b')')) {
            return Err(c.err(ErrorKind::BadInnerListSeparator));
        }
    }
}

/// Parses `*( ";" *SP key [ "=" bare-item ] )`, returning the text it covered.
pub(crate) fn parameters<'a>(c: &mut Cursor<'a>) -> Result<&'a [u8], Error> {
    let start = c.pos();
    while c.peek() == Some(b';') {
        parameter(c)?;
    }
    Ok(c.slice(start))
}

/// A parameter: its key's bytes (ASCII, checked) and its value.
#[inline]
pub(crate) fn parameter<'a>(c: &mut Cursor<'a>) -> Result<(&'a [u8], BareItem<'a>), Error> {
    c.eat(b';');
    c.skip_sp();
    let k = key(c)?;
    let v = if c.eat(b'=') {
        bare_item(c)?
    } else {
        BareItem::Boolean(true)
    };
    Ok((k, v))
}

#[inline]
pub(crate) fn key<'a>(c: &mut Cursor<'a>) -> Result<&'a [u8], Error> {
    let start = c.pos();
    if !c.peek().is_some_and(|b| is(b, KEY_START)) {
        return Err(c.err(ErrorKind::BadKey));
    }
    c.skip_class(KEY);
    Ok(c.slice(start))
}

#[inline]
pub(crate) fn bare_item<'a>(c: &mut Cursor<'a>) -> Result<BareItem<'a>, Error> {
    match c.peek() {
        Some(b'-' | b'0'..=b'9') => number(c),
        Some(b'"') => string(c).map(BareItem::String),
        Some(b'A'..=b'Z' | b'a'..=b'z' | b'*') => Ok(BareItem::Token(SfToken(token(c)))),
        Some(b':') => byte_sequence(c).map(BareItem::ByteSequence),
        Some(b'?') => boolean(c).map(BareItem::Boolean),
        Some(b'@') => date(c).map(BareItem::Date),
        Some(b'%') => display_string(c).map(BareItem::DisplayString),
        Some(_) => Err(c.err(ErrorKind::BadItem)),
        None => Err(c.err(ErrorKind::UnexpectedEnd)),
    }
}

/// RFC 9651 §4.2.4: Integers of at most 15 digits, Decimals of at most 12.3 digits.
#[inline]
fn number<'a>(c: &mut Cursor<'a>) -> Result<BareItem<'a>, Error> {
    let sign = if c.eat(b'-') { -1 } else { 1 };
    let (value, int_digits) = digits(c, 0);
    if int_digits == 0 {
        return Err(c.err(ErrorKind::BadNumber));
    }
    if !c.eat(b'.') {
        return match int_digits {
            ..=15 => Ok(BareItem::Integer(sign * value)),
            _ => Err(c.err(ErrorKind::NumberTooLong)),
        };
    }
    if int_digits > 12 {
        return Err(c.err(ErrorKind::NumberTooLong));
    }
    let (value, frac_digits) = digits(c, value);
    let scale = match frac_digits {
        1 => 100,
        2 => 10,
        3 => 1,
        _ => return Err(c.err(ErrorKind::BadNumber)),
    };
    Ok(BareItem::Decimal(Decimal(sign * value * scale)))
}

/// Reads a run of digits onto `value`, returning it and the run's length. The arithmetic wraps
/// rather than overflowing: callers reject runs long enough to wrap (over 15 digits in all).
#[inline]
fn digits(c: &mut Cursor<'_>, mut value: i64) -> (i64, usize) {
    let start = c.pos;
    while let Some(d @ b'0'..=b'9') = c.peek() {
        value = value.wrapping_mul(10).wrapping_add(i64::from(d - b'0'));
        c.pos += 1;
    }
    (value, c.pos - start)
}

#[inline]
fn string<'a>(c: &mut Cursor<'a>) -> Result<SfStr<'a>, Error> {
    c.eat(b'"');
    let start = c.pos();
    loop {
        c.skip_class(PLAIN);
        match c.bump() {
            None => return Err(c.err(ErrorKind::UnterminatedString)),
            Some(b'"') => break,
            Some(b'\\') => match c.bump() {
                Some(b'"' | b'\\') => {}
                _ => return Err(c.err(ErrorKind::BadEscape)),
            },
            Some(0x20..=0x7e) => {}
            Some(_) => return Err(c.err(ErrorKind::BadStringChar)),
        }
    }
    let s = c.slice(start);
    Ok(SfStr(s.get(..s.len().saturating_sub(1)).unwrap_or(&[])))
}

fn token<'a>(c: &mut Cursor<'a>) -> &'a [u8] {
    let start = c.pos();
    c.bump();
    c.skip_class(TCHAR);
    c.slice(start)
}

fn byte_sequence<'a>(c: &mut Cursor<'a>) -> Result<ByteSeq<'a>, Error> {
    c.eat(b':');
    let start = c.pos();
    let (mut data, mut pad) = (0usize, 0usize);
    loop {
        match c.bump() {
            None => return Err(c.err(ErrorKind::UnterminatedByteSequence)),
            Some(b':') => break,
            Some(b'=') if data > 0 && pad < 2 => pad += 1,
            Some(b) if pad == 0 && base64_value(b).is_some() => data += 1,
            Some(_) => return Err(c.err(ErrorKind::BadByteSequence)),
        }
    }
    // Padding may only be in a partial last quantum (`xx==`, `xx=`, `xxx=`), not after a full
    // one; missing or short padding is accepted as RFC 9651 §4.2.7 advises.
    if data % 4 == 1 || (pad > 0 && (data % 4 == 0 || data % 4 + pad > 4)) {
        return Err(c.err(ErrorKind::BadByteSequence));
    }
    let s = c.slice(start);
    Ok(ByteSeq(s.get(..s.len().saturating_sub(1)).unwrap_or(&[])))
}

fn boolean(c: &mut Cursor<'_>) -> Result<bool, Error> {
    c.eat(b'?');
    match c.bump() {
        Some(b'1') => Ok(true),
        Some(b'0') => Ok(false),
        _ => Err(c.err(ErrorKind::BadBoolean)),
    }
}

fn date(c: &mut Cursor<'_>) -> Result<i64, Error> {
    c.eat(b'@');
    match number(c)? {
        BareItem::Integer(i) => Ok(i),
        _ => Err(c.err(ErrorKind::BadDate)),
    }
}

fn display_string<'a>(c: &mut Cursor<'a>) -> Result<DisplayStr<'a>, Error> {
    c.eat(b'%');
    if !c.eat(b'"') {
        return Err(c.err(ErrorKind::BadDisplayString));
    }
    let start = c.pos();
    let mut utf8 = Utf8::default();
    loop {
        let byte = match c.bump() {
            None => return Err(c.err(ErrorKind::UnterminatedString)),
            Some(b'"') if utf8.complete() => break,
            Some(b'%') => {
                let hi = c.bump().and_then(hex_value);
                let lo = c.bump().and_then(hex_value);
                match (hi, lo) {
                    (Some(h), Some(l)) => h << 4 | l,
                    _ => return Err(c.err(ErrorKind::BadDisplayString)),
                }
            }
            Some(b @ 0x20..=0x7e) if utf8.complete() && b != b'"' => continue,
            Some(_) => return Err(c.err(ErrorKind::BadUtf8)),
        };
        if !utf8.accept(byte) {
            return Err(c.err(ErrorKind::BadUtf8));
        }
    }
    let s = c.slice(start);
    Ok(DisplayStr(
        s.get(..s.len().saturating_sub(1)).unwrap_or(&[]),
    ))
}

/// A streaming UTF-8 check, one byte at a time: the WHATWG Encoding Standard's decoder (§9.1.1)
/// without the decoding. It holds how many continuation bytes are due and the range the next
/// one must fall in, which is what excludes overlong forms, surrogates and anything past
/// U+10FFFF (RFC 3629 §4). Written here rather than calling `str::from_utf8`, which costs a
/// device over 600 bytes of flash and needs the decoded bytes in a buffer.
#[derive(Clone, Copy)]
pub(crate) struct Utf8 {
    need: u8,
    lower: u8,
    upper: u8,
}

impl Default for Utf8 {
    fn default() -> Self {
        Utf8 {
            need: 0,
            lower: 0x80,
            upper: 0xbf,
        }
    }
}

impl Utf8 {
    /// No sequence is left open.
    pub(crate) fn complete(&self) -> bool {
        self.need == 0
    }

    /// Takes the next byte; false when it cannot continue well-formed UTF-8.
    // Out of line: inlined into the device's Display String reader it costs 28 B more flash.
    #[inline(never)]
    pub(crate) fn accept(&mut self, byte: u8) -> bool {
        if self.need == 0 {
            (self.need, self.lower, self.upper) = match byte {
                0x00..=0x7f => return true,
                0xc2..=0xdf => (1, 0x80, 0xbf),
                0xe0 => (2, 0xa0, 0xbf),
                0xed => (2, 0x80, 0x9f),
                0xe1..=0xef => (2, 0x80, 0xbf),
                0xf0 => (3, 0x90, 0xbf),
                0xf4 => (3, 0x80, 0x8f),
                0xf1..=0xf3 => (3, 0x80, 0xbf),
                _ => return false,
            };
            return true;
        }
        if !(self.lower..=self.upper).contains(&byte) {
            return false;
        }
        (self.need, self.lower, self.upper) = (self.need - 1, 0x80, 0xbf);
        true
    }
}

/// Every byte the grammar accepts into keys, tokens and strings is ASCII, so this never fails.
pub(crate) fn ascii(s: &[u8]) -> &str {
    core::str::from_utf8(s).unwrap_or("")
}

#[cfg(test)]
mod tests {
    use super::Utf8;

    fn valid(seq: &[u8]) -> bool {
        let mut utf8 = Utf8::default();
        seq.iter().all(|&b| utf8.accept(b)) && utf8.need == 0
    }

    /// Judged as `str::from_utf8` judges them: every sequence of 1 to 3 bytes, and every 4-byte
    /// one with two varied tails (which covers each lead against each continuation range).
    #[test]
    fn utf8_agrees_with_core() {
        let check = |seq: &[u8]| {
            let core = core::str::from_utf8(seq).is_ok();
            assert_eq!(valid(seq), core, "{seq:x?}");
        };
        for a in 0..=255u8 {
            check(&[a]);
            for b in 0..=255u8 {
                check(&[a, b]);
                for c in 0..=255u8 {
                    check(&[a, b, c]);
                }
                for (c, d) in [
                    (0x80, 0x80),
                    (0xbf, 0xbf),
                    (0x80, 0x7f),
                    (0xc0, 0x80),
                    (0x8f, 0x90),
                ] {
                    check(&[a, b, c, d]);
                }
            }
        }
    }
}
