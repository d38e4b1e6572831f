//! A strict RFC 9651 List reader that validates and extracts in one pass.
//!
//! Per member it keeps a 16-bit hash of the name and the Integer parameters `q`, `w`, `r` and
//! `t`, written in place: no error kinds, no positions, no structs returned. Every bare-item
//! type is recognised, so a field the [`crate::sf`] parser rejects is rejected here too (the
//! tests hold the two to the httpwg suite). Character classes are 16-byte bitmaps.
//!
//! Written by hand rather than with the `sf` parser or a crate (sfv needs `alloc`): a device
//! needs only these four numbers, and keeping nothing else is what makes it small.

/// One policy of a List field: (name hash, `q`, `w`, `r`, `t`); 0 means absent. The hash is
/// never 0 or 1 (1 is the unnamed policy of the pre-standard fields).
pub(crate) type Member = (u16, u32, u32, u32, u32);

/// A character class as a 128-bit map (ASCII only: bytes past 0x7f are in no class): the
/// bytes of `lo` and of each inclusive range. 16 bytes of flash where a byte table takes 128.
const fn map(lo: &[u8], ranges: &[(u8, u8)]) -> [u8; 16] {
    let mut m = [0u8; 16];
    let mut i = 0;
    while i < lo.len() {
        m[(lo[i] >> 3) as usize] |= 1 << (lo[i] & 7);
        i += 1;
    }
    let mut r = 0;
    while r < ranges.len() {
        let mut b = ranges[r].0;
        while b <= ranges[r].1 {
            m[(b >> 3) as usize] |= 1 << (b & 7);
            b += 1;
        }
        r += 1;
    }
    m
}

// RFC 9651's classes: a key's first character and the rest, a Token's (tchar, `:` and `/`), a
// String's unescaped characters, a Byte Sequence's base64 and a Display String's hex digits.
static KEY0: [u8; 16] = map(b"*", &[(b'a', b'z')]);
static KEY: [u8; 16] = map(b"*_-.", &[(b'a', b'z'), (b'0', b'9')]);
static TCHAR: [u8; 16] = map(
    b"!#$%&'*+-.^_`|~:/",
    &[(b'a', b'z'), (b'A', b'Z'), (b'0', b'9')],
);
static PLAIN: [u8; 16] = map(b"", &[(0x20, 0x21), (0x23, 0x5b), (0x5d, 0x7e)]);
static B64: [u8; 16] = map(b"+/", &[(b'a', b'z'), (b'A', b'Z'), (b'0', b'9')]);
static HEX: [u8; 16] = map(b"", &[(b'a', b'f'), (b'0', b'9')]);

/// Whether class `m` holds `b`. Inlined: a call costs a device more flash than the test.
#[inline(always)]
fn is(m: &[u8; 16], b: u8) -> bool {
    m.get(usize::from(b >> 3))
        .is_some_and(|w| w >> (b & 7) & 1 != 0)
}

/// A non-negative Integer.
const INT: u8 = 1;
/// A String or a Token: a policy's name.
const NAME: u8 = 2;
/// Any other bare item.
const OTHER: u8 = 3;
/// A negative Integer: valid, but no count.
const NEG: u8 = 4;

/// A position in a field, and what its last bare item was.
struct Scan<'a> {
    s: &'a [u8],
    i: usize,
    /// The last bare item's kind ([`INT`], [`NAME`], [`OTHER`], [`NEG`]).
    kind: u8,
    /// Its Integer magnitude, saturating.
    num: u32,
    /// Its name's hash (a String's or a Token's), FNV-1a.
    hash: u32,
}

impl Scan<'_> {
    fn peek(&self) -> u8 {
        self.s.get(self.i).copied().unwrap_or(0)
    }
    fn eat(&mut self, b: u8) -> bool {
        let hit = self.s.get(self.i) == Some(&b);
        self.i += usize::from(hit);
        hit
    }
    fn run(&mut self, m: &[u8; 16]) -> usize {
        let start = self.i;
        while self.i < self.s.len() && is(m, self.peek()) {
            self.i += 1;
        }
        self.i - start
    }
    fn hash(&mut self, b: u8) {
        self.hash = (self.hash ^ u32::from(b)).wrapping_mul(0x0100_0193);
    }
    fn digits(&mut self) -> usize {
        let start = self.i;
        // In 64 bits, saturated once at the end: a number of more than 15 digits, the most
        // that could wrap, is invalid anyway.
        let mut v = u64::from(self.num);
        while self.peek().is_ascii_digit() {
            v = v
                .wrapping_mul(10)
                .wrapping_add(u64::from(self.peek() - b'0'));
            self.i += 1;
        }
        self.num = u32::try_from(v).unwrap_or(u32::MAX);
        self.i - start
    }
    /// A bare item; false when invalid.
    fn bare(&mut self) -> bool {
        self.kind = OTHER;
        self.num = 0;
        self.hash = 0x811c_9dc5;
        // At the end, 0, which starts no bare item (the match below refuses it).
        let b = self.peek();
        if b == b'-' || b.is_ascii_digit() {
            return self.number();
        }
        self.i += 1;
        match b {
            b'"' => loop {
                let c = self.peek();
                if self.i >= self.s.len() {
                    return false;
                }
                self.i += 1;
                match c {
                    b'"' => {
                        self.kind = NAME;
                        return true;
                    }
                    b'\\' => {
                        let e = self.peek();
                        if !matches!(e, b'"' | b'\\') {
                            return false;
                        }
                        self.i += 1;
                        self.hash(e);
                    }
                    c if is(&PLAIN, c) => self.hash(c),
                    _ => return false,
                }
            },
            b'*' | b'a'..=b'z' | b'A'..=b'Z' => {
                self.hash(b);
                while self.i < self.s.len() && is(&TCHAR, self.peek()) {
                    let c = self.peek();
                    self.hash(c);
                    self.i += 1;
                }
                self.kind = NAME;
                true
            }
            b':' => {
                let data = self.run(&B64);
                let mut pad = 0;
                while self.eat(b'=') {
                    pad += 1;
                }
                let q = data % 4;
                self.eat(b':')
                    && pad <= 2
                    && q != 1
                    && (pad == 0 || (data > 0 && q != 0 && q + pad <= 4))
            }
            b'?' => self.eat(b'0') || self.eat(b'1'),
            b'@' => {
                let ok = self.number() && self.kind != OTHER;
                self.kind = OTHER;
                ok
            }
            b'%' => self.eat(b'"') && self.display(),
            _ => false,
        }
    }
    fn number(&mut self) -> bool {
        let neg = self.eat(b'-');
        let int = self.digits();
        if int == 0 {
            return false;
        }
        if self.eat(b'.') {
            let frac = self.digits();
            return int <= 12 && (1..=3).contains(&frac);
        }
        self.kind = if neg && self.num != 0 { NEG } else { INT };
        int <= 15
    }
    /// A Display String's rest after `%"`: percent-encoded UTF-8.
    fn display(&mut self) -> bool {
        let mut utf8 = crate::sf::Utf8::default();
        loop {
            let c = self.peek();
            if self.i >= self.s.len() {
                return false;
            }
            self.i += 1;
            let byte = match c {
                b'"' => return utf8.complete(),
                b'%' => {
                    let (h, l) = (self.peek(), self.s.get(self.i + 1).copied().unwrap_or(0));
                    if !is(&HEX, h) || !is(&HEX, l) {
                        return false;
                    }
                    self.i += 2;
                    let v = |d: u8| if d > b'9' { d - b'a' + 10 } else { d - b'0' };
                    v(h) << 4 | v(l)
                }
                // Plain ASCII, which may not fall inside a multi-byte sequence.
                0x20..=0x7e => c,
                _ => return false,
            };
            if !utf8.accept(byte) {
                return false;
            }
        }
    }
    /// Parameters; each Integer q/w/r/t lands in `m` when given.
    fn params(&mut self, mut m: Option<&mut Member>) -> bool {
        while self.eat(b';') {
            while self.eat(b' ') {}
            let first = self.peek();
            if !(self.i < self.s.len() && is(&KEY0, first)) {
                return false;
            }
            self.i += 1;
            // A one-letter key is `first`; a longer one is none of q, w, r, t.
            let key = if self.run(&KEY) == 0 { first } else { 0 };
            if self.eat(b'=') {
                if !self.bare() {
                    return false;
                }
            } else {
                self.kind = OTHER;
            }
            if let Some(m) = m.as_deref_mut() {
                let v = if self.kind == INT { self.num } else { 0 };
                match key {
                    b'q' => m.1 = v,
                    b'w' => m.2 = v,
                    b'r' => m.3 = v,
                    b't' => m.4 = v,
                    _ => {}
                }
            }
        }
        true
    }
}

/// Reads a List field; members named by a String or Token go to `held` from `start` (while it
/// has room); returns where they end, or `None` when the field is not a valid List.
pub(crate) fn read_list(
    field: &[u8],
    held: &mut [Member],
    start: usize,
    dict: bool,
) -> Option<usize> {
    // Surrounding spaces are not part of the field (RFC 9651 §4.2).
    let mut field = field;
    while let [b' ', rest @ ..] = field {
        field = rest;
    }
    while let [rest @ .., b' '] = field {
        field = rest;
    }
    let mut p = Scan {
        s: field,
        i: 0,
        kind: 0,
        num: 0,
        hash: 0,
    };
    let mut n = start;
    if p.s.is_empty() {
        return Some(n);
    }
    loop {
        // A Dictionary member's key (draft -07's `limit=…, remaining=…, reset=…`).
        let (mut key, mut valued) = (0u8, true);
        if dict {
            let at = p.i;
            if !(p.i < p.s.len() && is(&KEY0, p.peek())) {
                return None;
            }
            p.run(&KEY);
            key = match p.s.get(at..p.i)? {
                b"limit" => b'q',
                b"remaining" => b'r',
                b"reset" => b't',
                _ => 0,
            };
            valued = p.eat(b'=');
        }
        if valued && p.eat(b'(') {
            loop {
                while p.eat(b' ') {}
                if p.eat(b')') {
                    break;
                }
                if !p.bare() || !p.params(None) || !matches!(p.peek(), b' ' | b')') {
                    return None;
                }
            }
            if !p.params(None) {
                return None;
            }
        } else {
            if !valued {
                p.kind = OTHER;
            } else if !p.bare() {
                return None;
            }
            if dict {
                if key != 0 && p.kind == INT {
                    let v = p.num;
                    let m = held.get_mut(start)?;
                    m.0 = 1;
                    match key {
                        b'q' => m.1 = v,
                        b'r' => m.3 = v,
                        _ => m.4 = v,
                    }
                    n = start + 1;
                }
                if !p.params(None) {
                    return None;
                }
            } else {
                // Pre-standard unnamed Integer items (`100;w=60`, `X-RateLimit-Limit: 100`).
                let unnamed = cfg!(feature = "legacy") && p.kind == INT;
                let value = p.num;
                let slot = (p.kind == NAME || unnamed)
                    .then_some(())
                    .and_then(|()| held.get_mut(n));
                let named = slot.is_some();
                if let Some(m) = slot {
                    *m = if unnamed {
                        (1, value, 0, 0, 0)
                    } else {
                        (((p.hash >> 16) ^ p.hash) as u16 | 2, 0, 0, 0, 0)
                    };
                }
                let m = if named { held.get_mut(n) } else { None };
                if !p.params(m) {
                    return None;
                }
                n += usize::from(named);
            }
        }
        while matches!(p.peek(), b' ' | b'\t') && p.i < p.s.len() {
            p.i += 1;
        }
        if p.i >= p.s.len() {
            return Some(n);
        }
        if !p.eat(b',') {
            return None;
        }
        while matches!(p.peek(), b' ' | b'\t') && p.i < p.s.len() {
            p.i += 1;
        }
        if p.i >= p.s.len() {
            return None;
        }
    }
}

/// The reader against headroom's strict parser ([`crate::sf`]): the same verdict on every
/// field of the httpwg suite and on mutations of real fields, and the same numbers.
#[cfg(test)]
mod tests {
    extern crate std;
    use super::*;
    use crate::sf;
    use std::string::{String, ToString};
    use std::vec::Vec;

    /// The named members' Integer `q`/`w`/`r`/`t` (≥ 0) of a valid List, as `sf` reads them.
    fn reference(field: &[u8]) -> Option<Vec<[u32; 4]>> {
        let list = sf::parse_list(field).ok()?;
        let mut out = Vec::new();
        for m in list.members() {
            if let sf::Member::Item(item) = m {
                if !matches!(
                    item.bare(),
                    sf::BareItem::String(_) | sf::BareItem::Token(_)
                ) {
                    continue;
                }
                let get = |k: &str| match item.params().get(k) {
                    Some(sf::BareItem::Integer(i)) if i >= 0 => i.min(i64::from(u32::MAX)) as u32,
                    _ => 0,
                };
                out.push([get("q"), get("w"), get("r"), get("t")]);
            }
        }
        Some(out)
    }

    fn agree(field: &[u8]) -> bool {
        let mut held = [(0u16, 0u32, 0u32, 0u32, 0u32); 4];
        let read = read_list(field, &mut held, 0, false);
        let expected = reference(field);
        let shown = String::from_utf8_lossy(field).to_string();
        assert_eq!(read.is_some(), expected.is_some(), "validity of {shown:?}");
        if let (Some(n), Some(r)) = (read, &expected) {
            // Unnamed Integer items are the pre-standard policy (hash 1) with `legacy`.
            let named: Vec<_> = held[..n].iter().filter(|m| m.0 != 1).collect();
            assert_eq!(named.len(), r.len().min(4), "members of {shown:?}");
            for (m, r) in named.iter().zip(r) {
                assert_eq!([m.1, m.2, m.3, m.4], *r, "{shown:?}");
            }
        }
        expected.is_some()
    }

    #[test]
    fn agrees_with_the_strict_parser_on_the_httpwg_suite() {
        let dir = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/data/structured-field-tests"
        );
        let (mut fields, mut valid) = (0, 0);
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap();
            let tests: serde_json::Value = serde_json::from_str(&text).unwrap();
            for t in tests.as_array().unwrap() {
                let Some(raw) = t["raw"].as_array() else {
                    continue;
                };
                let lines: Vec<&str> = raw.iter().map(|l| l.as_str().unwrap()).collect();
                fields += 1;
                valid += usize::from(agree(lines.join(", ").as_bytes()));
            }
        }
        // Every field of the suite, as a List (most of its Items and Dictionaries are Lists too).
        assert!(
            fields > 1_500 && valid > 500,
            "{fields} fields, {valid} valid"
        );
    }

    #[test]
    fn integers_past_32_bits_saturate_as_the_strict_parser_reads_them() {
        for (field, valid) in [
            (&b"a;q=4294967295"[..], true),
            (b"a;q=4294967296", true),
            (b"a;q=18446744073709551615", false),
            (b"a;q=999999999999999;w=1", true),
            (b"a;q=9999999999999999", false),
            (b"a;q=999999999999.999;r=7", true),
            (b"a;q=9999999999999.9", false),
            (b"a;r=-99999999999", true),
        ] {
            assert_eq!(agree(field), valid, "{field:?}");
        }
        let mut held = [(0u16, 0u32, 0u32, 0u32, 0u32); 4];
        assert_eq!(
            read_list(b"a;q=99999999999;r=-5;t=12", &mut held, 0, false),
            Some(1)
        );
        assert_eq!((held[0].1, held[0].3, held[0].4), (u32::MAX, 0, 12));
    }

    #[test]
    fn agrees_with_the_strict_parser_on_mutated_fields() {
        let alphabet: &[u8] = b"\"\\();=,: \t?@%*-.0123456789abcdefqwrtAZ+/_~!#\x7f\x00\xc3\xa9xyz";
        let seeds: [&[u8]; 3] = [
            br#""minute";q=60;w=60, "day";q=1000;w=86400"#,
            br#""minute";r=42;t=12, "day";r=913;t=43120"#,
            br#"a;b=:aGVsbG8=:, (1 2.5 "x");c=?1, %"f%c3%a9", @-12, tok/en:x"#,
        ];
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut rand = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        let mut valid = 0;
        for _ in 0..200_000 {
            let mut f = seeds[(rand() % 3) as usize].to_vec();
            for _ in 0..(1 + rand() % 4) {
                let at = (rand() % (f.len() as u64 + 1)) as usize;
                let b = alphabet[(rand() % alphabet.len() as u64) as usize];
                match rand() % 3 {
                    0 if at < f.len() => f[at] = b,
                    1 if at < f.len() => {
                        f.remove(at);
                    }
                    _ => f.insert(at, b),
                }
            }
            valid += usize::from(agree(&f));
        }
        // Both verdicts occur often: the mutations test the reader's refusals and its numbers.
        assert!((20_000..180_000).contains(&valid), "{valid} valid");
    }
}
