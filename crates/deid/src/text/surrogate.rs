//! Consistent, format-preserving surrogates derived with the project key.
//!
//! Each surrogate is a function of (key, category, normalised original) only, through
//! HMAC-SHA256, so the same identifier gets the same replacement in every document of
//! a project and nothing needs to be stored to achieve that.

use super::dict::DICT;
use crate::category::Category;
use crate::key::ProjectKey;

/// An endless keyed byte stream for one value.
struct Stream<'k> {
    key: &'k ProjectKey,
    purpose: &'static str,
    seed: Vec<u8>,
    block: [u8; 32],
    counter: u64,
    pos: usize,
}

impl<'k> Stream<'k> {
    fn new(key: &'k ProjectKey, purpose: &'static str, seed: &[u8]) -> Self {
        let mut s = Stream {
            key,
            purpose,
            seed: seed.to_vec(),
            block: [0; 32],
            counter: 0,
            pos: 32,
        };
        s.refill();
        s
    }

    fn refill(&mut self) {
        self.block = self
            .key
            .derive(self.purpose, &[&self.seed, &self.counter.to_le_bytes()]);
        self.counter += 1;
        self.pos = 0;
    }

    fn next_u32(&mut self) -> u32 {
        if self.pos + 4 > 32 {
            self.refill();
        }
        let b = &self.block[self.pos..self.pos + 4];
        self.pos += 4;
        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next_u32() as usize) % n.max(1)
    }
}

impl Drop for Stream<'_> {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.seed);
        zeroize::Zeroize::zeroize(&mut self.block);
    }
}

/// Replace letters and digits one for one, keeping case, punctuation and spacing.
/// `first_digit_from` forces the first digit into a range (e.g. `9` for SSNs, which
/// the SSA never issues with a 9xx area number).
fn shape(
    key: &ProjectKey,
    purpose: &'static str,
    original: &str,
    first_digit: Option<u8>,
) -> String {
    let norm: String = original
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    let mut s = Stream::new(key, purpose, norm.as_bytes());
    let mut first = true;
    original
        .chars()
        .map(|c| {
            if c.is_ascii_digit() {
                let d = match (first, first_digit) {
                    (true, Some(f)) => f,
                    (true, None) => 1 + s.below(9) as u8,
                    _ => s.below(10) as u8,
                };
                first = false;
                char::from(b'0' + d)
            } else if c.is_alphabetic() {
                let l = char::from(b'a' + s.below(26) as u8);
                if c.is_uppercase() {
                    l.to_ascii_uppercase()
                } else {
                    l
                }
            } else {
                c
            }
        })
        .collect()
}

fn recase(like: &str, word: &str) -> String {
    let letters: Vec<char> = like.chars().filter(|c| c.is_alphabetic()).collect();
    if letters.len() > 1 && letters.iter().all(|c| c.is_uppercase()) {
        word.to_uppercase()
    } else if letters.first().is_some_and(|c| c.is_lowercase()) {
        word.to_lowercase()
    } else {
        word.to_owned()
    }
}

fn pick<'a>(key: &ProjectKey, purpose: &'static str, original: &str, pool: &[&'a str]) -> &'a str {
    let norm = original.to_lowercase();
    let mut s = Stream::new(key, purpose, norm.as_bytes());
    pool[s.below(pool.len())]
}

fn name(key: &ProjectKey, token: &str) -> String {
    let n = token.chars().count();
    if n == 1 {
        let mut s = Stream::new(key, "surrogate.initial", token.to_lowercase().as_bytes());
        let l = char::from(b'A' + s.below(26) as u8);
        return recase(token, &l.to_string());
    }
    let info = DICT.word(&token.to_lowercase());
    let word = if info.first > 0 && (info.last == 0 || info.first < info.last) {
        pick(key, "surrogate.first", token, &DICT.first_names)
    } else {
        let pool = &DICT.last_names[..DICT.last_names.len().min(5000)];
        pick(key, "surrogate.last", token, pool)
    };
    recase(token, word)
}

fn city(key: &ProjectKey, original: &str) -> String {
    recase(
        original,
        pick(key, "surrogate.city", original, &DICT.cities),
    )
}

/// Street and county: numbers keep their shape, capitalised words become surnames,
/// the street suffix ("St", "Avenue", "County") stays.
/// Street-type words kept as they are inside a street or intersection surrogate ("the
/// corner of 12 Elm Lane and Oak Street" keeps "Lane" and "Street").
const THOROUGHFARE_WORDS: &[&str] = &[
    "Street",
    "St",
    "Avenue",
    "Ave",
    "Road",
    "Rd",
    "Boulevard",
    "Blvd",
    "Lane",
    "Ln",
    "Drive",
    "Court",
    "Ct",
    "Place",
    "Pl",
    "Terrace",
    "Way",
    "Parkway",
    "Pkwy",
    "Highway",
    "Hwy",
    "Circle",
    "Cir",
    "Trail",
    "Square",
    "Alley",
    "Plaza",
    "Crossing",
    "Manor",
    "Manors",
    "Mews",
    "Row",
    "Pike",
    "Turnpike",
    "Ramp",
    "Loop",
    "Streets",
    "Avenues",
    "Roads",
];

fn street(key: &ProjectKey, original: &str) -> String {
    let words: Vec<&str> = original.split(' ').collect();
    let last = words.len().saturating_sub(1);
    words
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let core = w.trim_matches(|c: char| !c.is_alphanumeric());
            let directional = matches!(
                core,
                "N" | "S"
                    | "E"
                    | "W"
                    | "NE"
                    | "NW"
                    | "SE"
                    | "SW"
                    | "North"
                    | "South"
                    | "East"
                    | "West"
            );
            if w.chars().any(|c| c.is_ascii_digit()) {
                shape(key, "surrogate.street_number", w, None)
            } else if i == last
                || directional
                || THOROUGHFARE_WORDS.contains(&core)
                || core.is_empty()
                || !core.starts_with(char::is_uppercase)
            {
                (*w).to_owned()
            } else {
                let pool = &DICT.last_names[..DICT.last_names.len().min(5000)];
                let repl = recase(core, pick(key, "surrogate.street", core, pool));
                w.replacen(core, &repl, 1)
            }
        })
        .collect::<Vec<_>>()
        .join(" ")
}

fn email(key: &ProjectKey, original: &str) -> String {
    let (local, _) = original.split_once('@').unwrap_or((original, ""));
    let domains = ["example.com", "example.org", "example.net"];
    let d = pick(key, "surrogate.email_domain", original, &domains);
    format!("{}@{}", shape(key, "surrogate.email", local, None), d)
}

fn url(key: &ProjectKey, original: &str) -> String {
    let (scheme, rest) = match original.find("://") {
        Some(i) => (&original[..i + 3], &original[i + 3..]),
        None => ("", original),
    };
    let path = rest.find('/').map_or("", |i| &rest[i..]);
    let host = if rest.to_ascii_lowercase().starts_with("www.") {
        "www.example.org"
    } else {
        "example.org"
    };
    format!("{scheme}{host}{}", shape(key, "surrogate.url", path, None))
}

fn ip(key: &ProjectKey, original: &str) -> String {
    let mut s = Stream::new(key, "surrogate.ip", original.to_lowercase().as_bytes());
    if original.contains(':') {
        let groups: Vec<String> = (0..7).map(|_| format!("{:x}", s.below(0x10000))).collect();
        format!("fd00:{}", groups.join(":"))
    } else {
        format!("10.{}.{}.{}", s.below(256), s.below(256), 1 + s.below(254))
    }
}

/// The surrogate for one identifier. `rule` tells street addresses from city names.
pub(crate) fn surrogate(
    key: &ProjectKey,
    category: Category,
    rule: &str,
    original: &str,
) -> String {
    match category {
        Category::Name => original
            .split_inclusive([' ', '-'])
            .map(|part| {
                let core = part.trim_end_matches([' ', '-']);
                let sep = &part[core.len()..];
                if core.is_empty() {
                    part.to_owned()
                } else {
                    name(key, core) + sep
                }
            })
            .collect(),
        Category::Location => match rule {
            "location.city_dictionary"
            | "location.city_state"
            | "location.after_address"
            | "location.place_context"
            | "location.before_country"
            | "location.paren"
            | "location.facility" => city(key, original),
            _ => street(key, original),
        },
        Category::Email => email(key, original),
        Category::Url => url(key, original),
        Category::Ip => ip(key, original),
        Category::Ssn => shape(key, "surrogate.ssn", original, Some(9)),
        Category::Phone | Category::Fax => shape(key, "surrogate.phone", original, None),
        other => shape(key, purpose(other), original, None),
    }
}

fn purpose(c: Category) -> &'static str {
    match c {
        Category::Mrn => "surrogate.mrn",
        Category::HealthPlan => "surrogate.health_plan",
        Category::Account => "surrogate.account",
        Category::License => "surrogate.license",
        Category::Vehicle => "surrogate.vehicle",
        Category::Device => "surrogate.device",
        Category::Biometric => "surrogate.biometric",
        Category::Zip => "surrogate.zip",
        Category::Date => "surrogate.date",
        _ => "surrogate.other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_are_preserved() {
        let k = ProjectKey::from_bytes([3; 32]);
        let p = surrogate(&k, Category::Phone, "phone.nanp", "(617) 555-0142");
        assert_eq!(p.len(), 14);
        assert!(
            p.starts_with('(') && &p[4..6] == ") " && &p[9..10] == "-",
            "{p}"
        );
        let s = surrogate(&k, Category::Ssn, "ssn.dashed", "402-19-8877");
        assert!(
            s.starts_with('9') && s.as_bytes()[3] == b'-',
            "SSN surrogates use the never-issued 9xx area"
        );
        let n = surrogate(&k, Category::Name, "name.title", "VILLEGAS");
        assert!(
            n.chars().all(|c| !c.is_lowercase()),
            "all-caps names stay all caps"
        );
        let e = surrogate(
            &k,
            Category::Email,
            "email",
            "m.ferndale@zephyrmail.example",
        );
        assert!(e.ends_with(".com") || e.ends_with(".org") || e.ends_with(".net"));
        assert!(e.starts_with(|c: char| c.is_ascii_lowercase()) && e.as_bytes()[1] == b'.');
        assert!(surrogate(&k, Category::Ip, "ip.v4", "10.34.201.7")
            .parse::<std::net::Ipv4Addr>()
            .is_ok());
        assert!(surrogate(&k, Category::Ip, "ip.v6", "2001:db8::1")
            .parse::<std::net::Ipv6Addr>()
            .is_ok());
        let st = surrogate(
            &k,
            Category::Location,
            "location.street",
            "4417 Old Kettle Rd",
        );
        assert!(st.ends_with(" Rd") && st.len() > 8, "{st}");
    }

    #[test]
    fn normalisation_makes_formats_agree() {
        let k = ProjectKey::from_bytes([4; 32]);
        let a = surrogate(&k, Category::Phone, "phone.nanp", "617-555-0142");
        let b = surrogate(&k, Category::Phone, "phone.nanp", "(617) 555 0142");
        let digits = |s: &str| s.chars().filter(char::is_ascii_digit).collect::<String>();
        assert_eq!(
            digits(&a),
            digits(&b),
            "one number, one surrogate, whatever the punctuation"
        );
    }
}
