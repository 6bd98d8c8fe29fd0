//! Person-name and place-name detection from the dictionaries plus context rules.
//!
//! Capitalised tokens are looked up in the census name lists. Because many names are
//! also ordinary words (May, Rose, Brown, Hall), a token that is a common word needs
//! context: a title before it ("Dr."), a label ("Attending:", "signed by"), a
//! credential after it ("MD"), a neighbouring unambiguous name, or the "Last, First"
//! shape, a place inside a lower-case sentence ("Why is Dean so impulsive?") or a
//! speaker's colon. Every name found once in a document is then found everywhere in it.
//!
//! Places come from the city list and, for towns no list knows, from where they stand:
//! after a street address, after "lives in" and similar phrases, on the line above a
//! state or country, in brackets after a town, before a facility word ("Brindlemoor
//! Clinic"). An intersection ("the corner of A and B") becomes one span with its
//! connectors, and a ZIP code right after a town is a ZIP code.

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;

use regex::Regex;

use super::dict::{self, WordInfo, DICT};
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
    "call me",
    "calls me",
    "called me",
    "known as",
    "goes by",
    "go by",
    "kid",
    "child",
    "stepson",
    "stepdaughter",
    "stepmother",
    "stepfather",
    "grandchild",
    "grandma",
    "grandpa",
    "roommate",
    "coworker",
    "co-worker",
    "boss",
    "maiden name",
    "last name",
    "first name",
    "surname",
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

/// "I'm", "DON'T", "They're": an English contraction, never a name ("O'Brien" and
/// "D'Angelo" are not: their part after the apostrophe is no contraction ending; a
/// possessive `'s` is handled by the tokeniser).
fn is_contraction(s: &str) -> bool {
    let Some(i) = s.rfind(['\'', '’']) else {
        return false;
    };
    let tail = &s[i..];
    let tail = tail.trim_start_matches(['\'', '’']);
    matches!(
        tail.to_ascii_lowercase().as_str(),
        "t" | "m" | "re" | "ve" | "ll" | "d"
    ) && i > 0
}

/// "X-ray", "T-cell", "C-section", "G-tube": a single capital letter joined to a
/// lower-case word is a term, not a name.
fn is_letter_compound(s: &str) -> bool {
    let mut c = s.chars();
    matches!((c.next(), c.next()), (Some(a), Some('-')) if a.is_uppercase())
        && c.as_str().chars().all(char::is_lowercase)
        && !c.as_str().is_empty()
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
        .filter(|m| {
            let s = m.as_str().trim_end_matches('.');
            !is_contraction(s) && !is_letter_compound(s)
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
            // All capitals and only in the tails of the lists ("IBAN", "II"): an acronym.
            let caps_rare = n > 1 && !core.chars().any(char::is_lowercase) && info.rare_name();
            let strong = plausible
                && info.is_name()
                && (!info.common || frequent_first)
                && !info.stop
                && !info.term
                && !info.title
                && !caps_rare
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
            let mut info = if particle { WordInfo::default() } else { info };
            // A state ("Texas") is no identifier; one that is also a first name
            // ("Virginia") keeps its chance.
            if info.first == 0 && info.state && (n > 2 || caps) {
                info.stop = true;
            }
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
    "crisis",
    "catheter",
    "stain",
];

fn eponym_after(text: &str, at: usize) -> bool {
    let next = text[at..].trim_start();
    let next = &next[..patterns::floor_char_boundary(next, 24)];
    let end = next
        .find(|c: char| !c.is_alphabetic())
        .unwrap_or(next.len());
    EPONYM_NOUNS.contains(&next[..end].to_lowercase().as_str())
}

/// Words after which a capitalised word starts a noun phrase ("the Rose garden"), not a
/// name.
const DETERMINERS: &[&str] = &[
    "the", "a", "an", "this", "that", "these", "those", "his", "her", "their", "our", "its", "my",
    "your", "no", "any", "some", "each", "every",
];

/// A capitalised word inside a lower-case sentence ("Why is Dean so impulsive?",
/// "Don't go, Jasmine!"): a lower-case word or a comma before it, and a lower-case word,
/// sentence punctuation or the end of the line after it; not an eponym ("Addison
/// disease") and not after an article.
fn mid_sentence(text: &str, t: &Tok) -> bool {
    let head = text[..t.start].trim_end_matches([' ', '\t']);
    let Some(prev) = head.chars().next_back() else {
        return false;
    };
    if !(prev.is_lowercase() || prev == ',') {
        return false;
    }
    if prev.is_lowercase() {
        let w = patterns::word_before(text, t.start, |c| !c.is_alphabetic());
        if DETERMINERS.contains(&w.as_str()) {
            return false;
        }
    }
    let rest = text[t.full_end..].trim_start_matches([' ', '\t']);
    let ok_after = match rest.chars().next() {
        None | Some('\n' | '\r' | ',' | '!' | '?' | ';') => true,
        Some(c) => c.is_lowercase(),
    };
    ok_after && !eponym_after(text, t.full_end)
}

/// A speaker's name opening a line of dialogue ("Luiza: What a wife.", `Dean: "Who?"`):
/// alone at the start of its line, a colon right after it. Ordinary words ("Plan:") do
/// not count; a first name that is also a word does when a quotation follows.
fn speaker(text: &str, t: &Tok) -> bool {
    let Some(rest) = text[t.full_end..].strip_prefix(':') else {
        return false;
    };
    if t.full_end != t.end {
        return false;
    }
    // Only bullets and spaces between the line start and the name (bounded look-back).
    let head = text[..t.start].trim_end_matches(|c: char| {
        c == ' ' || c == '\t' || matches!(c, '-' | '*' | '>' | '}' | '{')
    });
    if !(head.is_empty() || head.ends_with('\n')) {
        return false;
    }
    let quoted = rest.trim_start().starts_with(['"', '“', '\'']);
    let word = t.info.common || t.info.vocab;
    t.end - t.start >= 3
        && (t.oov && (t.name_shaped || t.non_ascii)
            || t.info.is_name() && !word
            || t.info.first > 0 && quoted)
}

fn title_before(text: &str, toks: &[Tok], i: usize) -> bool {
    i > 0 && toks[i - 1].info.title && joined(text, &toks[i - 1], &toks[i])
}

/// Detect person names; appends findings.
pub(crate) fn detect_names(text: &str, out: &mut Vec<Finding>) {
    let toks = tokenize(text);
    let mut is_name = vec![0u8; toks.len()]; // 0 no, else rule index below
    const RULE_IDS: [&str; 13] = [
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
        "name.mid_sentence",
        "name.speaker",
        "name.suffix",
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
        // A short all-capitals word ("ASA", "MI") anchors only a chain in capitals.
        let all_caps = chain.clone().all(|k| toks[k].caps || toks[k].initial);
        let anchor_ok = |k: usize| all_caps || !(toks[k].caps && toks[k].end - toks[k].start <= 3);
        let any_anchor = chain.clone().any(|k| {
            toks[k].strong && anchor_ok(k)
                || toks[k].name_shaped
                || toks[k].oov && toks[k].non_ascii
        });
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
        // "KNOW WHAT TO PRESS NEXT": capitals with an ordinary word among them are a
        // shouted sentence, not a name, unless a label or credential says otherwise.
        let shouting = label.is_none()
            && !credential
            && chain.clone().all(|k| toks[k].caps || neutral(k))
            && chain.clone().any(|k| {
                let w = &toks[k].info;
                w.common && (w.ambiguous_first || !w.is_name())
            })
            && j > i;
        for k in chain.clone() {
            let t = &toks[k];
            if t.info.title && !t.initial || t.particle {
                continue;
            }
            let rare_word = t.info.vocab && !t.info.common;
            let namey = t.info.is_name() || t.initial || t.oov || rare_word && any_anchor;
            // "Rosetta Loggia", "Carolos Talon": a word right after a first name.
            let after_first = k > i && toks[k - 1].strong && toks[k - 1].info.first > 0;
            // Stop words (clinical vocabulary, function words) are names only after a title;
            // clinical terms that are also names ("Pap") only right after a found name.
            let clinical = t.info.stop || t.info.term && !(i..k).any(|x| is_name[x] != 0);
            let short_caps = t.caps && t.end - t.start <= 3;
            let plain_word = (t.info.common || t.info.vocab) && !t.info.is_name();
            // An acronym after a name ("Wilhelmina Starkadder DOB") is no part of it.
            let acronym_after = short_caps && k > i && !toks[k - 1].caps;
            let rule = if shouting {
                0
            } else if title_before(text, &toks, k)
                || (k > i && is_name[k - 1] == 1 && namey && !clinical && !acronym_after)
                || (after_first && !clinical && !t.initial && !acronym_after)
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
                // "Addison disease", "Wilson disease": an eponym, not a person.
                && !eponym_after(text, t.full_end)
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
            } else if j == i
                && t.info.first > 0
                // An SSA-only name that is an ordinary word ("Wisdom") needs more.
                && (t.info.first < dict::SSA_RANK_BASE || !t.info.common)
                && !clinical
                && !t.caps
                && !t.possessive
                && t.end - t.start >= 3
                && mid_sentence(text, t)
            {
                10
            } else if j == i && !clinical && !t.caps && speaker(text, t) {
                11
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
    // Generational suffixes belong to the name before them ("Daniel Young Jr.").
    for k in 1..toks.len() {
        if is_name[k] == 0
            && is_name[k - 1] != 0
            && matches!(toks[k].lower.as_str(), "jr" | "sr" | "ii" | "iii" | "iv")
            && joined(text, &toks[k - 1], &toks[k])
        {
            is_name[k] = 12;
        }
    }
    // "Perez and Martin", "Gyarmaty and Mcdonald": a name-list or unknown word joined by
    // "and" to a found name, on either side (right to left first, then left to right).
    let and_joined = |a: &Tok, b: &Tok| {
        let gap = &text[a.full_end..b.start];
        gap.len() <= 7 && matches!(gap.trim(), "and" | "or" | "&")
    };
    let candidate = |t: &Tok| {
        let short_caps = t.caps && t.end - t.start <= 3;
        let excluded = t.info.stop || t.info.term || t.initial || short_caps;
        (t.info.is_name() || t.oov) && !excluded
    };
    for k in (0..toks.len().saturating_sub(1)).rev() {
        if is_name[k] == 0
            && is_name[k + 1] != 0
            && candidate(&toks[k])
            && toks[k].start < toks[k + 1].start
            && and_joined(&toks[k], &toks[k + 1])
        {
            is_name[k] = 5;
        }
    }
    for k in 1..toks.len() {
        let t = &toks[k];
        if is_name[k] == 0 && candidate(t) && is_name[k - 1] != 0 && and_joined(&toks[k - 1], t) {
            is_name[k] = 5;
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
            if is_name[k] == 0
                && !t.initial
                && !t.particle
                && !t.info.term
                && found.contains(t.lower.as_str())
            {
                is_name[k] = 7;
            }
        }
    }
    for (t, &r) in toks.iter().zip(&is_name) {
        if r != 0 {
            let confidence = match r {
                1..=4 => 0.95,
                5 | 12 => 0.9,
                6 => 0.75,
                8 => 0.6,
                9 | 10 => 0.65,
                11 => 0.7,
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
            let i = DICT.word_or_stem(&w.to_lowercase());
            i.common || i.vocab || i.stop || i.is_name() || i.title
        });
        if lower && any_word {
            continue;
        }
        let confidence = if ambiguous {
            let word = patterns::word_before(text, s, |c| !c.is_alphanumeric());
            if !PLACE_CONTEXT.contains(&word.as_str()) && !after_address(s)
                || text[e..].starts_with(':')
            {
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
    detect_towns(text, out);
    detect_intersections(text, out);
    detect_zips_after_places(text, out);
}

/// Phrases (the one to three words before) after which capitalised words name a place:
/// "lives in Harrowgate", "a 67-year-old woman from Harrowgate", "based in Zoneton".
const STRONG_PLACE_CONTEXT: &[&str] = &[
    "lives in",
    "live in",
    "living in",
    "lived in",
    "resides in",
    "reside in",
    "residing in",
    "resided in",
    "resident of",
    "native of",
    "moved to",
    "moved from",
    "moved here from",
    "moved back to",
    "relocated to",
    "relocated from",
    "born in",
    "raised in",
    "grew up in",
    "originally from",
    "based in",
    "located in",
    "flew to",
    "flew in from",
    "travelled to",
    "traveled to",
    "travelled from",
    "traveled from",
    "trip to",
    "returned from",
    "visiting from",
    "home city",
    "hometown",
    "hometown of",
    "town of",
    "city of",
    "village of",
    "i am in",
    "i'm in",
    "woman from",
    "man from",
    "male from",
    "female from",
    "gentleman from",
    "lady from",
    "patient from",
    "pt from",
    "boy from",
    "girl from",
    "resident from",
    "transferred from",
];

/// What the dictionaries say about one capitalised word of a candidate place name.
fn place_word_ok(word: &str, allow_common: bool) -> bool {
    let lower = word.to_lowercase();
    let lower = lower.trim_end_matches('.');
    let info = DICT.word(lower);
    if info.stop || info.title || lower.len() < 2 {
        return false;
    }
    if MONTHS_AND_DAYS.contains(&lower) {
        return false;
    }
    if info.state || COUNTRY_WORDS.contains(&lower) {
        return false;
    }
    allow_common || !(info.common || info.vocab) || info.is_name()
}

const MONTHS_AND_DAYS: &[&str] = &[
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
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
    "today",
    "tomorrow",
    "yesterday",
];

/// Words that name a country (not a Safe Harbor identifier) where a town could stand.
const COUNTRY_WORDS: &[&str] = &["united", "usa", "u.s.", "u.s.a.", "us", "america"];

/// Up to `max` capitalised words from `at` (one space or hyphen between them), each
/// accepted by `ok`; returns the end of the last one.
fn cap_words(text: &str, at: usize, max: usize, ok: impl Fn(&str) -> bool) -> Option<usize> {
    let mut end = None;
    let mut pos = at;
    for n in 0..max {
        let rest = &text[pos..];
        if !rest.starts_with(char::is_uppercase) {
            break;
        }
        let len = rest
            .find(|c: char| !(c.is_alphabetic() || matches!(c, '\'' | '’' | '.' | '-')))
            .unwrap_or(rest.len());
        let word = rest[..len].trim_end_matches(['.', '-', '\'', '’']);
        // "St." ends an abbreviation; a full stop after a longer word ends the sentence.
        let word_len = if rest[..len].starts_with("St.") {
            3
        } else {
            word.len()
        };
        if word.is_empty() || word.chars().count() > MAX_NAME_CHARS || !ok(word) {
            break;
        }
        end = Some(pos + word_len);
        pos += word_len;
        if n + 1 < max && text[pos..].starts_with([' ', '-']) && !text[pos + 1..].starts_with(' ') {
            pos += 1;
        } else {
            break;
        }
    }
    end
}

/// What follows a candidate place: a comma, line end, closing bracket or full stop;
/// a state, a ZIP code or a country.
fn place_boundary_after(text: &str, end: usize) -> bool {
    let rest = text[end..].trim_start_matches([' ', '\t']);
    let Some(c) = rest.chars().next() else {
        return true;
    };
    if matches!(c, ',' | '\n' | '\r' | ')' | '.' | ';' | '?' | '!') || c.is_ascii_digit() {
        return true;
    }
    let word_end = rest
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    let word = &rest[..word_end];
    DICT.states.contains(&word) || rest.starts_with("United States") || word == "USA"
}

fn push_location(out: &mut Vec<Finding>, start: usize, end: usize, rule: &'static str, c: f32) {
    if end > start {
        out.push(Finding {
            start,
            end,
            category: Category::Location,
            rule,
            confidence: c,
        });
    }
}

/// Towns that no dictionary knows, found by their place: after a street address
/// ("414 Quillon Street, Harrowgate"), after a phrase such as "lives in", in brackets
/// after a town ("Unionville (Orange)"), on the line before a state or country, and
/// before a facility word ("Brindlemoor Clinic").
fn detect_towns(text: &str, out: &mut Vec<Finding>) {
    let addresses: Vec<(usize, usize, &'static str)> = out
        .iter()
        .filter(|f| f.category == Category::Location)
        .map(|f| (f.start, f.end, f.rule))
        .collect();
    let mut found = Vec::new();
    for &(_, end, rule) in &addresses {
        let address = matches!(
            rule,
            "location.street" | "location.unit" | "location.po_box" | "location.military"
        );
        let sep_len = text[end..]
            .find(|c: char| !matches!(c, ' ' | '\t' | ',' | '\n' | '\r'))
            .unwrap_or(text.len() - end);
        let sep = &text[end..end + sep_len];
        let at = end + sep_len;
        if address {
            if sep.matches('\n').count() > 1 || sep.is_empty() {
                continue;
            }
            let line_break = sep.contains(['\n', ',']);
            // "... St. Patient reports": a full stop and a space end the sentence.
            let sentence_end = !line_break && text[..end].ends_with('.');
            let strict = |w: &str| place_word_ok(w, false);
            let loose = |w: &str| place_word_ok(w, true);
            let e = cap_words(text, at, 3, loose)
                .filter(|&e| place_boundary_after(text, e) && !text[e..].starts_with(':'))
                .or_else(|| {
                    cap_words(text, at, 3, strict).filter(|&e| !text[e..].starts_with(':'))
                });
            if let Some(e) = e {
                if !(sentence_end && cap_words(text, at, 3, strict).is_none()) {
                    found.push((at, e, "location.after_address"));
                }
            }
        } else if text[end..].starts_with(" (") || text[end..].starts_with("(") {
            let open = end + text[end..].find('(').unwrap_or(0) + 1;
            if let Some(e) = cap_words(text, open, 3, |w| place_word_ok(w, true)) {
                if text[e..].starts_with(')') {
                    found.push((open, e, "location.paren"));
                }
            }
        }
    }
    // Capitalised words after a strong place phrase, on the line before a country, or
    // before a facility word.
    let mut i = 0;
    while i < text.len() {
        let Some(c) = text[i..].chars().next() else {
            break;
        };
        let word_start = c.is_uppercase()
            && !text[..i].ends_with(|c: char| c.is_alphanumeric() || c == '\'' || c == '’');
        if !word_start {
            i += c.len_utf8();
            continue;
        }
        // Cheap look-behind first: the word before ends a place phrase, or the word
        // opens a line (or follows a comma).
        let head = text[..i].trim_end_matches([' ', '\t']);
        let prev_word = &head[head
            .char_indices()
            .rev()
            .find(|&(_, c)| !c.is_ascii_alphabetic())
            .map_or(0, |(k, c)| k + c.len_utf8())..];
        let phrase_end = prev_word.len() <= 8
            && PHRASE_ENDS
                .iter()
                .any(|w| w.eq_ignore_ascii_case(prev_word));
        if phrase_end && head.len() < i && place_phrase_before(text, i) {
            if let Some(e) = cap_words(text, i, 3, |w| place_word_ok(w, true)) {
                found.push((i, e, "location.place_context"));
                i = e;
                continue;
            }
        }
        let line_open = head.is_empty() || head.ends_with(['\n', ',']);
        if line_open {
            if let Some(e) = cap_words(text, i, 3, |w| place_word_ok(w, true))
                .filter(|&e| line_alone_before_country(text, i, e))
            {
                found.push((i, e, "location.before_country"));
                i = e;
                continue;
            }
        }
        i += c.len_utf8();
    }
    // "Brindlemoor Clinic": capitalised words right before a facility word.
    for m in FACILITY_MATCHER.find_iter(text) {
        let head = &text[..m.start()];
        let mut start = None;
        let mut at = head.len();
        for _ in 0..3 {
            let word_start = head[..at]
                .char_indices()
                .rev()
                .take_while(|&(_, c)| c.is_alphabetic() || matches!(c, '\'' | '’' | '-'))
                .last()
                .map(|(k, _)| k);
            let Some(ws) = word_start else { break };
            if cap_words(text, ws, 1, |w| place_word_ok(w, false)) != Some(at) {
                break;
            }
            start = Some(ws);
            if ws == 0 || !head[..ws].ends_with(' ') {
                break;
            }
            at = ws - 1;
        }
        if let Some(s) = start {
            found.push((s, head.len(), "location.facility"));
        }
    }
    for (s, e, rule) in found {
        push_location(out, s, e, rule, 0.7);
    }
}

/// The last words of the phrases in [`STRONG_PLACE_CONTEXT`].
const PHRASE_ENDS: &[&str] = &["in", "of", "to", "from", "city", "hometown"];

/// Facility words after which the capitalised words before them name a place.
static FACILITY_MATCHER: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    aho_corasick::AhoCorasick::new([
        " Clinic",
        " Hospital",
        " Medical Center",
        " Medical Centre",
        " Health Center",
        " Health Centre",
        " Infirmary",
        " Nursing Home",
        " Rehabilitation",
        " Care Center",
    ])
    .expect("facility words build an automaton")
});

fn place_phrase_before(text: &str, start: usize) -> bool {
    let from = patterns::floor_char_boundary(text, start.saturating_sub(40));
    let head = &text[from..start];
    let head = head.rsplit('\n').next().unwrap_or(head);
    let head = head.trim_end_matches([' ', '\t']);
    let lower = head.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '-'))
        .filter(|w| !w.is_empty())
        .collect();
    (1..=3).any(|n| {
        n <= words.len() && {
            let tail = words[words.len() - n..].join(" ");
            // "a 67-year-old woman from": the age in front of the noun is part of it.
            STRONG_PLACE_CONTEXT.contains(&tail.as_str())
        }
    }) && lower.ends_with(|c: char| c.is_alphabetic())
}

/// `Independence\nUnited States`, `Midlands\n, TX`: a line holding only capitalised words
/// followed by a country or a state on the next line (or after a comma).
fn line_alone_before_country(text: &str, start: usize, end: usize) -> bool {
    let head = text[..start].trim_end_matches([' ', '\t']);
    if !(head.is_empty() || head.ends_with(['\n', ','])) {
        return false;
    }
    let rest = text[end..].trim_start_matches([' ', '\t']);
    let Some(rest) = rest
        .strip_prefix("\r\n")
        .or_else(|| rest.strip_prefix('\n'))
        .or_else(|| rest.strip_prefix(','))
    else {
        return false;
    };
    let rest = rest.trim_start_matches([' ', '\t', ',']);
    if rest.starts_with("United States") || rest.starts_with("USA") {
        return true;
    }
    let word_end = rest
        .find(|c: char| !c.is_ascii_alphabetic())
        .unwrap_or(rest.len());
    let state = &rest[..word_end];
    word_end >= 2 && DICT.states.contains(&state) && {
        let after = rest[word_end..].trim_start_matches([' ', '\t', ',']);
        after.is_empty()
            || after.starts_with(['\n', '\r'])
            || after.starts_with(|c: char| c.is_ascii_digit())
    }
}

/// "the corner of 454 Kidd Avenue and Carvalho Streets", "Arnaude and 1896 Maple
/// Street": one location from the first street to the last, connectors included.
fn detect_intersections(text: &str, out: &mut Vec<Finding>) {
    let streets: Vec<(usize, usize)> = out
        .iter()
        .filter(|f| {
            matches!(
                f.rule,
                "location.street" | "location.cross_street" | "location.street_name"
            )
        })
        .map(|f| (f.start, f.end))
        .collect();
    let mut found = Vec::new();
    for &(s, e) in &streets {
        let mut start = s;
        let mut end = e;
        // "... Avenue and Carvalho Streets", "... Road St. and Sheripov Plaza St."
        let rest = &text[e..];
        let gap = rest.len() - rest.trim_start_matches([' ', '\t']).len();
        let rest_t = &rest[gap..];
        for conj in ["and ", "& "] {
            if rest_t.starts_with(conj) {
                let at = e + gap + conj.len();
                if let Some(x) = cap_words(text, at, 4, |w| place_word_ok(w, true)) {
                    end = x;
                }
                break;
            }
        }
        // "Arnaude and 1896 Maple Street"
        let head = text[..s].trim_end_matches([' ', '\t']);
        for conj in [" and", " &"] {
            if let Some(h) = head.strip_suffix(conj) {
                let h = h.trim_end_matches([' ', '\t']);
                let word_start = h
                    .char_indices()
                    .rev()
                    .take_while(|&(_, c)| c.is_alphabetic() || matches!(c, '\'' | '’' | '.' | '-'))
                    .last()
                    .map(|(i, _)| i);
                if let Some(ws) = word_start {
                    if cap_words(text, ws, 1, |w| place_word_ok(w, true)) == Some(h.len()) {
                        start = ws;
                    }
                }
                break;
            }
        }
        // "the corner of", "at the intersection of"
        let head = text[..start].trim_end_matches([' ', '\t']);
        for phrase in [
            "the corner of",
            "corner of",
            "the intersection of",
            "intersection of",
        ] {
            let Some(ps) = head.len().checked_sub(phrase.len()) else {
                continue;
            };
            if head.is_char_boundary(ps) && head[ps..].eq_ignore_ascii_case(phrase) {
                if head[..ps].is_empty() || head[..ps].ends_with(|c: char| !c.is_alphanumeric()) {
                    start = ps;
                }
                break;
            }
        }
        if (start, end) != (s, e) {
            found.push((start, end));
        }
    }
    for (s, e) in found {
        push_location(out, s, e, "location.intersection", 0.8);
    }
}

/// A ZIP code right after a town ("Harrowgate 30915", "El Monte 91731", "Unionville
/// (Orange) 10988").
fn detect_zips_after_places(text: &str, out: &mut Vec<Finding>) {
    let ends: Vec<usize> = out
        .iter()
        .filter(|f| f.category == Category::Location)
        .map(|f| f.end)
        .collect();
    for end in ends {
        let rest = &text[end..];
        let rest_t = rest.trim_start_matches([' ', '\t', ',', ')']);
        let at = end + (rest.len() - rest_t.len());
        if at - end > 3 {
            continue;
        }
        let digits = rest_t.bytes().take_while(u8::is_ascii_digit).count();
        if digits != 5 {
            continue;
        }
        let mut e = at + 5;
        if text[e..].starts_with('-')
            && text[e + 1..].bytes().take_while(u8::is_ascii_digit).count() == 4
        {
            e += 5;
        }
        if text[e..].starts_with(|c: char| c.is_alphanumeric()) {
            continue;
        }
        out.push(Finding {
            start: at,
            end: e,
            category: Category::Zip,
            rule: "zip.after_place",
            confidence: 0.85,
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
