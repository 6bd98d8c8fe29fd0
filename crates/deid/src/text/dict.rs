//! The embedded dictionaries (see `crates/deid/data/PROVENANCE.md`): US Census 1990 and
//! 2010 name lists, Social Security Administration given names, a common-English-word
//! list, US and world cities, counties and states.

use std::collections::HashMap;
use std::sync::LazyLock;

use aho_corasick::{AhoCorasick, AhoCorasickBuilder, Anchored, Input, MatchKind, StartKind};

pub(crate) const FIRST_FEMALE: &str = include_str!("../../data/first_female.txt");
pub(crate) const FIRST_MALE: &str = include_str!("../../data/first_male.txt");
pub(crate) const LAST: &str = include_str!("../../data/last.txt");
pub(crate) const FIRST_SSA: &str = include_str!("../../data/first_ssa.txt");
pub(crate) const LAST_2010: &str = include_str!("../../data/last_2010.txt");
/// Rank given to the first entry of the SSA given-name list: after every census rank, so
/// that none of these names counts as frequent.
pub(crate) const SSA_RANK_BASE: u32 = 10_000;
/// Rank given to the first entry of the 2010-only surnames (after the 1990 list).
const LAST_2010_RANK_BASE: u32 = 100_000;
pub(crate) const COMMON: &str = include_str!("../../data/common_words.txt");
pub(crate) const VOCABULARY: &str = include_str!("../../data/vocabulary.txt");
const CITIES: &str = include_str!("../../data/cities.txt");
const STATES: &str = include_str!("../../data/states.txt");

/// Words that are never taken for a name on dictionary evidence alone: clinical
/// vocabulary, section headings and function words that the name lists also contain.
const STOP: &str = "\
he she it we they i you him his hers them their theirs our ours us me my mine who whom whose \
what when where why how which that these those then than here also not yes but so \
a about above abdomen abd ace acute adm admission admit admitted advil after afib again age \
albumin alert all allergies allergy also am amb an and angio ante anterior any apt are as \
assessment at attending   back bact bed before bid bilateral blood bmp bp brain \
breast bun by ca cabg call cap cardiac cardiology care cath cbc cc center chair chart chem \
chest chief clinic clinical code col colon comfort complaint congestive cont contact cough cr \
cre ct cta cv cxr daily data date day dear   dept diabetes diet disease disp dm dna \
doa dob doctor does dose dr drive dx each ecg echo ed edema eeg ekg else emergency ems en ent \
er ever exam exercise ext extr extremities eye eyes face family fax   fh floor flu \
follow for from full gen general gi given glucose good gram gu gyn hct head health heart heent \
help hem her hgb high his history hold home hosp hospital hour hpi hr htn hx icu if ill im imp \
in inc ind inr int is it       lab labs last left lft line lisinopril \
liver low lung lungs    mcv md me meal med medical medicine meds mental mg mibi \
mid miss mon monday mr mrn mrs ms name neck neg neuro new next no   np nurse nursing \
ob   of office old on one or order ortho other our out pa pain past patient patients pe per pf pharmacy \
phone physical physician plan plt pm pmh pna po pod point post pr pre primary prn pro problem \
procedure psych pt ptt pulm pulmonary pulse rad radiology rate ray rbc re red rehab renal report \
resident resp review rhythm right risk rn ros rr rx saint sat saturday scan   \
service sex sh short side signed sinus skin social soft son spine sr st stat state status \
street suite sun sunday surgery surgical the there therapy they this thu thursday to today \
total tue tuesday unit urine us vs wbc wed wednesday week west white will with work year yes \
you your north south east \
present united states mi baby infant newborn ii iii iv vi vii viii ix xi xii";

/// Clinical terms that the name lists also hold ("Pap smear", "Foley catheter", "Gram
/// stain", "Apap"): a name only inside a name found on other evidence ("Viktor F Pap").
const TERMS: &str = "\
foley doppler holter pap gram senna lyrica vanco apap hctz colace cipro whipple";

/// First names that are also everyday English words: these need context even though
/// they rank high in the census lists. Other frequent first names ("Nancy", "Allan")
/// count as names on their own although the word list also knows them.
const AMBIGUOUS_FIRST: &str = "\
amber angel april art august autumn bill billie bob brook buck bud candy carol chance charity \
chase cherry chip christian clay cliff crystal daisy dale dawn dean destiny dick don dot drew \
earl eve faith fern frank gale gay gene georgia ginger glen grace grant guy hazel heath holly \
honey hope hunter iris ivy jack jade jasmine jean jewel joy judge june king lance laurel lily \
major mark marsh mason max may melody merry miles millie misty morgan neil nick norm olive opal \
pat patience pearl penny pepper pierce rich rob robin rock rod rose roy ruby rusty sandy \
scott sky son spring stone storm summer sunny tom tony trinity victor violet wade ward will \
willow winter wood young";

/// Titles that introduce a name.
const TITLES: &str =
    "dr doctor mr mrs ms miss mx prof professor sr sister nurse rev father sir madam";

/// What the dictionaries know about one lower-cased word.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct WordInfo {
    /// Rank in the female or male first-name list (1 = most frequent), 0 if absent;
    /// names known only from the SSA records rank after [`SSA_RANK_BASE`].
    pub first: u32,
    /// Rank in the surname list (1 = most frequent), 0 if absent; surnames known only
    /// from the 2010 census rank after [`LAST_2010_RANK_BASE`].
    pub last: u32,
    /// An ordinary English word (Webster's 2nd, frequent in modern English).
    pub common: bool,
    /// Some other English dictionary word (rare words included).
    pub vocab: bool,
    /// In the stop list: clinical vocabulary or function word, never a name alone.
    pub stop: bool,
    /// A title such as "Dr" or "Mrs".
    pub title: bool,
    /// A first name that is also an everyday word ("Hope", "Will").
    pub ambiguous_first: bool,
    /// A clinical term that is also a name ("Foley"): a name only inside another name.
    pub term: bool,
    /// A US state or territory written out ("Texas"), or its postal abbreviation.
    pub state: bool,
}

impl WordInfo {
    /// In any name list.
    pub fn is_name(&self) -> bool {
        self.first > 0 || self.last > 0
    }

    /// Only in the long tails of the name lists: not a census 1990 first name and not
    /// among the 20,000 most frequent surnames.
    pub fn rare_name(&self) -> bool {
        (self.first == 0 || self.first > SSA_RANK_BASE) && (self.last == 0 || self.last > 20_000)
    }
}

/// All dictionaries, parsed once on first use.
pub(crate) struct Dictionaries {
    words: HashMap<Box<str>, WordInfo>,
    /// Female and male first names (surrogate pool).
    pub first_names: Vec<&'static str>,
    /// Surnames, most frequent first (surrogate pool: the first 5,000 are used).
    pub last_names: Vec<&'static str>,
    /// City names in `cities.txt` order.
    pub cities: Vec<&'static str>,
    /// Matcher over the city names as written, in capitals and in lower case,
    /// leftmost-longest, for anchored searches only (see [`Dictionaries::city_at`]).
    pub city_matcher: AhoCorasick,
    /// US states and postal abbreviations.
    pub states: Vec<&'static str>,
}

fn lines(s: &'static str) -> impl Iterator<Item = &'static str> {
    s.lines().map(str::trim).filter(|l| !l.is_empty())
}

impl Dictionaries {
    fn build() -> Self {
        let mut words: HashMap<Box<str>, WordInfo> = HashMap::with_capacity(460_000);
        let mut first_names = Vec::new();
        for list in [FIRST_FEMALE, FIRST_MALE] {
            for (i, n) in lines(list).enumerate() {
                let e = words.entry(n.to_lowercase().into()).or_default();
                let rank = i as u32 + 1;
                if e.first == 0 || rank < e.first {
                    e.first = rank;
                }
                first_names.push(n);
            }
        }
        for (i, n) in lines(FIRST_SSA).enumerate() {
            let e = words.entry(n.to_lowercase().into()).or_default();
            if e.first == 0 {
                e.first = SSA_RANK_BASE + i as u32 + 1;
            }
        }
        let last_names: Vec<&'static str> = lines(LAST).collect();
        for (i, n) in last_names.iter().enumerate() {
            let e = words.entry(n.to_lowercase().into()).or_default();
            if e.last == 0 {
                e.last = i as u32 + 1;
            }
        }
        for (i, n) in lines(LAST_2010).enumerate() {
            let e = words.entry(n.to_lowercase().into()).or_default();
            if e.last == 0 {
                e.last = LAST_2010_RANK_BASE + i as u32 + 1;
            }
        }
        for w in lines(COMMON) {
            words.entry(w.into()).or_default().common = true;
        }
        for w in lines(VOCABULARY) {
            words.entry(w.into()).or_default().vocab = true;
        }
        for w in STOP.split_ascii_whitespace() {
            words.entry(w.into()).or_default().stop = true;
        }
        for w in TERMS.split_ascii_whitespace() {
            words.entry(w.into()).or_default().term = true;
        }
        for w in AMBIGUOUS_FIRST.split_ascii_whitespace() {
            words.entry(w.into()).or_default().ambiguous_first = true;
        }
        for w in TITLES.split_ascii_whitespace() {
            words.entry(w.into()).or_default().title = true;
        }
        for st in lines(STATES).filter(|st| !st.contains(' ')) {
            words.entry(st.to_lowercase().into()).or_default().state = true;
        }
        let cities: Vec<&'static str> = lines(CITIES).collect();
        // Each city as listed ("New York"), in capitals and in lower case.
        let upper: Vec<String> = cities.iter().map(|c| c.to_uppercase()).collect();
        let lower: Vec<String> = cities.iter().map(|c| c.to_lowercase()).collect();
        let city_matcher = AhoCorasickBuilder::new()
            .match_kind(MatchKind::LeftmostLongest)
            .start_kind(StartKind::Anchored)
            .build(
                cities
                    .iter()
                    .copied()
                    .chain(upper.iter().map(String::as_str))
                    .chain(lower.iter().map(String::as_str)),
            )
            .expect("the embedded city list builds an automaton");
        Dictionaries {
            words,
            first_names,
            last_names,
            cities,
            city_matcher,
            states: lines(STATES).collect(),
        }
    }

    /// The longest city name starting exactly at byte `at` of `text`, as a byte range.
    pub fn city_at(&self, text: &str, at: usize) -> Option<std::ops::Range<usize>> {
        let input = Input::new(text)
            .span(at..text.len())
            .anchored(Anchored::Yes);
        self.city_matcher.find(input).map(|m| m.range())
    }

    /// Look up a word; `lower` must already be lower case.
    pub fn word(&self, lower: &str) -> WordInfo {
        self.words.get(lower).copied().unwrap_or_default()
    }

    /// Like [`Dictionaries::word`], but an inflected form of a dictionary word
    /// ("records", "gets", "medications", "denied") also counts as that word, unless the
    /// form is itself a frequent name ("Hayes"); the name flags stay those of the form.
    pub fn word_or_stem(&self, lower: &str) -> WordInfo {
        let mut info = self.word(lower);
        let frequent_name =
            (info.first > 0 && info.first <= 2000) || (info.last > 0 && info.last <= 20_000);
        if info.common || info.vocab || lower.len() < 4 || frequent_name {
            return info;
        }
        let mut buf = String::with_capacity(lower.len());
        let stems: [(&str, &str); 8] = [
            ("ies", "y"),
            ("es", ""),
            ("s", ""),
            ("ed", ""),
            ("d", ""),
            ("ing", ""),
            ("ing", "e"),
            ("ly", ""),
        ];
        for (suffix, add) in stems {
            let Some(base) = lower.strip_suffix(suffix) else {
                continue;
            };
            buf.clear();
            buf.push_str(base);
            buf.push_str(add);
            if buf.len() < 3 {
                continue;
            }
            let w = self.word(&buf);
            // Rare short stems ("frit" from "Frits") would hide names.
            if w.common || w.vocab && buf.len() >= 6 {
                info.common |= w.common;
                info.vocab |= w.vocab;
                break;
            }
        }
        info
    }
}

/// The process-wide dictionaries.
pub(crate) static DICT: LazyLock<Dictionaries> = LazyLock::new(Dictionaries::build);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_are_loaded_with_ranks() {
        let d = &*DICT;
        assert_eq!(
            d.word("smith").last,
            1,
            "Smith heads the 1990 census surname list"
        );
        assert!(d.word("mary").first > 0 && d.word("james").first > 0);
        assert!(d.word("brown").common, "Brown is an ordinary word too");
        assert!(d.word("patient").stop);
        assert!(d.word("dr").title);
        assert!(d.cities.contains(&"Boston"));
        assert!(d.states.contains(&"MA") && d.states.contains(&"Massachusetts"));
        assert!(d.first_names.len() > 5000 && d.last_names.len() > 80_000);
        assert!(
            d.word("maximilian").first > SSA_RANK_BASE,
            "SSA given names fill the gaps of the 1990 lists"
        );
        assert!(
            d.word("mary").first < SSA_RANK_BASE,
            "census ranks stay first"
        );
        assert!(
            d.word("unknown").first == 0,
            "SSA placeholders are no names"
        );
    }
}
