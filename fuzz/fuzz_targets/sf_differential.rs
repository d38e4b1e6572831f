//! Differential: headroom's Structured Field List parser against the `sfv` crate. Both must
//! accept or reject every input alike, and agree on every value and parameter when they accept
//! (both implement RFC 9651, Dates and Display Strings included).
#![no_main]
use headroom_core::sf::{self, BareItem, Member, Params};
use libfuzzer_sys::fuzz_target;

#[derive(Debug, PartialEq)]
enum V {
    Int(i64),
    Dec(i64),
    Str(String),
    Tok(String),
    Bytes(Vec<u8>),
    Bool(bool),
    Date(i64),
    Disp(String),
}

type Entry = (Vec<(V, Vec<(String, V)>)>, Option<V>, Vec<(String, V)>);

fn ours(b: BareItem<'_>) -> V {
    match b {
        BareItem::Integer(i) => V::Int(i),
        BareItem::Decimal(d) => V::Dec(d.thousandths()),
        BareItem::String(s) => V::Str(s.chars().collect()),
        BareItem::Token(t) => V::Tok(t.as_str().to_string()),
        BareItem::ByteSequence(b) => V::Bytes(b.decoded().collect()),
        BareItem::Boolean(x) => V::Bool(x),
        BareItem::Date(d) => V::Date(d),
        BareItem::DisplayString(d) => {
            V::Disp(String::from_utf8(d.bytes().collect()).expect("validated UTF-8"))
        }
    }
}

fn theirs(b: &sfv::BareItem) -> V {
    match b {
        sfv::BareItem::Integer(i) => V::Int(i64::from(*i)),
        sfv::BareItem::Decimal(d) => V::Dec(i64::from(d.as_integer_scaled_1000())),
        sfv::BareItem::String(s) => V::Str(s.as_str().to_string()),
        sfv::BareItem::Token(t) => V::Tok(t.as_str().to_string()),
        sfv::BareItem::ByteSequence(b) => V::Bytes(b.clone()),
        sfv::BareItem::Boolean(x) => V::Bool(*x),
        sfv::BareItem::Date(d) => V::Date(i64::from(d.unix_seconds())),
        sfv::BareItem::DisplayString(s) => V::Disp(s.to_string()),
    }
}

fn our_params(p: Params<'_>) -> Vec<(String, V)> {
    p.iter().map(|(k, v)| (k.to_string(), ours(v))).collect()
}

fn their_params(p: &sfv::Parameters) -> Vec<(String, V)> {
    p.iter()
        .map(|(k, v)| (k.as_str().to_string(), theirs(v)))
        .collect()
}

fn their_item(i: &sfv::Item) -> (V, Vec<(String, V)>) {
    (theirs(&i.bare_item), their_params(&i.params))
}

fuzz_target!(|data: &[u8]| {
    let ours_parsed = sf::parse_list(data);
    let theirs_parsed = sfv::Parser::new(data).parse::<sfv::List>();
    match (&ours_parsed, &theirs_parsed) {
        (Ok(list), Ok(their_list)) => {
            // An item is (no inner items, Some(value), params); an inner list is (items, None, params).
            let ours: Vec<Entry> = list
                .members()
                .map(|m| match m {
                    Member::Item(i) => (Vec::new(), Some(ours(i.bare())), our_params(i.params())),
                    Member::InnerList(l) => (
                        l.items()
                            .map(|i| (ours(i.bare()), our_params(i.params())))
                            .collect(),
                        None,
                        our_params(l.params()),
                    ),
                })
                .collect();
            let theirs: Vec<Entry> = their_list
                .iter()
                .map(|e| match e {
                    sfv::ListEntry::Item(i) => {
                        let (v, p) = their_item(i);
                        (Vec::new(), Some(v), p)
                    }
                    sfv::ListEntry::InnerList(l) => (
                        l.items.iter().map(their_item).collect(),
                        None,
                        their_params(&l.params),
                    ),
                })
                .collect();
            assert_eq!(
                ours,
                theirs,
                "values differ for {:?}",
                String::from_utf8_lossy(data)
            );
        }
        (Err(_), Err(_)) => {}
        _ => panic!(
            "accept/reject differ for {:?}: headroom {:?}, sfv {:?}",
            String::from_utf8_lossy(data),
            ours_parsed.map(|_| ()),
            theirs_parsed.map(|_| ())
        ),
    }
});
