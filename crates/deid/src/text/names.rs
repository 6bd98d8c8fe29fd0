//! Person-name and place-name detection from the dictionaries plus context rules.
//!
//! Capitalised tokens are looked up in the census name lists. Because many names are
//! also ordinary words (May, Rose, Brown, Hall), a token that is a common word needs
//! context: a title before it ("Dr."), a label ("Attending:", "signed by"), a
//! credential after it ("MD"), a neighbouring unambiguous name, or the "Last, First"
//! shape. Every name found once in a document is then found everywhere in it.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;

use super::dict::{WordInfo, DICT};
use super::finding::Finding;
use super::{patterns, shape};
use crate::category::Category;

static TOKEN: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\p{Lu}[\p{L}\p{M}]*(?:['’-][\p{L}\p{M}]+)*\.?|(?-u:\b)(?:van|von|der|den|de|del|della|da|das|dos|di|du|la|le|bin|ibn|al|el|ter|ten|zu)(?-u:\b)")
        .expect("token pattern")
});

/// Labels that introduce a name when they end right before it ("Attending:",
/// "signed by", "Mother"). Matched on the last one to four words before the name.
const STRONG_LABELS: &[&str] = &[
    "name",
    "patient",
    "pt",
    "pcp",
    "attending",
    "attg",
    "physician",
    "provider",
    "doctor",
    "surgeon",
    "resident",
    "intern",
    "fellow",
    "nurse",
    "rn",
    "np",
    "author",
    "dictated by",
    "transcribed by",
    "signed by",
    "electronically signed by",
    "e-signed by",
    "reviewed by",
    "cosigned by",
    "co-signed by",
    "signed",
    "cc",
    "c.c.",
    "referring",
    "referring physician",
    "referring provider",
    "referring md",
    "referred by",
    "consultant",
    "consulting",
    "contact",
    "emergency contact",
    "mother",
    "father",
    "mom",
    "dad",
    "wife",
    "husband",
    "daughter",
    "son",
    "brother",
    "sister",
    "spouse",
    "partner",
    "guardian",
    "nok",
    "next of kin",
    "seen by",
    "seen with",
    "discussed with",
    "d/w",
    "dear",
    "family",
    "friend",
    "caregiver",
    "aunt",
    "uncle",
    "cousin",
    "niece",
    "nephew",
    "grandmother",
    "grandfather",
    "grandson",
    "granddaughter",
    "girlfriend",
    "boyfriend",
    "fiance",
    "fiancee",
    "fiancé",
    "fiancée",
    "attending physician",
    "primary care",
    "pcp name",
    "admitting",
    "admitted by",
    "discharged by",
    "interpreter",
    "chaplain",
    "social worker",
    "case manager",
    "pharmacist",
    "therapist",
    "dentist",
    "midwife",
    "witness",
    "informant",
    "accompanied by",
    "brought in by",
    "lives with",
    "married to",
    "my name is",
    "name is",
    "names are",
    "name are",
    "called",
    "named",
    "says",
    "said",
    "asks",
    "asked",
    "tells",
    "told",
    "thanks",
    "thank you",
    "regards",
    "sincerely",
    "hi",
    "hello",
    "hey",
    "producer",
    "director",
    "manager",
    "coordinator",
    "supervisor",
    "colleague",
    "landlord",
    "neighbor",
    "neighbour",
    "employer",
    "aka",
    "a.k.a.",
    "alias",
    "s/p",
    "/s/",
    "patient name",
    "pt name",
];

static LABELS: LazyLock<HashMap<&'static str, bool>> = LazyLock::new(|| {
    let strong = STRONG_LABELS.iter().map(|l| (*l, true));
    WEAK_LABELS
        .iter()
        .map(|l| (*l, false))
        .chain(strong)
        .collect()
});

/// Connecting words before a name: they back only words the name lists know.
const WEAK_LABELS: &[&str] = &[
    "per",
    "from",
    "to",
    "by",
    "with",
    "and",
    "or",
    "tell",
    "ask",
    "add",
    "including",
    "features",
    "under",
    "meet",
    "visit",
    "visited",
    "for",
    "of",
];

static CREDENTIAL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"^,?\s*(?:M\.?D\.?|D\.?O\.?|R\.?N\.?|N\.?P\.?|P\.?A\.?(?:-C)?|Ph\.?D\.?|DDS|DMD|MSW|LCSW|LICSW|LPN|CNM|CRNA|FNP|ARNP|APRN|DPM|OD|PharmD|MBBS|FACS|FACP|FACC|MPH|BSN|MSN|CNP|DNP|RD|PT|OT|SLP|RRT|MA|CMA)(?-u:\b)")
        .expect("credential pattern")
});

static LOWER_AFTER_TITLE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r"(?-u:\b)((?i:dr|mr|mrs|ms|miss|mx|prof))\.?\s+([\p{L}][\p{L}'’-]*?)(?:['’]s)?(?:[^\p{L}'’-]|$)",
    )
    .expect("title pattern")
});

/// Words that may precede an ambiguous place name ("lives in Hope").
const PLACE_CONTEXT: &[&str] = &[
    "in",
    "from",
    "to",
    "at",
    "near",
    "of",
    "visiting",
    "visited",
    "lives",
    "lived",
    "moved",
    "resident",
    "born",
    "travelled",
    "traveled",
    "outside",
    "around",
    "relocated",
    "transferred",
    "via",
    "city",
    "town",
];

#[derive(Debug, Clone)]
struct Tok {
    /// The name core in lower case.
    lower: String,
    start: usize,
    /// End of the name core (possessive `'s` and a trailing `.` excluded).
    end: usize,
    /// End of the whole token match (including a trailing `.`).
    full_end: usize,
    info: WordInfo,
    initial: bool,
    caps: bool,
    /// Strong name evidence on its own: a name-list word that is not a common word.
    strong: bool,
    /// A title-case word in no dictionary at all: an unknown proper noun.
    oov: bool,
    /// Contains a letter outside ASCII.
    non_ascii: bool,
    /// An unknown word spelled like a name (see [`super::shape`]).
    name_shaped: bool,
    /// The name-shape score of an unknown or rare word, `f32::MIN` for others.
    score: f32,
    /// A lower-case surname particle ("van", "de"): part of a name only between names.
    particle: bool,
    /// Followed by a possessive `'s`.
    possessive: bool,
}

fn token_info(core: &str, lower: &str) -> WordInfo {
    let mut info = DICT.word_or_stem(lower);
    let capital_parts = core
        .split(['-', '\'', '’'])
        .all(|p| p.starts_with(char::is_uppercase));
    if !info.is_name() && capital_parts && lower.contains(['-', '\'', '’']) {
        // "Ferndale-Ostrowski", "O'Brien": any capitalised part that is a name makes it a
        // name ("They're", "E-mail" and "Well-appearing" are not split).
        for part in lower.split(['-', '\'', '’']).filter(|p| p.len() > 1) {
            let p = DICT.word(part);
            if p.is_name() {
                info.first = info.first.max(p.first);
                info.last = info.last.max(p.last);
                info.common &= p.common;
            }
        }
    }
    info
}

fn tokenize(text: &str) -> Vec<Tok> {
    let bytes = text.as_bytes();
    TOKEN
        .find_iter(text)
        // Letters glued to digits ("HbA1c", "CD4") are codes, not names.
        .filter(|m| {
            let before = m.start().checked_sub(1).map(|i| bytes[i]);
            let after = bytes.get(m.end()).copied();
            !before.is_some_and(|b| b.is_ascii_digit())
                && !after.is_some_and(|b| b.is_ascii_digit())
        })
        .map(|m| {
            let s = m.as_str();
            let no_dot = s.strip_suffix('.').unwrap_or(s);
            let core = ["'s", "’s", "'S"]
                .iter()
                .find_map(|p| no_dot.strip_suffix(p).filter(|c| c.chars().count() > 1))
                .unwrap_or(no_dot);
            let lower = core.to_lowercase();
            let info = token_info(core, &lower);
            let n = core.chars().count();
            // Nothing longer than this is a name (and the name model is not asked).
            let plausible = n <= MAX_NAME_CHARS;
            let caps = n > 1 && !core.chars().any(char::is_lowercase);
            let initial = n == 1;
            let frequent_first = info.first > 0 && info.first <= 1500 && !info.ambiguous_first;
            let strong = plausible
                && info.is_name()
                && (!info.common || frequent_first)
                && !info.stop
                && !info.title
                && n > 1;
            let known = info.is_name() || info.common || info.vocab || info.stop || info.title;
            let capital_parts = core
                .split(['-', '\'', '’'])
                .all(|p| p.starts_with(char::is_uppercase));
            let contraction = !capital_parts && core.contains(['\'', '’']);
            // "ADLs", "UTIs": plural abbreviations, not names.
            let upper = core.chars().filter(|c| c.is_uppercase()).count();
            let acronym_plural = upper >= 2 && core.ends_with('s') && upper + 1 == n;
            let oov = !known
                && plausible
                && n >= 3
                && core.chars().any(char::is_lowercase)
                && !contraction
                && !acronym_plural;
            let non_ascii = !core.is_ascii();
            // How name-like an unknown or rare word is (not asked of other words).
            let rare = oov || info.vocab && !info.common && !info.is_name();
            let score = if rare && n >= 3 {
                shape::name_score(core)
            } else {
                f32::MIN
            };
            let particle = s.starts_with(|c: char| c.is_lowercase());
            let info = if particle { WordInfo::default() } else { info };
            Tok {
                lower,
                start: m.start(),
                end: m.start() + core.len(),
                full_end: m.end(),
                info,
                initial,
                caps,
                strong,
                oov: oov && !particle,
                non_ascii,
                name_shaped: oov && !particle && n >= 4 && score > shape::NAME_THRESHOLD,
                score,
                particle,
                possessive: core.len() < no_dot.len(),
            }
        })
        .collect()
}

/// Longest token, in characters, still considered as a name.
const MAX_NAME_CHARS: usize = 40;

/// Can tokens `a` and `b` belong to one name? Only spaces, a comma ("Last, First") or
/// the dot after an initial may separate them.
fn joined(text: &str, a: &Tok, b: &Tok) -> bool {
    // A full stop ends the sentence unless it ends an initial or a title ("J.", "Dr.").
    if text[..a.full_end].ends_with('.') && !a.initial && !a.info.title {
        return false;
    }
    let gap = &text[a.full_end..b.start];
    gap.len() <= 3 && !gap.is_empty() && gap.chars().all(|c| c == ' ' || c == ',' || c == '\t')
        || gap.is_empty() && a.full_end > a.end
}

fn label_before(text: &str, start: usize) -> Option<bool> {
    // Only the last 40 bytes of the line count (a bounded look-back keeps long lines
    // linear).
    let mut from = start.saturating_sub(40);
    while !text.is_char_boundary(from) {
        from += 1;
    }
    if let Some(nl) = text[from..start].rfind('\n') {
        from += nl + 1;
    }
    let head = text[from..start].trim_end_matches([' ', '\t', ':', '#', '-', '\'', '"', '‘', '“']);
    if head.ends_with('(') {
        return Some(false);
    }
    let head = head.to_lowercase();
    // The last one to four words, longest first.
    let mut cut = head.len();
    let mut ends = Vec::with_capacity(4);
    for _ in 0..4 {
        match head[..cut].trim_end().rfind(' ') {
            Some(i) => {
                ends.push(i + 1);
                cut = i;
            }
            None => {
                ends.push(0);
                break;
            }
        }
    }
    for &b in ends.iter().rev() {
        if let Some(&strong) = LABELS.get(head[b..].trim()) {
            return Some(strong);
        }
    }
    None
}

/// Nouns after a possessive that make it a medical eponym ("Parkinson's disease"), not a
/// person in the record.
const EPONYM_NOUNS: &[&str] = &[
    "disease",
    "syndrome",
    "palsy",
    "sign",
    "test",
    "maneuver",
    "manoeuvre",
    "law",
    "lymphoma",
    "sarcoma",
    "tumor",
    "tumour",
    "ulcer",
    "esophagus",
    "contracture",
    "cyst",
    "node",
    "nodes",
    "fracture",
    "reflex",
    "triad",
    "criteria",
    "score",
    "scale",
    "classification",
    "procedure",
    "operation",
    "method",
    "phenomenon",
    "solution",
    "formula",
    "ligament",
    "canal",
    "space",
    "capsule",
    "gland",
    "glands",
    "organ",
    "membrane",
    "line",
    "angle",
    "point",
    "area",
    "encephalopathy",
    "thyroiditis",
    "dementia",
    "chorea",
    "anomaly",
    "ataxia",
    "neuroma",
    "neuralgia",
    "phenomena",
    "diverticulum",
    "hernia",
    "deformity",
    "position",
    "spots",
    "nodules",
];

fn eponym_after(text: &str, at: usize) -> bool {
    let next = text[at..].trim_start();
    let next = &next[..patterns::floor_char_boundary(next, 24)];
    let end = next
        .find(|c: char| !c.is_alphabetic())
        .unwrap_or(next.len());
    EPONYM_NOUNS.contains(&next[..end].to_lowercase().as_str())
}

fn title_before(text: &str, toks: &[Tok], i: usize) -> bool {
    i > 0 && toks[i - 1].info.title && joined(text, &toks[i - 1], &toks[i])
}

/// Detect person names; appends findings.
pub(crate) fn detect_names(text: &str, out: &mut Vec<Finding>) {
    let toks = tokenize(text);
    let mut is_name = vec![0u8; toks.len()]; // 0 no, else rule index below
    const RULE_IDS: [&str; 10] = [
        "",
        "name.title",
        "name.label",
        "name.credential",
        "name.last_first",
        "name.chain",
        "name.dictionary",
        "name.repeat",
        "name.shape",
        "name.possessive",
    ];
    let mut i = 0;
    let mut pending_label = None;
    while i < toks.len() {
        // A capitalised label word ("Hi", "Dear", "Mother") opening a chain is context
        // for the rest of the chain, not part of it.
        if i + 1 < toks.len() && joined(text, &toks[i], &toks[i + 1]) && !toks[i].info.title {
            if let Some(&strong) = LABELS.get(toks[i].lower.as_str()).filter(|&&s| s) {
                pending_label = Some(strong);
                i += 1;
                continue;
            }
        }
        // A chain of joined tokens starting at i.
        let mut j = i;
        while j + 1 < toks.len()
            && joined(text, &toks[j], &toks[j + 1])
            && j - i < 5
            && !CREDENTIAL.is_match(&text[toks[j].full_end..])
        {
            j += 1;
        }
        let chain = i..=j;
        let label = pending_label
            .take()
            .or_else(|| label_before(text, toks[i].start));
        let credential = CREDENTIAL.is_match(&text[toks[j].full_end..]);
        let has_comma = chain
            .clone()
            .skip(1)
            .any(|k| text[toks[k - 1].full_end..toks[k].start].contains(','));
        let any_strong = chain.clone().any(|k| toks[k].strong);
        // What makes a chain of capitalised words a name: a name-list word that is no
        // ordinary word, or an unknown word spelled like a name or with non-ASCII letters.
        let any_anchor = chain
            .clone()
            .any(|k| toks[k].strong || toks[k].name_shaped || toks[k].oov && toks[k].non_ascii);
        let neutral = |k: usize| toks[k].initial || toks[k].info.title || toks[k].particle;
        let words = chain.clone().filter(|&k| !neutral(k)).count();
        // Two or three unknown or rare words side by side are evidence too: they need
        // only half the name-shape score on average.
        let rare_scores: Vec<f32> = chain
            .clone()
            .map(|k| toks[k].score)
            .filter(|&x| x > f32::MIN)
            .collect();
        let pair_shaped = (2..=3).contains(&rare_scores.len())
            && rare_scores.len() == words
            && rare_scores.iter().sum::<f32>() / rare_scores.len() as f32
                > shape::NAME_THRESHOLD / 2.0;
        let any_shaped = pair_shaped
            || chain
                .clone()
                .any(|k| toks[k].name_shaped || toks[k].non_ascii);
        let all_rare = chain
            .clone()
            .all(|k| toks[k].score > f32::MIN || neutral(k));
        for k in chain.clone() {
            let t = &toks[k];
            if t.info.title && !t.initial || t.particle {
                continue;
            }
            let rare_word = t.info.vocab && !t.info.common;
            let namey = t.info.is_name() || t.initial || t.oov || rare_word && any_anchor;
            // "Rosetta Loggia", "Carolos Talon": a word right after a first name.
            let after_first = k > i && toks[k - 1].strong && toks[k - 1].info.first > 0;
            // Stop words (clinical vocabulary, function words) are names only after a title.
            let clinical = t.info.stop;
            let short_caps = t.caps && t.end - t.start <= 3;
            let plain_word = (t.info.common || t.info.vocab) && !t.info.is_name();
            let rule = if title_before(text, &toks, k)
                || (k > i && is_name[k - 1] == 1 && namey)
                || (after_first && !clinical && !t.initial)
            {
                1
            } else if label == Some(true)
                && !clinical
                && (!plain_word || k > i && is_name[k - 1] != 0)
                || label == Some(false)
                    && namey
                    && !clinical
                    && (t.strong || t.name_shaped || any_strong || j > i)
            {
                2
            } else if credential && !clinical && !plain_word {
                3
            } else if has_comma && namey && !clinical && any_strong {
                4
            } else if j > i
                && namey
                && !clinical
                && any_anchor
                && (!t.info.common || t.info.first > 0 || k == j)
            {
                5
            } else if t.strong
                && !short_caps
                && !(t.caps && t.info.last > 20_000 && t.info.first == 0)
                // A rare dictionary word ("Sternal", "Supple") needs more than a rare
                // surname to be a name on its own.
                && (!t.info.vocab || t.info.first > 0 || t.info.last <= 10_000)
            {
                6
            } else if !short_caps
                && (t.score > f32::MIN
                    && all_rare
                    && (2..=3).contains(&words)
                    && any_shaped
                    && !has_comma
                    || t.oov && (t.non_ascii || t.name_shaped))
            {
                8
            } else if t.possessive
                && (t.info.is_name() || t.oov)
                && !clinical
                && !short_caps
                && !eponym_after(text, t.full_end)
            {
                9
            } else {
                0
            };
            if rule != 0 {
                is_name[k] = rule;
            }
        }
        i = j + 1;
    }
    // Initials and particles next to a found name ("J. Smith", "Smith J", "van den
    // Heuvel"), walking right to left so "van den" chains resolve; and a name-list word
    // joined to a found name by "and" ("Perez and Martin").
    for k in (0..toks.len()).rev() {
        if is_name[k] != 0 {
            continue;
        }
        let t = &toks[k];
        let next = k + 1 < toks.len() && is_name[k + 1] != 0 && joined(text, t, &toks[k + 1]);
        let prev = k > 0
            && is_name[k - 1] != 0
            && joined(text, &toks[k - 1], t)
            && !CREDENTIAL.is_match(&text[toks[k - 1].full_end..]);
        if (t.initial && (next || prev)) || (t.particle && next) {
            is_name[k] = 5;
        }
    }
    for k in 1..toks.len() {
        let t = &toks[k];
        if is_name[k] == 0 && (t.info.is_name() || t.oov) && !t.info.stop && is_name[k - 1] != 0 {
            let gap = &text[toks[k - 1].full_end..t.start];
            if matches!(gap.trim(), "and" | "or" | "&") {
                is_name[k] = 5;
            }
        }
    }
    // Every occurrence of a found name is a name.
    let found: HashSet<&str> = toks
        .iter()
        .zip(&is_name)
        .filter(|(t, &r)| r != 0 && !t.initial && !t.particle && !t.info.stop)
        .map(|(t, _)| t.lower.as_str())
        .collect();
    if !found.is_empty() {
        for (k, t) in toks.iter().enumerate() {
            if is_name[k] == 0 && !t.initial && !t.particle && found.contains(t.lower.as_str()) {
                is_name[k] = 7;
            }
        }
    }
    for (t, &r) in toks.iter().zip(&is_name) {
        if r != 0 {
            let confidence = match r {
                1..=4 => 0.95,
                5 => 0.9,
                6 => 0.75,
                8 => 0.6,
                9 => 0.65,
                _ => 0.85,
            };
            out.push(Finding {
                start: t.start,
                end: t.end,
                category: Category::Name,
                rule: RULE_IDS[r as usize],
                confidence,
            });
        }
    }
    for c in LOWER_AFTER_TITLE.captures_iter(text) {
        let (Some(title), Some(m)) = (c.get(1), c.get(2)) else {
            continue;
        };
        // A capitalised title before a capitalised word is the token rule's case.
        let upper = |s: &str| s.starts_with(char::is_uppercase);
        if upper(title.as_str()) && upper(m.as_str()) {
            continue;
        }
        {
            let info = DICT.word(m.as_str());
            if !info.stop && !info.common || info.is_name() {
                out.push(Finding {
                    start: m.start(),
                    end: m.end(),
                    category: Category::Name,
                    rule: "name.title_lower",
                    confidence: 0.85,
                });
            }
        }
    }
}

/// Detect city names from the dictionary; appends findings. `out` already holds the
/// pattern findings: an ambiguous city name right after a street address is accepted.
pub(crate) fn detect_places(text: &str, out: &mut Vec<Finding>) {
    let bytes = text.as_bytes();
    let mut address_ends: Vec<usize> = out
        .iter()
        .filter(|f| f.category == Category::Location && f.rule != "location.city_dictionary")
        .map(|f| f.end)
        .collect();
    address_ends.sort_unstable();
    let after_address = |s: usize| {
        let i = address_ends.partition_point(|&e| e <= s);
        i > 0 && {
            let e = address_ends[i - 1];
            s - e <= 48 && !text[e..s].chars().any(char::is_alphabetic)
        }
    };
    // An anchored dictionary look-up at the start of every ASCII word.
    let mut next = 0;
    while next < bytes.len() {
        let s = next;
        if !bytes[s].is_ascii_alphabetic() || s > 0 && bytes[s - 1].is_ascii_alphanumeric() {
            next += 1;
            continue;
        }
        let word_end = bytes[s..]
            .iter()
            .position(|b| !b.is_ascii_alphanumeric())
            .map_or(bytes.len(), |n| s + n);
        next = word_end;
        let Some(found) = DICT.city_at(text, s) else {
            continue;
        };
        let e = found.end;
        if e < bytes.len() && bytes[e].is_ascii_alphanumeric() {
            continue;
        }
        next = next.max(e);
        let city = &text[s..e];
        let ambiguous = city.split([' ', '-']).all(|w| {
            let i = DICT.word(&w.to_lowercase());
            i.common || i.vocab || i.stop || i.is_name() || i.title
        });
        // A lower-case match ("boston") counts only when no word of it is a word.
        let lower = !bytes[s].is_ascii_uppercase();
        let any_word = city.split([' ', '-']).any(|w| {
            let i = DICT.word(&w.to_lowercase());
            i.common || i.vocab || i.stop || i.is_name() || i.title
        });
        if lower && any_word {
            continue;
        }
        let confidence = if ambiguous {
            let word = patterns::word_before(text, s, |c| !c.is_alphanumeric());
            if !PLACE_CONTEXT.contains(&word.as_str()) && !after_address(s) {
                continue;
            }
            0.7
        } else {
            0.8
        };
        out.push(Finding {
            start: s,
            end: e,
            category: Category::Location,
            rule: "location.city_dictionary",
            confidence,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names(text: &str) -> Vec<&str> {
        let mut v = Vec::new();
        detect_names(text, &mut v);
        v.sort_by_key(|f| f.start);
        v.iter().map(|f| &text[f.start..f.end]).collect()
    }

    #[test]
    fn titles_labels_and_credentials() {
        assert_eq!(names("Seen by Dr. Hope today."), ["Hope"]);
        assert_eq!(names("Attending: YBARRA\nCODE: FULL"), ["YBARRA"]);
        assert_eq!(names("Mike Ivan, MD, pager 84710"), ["Mike", "Ivan"]);
        assert_eq!(names("PATIENT: DOE, JOHN"), ["DOE", "JOHN"]);
        assert_eq!(
            names("Electronically signed by Rose Hall on"),
            ["Rose", "Hall"]
        );
    }

    #[test]
    fn common_words_need_context() {
        assert!(names("She may hope to walk; will page the team. Rose from bed.").is_empty());
        assert!(names("Brown sputum, white count normal.").is_empty());
        assert_eq!(
            names("Mrs. Villegas's daughter called. Villegas agrees."),
            ["Villegas", "Villegas"]
        );
    }
}
