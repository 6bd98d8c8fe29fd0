//! How much a word looks like a person's name: a character-trigram naive Bayes model
//! trained, on first use, on the embedded census name lists against the embedded
//! English word lists. It lets an unknown capitalised word ("Einojuhani", "Sheripov")
//! count as a name while unknown words shaped like vocabulary ("Hydroxychloroquine")
//! do not.

use std::collections::HashMap;
use std::sync::LazyLock;

use super::dict::{COMMON, FIRST_FEMALE, FIRST_MALE, FIRST_SSA, LAST, LAST_2010, VOCABULARY};

/// Mean log-odds per trigram above which an unknown word is taken for a name. Chosen on
/// the dictionaries themselves (every 50th entry, see the test): at 0.7 about 4% of
/// English words and 44% of census names score above it; the model is only asked about
/// capitalised words that are in no dictionary, where the names are the unusual ones.
pub(crate) const NAME_THRESHOLD: f32 = 0.7;

struct Model {
    counts: HashMap<u64, (u32, u32)>,
    names_total: f32,
    words_total: f32,
    vocabulary: f32,
}

fn trigrams(word: &str, mut f: impl FnMut(u64)) {
    let chars: Vec<u32> = std::iter::once('^')
        .chain(word.chars().flat_map(char::to_lowercase))
        .chain(std::iter::once('$'))
        .map(u32::from)
        .collect();
    for w in chars.windows(3) {
        f((u64::from(w[0]) << 42) | (u64::from(w[1]) << 21) | u64::from(w[2]));
    }
}

static MODEL: LazyLock<Model> = LazyLock::new(|| {
    let mut counts: HashMap<u64, (u32, u32)> = HashMap::with_capacity(60_000);
    let (mut names_total, mut words_total) = (0u64, 0u64);
    for list in [FIRST_FEMALE, FIRST_MALE, FIRST_SSA, LAST, LAST_2010] {
        for w in list.lines().filter(|l| !l.is_empty()) {
            trigrams(w, |g| {
                counts.entry(g).or_default().0 += 1;
                names_total += 1;
            });
        }
    }
    for list in [COMMON, VOCABULARY] {
        for w in list.lines().filter(|l| !l.is_empty()) {
            trigrams(w, |g| {
                counts.entry(g).or_default().1 += 1;
                words_total += 1;
            });
        }
    }
    Model {
        vocabulary: counts.len() as f32,
        counts,
        names_total: names_total as f32,
        words_total: words_total as f32,
    }
});

/// Mean per-trigram log-odds that `word` is a name rather than an English word.
pub(crate) fn name_score(word: &str) -> f32 {
    let m = &*MODEL;
    let (mut sum, mut n) = (0f32, 0u32);
    trigrams(word, |g| {
        let (a, b) = m.counts.get(&g).copied().unwrap_or_default();
        let p_name = (a as f32 + 1.0) / (m.names_total + m.vocabulary);
        let p_word = (b as f32 + 1.0) / (m.words_total + m.vocabulary);
        sum += (p_name / p_word).ln();
        n += 1;
    });
    if n == 0 {
        0.0
    } else {
        sum / n as f32
    }
}

/// Force the model to be built now.
pub(crate) fn warm_up() {
    LazyLock::force(&MODEL);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn threshold_separates_the_training_lists() {
        // Every 50th entry of each list: the share of words taken for names must stay
        // small and the share of names recognised large.
        let pick = |s: &'static str| s.lines().step_by(50).collect::<Vec<_>>();
        let words: Vec<&str> = pick(VOCABULARY).into_iter().chain(pick(COMMON)).collect();
        let names: Vec<&str> = pick(LAST).into_iter().chain(pick(FIRST_FEMALE)).collect();
        let fp = words
            .iter()
            .filter(|w| name_score(w) > NAME_THRESHOLD)
            .count() as f32;
        let tp = names
            .iter()
            .filter(|w| name_score(w) > NAME_THRESHOLD)
            .count() as f32;
        let fp_rate = fp / words.len() as f32;
        let tp_rate = tp / names.len() as f32;
        assert!(fp_rate < 0.05, "{fp_rate} of English words look like names");
        assert!(tp_rate > 0.4, "only {tp_rate} of names look like names");
        assert!(name_score("Einojuhani") > NAME_THRESHOLD && name_score("Tadzio") > NAME_THRESHOLD);
        assert!(
            name_score("Hydroxychloroquine") < NAME_THRESHOLD
                && name_score("Lisinopril") < NAME_THRESHOLD
        );
    }
}
