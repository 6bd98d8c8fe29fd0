//! Reading a detected date back into its parts, shifting it by whole days and writing
//! it again in the same written form ("March 14th, 2021" stays "Month Dth, YYYY").

use std::sync::LazyLock;

use regex::{Captures, Regex};
use time::{Date, Duration, Month};

const MONTHS: [&str; 12] = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
];
const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];
const ORDINALS: [&str; 31] = [
    "first",
    "second",
    "third",
    "fourth",
    "fifth",
    "sixth",
    "seventh",
    "eighth",
    "ninth",
    "tenth",
    "eleventh",
    "twelfth",
    "thirteenth",
    "fourteenth",
    "fifteenth",
    "sixteenth",
    "seventeenth",
    "eighteenth",
    "nineteenth",
    "twentieth",
    "twenty-first",
    "twenty-second",
    "twenty-third",
    "twenty-fourth",
    "twenty-fifth",
    "twenty-sixth",
    "twenty-seventh",
    "twenty-eighth",
    "twenty-ninth",
    "thirtieth",
    "thirty-first",
];

const WDP: &str = r"^(?i:the\s+)?(?:(?P<wd>[A-Za-z]{3,9})\.?,?\s+)?";

static PARSERS: LazyLock<Vec<Regex>> = LazyLock::new(|| {
    let ord = r"(?P<dword>(?i:twenty|thirty)[- ]?[A-Za-z]+|[A-Za-z]+)";
    [
        format!(r"{WDP}(?P<y>[0-9]{{4}})[-/.](?P<m>[0-9]{{1,2}})[-/.](?P<d>[0-9]{{1,2}})"),
        format!(r"{WDP}(?P<d>1[3-9]|2[0-9]|3[01])[/.-](?P<m>[0-9]{{1,2}})[/.-](?P<y>[0-9]{{4}}|[0-9]{{2}})"),
        format!(r"{WDP}(?P<m>[0-9]{{1,2}})[/.-](?P<d>[0-9]{{1,2}})[/.-](?P<y>[0-9]{{4}}|[0-9]{{2}})"),
        format!(r"{WDP}(?P<mon>[A-Za-z]{{3,9}})\.?[\s-]*(?P<d>[0-9]{{1,2}})(?P<ord>(?i:st|nd|rd|th))?(?-u:\b)(?:,?[\s-]*(?P<y>[0-9]{{4}}|'[0-9]{{2}}))?"),
        format!(r"{WDP}(?P<d>[0-9]{{1,2}})(?P<ord>(?i:st|nd|rd|th))?(?:\s+of)?[\s/-]*(?P<mon>[A-Za-z]{{3,9}})\.?(?:,?[\s/-]*(?P<y>[0-9]{{4}}|[0-9]{{2}}))?"),
        format!(r"^(?i:the\s+)?{ord}\s+(?i:of\s+)?(?P<mon>[A-Za-z]{{3,9}})\.?(?:,?\s*(?P<y>[0-9]{{4}}))?"),
        format!(r"^(?P<mon>[A-Za-z]{{3,9}})\.?\s+(?i:the\s+)?{ord}(?:,?\s*(?P<y>[0-9]{{4}}))?$"),
        r"^(?P<mon>[A-Za-z]{3,9})\.?,?[\s-]+(?i:of\s+)?(?P<y>[0-9]{4}|'[0-9]{2})$".to_owned(),
        r"^(?P<m>[0-9]{1,2})[/-](?P<y>[0-9]{4})$".to_owned(),
        r"^(?P<y>[0-9]{4})(?P<m>[0-9]{2})(?P<d>[0-9]{2})$".to_owned(),
        r"^(?P<m>[0-9]{2})(?P<d>[0-9]{2})(?P<y>[0-9]{2})$".to_owned(),
        r"^(?P<m>[0-9]{1,2})/(?P<d>[0-9]{1,2})$".to_owned(),
        r"^(?P<m>[0-9]{1,2})/(?P<y>[0-9]{2})$".to_owned(),
        r"^(?P<mon>[A-Za-z]{3,9})\.?$".to_owned(),
        r"^(?P<wd>[A-Za-z]+?)s?$".to_owned(),
    ]
    .iter()
    .map(|p| Regex::new(p).expect("date parser pattern"))
    .collect()
});

static YEAR: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?:^|[^0-9])((?:1[89]|2[0-9])[0-9]{2})(?:[^0-9]|$)").expect("year")
});

/// The year written in a date span, if it has a four-digit one, or a two-digit year
/// expanded with the pivot used for shifting.
pub(crate) fn year_of(span: &str) -> Option<i32> {
    if let Some(c) = YEAR.captures(span) {
        return c[1].parse().ok();
    }
    parse(span).and_then(|p| p.year)
}

fn month_index(name: &str) -> Option<u8> {
    let l = name.to_ascii_lowercase();
    if l.len() < 3 {
        return None;
    }
    MONTHS
        .iter()
        .position(|m| m.starts_with(&l) || (l == "sept" && *m == "september"))
        .map(|i| i as u8 + 1)
}

fn weekday_index(name: &str) -> Option<u8> {
    let l = name.to_ascii_lowercase();
    if l.len() < 3 {
        return None;
    }
    WEEKDAYS
        .iter()
        .position(|w| {
            w.starts_with(&l)
                || (l == "tues" && *w == "tuesday")
                || (l == "thur" || l == "thurs") && *w == "thursday"
        })
        .map(|i| i as u8)
}

fn ordinal_index(word: &str) -> Option<u8> {
    let l = word.to_ascii_lowercase().replace(' ', "-");
    let l = if l.starts_with("twenty") && !l.contains('-') && l.len() > 6 {
        format!("twenty-{}", &l[6..])
    } else if l.starts_with("thirty") && !l.contains('-') && l.len() > 6 {
        format!("thirty-{}", &l[6..])
    } else {
        l
    };
    ORDINALS.iter().position(|o| *o == l).map(|i| i as u8 + 1)
}

/// A parsed date with the byte ranges of its written parts inside the span.
struct Parsed<'a> {
    caps: Captures<'a>,
    year: Option<i32>,
    month: Option<u8>,
    day: Option<u8>,
    weekday: Option<u8>,
}

fn parse(span: &str) -> Option<Parsed<'_>> {
    for re in PARSERS.iter() {
        let Some(caps) = re.captures(span) else {
            continue;
        };
        let year = caps.name("y").and_then(|y| {
            let t = y.as_str().trim_start_matches('\'');
            let v: i32 = t.parse().ok()?;
            Some(if t.len() == 2 {
                if v >= 50 {
                    1900 + v
                } else {
                    2000 + v
                }
            } else {
                v
            })
        });
        let month = match (caps.name("m"), caps.name("mon")) {
            (Some(m), _) => m.as_str().parse().ok().filter(|m| (1..=12).contains(m)),
            (None, Some(mon)) => month_index(mon.as_str()),
            (None, None) => None,
        };
        let day = match (caps.name("d"), caps.name("dword")) {
            (Some(d), _) => d.as_str().parse().ok().filter(|d| (1..=31).contains(d)),
            (None, Some(w)) => ordinal_index(w.as_str()),
            (None, None) => None,
        };
        let weekday = caps.name("wd").and_then(|w| weekday_index(w.as_str()));
        if caps.name("wd").is_some() && weekday.is_none() {
            continue;
        }
        let wants_month = caps.name("m").is_some() || caps.name("mon").is_some();
        let wants_day = caps.name("d").is_some() || caps.name("dword").is_some();
        if (wants_month && month.is_none()) || (wants_day && day.is_none()) {
            continue;
        }
        if month.is_none() && weekday.is_none() {
            continue;
        }
        return Some(Parsed {
            caps,
            year,
            month,
            day,
            weekday,
        });
    }
    None
}

#[derive(Clone, Copy)]
enum Case {
    Lower,
    Upper,
    Title,
}

fn case_of(s: &str) -> Case {
    if s.chars()
        .all(|c| !c.is_ascii_alphabetic() || c.is_ascii_uppercase())
        && s.len() > 1
    {
        Case::Upper
    } else if s.starts_with(|c: char| c.is_ascii_uppercase()) {
        Case::Title
    } else {
        Case::Lower
    }
}

fn apply_case(s: &str, case: Case) -> String {
    match case {
        Case::Lower => s.to_owned(),
        Case::Upper => s.to_ascii_uppercase(),
        Case::Title => {
            let mut c = s.chars();
            c.next()
                .map(|f| f.to_ascii_uppercase().to_string() + c.as_str())
                .unwrap_or_default()
        }
    }
}

fn suffix(day: u8) -> &'static str {
    match (day % 10, day % 100) {
        (1, n) if n != 11 => "st",
        (2, n) if n != 12 => "nd",
        (3, n) if n != 13 => "rd",
        _ => "th",
    }
}

/// `new_full` written like `original` (which spells `original_full`): full or
/// abbreviated ("Sept" stays four letters for September), in the same case.
fn name_like(original: &str, original_full: &str, new_full: &str) -> String {
    let letters = original.trim_end_matches('.').len();
    let base = if letters >= original_full.len() {
        new_full
    } else if letters == 4 && new_full == "september" {
        "sept"
    } else {
        &new_full[..3.min(new_full.len())]
    };
    apply_case(base, case_of(original))
}

fn numeric_like(original: &str, value: u32, pad: bool) -> String {
    if pad || original.len() == 2 && original.starts_with('0') {
        format!("{value:02}")
    } else {
        value.to_string()
    }
}

/// Shift the date written in `span` back by `days` days, keeping its written form.
/// Returns `None` when the span cannot be read as a date (the caller then redacts).
pub(crate) fn shift(span: &str, days: i64) -> Option<String> {
    let p = parse(span)?;
    let mut repl: Vec<(std::ops::Range<usize>, String)> = Vec::new();
    // Year-first and all-digit forms are always zero-padded (2021-03-04, 20210304).
    let padded = |g: &str| {
        p.caps
            .name(g)
            .is_some_and(|m| m.len() == 2 && m.as_str().starts_with('0'))
    };
    let two = |g: &str| p.caps.name(g).is_some_and(|m| m.len() == 2);
    let fixed = p.caps.name("y").is_some_and(|y| y.start() == 0)
        || span.bytes().all(|b| b.is_ascii_digit());
    // A component is padded when it was, or when it has two digits beside a padded one.
    let pad_m = fixed || padded("m") || two("m") && padded("d");
    let pad_d = fixed || padded("d") || two("d") && padded("m");
    if let Some(month) = p.month {
        // A date without a year is shifted inside a fixed non-leap reference year
        // (2000 for 29 February); a month without a day is taken at its 15th.
        let ref_year = match (p.year, month, p.day) {
            (Some(y), _, _) => y,
            (None, 2, Some(29)) => 2000,
            _ => 2001,
        };
        let day = p.day.unwrap_or(15);
        let date = Date::from_calendar_date(ref_year, Month::try_from(month).ok()?, day).ok()?;
        let new = date.checked_sub(Duration::days(days))?;
        if let Some(y) = p.caps.name("y") {
            let t = y.as_str();
            let v = new.year();
            let s = match t.len() {
                4 => format!("{v:04}"),
                3 => format!("'{:02}", v.rem_euclid(100)),
                _ => format!("{:02}", v.rem_euclid(100)),
            };
            repl.push((y.range(), s));
        }
        let new_month = u8::from(new.month());
        if let Some(m) = p.caps.name("m") {
            repl.push((
                m.range(),
                numeric_like(m.as_str(), u32::from(new_month), pad_m),
            ));
        }
        if let Some(m) = p.caps.name("mon") {
            let old = MONTHS[usize::from(month) - 1];
            repl.push((
                m.range(),
                name_like(m.as_str(), old, MONTHS[usize::from(new_month) - 1]),
            ));
        }
        if p.day.is_some() {
            if let Some(d) = p.caps.name("d") {
                repl.push((
                    d.range(),
                    numeric_like(d.as_str(), u32::from(new.day()), pad_d),
                ));
            }
            if let Some(o) = p.caps.name("ord") {
                repl.push((
                    o.range(),
                    apply_case(suffix(new.day()), case_of(o.as_str())),
                ));
            }
            if let Some(w) = p.caps.name("dword") {
                let word = ORDINALS[usize::from(new.day()) - 1];
                let word = if w.as_str().contains(' ') {
                    word.replace('-', " ")
                } else {
                    word.to_owned()
                };
                repl.push((w.range(), apply_case(&word, case_of(w.as_str()))));
            }
        }
        if let Some(w) = p.caps.name("wd") {
            let idx = if p.year.is_some() && p.day.is_some() {
                new.weekday().number_days_from_monday()
            } else {
                shifted_weekday(p.weekday?, days)
            };
            let old = WEEKDAYS[usize::from(p.weekday?)];
            repl.push((
                w.range(),
                name_like(w.as_str(), old, WEEKDAYS[usize::from(idx)]),
            ));
        }
    } else if let (Some(w), Some(idx)) = (p.caps.name("wd"), p.weekday) {
        let new = WEEKDAYS[usize::from(shifted_weekday(idx, days))];
        repl.push((
            w.range(),
            name_like(w.as_str(), WEEKDAYS[usize::from(idx)], new),
        ));
    }
    repl.sort_by_key(|(r, _)| r.start);
    let mut out = String::with_capacity(span.len() + 8);
    let mut at = 0;
    for (r, s) in repl {
        out.push_str(&span[at..r.start]);
        out.push_str(&s);
        at = r.end;
    }
    out.push_str(&span[at..]);
    Some(out)
}

fn shifted_weekday(idx: u8, days: i64) -> u8 {
    (i64::from(idx) - days).rem_euclid(7) as u8
}

/// Is the date starting at byte `start` of `text` a date of birth ("DOB: 3/4/1931",
/// "born on", "date of birth")? Looks at the 32 bytes before it on the same line.
pub(crate) fn is_birth_date(text: &str, start: usize) -> bool {
    let mut from = start.saturating_sub(32);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let head = &text[from..start];
    let head = head.rsplit('\n').next().unwrap_or(head).to_lowercase();
    [
        "dob",
        "d.o.b",
        "date of birth",
        "birth date",
        "birthdate",
        "birthday",
        "born",
    ]
    .iter()
    .any(|w| head.contains(w))
}

/// Days between two parsed dates with years (used by tests of interval preservation).
#[cfg(test)]
pub(crate) fn to_date(span: &str) -> Option<Date> {
    let p = parse(span)?;
    Date::from_calendar_date(p.year?, Month::try_from(p.month?).ok()?, p.day?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shifts_keep_the_written_form() {
        let cases = [
            ("03/14/2021", 10, "03/04/2021"),
            ("3/14/21", 14, "2/28/21"),
            ("2021-03-14", 365, "2020-03-14"),
            ("March 14, 2021", 1, "March 13, 2021"),
            ("Mar 14th", 13, "Mar 1st"),
            ("14 Mar 2021", 14, "28 Feb 2021"),
            ("the 14th of March", 2, "the 12th of March"),
            ("the third of July", 1, "the second of July"),
            ("March 2021", 30, "February 2021"),
            ("Sunday, March 14, 2021", 1, "Saturday, March 13, 2021"),
            ("03/14/2021 14:32", 1, "03/13/2021 14:32"),
            ("14-MAR-2021", 1, "13-MAR-2021"),
            ("Tuesday", 1, "Monday"),
            ("2/03", 3, "1/31"),
            ("20210314", 1, "20210313"),
            ("01/01/2021", 1, "12/31/2020"),
        ];
        for (input, days, want) in cases {
            assert_eq!(
                shift(input, days).as_deref(),
                Some(want),
                "shifting {input} by {days}"
            );
        }
    }

    #[test]
    fn unreadable_dates_are_refused() {
        assert_eq!(shift("02/30/2021", 1), None, "no 30 February");
        assert_eq!(shift("Christmas", 1), None);
    }

    #[test]
    fn years() {
        assert_eq!(year_of("March 14, 2021"), Some(2021));
        assert_eq!(year_of("3/14/80"), Some(1980));
        assert_eq!(year_of("Mar 14"), None);
    }
}
