//! The httpwg Structured Field cases (vendored under `tests/data/structured-field-tests`),
//! checked by one body on the host (`tests/structured_fields.rs`) and on a Cortex-M4 under
//! QEMU (`core/on-target`, whose build script compiles every case in).
//!
//! A parse is written out in a canonical text form and compared, as it is written, with the
//! case's expected value in the same form (made from the suite's JSON by
//! `tests/sf_expected/mod.rs`): no allocation, so it runs on the device.
//!
//! The form: numbers in thousandths (`N1500`: the suite writes integers and decimals alike),
//! `S`/`T`/`%` then the byte length, `:` and the text (strings, tokens, display strings),
//! `B` hex `.` (byte sequences), `?1`/`?0`, `@` seconds (dates); parameters `;key=value`;
//! an item `<bare params>`, an inner list `(items)params`; dictionary members `key:member`.

use core::fmt::{self, Write};
use headroom_core::sf::{self, BareItem, Item, Member, Params};

/// One parse case.
#[derive(Clone, Copy, Debug)]
pub struct Case<'a> {
    /// Its name in the suite.
    pub name: &'a str,
    /// `item`, `list` or `dictionary`.
    pub header_type: &'a str,
    /// The field lines.
    pub raw: &'a [&'a [u8]],
    /// The parse must fail.
    pub must_fail: bool,
    /// The parse may fail.
    pub can_fail: bool,
    /// The expected value in canonical form.
    pub expected: &'a str,
}

/// Compares what is written with `rest` as it comes.
struct Compare<'e> {
    rest: &'e [u8],
    same: bool,
}

impl Write for Compare<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        match self.rest.strip_prefix(s.as_bytes()) {
            Some(rest) if self.same => self.rest = rest,
            _ => self.same = false,
        }
        Ok(())
    }
}

/// Why a case failed.
#[derive(Debug, PartialEq, Eq)]
pub enum Failure {
    /// A `must_fail` case parsed.
    Accepted,
    /// A case that must parse did not.
    Rejected,
    /// It parsed to something else.
    Differs,
    /// The lines do not fit the buffer.
    TooLong,
}

/// Runs `case`, joining its lines in `buf`.
pub fn check(case: &Case<'_>, buf: &mut [u8]) -> Result<(), Failure> {
    let joined = sf::join_lines(case.raw.iter().copied(), buf).map_err(|_| Failure::TooLong)?;
    let mut compare = Compare {
        rest: case.expected.as_bytes(),
        same: true,
    };
    let accepted = write_parse(case.header_type, joined, &mut compare).is_ok_and(|a| a);
    match (accepted, case.must_fail) {
        (false, true) => Ok(()),
        (true, true) => Err(Failure::Accepted),
        (false, false) if case.can_fail => Ok(()),
        (false, false) => Err(Failure::Rejected),
        (true, false) if compare.same && compare.rest.is_empty() => Ok(()),
        (true, false) => Err(Failure::Differs),
    }
}

/// Writes the parse of `joined` as `header_type` in canonical form; `Ok(false)` when it is
/// rejected.
pub fn write_parse(
    header_type: &str,
    joined: &[u8],
    out: &mut impl Write,
) -> Result<bool, fmt::Error> {
    match header_type {
        "item" => match sf::parse_item(joined) {
            Ok(i) => item(i, out).map(|()| true),
            Err(_) => Ok(false),
        },
        "list" => match sf::parse_list(joined) {
            Ok(l) => {
                for m in l.members() {
                    member(m, out)?;
                }
                Ok(true)
            }
            Err(_) => Ok(false),
        },
        "dictionary" => match sf::parse_dictionary(joined) {
            Ok(d) => {
                for (k, m) in d.iter() {
                    write!(out, "{k}:")?;
                    member(m, out)?;
                }
                Ok(true)
            }
            Err(_) => Ok(false),
        },
        _ => Ok(false),
    }
}

fn text<I: Iterator<Item = char>>(
    tag: char,
    chars: impl Fn() -> I,
    out: &mut impl Write,
) -> fmt::Result {
    let len: usize = chars().map(char::len_utf8).sum();
    write!(out, "{tag}{len}:")?;
    for c in chars() {
        out.write_char(c)?;
    }
    Ok(())
}

fn bare(b: BareItem<'_>, out: &mut impl Write) -> fmt::Result {
    match b {
        BareItem::Integer(i) => write!(out, "N{}", i128::from(i) * 1000),
        BareItem::Decimal(d) => write!(out, "N{}", d.thousandths()),
        BareItem::String(s) => text('S', || s.chars(), out),
        BareItem::Token(t) => text('T', || t.as_str().chars(), out),
        BareItem::ByteSequence(b) => {
            out.write_char('B')?;
            for byte in b.decoded() {
                write!(out, "{byte:02x}")?;
            }
            out.write_char('.')
        }
        BareItem::Boolean(v) => out.write_str(if v { "?1" } else { "?0" }),
        BareItem::Date(d) => write!(out, "@{d}"),
        BareItem::DisplayString(d) => {
            let len = d.bytes().count();
            write!(out, "%{len}:")?;
            let mut utf8 = [0u8; 4];
            let mut have = 0;
            for byte in d.bytes() {
                utf8[have] = byte;
                have += 1;
                if let Ok(s) = core::str::from_utf8(&utf8[..have]) {
                    out.write_str(s)?;
                    have = 0;
                } else if have == 4 {
                    return Err(fmt::Error);
                }
            }
            Ok(())
        }
    }
}

fn params(p: Params<'_>, out: &mut impl Write) -> fmt::Result {
    for (k, v) in p.iter() {
        write!(out, ";{k}=")?;
        bare(v, out)?;
    }
    Ok(())
}

fn item(i: Item<'_>, out: &mut impl Write) -> fmt::Result {
    out.write_char('<')?;
    bare(i.bare(), out)?;
    params(i.params(), out)?;
    out.write_char('>')
}

fn member(m: Member<'_>, out: &mut impl Write) -> fmt::Result {
    match m {
        Member::Item(i) => item(i, out),
        Member::InnerList(l) => {
            out.write_char('(')?;
            for i in l.items() {
                item(i, out)?;
            }
            out.write_char(')')?;
            params(l.params(), out)
        }
    }
}
