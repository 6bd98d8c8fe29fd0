//! CoNLL BIO (IOB2) for text spans, in the two-column CoNLL-2003 layout.
//!
//! **Layout.** Each document starts with the line `-DOCSTART- <doc id>` and a blank line.
//! Then one line per token, `TOKEN TAG` (one space), with a blank line after each
//! sentence. Tags are `O`, `B-<label>` and `I-<label>`. Lines end with LF.
//!
//! **Tokens.** A token is a maximal run of word characters (`char::is_alphanumeric` or
//! `_`), or a maximal run of other characters that are not white space (Unicode
//! `White_Space`). This is NLTK's `wordpunct_tokenize`, Python `re.findall(r"\w+|[^\w\s]+",
//! text)`: `Dr. O'Neil's` gives `Dr` `.` `O` `'` `Neil` `'` `s`. Tokens never hold white
//! space, so the columns are unambiguous.
//!
//! **Sentences.** A new sentence starts at every token preceded by a line break (LF or CR
//! in the white space before it): one sentence per line of text.
//!
//! **Snapping.** A span covers every token it overlaps by at least one character, so a
//! span that starts or ends inside a token grows to the token's edges (counted in
//! [`ConllReport::spans_snapped`]). A span that overlaps no token (white space only) is
//! dropped ([`DropReason::NoToken`]).
//!
//! **Overlaps.** BIO gives each token one tag, so overlapping spans cannot all be kept.
//! Spans are taken in order of their first token; at the same first token the longer
//! (more tokens) first; then by label, then by input order. A span is kept if none of its
//! tokens is already taken, otherwise dropped whole ([`DropReason::Overlap`]): the
//! earliest, then longest, span wins, and kept spans are never cut.
//!
//! **Line breaks inside a span.** The span continues, but its first token on a new line
//! is tagged `B-` (each sentence must be valid IOB2 on its own), counted in
//! [`ConllReport::spans_split`].

use super::{FormatError, TextSpan};
use std::io::Write;

/// One document: its text and the spans to write (one annotation set: gold, or one
/// annotator's; give each annotator's set as its own document to keep them all).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConllDocument {
    /// Written on the `-DOCSTART-` line: no white space or control characters.
    pub doc_id: String,
    /// The (de-identified) text.
    pub text: String,
    /// Spans, offsets in Unicode scalar values. Labels: no white space.
    pub spans: Vec<TextSpan>,
}

/// Why a span was not written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// It shares a token with a span that won (see the module's overlap rule).
    Overlap,
    /// It covers white space only.
    NoToken,
}

/// A span that was not written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct DroppedSpan {
    /// Which document, from 1.
    pub document: usize,
    /// Which span of that document, from 1.
    pub span: usize,
    /// Why.
    pub reason: DropReason,
}

/// What was written.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct ConllReport {
    /// Documents.
    pub documents: usize,
    /// Sentences.
    pub sentences: usize,
    /// Tokens.
    pub tokens: usize,
    /// Spans written.
    pub spans_written: usize,
    /// Spans written whose edges were moved to token edges.
    pub spans_snapped: usize,
    /// Spans written that cross a line break (restarted with `B-`).
    pub spans_split: usize,
    /// Spans not written, and why.
    pub dropped: Vec<DroppedSpan>,
}

/// A token: character offsets, byte offsets, and whether a line break precedes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Token {
    pub(crate) start: usize,
    pub(crate) end: usize,
    byte_start: usize,
    byte_end: usize,
    pub(crate) new_line: bool,
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// Splits `text` into tokens (see the module documentation).
pub(crate) fn tokenize(text: &str) -> Vec<Token> {
    let mut out: Vec<Token> = Vec::new();
    let mut current: Option<(Token, bool)> = None; // the open token and whether it is a word
    let mut line_break = false;
    for (ci, (bi, c)) in text.char_indices().enumerate() {
        if c.is_whitespace() {
            if let Some((t, _)) = current.take() {
                out.push(t);
            }
            line_break |= c == '\n' || c == '\r';
            continue;
        }
        let word = is_word(c);
        match &mut current {
            Some((t, w)) if *w == word => {
                t.end = ci + 1;
                t.byte_end = bi + c.len_utf8();
            }
            _ => {
                if let Some((t, _)) = current.take() {
                    out.push(t);
                }
                current = Some((
                    Token {
                        start: ci,
                        end: ci + 1,
                        byte_start: bi,
                        byte_end: bi + c.len_utf8(),
                        new_line: line_break && !out.is_empty(),
                    },
                    word,
                ));
                line_break = false;
            }
        }
    }
    if let Some((t, _)) = current {
        out.push(t);
    }
    out
}

fn valid_column(s: &str) -> bool {
    !s.is_empty() && !s.chars().any(|c| c.is_whitespace() || c.is_control())
}

/// The tags for one document, and what happened to its spans.
fn tag_document(
    doc: &ConllDocument,
    record: usize,
    tokens: &[Token],
    report: &mut ConllReport,
) -> Result<Vec<Option<(bool, usize)>>, FormatError> {
    let len = doc.text.chars().count();
    let mut candidates = Vec::new();
    for (j, s) in doc.spans.iter().enumerate() {
        if s.start >= s.end || s.end > len {
            return Err(FormatError::InvalidSpan {
                record,
                span: j + 1,
            });
        }
        if !valid_column(&s.label) {
            return Err(FormatError::InvalidValue { record });
        }
        let first = tokens
            .iter()
            .position(|t| t.end > s.start && t.start < s.end);
        match first {
            None => report.dropped.push(DroppedSpan {
                document: record,
                span: j + 1,
                reason: DropReason::NoToken,
            }),
            Some(first) => {
                let last = tokens
                    .iter()
                    .rposition(|t| t.end > s.start && t.start < s.end)
                    .expect("the first overlapping token exists");
                candidates.push((first, last, j));
            }
        }
    }
    candidates.sort_by(|a, b| {
        let (sa, sb) = (&doc.spans[a.2], &doc.spans[b.2]);
        a.0.cmp(&b.0)
            .then((b.1 - b.0).cmp(&(a.1 - a.0)))
            .then(sa.label.cmp(&sb.label))
            .then(a.2.cmp(&b.2))
    });
    // Per token: (is the span's first token on its line, span index)
    let mut tags: Vec<Option<(bool, usize)>> = vec![None; tokens.len()];
    for (first, last, j) in candidates {
        if tags[first..=last].iter().any(Option::is_some) {
            report.dropped.push(DroppedSpan {
                document: record,
                span: j + 1,
                reason: DropReason::Overlap,
            });
            continue;
        }
        let s = &doc.spans[j];
        report.spans_written += 1;
        if tokens[first].start != s.start || tokens[last].end != s.end {
            report.spans_snapped += 1;
        }
        if tokens[first + 1..=last].iter().any(|t| t.new_line) {
            report.spans_split += 1;
        }
        for (k, tag) in tags.iter_mut().enumerate().take(last + 1).skip(first) {
            *tag = Some((k == first || tokens[k].new_line, j));
        }
    }
    Ok(tags)
}

/// Writes `documents` in CoNLL BIO. Checks every document first, so a malformed one
/// leaves `out` untouched. Dropped spans are reported, not errors.
pub fn write_conll(
    out: &mut impl Write,
    documents: &[ConllDocument],
) -> Result<ConllReport, FormatError> {
    let mut report = ConllReport::default();
    let mut text = String::new();
    for (i, doc) in documents.iter().enumerate() {
        let record = i + 1;
        if !valid_column(&doc.doc_id) {
            return Err(FormatError::InvalidValue { record });
        }
        let tokens = tokenize(&doc.text);
        let tags = tag_document(doc, record, &tokens, &mut report)?;
        report.documents += 1;
        report.tokens += tokens.len();
        text.push_str("-DOCSTART- ");
        text.push_str(&doc.doc_id);
        text.push_str("\n\n");
        for (k, t) in tokens.iter().enumerate() {
            if t.new_line {
                text.push('\n');
                report.sentences += 1;
            }
            text.push_str(&doc.text[t.byte_start..t.byte_end]);
            match tags[k] {
                None => text.push_str(" O\n"),
                Some((begin, j)) => {
                    text.push_str(if begin { " B-" } else { " I-" });
                    text.push_str(&doc.spans[j].label);
                    text.push('\n');
                }
            }
        }
        if !tokens.is_empty() {
            text.push('\n');
            report.sentences += 1;
        }
    }
    out.write_all(text.as_bytes())?;
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(start: usize, end: usize, label: &str) -> TextSpan {
        TextSpan {
            start,
            end,
            label: label.into(),
        }
    }

    fn words(text: &str) -> Vec<&str> {
        let chars: Vec<(usize, char)> = text.char_indices().collect();
        tokenize(text)
            .iter()
            .map(|t| {
                let b0 = chars[t.start].0;
                let b1 = chars.get(t.end).map_or(text.len(), |c| c.0);
                &text[b0..b1]
            })
            .collect()
    }

    #[test]
    fn tokens_are_word_runs_and_punctuation_runs() {
        assert_eq!(
            words("Dr. O'Neil's BP: 120/80..."),
            ["Dr", ".", "O", "'", "Neil", "'", "s", "BP", ":", "120", "/", "80", "..."]
        );
        assert_eq!(
            words("naïve café_2 注释 ok"),
            ["naïve", "café_2", "注释", "ok"]
        );
        assert_eq!(words("  \n\t "), Vec::<&str>::new());
        let t = tokenize("a b\nc\r\n\nd");
        let breaks: Vec<bool> = t.iter().map(|t| t.new_line).collect();
        assert_eq!(breaks, [false, false, true, true]);
    }

    fn render(doc: ConllDocument) -> (String, ConllReport) {
        let mut out = Vec::new();
        let r = write_conll(&mut out, &[doc]).unwrap();
        (String::from_utf8(out).unwrap(), r)
    }

    #[test]
    fn spans_snap_to_tokens_and_tags_are_iob2() {
        let (text, r) = render(ConllDocument {
            doc_id: "i1".into(),
            text: "Patient Jo Smith, seen 2 May.".into(),
            spans: vec![span(8, 16, "NAME"), span(25, 27, "DATE")],
        });
        assert_eq!(
            text,
            "-DOCSTART- i1\n\nPatient O\nJo B-NAME\nSmith I-NAME\n, O\nseen O\n2 O\nMay B-DATE\n. O\n\n"
        );
        assert_eq!((r.spans_written, r.spans_snapped, r.sentences), (2, 1, 1));
    }

    #[test]
    fn overlaps_keep_the_earliest_then_longest_span() {
        let (text, r) = render(ConllDocument {
            doc_id: "d".into(),
            text: "a b c d e".into(),
            spans: vec![
                span(2, 5, "Y"), // b c
                span(0, 3, "X"), // a b   -> wins (earlier)
                span(4, 9, "Z"), // c d e -> kept, does not touch a b
                span(6, 7, "W"), // d     -> inside Z, dropped
                span(3, 4, "S"), // space only
            ],
        });
        assert_eq!(
            text,
            "-DOCSTART- d\n\na B-X\nb I-X\nc B-Z\nd I-Z\ne I-Z\n\n"
        );
        assert_eq!(r.spans_written, 2);
        let dropped: Vec<(usize, DropReason)> =
            r.dropped.iter().map(|d| (d.span, d.reason)).collect();
        assert_eq!(
            dropped,
            [
                (5, DropReason::NoToken),
                (1, DropReason::Overlap),
                (4, DropReason::Overlap)
            ]
        );
        let (text, _) = render(ConllDocument {
            doc_id: "d".into(),
            text: "a b c".into(),
            spans: vec![span(0, 1, "SHORT"), span(0, 3, "LONG")],
        });
        assert!(
            text.contains("a B-LONG\nb I-LONG\nc O"),
            "longer wins at the same start"
        );
    }

    #[test]
    fn lines_are_sentences_and_a_span_across_one_restarts() {
        let (text, r) = render(ConllDocument {
            doc_id: "d".into(),
            text: "Seen by Jo\nSmith today\n\nEnd".into(),
            spans: vec![span(8, 16, "NAME")],
        });
        assert_eq!(
            text,
            "-DOCSTART- d\n\nSeen O\nby O\nJo B-NAME\n\nSmith B-NAME\ntoday O\n\nEnd O\n\n"
        );
        assert_eq!((r.sentences, r.spans_split), (3, 1));
    }

    #[test]
    fn bad_input_is_refused_and_nothing_is_written() {
        let doc = |id: &str, spans| ConllDocument {
            doc_id: id.into(),
            text: "abc".into(),
            spans,
        };
        let mut out = Vec::new();
        let cases = [
            doc("a b", vec![]),
            doc("d", vec![span(0, 4, "X")]),
            doc("d", vec![span(2, 2, "X")]),
            doc("d", vec![span(0, 1, "two words")]),
        ];
        for c in cases {
            assert!(write_conll(&mut out, &[doc("ok", vec![]), c]).is_err());
        }
        assert!(out.is_empty());
        write_conll(
            &mut out,
            &[
                doc("empty", vec![]),
                ConllDocument {
                    doc_id: "blank".into(),
                    text: " ".into(),
                    spans: vec![],
                },
            ],
        )
        .unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "-DOCSTART- empty\n\nabc O\n\n-DOCSTART- blank\n\n"
        );
    }
}
