//! Pattern and context rules (regular expressions compiled once per process).

use std::sync::LazyLock;

use regex_automata::meta::Regex as MetaRegex;
use regex_automata::{Anchored, Input};

use super::dict::DICT;
use super::finding::Finding;
use crate::category::Category;

/// A post-match check that a regular expression alone cannot express.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Check {
    None,
    /// Payment card: 13-19 digits passing the Luhn check.
    Luhn,
    /// VIN: 17 characters with letters and digits.
    Vin,
    /// Candidate IPv6 address that must parse.
    Ipv6,
    /// Month/day without a year: needs padding or a date word before it.
    MonthDay,
    /// Number run that must not be part of a decimal or a longer number.
    Standalone,
    /// Identifier value after a label: must contain a digit, at least 3 characters.
    IdValue,
    /// Alphanumeric code: letters and at least 4 digits, or 7 digits.
    Code,
    /// City before a state: the state abbreviation may also be a credential (MD, DO...).
    CityState,
    /// Phone-like: not a date, at least 10 digits unless a phone word precedes.
    Phone,
    /// A month name alone: only after a preposition, unless it cannot be a word.
    MonthContext,
    /// A number followed by a phone word: at least seven digits.
    PhoneDigits,
    /// Only the digits at the end of the match are the identifier ("RI 2887").
    TrailingDigits,
}

/// One rule before compilation: its pattern joins a [`Family`].
struct Spec {
    id: &'static str,
    category: Category,
    pattern: String,
    group: usize,
    confidence: f32,
    check: Check,
}

/// A rule inside a compiled family.
struct Member {
    id: &'static str,
    category: Category,
    /// Capture group holding the identifier (0: the whole match).
    group: usize,
    confidence: f32,
    check: Check,
}

/// Rules compiled into one multi-pattern regex and run in one pass. Only rules whose
/// matches may hide one another harmlessly share a family: at any position the first
/// member (in order) that matches wins and the scan resumes after its match.
struct Family {
    re: MetaRegex,
    members: Vec<Member>,
}

/// Lazy-DFA cache per family and thread (the default 2 MiB thrashes on the big family).
const HYBRID_CACHE_BYTES: usize = 32 << 20;

fn family(specs: Vec<Spec>) -> Family {
    let patterns: Vec<String> = specs.iter().map(|s| fix(&s.pattern)).collect();
    let re = MetaRegex::builder()
        .configure(MetaRegex::config().hybrid_cache_capacity(HYBRID_CACHE_BYTES))
        .build_many(&patterns)
        .unwrap_or_else(|e| {
            let ids: Vec<&str> = specs.iter().map(|s| s.id).collect();
            panic!("BUG: a rule of {ids:?} does not compile: {e}")
        });
    let members = specs
        .into_iter()
        .map(|s| Member {
            id: s.id,
            category: s.category,
            group: s.group,
            confidence: s.confidence,
            check: s.check,
        })
        .collect();
    Family { re, members }
}

/// Month names; "may" and "mar" only when capitalised.
const MON: &str = r"(?:(?i:jan(?:uary)?|feb(?:ruary)?|apr(?:il)?|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)|M(?i:arch|ar|ay))\.?";
const DAY: &str = r"(?:0?[1-9]|[12][0-9]|3[01])(?i:st|nd|rd|th)?";
const Y4: &str = r"(?:1[89][0-9]{2}|2[0-9]{3})";
const WD: &str = r"(?:(?i:mon(?:day)?|tue(?:s(?:day)?)?|wed(?:nesday)?|thu(?:r(?:s(?:day)?)?)?|fri(?:day)?|sat(?:urday)?|sun(?:day)?)\.?,?\s+)?";
const TIME: &str = r"(?:,?\s*(?:at\s+|@\s*)?(?:[01]?[0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9](?:\.[0-9]+)?)?(?:\s*(?i:[ap]\.?m\.?))?)?";
const ISO_T: &str =
    r"T[0-2][0-9]:[0-5][0-9](?::[0-5][0-9](?:\.[0-9]+)?)?(?:Z|[+-][0-9]{2}:?[0-9]{2})?";
const ORD_WORD: &str = r"(?i:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|eleventh|twelfth|thirteenth|fourteenth|fifteenth|sixteenth|seventeenth|eighteenth|nineteenth|twentieth|twenty[- ]?(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth)|thirtieth|thirty[- ]?first)";
const AGE: &str = r"(9[0-9]|1[0-2][0-9])";
/// An identifier value after a label word.
const IDV: &str = r"([A-Za-z0-9][A-Za-z0-9/-]*[0-9][A-Za-z0-9/-]*|[0-9])";
const LABEL_GLUE: &str = r"\s*(?i:id|no\.?|num(?:ber)?|#)?\s*(?i:is\s+|was\s+)?[:#=]?\s*";
/// Street suffixes: the USPS Publication 28 (Appendix C1) names and common abbreviations.
const STREET_SUFFIX: &str = r"(?:Alley|Aly|Annex|Anex|Arcade|Avenue|Ave|Av|Bayou|Beach|Bend|Bluffs?|Bottom|Boulevard|Blvd|Branch|Bridge|Brg|Brooks?|Burgs?|Bypass|Byp|Camp|Canyon|Cape|Causeway|Centers?|Ctr|Circles?|Cir|Cliffs?|Club|Commons?|Corners?|Course|Courts?|Ct|Coves?|Cv|Creek|Crk|Crescent|Cres|Crest|Crossing|Xing|Crossroads?|Curve|Dale|Dam|Divide|Drives?|Dr|Estates?|Expressway|Expy|Extensions?|Ext|Falls?|Ferry|Fields?|Flats?|Fords?|Forest|Forges?|Forks?|Fort|Ft|Freeway|Fwy|Gardens?|Gateway|Glens?|Greens?|Groves?|Harbors?|Hbr|Haven|Heights|Hts|Highway|Hwy|Hills?|Hollow|Inlet|Islands?|Isle|Junctions?|Jct|Keys?|Knolls?|Lakes?|Land|Landing|Lane|Ln|Lights?|Loaf|Locks?|Lodge|Loop|Mall|Manors?|Meadows?|Mews|Mills?|Mission|Motorway|Mount|Mt|Mountains?|Neck|Orchard|Oval|Overpass|Parks?|Parkways?|Pkwy|Pass|Passage|Path|Pike|Pines?|Place|Pl|Plains?|Plaza|Plz|Points?|Pt|Ports?|Prairie|Radial|Ramp|Ranch|Rapids?|Rest|Ridges?|River|Roads?|Rd|Route|Rte|Row|Rue|Run|Shoals?|Shores?|Skyway|Springs?|Spurs?|Squares?|Sq|Station|Sta|Stravenue|Stream|Streets?|St|Summit|Terrace|Ter|Throughway|Trace|Track|Trafficway|Trail|Trl|Trailer|Tunnel|Turnpike|Tpke|Underpass|Unions?|Valleys?|Viaduct|Views?|Villages?|Vlg|Ville|Vista|Walks?|Wall|Ways?|Wells?|Broadway)\b\.?";
/// Lower-case surname particles inside a street name ("van Bokhorst Street").
const PARTICLE: &str = r"(?:van|von|de|der|den|da|di|du|la|le|del|della|ter|ten)";
/// Thoroughfare words that name a street even without a house number ("on Ksenia Ramp
/// Street"); a subset of [`STREET_SUFFIX`] without words that are often something else.
const THOROUGHFARE: &str = r"(?:Street|Avenue|Road|Boulevard|Lane|Drive|Court|Place|Terrace|Parkway|Highway|Circle|Trail|Ramp|Row|Crossing|Square|Alley|Mews|Pike|Turnpike|Plaza)\b";
const PHONE_WORDS: &str = r"(?i:pager|pgr|beeper|bpr|pg|ext|extension|phone|ph|tel|telephone|cell|cellphone|mobile|mob|fax|call|contact|office|home|work|number|tele|voice|direct|desk|landline|#)";

fn fix(p: &str) -> String {
    // ASCII word boundaries and digits keep the lazy DFA usable on any input.
    p.replace(r"\b", r"(?-u:\b)")
}

fn rule(
    id: &'static str,
    category: Category,
    pattern: &str,
    group: usize,
    confidence: f32,
) -> Spec {
    rule_c(id, category, pattern, group, confidence, Check::None)
}

fn rule_c(
    id: &'static str,
    category: Category,
    pattern: &str,
    group: usize,
    confidence: f32,
    check: Check,
) -> Spec {
    Spec {
        id,
        category,
        pattern: pattern.to_owned(),
        group,
        confidence,
        check,
    }
}

fn labelled(id: &'static str, category: Category, labels: &str, confidence: f32) -> Spec {
    rule_c(
        id,
        category,
        &format!(r"\b(?i:{labels})\b{LABEL_GLUE}{IDV}\b"),
        1,
        confidence,
        Check::IdValue,
    )
}

fn states_alternation() -> String {
    let mut s: Vec<&str> = DICT.states.clone();
    s.sort_by_key(|x| std::cmp::Reverse(x.len()));
    s.iter()
        .map(|x| regex::escape(x))
        .collect::<Vec<_>>()
        .join("|")
}

static FAMILIES: LazyLock<Vec<Family>> = LazyLock::new(build_families);

fn build_families() -> Vec<Family> {
    let mut groups: Vec<(Option<u8>, Vec<Spec>)> = Vec::new();
    for spec in build_rules() {
        match family_of(&spec) {
            Some(g) => match groups.iter_mut().find(|(k, _)| *k == Some(g)) {
                Some((_, v)) => v.push(spec),
                None => groups.push((Some(g), vec![spec])),
            },
            None => groups.push((None, vec![spec])),
        }
    }
    groups.into_iter().map(|(_, v)| family(v)).collect()
}

/// Which shared family a rule runs in, or `None` for a family of its own. After each
/// match the scan resumes one character after the match's start, so a match never hides
/// a longer one that starts inside it; but at any one position only the first matching
/// member counts. Rules whose check may refuse a match therefore share a family only
/// with rules that cannot start where they do, and a rule whose match reaches past its
/// identifier (a city before ", ST 02139") runs alone.
fn family_of(spec: &Spec) -> Option<u8> {
    match spec.check {
        Check::None if spec.id != "location.city_state" => Some(0),
        Check::IdValue => Some(1),
        Check::Standalone | Check::Code => Some(2),
        Check::MonthDay => Some(3),
        _ => None,
    }
}

fn build_rules() -> Vec<Spec> {
    use Category::*;
    let states = states_alternation();
    vec![
        // Contact and network identifiers.
        rule(
            "email",
            Email,
            r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}\b",
            0,
            0.99,
        ),
        rule(
            "url.scheme",
            Url,
            r#"(?i:(?:https?|ftp|sftp)://|\bwww\.)[^\s<>"'()\[\]{}]*[^\s<>"'()\[\]{}.,;:!?]"#,
            0,
            0.99,
        ),
        rule(
            "url.domain",
            Url,
            r#"(?i)\b[a-z0-9](?:[a-z0-9-]*[a-z0-9])?(?:\.[a-z0-9-]+)*\.(?:com|org|net|edu|gov|mil|io|us|info|biz|health|care|co|uk|ca|de|fr|au|me|app|example|clinic|hospital)\b(?:/[^\s<>"']*[^\s<>"'.,;:!?])?"#,
            0,
            0.9,
        ),
        rule(
            "ip.v4",
            Ip,
            r"\b(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(?:\.(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}\b",
            0,
            0.95,
        ),
        rule_c(
            "ip.v6",
            Ip,
            r"(?i)[0-9a-f]{0,4}(?::[0-9a-f]{0,4}){2,7}",
            0,
            0.95,
            Check::Ipv6,
        ),
        rule(
            "device.mac",
            Device,
            r"\b(?:[0-9A-Fa-f]{2}[:-]){5}[0-9A-Fa-f]{2}\b",
            0,
            0.95,
        ),
        rule(
            "ssn.dashed",
            Ssn,
            r"\b[0-9]{3}-[0-9]{2}-[0-9]{4}\b",
            0,
            0.97,
        ),
        rule("ssn.spaced", Ssn, r"\b[0-9]{3} [0-9]{2} [0-9]{4}\b", 0, 0.9),
        rule(
            "ssn.labelled",
            Ssn,
            r"(?i)\b(?:ssn|ss#|social security(?: number| no\.?| #)?|soc\.? sec\.?(?: no\.?| #)?)\s*(?:is\s+|was\s+)?[:#]?\s*([0-9Xx*]{3}[\s.-]?[0-9Xx*]{2}[\s.-]?[0-9]{4})\b",
            1,
            0.99,
        ),
        rule_c(
            "phone.nanp",
            Phone,
            r"(?:\+?\b1[\s.-]?)?(?:\(\s*[0-9]{3}\s*\)|\b[0-9]{3})[\s.-]?[0-9]{3}[\s.-]?[0-9]{4}\b(?:\s*(?i:x|ext\.?|extension)\s*[0-9]{1,6}\b)?",
            0,
            0.9,
            Check::Phone,
        ),
        rule(
            "phone.intl",
            Phone,
            r"\+[1-9][0-9]{0,2}[\s.-]?(?:\(?[0-9]{1,4}\)?[\s.-]?){2,5}[0-9]{2,4}\b",
            0,
            0.85,
        ),
        rule_c(
            "phone.labelled",
            Phone,
            &format!(
                r"\b{PHONE_WORDS}\b\s*(?i:number|no\.?|#)?\s*[:#.]?\s*(?i:is\s+)?(\(?[0-9][0-9().\s-]{{2,}}[0-9](?:\s*(?i:x|ext\.?)\s*[0-9]{{1,6}})?)\b"
            ),
            1,
            0.85,
            Check::IdValue,
        ),
        rule_c(
            "phone.trailing_label",
            Phone,
            r"(\+?\(?[0-9][0-9().\s-]{5,}[0-9])[\s-]*(?i:mobile|cell|fax|office|home|work|phone|desk|pager|landline)\b",
            1,
            0.8,
            Check::PhoneDigits,
        ),
        rule(
            "phone.extension",
            Phone,
            r"(?i)\b(?:x|ext\.?|extension)\s*([0-9]{1,2}-?[0-9]{4})\b",
            1,
            0.8,
        ),
        // Record and account numbers by their labels.
        labelled(
            "mrn.labelled",
            Mrn,
            r"mrn|mr|mr#|med(?:ical)? rec(?:ord)?s?(?: number| no\.?| #)?|record(?: number| no\.?| #)|chart(?: number| no\.?| #)?|hospital (?:number|no\.?)|unit (?:number|no\.?)|patient id|pt id|pid|emr|ehr|epic|cmrn|hosp no|case",
            0.97,
        ),
        labelled(
            "health_plan.labelled",
            HealthPlan,
            r"health ?plan|insurance|insurer|member|subscriber|policy|medicaid|medicare|beneficiary|group|plan|payer|payor|hicn|mbi|bcbs|coverage|ins",
            0.9,
        ),
        labelled(
            "account.labelled",
            Account,
            r"account|acct|a/c|billing|bill|invoice|fin|csn|bank|routing|iban|card|encounter|visit|har",
            0.9,
        ),
        labelled(
            "license.labelled",
            License,
            r"licen[cs]e|lic|dea|npi|certificate|cert|certification|registration|permit|passport|driver'?s?\s+licen[cs]e|dl|badge|upin|tin|ein|provider",
            0.9,
        ),
        rule_c(
            "vehicle.labelled",
            Vehicle,
            r"(?i)\b(?:licen[cs]e plate|plate|tag|vin|vehicle(?: id| identification)?|registration plate|car)\s*(?:no\.?|number|num|#)?\s*(?:is\s+|was\s+)?[:#]?\s*([A-Z0-9]{1,4}[ -]?[A-Z0-9]{1,4}[ -]?[A-Z0-9]{0,4})\b",
            1,
            0.9,
            Check::IdValue,
        ),
        rule_c(
            "vehicle.vin",
            Vehicle,
            r"\b[A-HJ-NPR-Z0-9]{17}\b",
            0,
            0.9,
            Check::Vin,
        ),
        labelled(
            "device.labelled",
            Device,
            r"serial|s/n|sn|serial no|device|model|pacemaker|defibrillator|implant|udi|lot|catalog|part|imei|meid|esn|mac(?: address)?|pump|monitor|sensor|transmitter|generator|lead",
            0.9,
        ),
        labelled(
            "biometric.labelled",
            Biometric,
            r"(?:fingerprint|finger print|retina(?:l)?(?: scan)?|iris(?: scan)?|voice ?print|biometric|palm ?print|face ?(?:id|print)|dna(?: profile)?|gait)(?: template| sample| record| hash| scan| signature| profile| data)?",
            0.9,
        ),
        labelled(
            "other_id.labelled",
            OtherId,
            r"id|identifier|ident|ref(?:erence)?|accession|specimen|order|requisition|control|claim|file|report|study|sample|admission|episode|ticket|confirmation|tracking|badge|employee|staff|student|username|user|code|study code|enrollment|enrolment|registry|subject|participant",
            0.85,
        ),
        rule_c(
            "other_id.hash",
            OtherId,
            r"#\s*([0-9][0-9-]{2,}[0-9A-Za-z]*)\b",
            1,
            0.85,
            Check::IdValue,
        ),
        rule_c(
            "account.card",
            Account,
            r"\b[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{4}[ -]?[0-9]{1,7}\b",
            0,
            0.9,
            Check::Luhn,
        ),
        rule(
            "account.iban",
            Account,
            r"\b[A-Z]{2}[0-9]{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b",
            0,
            0.85,
        ),
        rule("license.dea", License, r"\b[A-Z]{2}[0-9]{7}\b", 0, 0.8),
        rule_c(
            "other_id.digits",
            OtherId,
            r"\b[0-9]{7,}\b",
            0,
            0.7,
            Check::Standalone,
        ),
        rule_c(
            "other_id.code",
            OtherId,
            r"\b[A-Za-z]*[0-9][A-Za-z0-9]*(?:[-/][A-Za-z0-9]+)*\b",
            0,
            0.6,
            Check::Code,
        ),
        // Ages over 89 (the number only is replaced).
        rule(
            "age.year_old",
            Age,
            &format!(r"(?i)\b{AGE}\s*-?\s*(?:years?|yrs?|y)[\s-]*old\b"),
            0,
            0.97,
        ),
        rule(
            "age.yo",
            Age,
            &format!(r"(?i)\b{AGE}\s*-?\s*(?:yo|y/o|y\.o\.?|yrs?|years?|yr\.?|year-old|y)\b"),
            0,
            0.93,
        ),
        rule(
            "age.aged",
            Age,
            &format!(
                r"(?i)\b(?:age[ds]?|aged|at the age of|age of)\s*(?:is\s+|was\s+|of\s+)?[:=]?\s*{AGE}\b"
            ),
            0,
            0.95,
        ),
        rule(
            "age.sex",
            Age,
            &format!(r"\b{AGE}\s?(?:M|F|(?i:male|female|man|woman|gentleman|lady|yo[mf]))\b"),
            0,
            0.85,
        ),
        rule(
            "age.decade",
            Age,
            &format!(
                r"(?i)\b(?:in\s+(?:his|her|their|the)\s+)(?:early\s+|mid\s+|late\s+|mid-)?{AGE}'?s\b"
            ),
            0,
            0.9,
        ),
        // Dates: all elements but the year.
        rule(
            "date.ymd",
            Date,
            &format!(
                r"\b{WD}{Y4}[-/.](?:0?[1-9]|1[0-2])[-/.](?:0?[1-9]|[12][0-9]|3[01])(?:{ISO_T}|\b{TIME})"
            ),
            0,
            0.97,
        ),
        rule(
            "date.mdy_slash",
            Date,
            &format!(
                r"\b{WD}(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12][0-9]|3[01])/(?:{Y4}|[0-9]{{2}})\b{TIME}"
            ),
            0,
            0.97,
        ),
        rule(
            "date.mdy_dash",
            Date,
            &format!(
                r"\b{WD}(?:0?[1-9]|1[0-2])-(?:0?[1-9]|[12][0-9]|3[01])-(?:{Y4}|[0-9]{{2}})\b{TIME}"
            ),
            0,
            0.95,
        ),
        rule(
            "date.mdy_dot",
            Date,
            &format!(
                r"\b{WD}(?:0?[1-9]|1[0-2])\.(?:0?[1-9]|[12][0-9]|3[01])\.(?:{Y4}|[0-9]{{2}})\b{TIME}"
            ),
            0,
            0.9,
        ),
        rule(
            "date.dmy_numeric",
            Date,
            &format!(
                r"\b{WD}(?:1[3-9]|2[0-9]|3[01])[/.-](?:0?[1-9]|1[0-2])[/.-](?:{Y4}|[0-9]{{2}})\b{TIME}"
            ),
            0,
            0.9,
        ),
        rule(
            "date.month_day_year",
            Date,
            &format!(r"\b{WD}{MON}[\s-]*{DAY}\b(?:,?[\s-]*(?:{Y4}|'[0-9]{{2}})\b)?{TIME}"),
            0,
            0.95,
        ),
        rule(
            "date.day_month_year",
            Date,
            &format!(r"\b{WD}{DAY}(?:\s+of)?[\s-]*{MON}(?:\b|\s)(?:,?[\s-]*{Y4}\b)?{TIME}"),
            0,
            0.93,
        ),
        rule(
            "date.day_mon_yy",
            Date,
            &format!(r"\b{DAY}[-/]{MON}[-/][0-9]{{2}}\b"),
            0,
            0.93,
        ),
        rule(
            "date.ordinal_words",
            Date,
            &format!(r"\b(?i:the\s+)?{ORD_WORD}\s+(?i:of\s+)?{MON}\b(?:,?\s*{Y4}\b)?"),
            0,
            0.9,
        ),
        rule(
            "date.month_ordinal_words",
            Date,
            &format!(r"\b{MON}\s+(?i:the\s+)?{ORD_WORD}\b(?:,?\s*{Y4}\b)?"),
            0,
            0.9,
        ),
        rule(
            "date.month_year",
            Date,
            &format!(r"\b{MON},?[\s-]+(?i:of\s+)?(?:{Y4}|'[0-9]{{2}})\b"),
            0,
            0.9,
        ),
        rule(
            "date.month_slash_year",
            Date,
            &format!(r"\b(?:0?[1-9]|1[0-2])[/-]{Y4}\b"),
            0,
            0.85,
        ),
        rule(
            "date.compact",
            Date,
            r"\b(?:19|20)[0-9]{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12][0-9]|3[01])\b",
            0,
            0.8,
        ),
        rule(
            "date.labelled_compact",
            Date,
            r"(?i)\b(?:dob|d\.o\.b\.|date of birth|birth ?date|born|dos|doa|dod)\s*[:#]?\s*([0-9]{6}|[0-9]{8})\b",
            1,
            0.95,
        ),
        rule_c(
            "date.month_day",
            Date,
            r"\b(?:0?[1-9]|1[0-2])/(?:0?[1-9]|[12][0-9]|3[01])\b",
            0,
            0.75,
            Check::MonthDay,
        ),
        rule_c(
            "date.month_year_short",
            Date,
            r"\b(?:0?[1-9]|1[0-2])/(?:3[2-9]|[4-9][0-9])\b",
            0,
            0.75,
            Check::MonthDay,
        ),
        rule_c(
            "date.month_alone",
            Date,
            r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December|JANUARY|FEBRUARY|MARCH|APRIL|MAY|JUNE|JULY|AUGUST|SEPTEMBER|OCTOBER|NOVEMBER|DECEMBER)\b|\b(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\b\.?",
            0,
            0.7,
            Check::MonthContext,
        ),
        rule(
            "date.weekday",
            Date,
            r"\b(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday|MONDAY|TUESDAY|WEDNESDAY|THURSDAY|FRIDAY|SATURDAY|SUNDAY)s?\b",
            0,
            0.6,
        ),
        rule(
            "date.holiday",
            Date,
            r"\b(?:Christmas(?: Eve| Day)?|Thanksgiving(?: Day)?|Easter(?: Sunday)?|New Year'?s(?: Day| Eve)?|Halloween|Independence Day|Memorial Day|Labor Day|Veterans'? Day|Valentine'?s Day|Fourth of July|Mother'?s Day|Father'?s Day|Hanukkah|Passover|Ramadan|Yom Kippur|Rosh Hashanah|Good Friday|Boxing Day|Presidents'? Day|Martin Luther King(?:,? Jr\.?)? Day|Columbus Day|Juneteenth)\b",
            0,
            0.85,
        ),
        rule(
            "date.season_year",
            Date,
            &format!(r"(?i)\b(?:spring|summer|fall|autumn|winter)\s+(?:of\s+)?{Y4}\b"),
            0,
            0.7,
        ),
        // Geography smaller than a state.
        rule(
            "location.street",
            Location,
            &format!(
                r"\b(?:[0-9]{{1,6}}[A-Za-z]?(?:-[0-9]{{1,4}})?[ \t]+){{1,2}}(?:(?:[NSEW]|North|South|East|West|N\.|S\.|E\.|W\.)[ \t]+)?(?:(?:\p{{Lu}}[\p{{L}}\p{{M}}'.-]*|{PARTICLE}|[0-9]{{1,3}}(?i:st|nd|rd|th))[ \t]+){{1,4}}{STREET_SUFFIX}(?:[ \t]+(?:[NSEW]|NE|NW|SE|SW)\b\.?)?(?:,?[ \t]*(?i:apt|apartment|suite|ste|unit|#|room|rm|floor|fl|bldg|building)\.?[ \t]*#?[ \t]*[A-Za-z0-9-]+\b)?"
            ),
            0,
            0.93,
        ),
        rule(
            "location.street_name",
            Location,
            &format!(
                r"\b(?:on|at|along|off|near|onto|down|up|via|past|from|to|and)[ \t]+((?:(?:\p{{Lu}}[\p{{L}}\p{{M}}'.-]*|{PARTICLE})[ \t]+){{1,3}}{THOROUGHFARE})"
            ),
            1,
            0.8,
        ),
        // The sign-off of a dictated note: the author's initials, then the
        // transcriptionists' names in lower case ("GPP/church/olinger", "XGT:holmes").
        rule(
            "name.transcriptionist",
            Name,
            r"(?m)^[ \t]*[A-Z]{2,4}[:/]([a-z]{3,15}(?:/[a-z]{3,15})?)[ \t]*$",
            1,
            0.85,
        ),
        // A dictation code after the signing clinician's credential ("M.D.    FB59").
        rule(
            "other_id.dictation",
            OtherId,
            r"(?:\bM\.D\.|\bMD\b|\bD\.O\.|\bR\.N\.|\bRN\b|\bN\.P\.|\bNP\b|\bPA-C\b)[ \t,]+([A-Z]{2,3}[0-9]{1,4})\b",
            1,
            0.8,
        ),
        rule(
            "location.military",
            Location,
            r"\b(?:(?:PSC|CMR|Unit)\s+[0-9]{1,5},?\s+Box\s+[0-9]{1,5}|(?:APO|FPO|DPO)\s+(?:AA|AE|AP)|US(?:S|NS|NV|CGC)\s+\p{Lu}\p{L}+)\b",
            0,
            0.9,
        ),
        rule(
            "location.unit",
            Location,
            r"(?i)\b(?:apt|apartment|suite|ste|unit|bldg|building)\.?\s*#?\s*[0-9][A-Za-z0-9-]*\b",
            0,
            0.85,
        ),
        rule(
            "location.cross_street",
            Location,
            &format!(
                r"\b(?:corner of|intersection of|and|&)[ \t]+((?:\p{{Lu}}[\p{{L}}'.-]*[ \t]+){{1,3}}{STREET_SUFFIX})(?:\s|[,.;]|$)"
            ),
            1,
            0.8,
        ),
        rule(
            "location.po_box",
            Location,
            r"(?i)\bP\.?\s?O\.?\s*Box\s+[0-9]+\b",
            0,
            0.95,
        ),
        rule(
            "location.county",
            Location,
            r"\b[A-Z][a-z]+(?:\s[A-Z][a-z]+)?\s(?:County|Parish|Borough)\b",
            0,
            0.9,
        ),
        rule_c(
            "location.city_state",
            Location,
            &format!(
                r"\b([A-Z][A-Za-z.'-]+(?:[ -][A-Z][A-Za-z.'-]+){{0,3}}),\s*(?:{states})\.?(?:,?\s+[0-9]{{5}}(?:-[0-9]{{4}})?)?\b"
            ),
            1,
            0.9,
            Check::CityState,
        ),
        rule(
            "zip.after_country",
            Zip,
            r"\b(?:United States(?: of America)?|USA|U\.S\.A?\.?)\s*[,|]?\s*([0-9]{5}(?:-[0-9]{4})?)\b",
            1,
            0.9,
        ),
        rule(
            "zip.after_state",
            Zip,
            &format!(r"\b(?:{states}|AA|AE|AP)(?:\s*[,|]\s*|\s+)([0-9]{{5}}(?:-[0-9]{{4}})?)\b"),
            1,
            0.95,
        ),
        rule(
            "zip.labelled",
            Zip,
            r"(?i)\b(?:zip|zip code|zipcode|postal code|postcode)\s*(?:is\s+)?[:#]?\s*([0-9]{5}(?:-[0-9]{4})?)\b",
            1,
            0.97,
        ),
        rule("zip.plus4", Zip, r"\b[0-9]{5}-[0-9]{4}\b", 0, 0.85),
        // ZIP codes of New England and New Jersey start with 0, which spreadsheets drop
        // ("RI 2887", "ZIP: 2169"). Each state only with its own ranges, so "CT 2019" (a
        // scan and a year) stays.
        rule_c(
            "zip.dropped_zero",
            Zip,
            r"\b(?:(?:CT|Connecticut)(?:\s*[,|]\s*|\s+)(6[0-9]{3})|(?:MA|Massachusetts)(?:\s*[,|]\s*|\s+)(1[0-9]{3}|2[0-7][0-9]{2})|(?:RI|Rhode Island)(?:\s*[,|]\s*|\s+)(2[89][0-9]{2})|(?:NH|New Hampshire)(?:\s*[,|]\s*|\s+)(3[0-8][0-9]{2})|(?:ME|Maine)(?:\s*[,|]\s*|\s+)(39[0-9]{2}|4[0-9]{3})|(?:VT|Vermont)(?:\s*[,|]\s*|\s+)(5[0-9]{3})|(?:NJ|New Jersey)(?:\s*[,|]\s*|\s+)([78][0-9]{3}))\b",
            0,
            0.85,
            Check::TrailingDigits,
        ),
        rule(
            "zip.labelled_dropped_zero",
            Zip,
            r"(?i)\b(?:zip(?: ?code)?|postal code|postcode)\s*(?:is\s+)?[:#]?\s*([0-9]{4})\b",
            1,
            0.9,
        ),
    ]
}

/// Run every pattern rule over `text`, appending raw (possibly overlapping) findings.
pub(crate) fn scan(text: &str, out: &mut Vec<Finding>) {
    let bytes = text.as_bytes();
    for f in FAMILIES.iter() {
        let mut caps = None;
        let mut at = 0;
        while at < text.len() {
            let Some(m) = f.re.search(&Input::new(text).range(at..)) else {
                break;
            };
            let member = &f.members[m.pattern().as_usize()];
            if member.group == 0 {
                push(member, text, bytes, m.start(), m.end(), out);
            } else {
                // Only now pay for capture groups: an anchored search of this one pattern
                // over the span just matched.
                let input = Input::new(text)
                    .range(m.range())
                    .anchored(Anchored::Pattern(m.pattern()));
                let caps = caps.get_or_insert_with(|| f.re.create_captures());
                f.re.search_captures(&input, caps);
                if let Some(span) = caps.get_group(member.group) {
                    push(member, text, bytes, span.start, span.end, out);
                }
            }
            at = m.start() + text[m.start()..].chars().next().map_or(1, char::len_utf8);
        }
    }
}

fn push(
    r: &Member,
    text: &str,
    bytes: &[u8],
    mut start: usize,
    mut end: usize,
    out: &mut Vec<Finding>,
) {
    let s = &text[start..end];
    let ok = match r.check {
        Check::None => true,
        Check::Luhn => luhn(s),
        Check::Vin => {
            let d = s.bytes().filter(u8::is_ascii_digit).count();
            (3..17).contains(&d)
        }
        Check::Ipv6 => {
            let before = start.checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(end).copied();
            let glued = |b: Option<u8>| b.is_some_and(|b| b.is_ascii_alphanumeric() || b == b':');
            !glued(before) && !glued(after) && s.parse::<std::net::Ipv6Addr>().is_ok()
        }
        Check::MonthDay => month_day_ok(text, bytes, start, end),
        Check::Standalone => standalone(bytes, start, end),
        Check::IdValue => {
            let trimmed = s.trim_end_matches(['-', '/', '.', ' ']);
            end = start + trimmed.len();
            trimmed.len() >= 3 && trimmed.bytes().any(|b| b.is_ascii_digit())
        }
        Check::Code => {
            let digits = s.bytes().filter(u8::is_ascii_digit).count();
            let letters = s.bytes().filter(u8::is_ascii_alphabetic).count();
            standalone(bytes, start, end) && ((letters > 0 && digits >= 5) || digits >= 7)
        }
        Check::CityState => city_state_ok(text, start, end),
        Check::MonthContext => month_alone_ok(text, start, end),
        Check::PhoneDigits => s.bytes().filter(u8::is_ascii_digit).count() >= 7,
        Check::TrailingDigits => {
            let digits = s.bytes().rev().take_while(u8::is_ascii_digit).count();
            start = end - digits;
            digits > 0
        }
        Check::Phone => {
            let before = start.checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(end).copied();
            // "3/14/2021-555" style overlaps and decimals are not phone numbers.
            !matches!(before, Some(b'/' | b'.'))
                && after != Some(b'/')
                && standalone(bytes, start, end)
        }
    };
    if ok && end > start {
        let category = if matches!(r.category, Category::Phone) && is_fax(text, start) {
            Category::Fax
        } else {
            r.category
        };
        out.push(Finding {
            start,
            end,
            category,
            rule: r.id,
            confidence: r.confidence,
        });
    }
}

fn standalone(bytes: &[u8], start: usize, end: usize) -> bool {
    let before = start.checked_sub(1).map(|i| bytes[i]);
    let after = bytes.get(end).copied();
    let after2 = bytes.get(end + 1).copied();
    let decimal_before = before == Some(b'.') && start >= 2 && bytes[start - 2].is_ascii_digit();
    let decimal_after = after == Some(b'.') && after2.is_some_and(|b| b.is_ascii_digit());
    !decimal_before && !decimal_after
}

fn luhn(s: &str) -> bool {
    let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                if d * 2 > 9 {
                    d * 2 - 9
                } else {
                    d * 2
                }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Words after which a bare `m/d` is read as a date.
const DATE_CONTEXT: &[&str] = &[
    "on",
    "since",
    "from",
    "to",
    "until",
    "till",
    "through",
    "thru",
    "dated",
    "date",
    "of",
    "by",
    "before",
    "after",
    "starting",
    "started",
    "dos",
    "doa",
    "dob",
    "admitted",
    "discharged",
    "seen",
    "last",
    "next",
    "between",
    "and",
    "-",
    "visit",
    "followup",
    "f/u",
    "fu",
    "due",
    "scheduled",
    "returned",
    "returns",
    "presented",
    "performed",
    "done",
    "drawn",
    "obtained",
    "of",
    "as",
    "at",
    "effective",
    "noted",
    "in",
    "around",
    "approximately",
    "about",
    "ending",
    "beginning",
    "thru",
    "today",
    "yesterday",
    "d/c",
    "dc",
    "s/p",
    "post",
    "pre",
    "surgery",
    "with",
    "cath",
    "compared",
    "ekg",
    "ecg",
    "echo",
    "ct",
    "mri",
    "cxr",
    "labs",
    "scan",
    "study",
    "procedure",
    "since",
    "prior",
    "last",
    "dated",
    "until",
];

/// The lower-cased word that ends right before `start` (after skipping spaces, tabs
/// and `:,(`), where `stop` says which characters end a word. Looks back at most 32
/// bytes: a longer "word" is in no context list, and a bounded look-back keeps a scan
/// of a long text linear.
pub(crate) fn word_before(text: &str, start: usize, stop: impl Fn(char) -> bool) -> String {
    let head = text[..start].trim_end_matches([' ', '\t', ':', ',', '(']);
    let from = floor_char_boundary(head, head.len().saturating_sub(32));
    let window = &head[from..];
    let word_start = window
        .char_indices()
        .rev()
        .find(|&(_, c)| stop(c))
        .map_or(0, |(i, c)| i + c.len_utf8());
    if word_start == 0 && from > 0 {
        return String::new();
    }
    window[word_start..].to_ascii_lowercase()
}

/// The largest character boundary of `s` not above `at`.
pub(crate) fn floor_char_boundary(s: &str, at: usize) -> usize {
    let mut at = at.min(s.len());
    while !s.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// Words after which a month name alone is a date ("since November").
const MONTH_CONTEXT: &[&str] = &[
    "in",
    "since",
    "until",
    "till",
    "of",
    "last",
    "next",
    "early",
    "late",
    "mid",
    "during",
    "by",
    "before",
    "after",
    "this",
    "from",
    "through",
    "thru",
    "between",
    "around",
    "and",
    "to",
    "end",
    "beginning",
    "start",
    "each",
    "every",
    "past",
    "that",
];

fn month_alone_ok(text: &str, start: usize, end: usize) -> bool {
    let m = text[start..end].trim_end_matches('.');
    let unambiguous = [
        "January",
        "February",
        "September",
        "October",
        "November",
        "December",
    ];
    if unambiguous.iter().any(|u| u.eq_ignore_ascii_case(m)) {
        return true;
    }
    MONTH_CONTEXT.contains(&word_before(text, start, |c| !c.is_alphanumeric()).as_str())
}

fn month_day_ok(text: &str, bytes: &[u8], start: usize, end: usize) -> bool {
    let before = start.checked_sub(1).map(|i| bytes[i]);
    let after = bytes.get(end).copied();
    if matches!(before, Some(b'/' | b'.' | b'-' | b':'))
        || matches!(after, Some(b'/' | b'%' | b':'))
    {
        return false;
    }
    if after == Some(b'.') && bytes.get(end + 1).is_some_and(u8::is_ascii_digit) {
        return false;
    }
    let s = &text[start..end];
    if s.split('/').any(|p| p.len() == 2 && p.starts_with('0')) {
        return true;
    }
    // The word before, skipping spaces and a colon.
    let word = word_before(text, start, |c| c.is_whitespace() || c == '(' || c == ',');
    if DATE_CONTEXT.contains(&word.as_str()) {
        // "5/5 strength", "1/2 tab": a count follows.
        let tail = text[end..].trim_start();
        let tail = tail[..floor_char_boundary(tail, 12)].to_ascii_lowercase();
        return !["strength", "tab", "pill", "cap", "mg", "of", "dose"]
            .iter()
            .any(|w| tail.starts_with(w));
    }
    false
}

/// State abbreviations that are also credentials ("Smith, MD"): a ZIP code must follow.
const CREDENTIAL_STATES: &[&str] = &["MD", "DO", "PA"];

fn city_state_ok(text: &str, start: usize, end: usize) -> bool {
    let rest = &text[end..];
    let rest = rest.trim_start_matches([',', ' ']);
    let state_end = rest
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    let state = &rest[..state_end];
    let zip_follows = rest[state_end..]
        .trim_start_matches([',', ' ', '.'])
        .starts_with(|c: char| c.is_ascii_digit());
    if zip_follows {
        return true;
    }
    if CREDENTIAL_STATES.contains(&state) {
        return false;
    }
    // A full state name ("Fresno, California") is context enough; a two-letter
    // abbreviation ("Soft, ND, NT" in an exam) needs a known city.
    if state.len() > 2 {
        return true;
    }
    let city = &text[start..end];
    DICT.city_at(city, 0).is_some_and(|m| m.end == city.len())
}

fn is_fax(text: &str, start: usize) -> bool {
    let from = start.saturating_sub(24);
    let mut from = from;
    while !text.is_char_boundary(from) {
        from += 1;
    }
    let window = &text[from..start];
    let line = window.rsplit('\n').next().unwrap_or(window);
    line.to_ascii_lowercase().contains("fax")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_rule_compiles() {
        let rules: usize = FAMILIES.iter().map(|f| f.members.len()).sum();
        assert!(rules > 40, "all rules are built");
    }

    #[test]
    fn luhn_checks() {
        assert!(luhn("4111 1111 1111 1111"));
        assert!(!luhn("4111 1111 1111 1112"));
    }
}
