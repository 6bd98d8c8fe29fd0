//! Audit exports. JSONL is the verifiable form: a header naming the vault and the signers'
//! public keys, one canonical line per event and checkpoint, then each merged workspace
//! segment (a `segment` line and its `segment_event` lines), and a trailer signed over
//! every byte before it. Verification requires each line to be exactly its canonical
//! re-serialisation, so any changed byte is detected. An export without segments is
//! format version 1, byte for byte as before segments existed; with segments, version 2.
//! CSV is for spreadsheets.

use crate::segment::{verify_segments, Segment};
use crate::verify::{verify_chain, ChainProblem, ProblemKind, VerifyReport};
use crate::{genesis_hash, verify_hex_signature, Checkpoint, Event};
use airlock_model::{UserId, VaultId};
use ed25519_dalek::{Signer, SigningKey};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::io::Write;

/// The format name in an export's header line.
pub const EXPORT_FORMAT: &str = "airlock-audit-log";

/// A signer listed in an export header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportSigner {
    /// The user.
    pub user_id: UserId,
    /// Their login name, so an offline verifier can say who signed.
    pub name: String,
    /// Their Ed25519 public key, hex.
    pub public_key: String,
}

/// The first line of an export.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Header {
    #[serde(rename = "type")]
    ty: String,
    format: String,
    version: u32,
    vault_id: VaultId,
    genesis: String,
    exported_at: String,
    exported_by: UserId,
    signers: Vec<ExportSigner>,
}

/// The last line of an export.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Trailer {
    #[serde(rename = "type")]
    ty: String,
    events: usize,
    head_hash: String,
    exported_by: UserId,
    public_key: String,
    signature: String,
    /// Workspace events in the segments (absent in version 1).
    #[serde(default, skip_serializing_if = "is_zero")]
    segment_events: usize,
}

fn is_zero(n: &usize) -> bool {
    *n == 0
}

/// The line that opens a merged workspace segment; its `segment_event` lines follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SegmentHeader {
    #[serde(rename = "type")]
    ty: String,
    /// The workspace vault.
    pub workspace_vault: VaultId,
    /// The workspace's signing key, hex, as its merge events name it.
    pub workspace_key: String,
    /// How many `segment_event` lines follow.
    pub events: usize,
}

/// One parsed line of an export (for tools that read exports).
#[derive(Debug, Clone)]
pub enum ExportLine {
    /// An event.
    Event(Event),
    /// A checkpoint.
    Checkpoint(Checkpoint),
    /// The start of a merged workspace segment.
    Segment(SegmentHeader),
    /// An event of the workspace segment named.
    SegmentEvent(VaultId, Event),
}

const EVENT_PREFIX: &str = "{\"type\":\"event\",";
const CHECKPOINT_PREFIX: &str = "{\"type\":\"checkpoint\",";
const SEGMENT_PREFIX: &str = "{\"type\":\"segment\",";
const SEGMENT_EVENT_PREFIX: &str = "{\"type\":\"segment_event\",\"workspace_vault\":\"";

fn segment_event_line(ws: VaultId, e: &Event) -> String {
    tagged(&format!("{SEGMENT_EVENT_PREFIX}{ws}\","), e)
}

fn tagged<T: Serialize>(prefix: &str, v: &T) -> String {
    let json = serde_json::to_string(v).expect("audit records always serialise");
    format!("{prefix}{}", &json[1..])
}

fn trailer_message(vault: VaultId, preceding: &[u8]) -> Vec<u8> {
    let mut m = b"airlock-audit-export-v1\0".to_vec();
    m.extend_from_slice(vault.as_uuid().as_bytes());
    m.extend_from_slice(&Sha256::digest(preceding));
    m
}

/// Writes a verifiable JSONL export of `events`, `checkpoints` and the merged workspace
/// `segments` (in the order given), signed by `exporter`.
#[allow(clippy::too_many_arguments)]
pub fn export_jsonl(
    out: &mut impl Write,
    vault: VaultId,
    events: &[Event],
    checkpoints: &[Checkpoint],
    segments: &[Segment],
    signers: Vec<ExportSigner>,
    exporter: UserId,
    key: &SigningKey,
    exported_at: String,
) -> std::io::Result<()> {
    let mut buf = Vec::with_capacity(events.len() * 400 + 1024);
    let header = Header {
        ty: "header".into(),
        format: EXPORT_FORMAT.into(),
        version: if segments.is_empty() { 1 } else { 2 },
        vault_id: vault,
        genesis: genesis_hash(vault),
        exported_at,
        exported_by: exporter,
        signers,
    };
    serde_json::to_writer(&mut buf, &header).expect("header serialises");
    buf.push(b'\n');
    let mut cps = checkpoints.iter().peekable();
    for e in events {
        buf.extend_from_slice(tagged(EVENT_PREFIX, e).as_bytes());
        buf.push(b'\n');
        while let Some(cp) = cps.next_if(|cp| cp.seq <= e.seq) {
            buf.extend_from_slice(tagged(CHECKPOINT_PREFIX, cp).as_bytes());
            buf.push(b'\n');
        }
    }
    for s in segments {
        let header = SegmentHeader {
            ty: "segment".into(),
            workspace_vault: s.workspace,
            workspace_key: s.workspace_key.clone(),
            events: s.events.len(),
        };
        serde_json::to_writer(&mut buf, &header).expect("segment headers serialise");
        buf.push(b'\n');
        for e in &s.events {
            buf.extend_from_slice(segment_event_line(s.workspace, e).as_bytes());
            buf.push(b'\n');
        }
    }
    let signature = key.sign(&trailer_message(vault, &buf));
    let trailer = Trailer {
        ty: "trailer".into(),
        events: events.len(),
        head_hash: events
            .last()
            .map(|e| e.hash.clone())
            .unwrap_or_else(|| genesis_hash(vault)),
        exported_by: exporter,
        public_key: hex::encode(key.verifying_key().as_bytes()),
        signature: hex::encode(signature.to_bytes()),
        segment_events: segments.iter().map(|s| s.events.len()).sum(),
    };
    serde_json::to_writer(&mut buf, &trailer).expect("trailer serialises");
    buf.push(b'\n');
    out.write_all(&buf)
}

fn fail(seq: i64, kind: ProblemKind, message: String) -> ChainProblem {
    ChainProblem { seq, kind, message }
}

/// Parses one event or checkpoint line. With `strict`, the line must also be exactly its
/// canonical form (used to name the damage when the export's signature does not hold).
fn parse_record(line: &str, n: usize, strict: bool) -> Result<ExportLine, ChainProblem> {
    if let Some(rest) = line.strip_prefix(EVENT_PREFIX) {
        let e: Event = serde_json::from_str(&format!("{{{rest}")).map_err(|_| {
            fail(
                0,
                ProblemKind::Malformed,
                format!("line {n} is not a valid audit event"),
            )
        })?;
        if strict && tagged(EVENT_PREFIX, &e) != line {
            return Err(fail(
                e.seq,
                ProblemKind::Changed,
                format!("line {n} (event #{}) was altered", e.seq),
            ));
        }
        Ok(ExportLine::Event(e))
    } else if let Some(rest) = line.strip_prefix(CHECKPOINT_PREFIX) {
        let c: Checkpoint = serde_json::from_str(&format!("{{{rest}")).map_err(|_| {
            fail(
                0,
                ProblemKind::Malformed,
                format!("line {n} is not a valid checkpoint"),
            )
        })?;
        if strict && tagged(CHECKPOINT_PREFIX, &c) != line {
            return Err(fail(
                c.seq,
                ProblemKind::BadSignature,
                format!("line {n} (checkpoint at #{}) was altered", c.seq),
            ));
        }
        Ok(ExportLine::Checkpoint(c))
    } else if let Some(rest) = line.strip_prefix(SEGMENT_EVENT_PREFIX) {
        let bad = || {
            fail(
                0,
                ProblemKind::Malformed,
                format!("line {n} is not a valid workspace segment event"),
            )
        };
        let (ws, rest) = rest
            .split_once("\",")
            .filter(|(ws, _)| ws.len() == 36)
            .ok_or_else(bad)?;
        let ws: VaultId = ws.parse().map_err(|_| bad())?;
        let e: Event = serde_json::from_str(&format!("{{{rest}")).map_err(|_| bad())?;
        if strict && segment_event_line(ws, &e) != line {
            return Err(fail(
                0,
                ProblemKind::Changed,
                format!("line {n} (workspace segment event #{}) was altered", e.seq),
            ));
        }
        Ok(ExportLine::SegmentEvent(ws, e))
    } else if line.starts_with(SEGMENT_PREFIX) {
        let h: SegmentHeader = serde_json::from_str(line).map_err(|_| {
            fail(
                0,
                ProblemKind::Malformed,
                format!("line {n} is not a valid workspace segment header"),
            )
        })?;
        if strict && serde_json::to_string(&h).expect("segment headers serialise") != line {
            return Err(fail(
                0,
                ProblemKind::Changed,
                format!("line {n} (a workspace segment header) was altered"),
            ));
        }
        Ok(ExportLine::Segment(h))
    } else {
        Err(fail(
            0,
            ProblemKind::Malformed,
            format!("line {n} is not an audit record"),
        ))
    }
}

/// Verifies a JSONL export offline: canonical lines, the hash chain, the checkpoints and
/// the signed trailer. Returns the report, the vault id the export claims and the
/// signers' names by user id (as the export lists them).
pub fn verify_jsonl(bytes: &[u8]) -> (VerifyReport, Option<VaultId>, HashMap<UserId, String>) {
    let mut names = HashMap::new();
    let (report, vault) = verify_jsonl_inner(bytes, &mut names);
    (report, vault, names)
}

fn verify_jsonl_inner(
    bytes: &[u8],
    names: &mut HashMap<UserId, String>,
) -> (VerifyReport, Option<VaultId>) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        return (
            VerifyReport::failed(
                0,
                fail(
                    0,
                    ProblemKind::Malformed,
                    "the file is not UTF-8 text: it is not an audit export or was altered".into(),
                ),
            ),
            None,
        );
    };
    let Some(body) = text.strip_suffix('\n') else {
        return (
            VerifyReport::failed(
                0,
                fail(
                    0,
                    ProblemKind::Truncated,
                    "the file does not end with a complete line: it was cut off or altered".into(),
                ),
            ),
            None,
        );
    };
    let lines: Vec<&str> = body.split('\n').collect();
    let header: Header = match serde_json::from_str::<Header>(lines[0]) {
        Ok(h) if h.ty == "header" && h.format == EXPORT_FORMAT && (1..=2).contains(&h.version) => h,
        _ => {
            return (
                VerifyReport::failed(
                    0,
                    fail(
                        0,
                        ProblemKind::Malformed,
                        "line 1 is not an Airlock audit export header".into(),
                    ),
                ),
                None,
            )
        }
    };
    let vault = header.vault_id;
    names.extend(header.signers.iter().map(|s| (s.user_id, s.name.clone())));
    let canonical_header = serde_json::to_string(&header).expect("header serialises");
    if canonical_header != lines[0] || header.genesis != genesis_hash(vault) {
        return (
            VerifyReport::failed(
                0,
                fail(
                    0,
                    ProblemKind::Changed,
                    "the export header (line 1) was altered".into(),
                ),
            ),
            Some(vault),
        );
    }
    let last = lines.len() - 1;
    let trailer = match serde_json::from_str::<Trailer>(lines[last]) {
        Ok(t) if last > 0 && t.ty == "trailer" => t,
        _ => {
            return (
                VerifyReport::failed(
                    0,
                    fail(
                        0,
                        ProblemKind::Truncated,
                        "the export has no signed trailer: it was cut off or altered".into(),
                    ),
                ),
                Some(vault),
            )
        }
    };
    let keys: HashMap<String, UserId> = header
        .signers
        .iter()
        .map(|s| (s.public_key.clone(), s.user_id))
        .collect();
    // The trailer signs every byte before it. When it holds, the lines are exactly as the
    // exporter wrote them and need no canonical re-check; when it fails, every line is
    // re-checked so the report can say which one was altered.
    let trailer_line_start = body.len() - lines[last].len();
    let canonical_trailer = serde_json::to_string(&trailer).expect("trailer serialises");
    let signed = canonical_trailer == lines[last]
        && keys.get(&trailer.public_key) == Some(&trailer.exported_by)
        && verify_hex_signature(
            &trailer.public_key,
            &trailer.signature,
            &trailer_message(vault, &bytes[..trailer_line_start]),
        );
    let records: Result<Vec<ExportLine>, ChainProblem> = lines[1..last]
        .par_iter()
        .enumerate()
        .map(|(i, l)| parse_record(l, i + 2, !signed))
        .collect();
    let records = match records {
        Ok(r) => r,
        Err(p) => return (VerifyReport::failed(0, p), Some(vault)),
    };
    let mut events = Vec::with_capacity(records.len());
    let mut checkpoints = Vec::new();
    let mut segments: Vec<(Segment, usize)> = Vec::new();
    for (i, r) in records.into_iter().enumerate() {
        let n = i + 2;
        let misplaced = |what: &str| {
            VerifyReport::failed(
                0,
                fail(
                    0,
                    ProblemKind::Malformed,
                    format!("line {n} is {what}: the file is not an audit export or was altered"),
                ),
            )
        };
        match r {
            ExportLine::Event(_) | ExportLine::Checkpoint(_) if !segments.is_empty() => {
                return (
                    misplaced("a main chain record after the workspace segments"),
                    Some(vault),
                )
            }
            ExportLine::Event(e) => events.push(e),
            ExportLine::Checkpoint(c) => checkpoints.push(c),
            ExportLine::Segment(_) if header.version < 2 => {
                return (
                    misplaced("a workspace segment in a version 1 export"),
                    Some(vault),
                )
            }
            ExportLine::Segment(h) => segments.push((
                Segment {
                    workspace: h.workspace_vault,
                    workspace_key: h.workspace_key,
                    events: Vec::new(),
                },
                h.events,
            )),
            ExportLine::SegmentEvent(ws, e) => match segments.last_mut() {
                Some((s, _)) if s.workspace == ws => s.events.push(e),
                _ => {
                    return (
                        misplaced("a workspace segment event outside its segment"),
                        Some(vault),
                    )
                }
            },
        }
    }
    let mut report = verify_chain(vault, &events, &checkpoints, &keys);
    if !report.ok {
        return (report, Some(vault));
    }
    let segment_events: usize = segments.iter().map(|(s, _)| s.events.len()).sum();
    let (segments, promised): (Vec<Segment>, Vec<usize>) = segments.into_iter().unzip();
    if let Some(p) = verify_segments(&events, &segments) {
        return (VerifyReport::failed(events.len(), p), Some(vault));
    }
    if let Some((s, promised)) = segments
        .iter()
        .zip(&promised)
        .find(|(s, n)| s.events.len() != **n)
    {
        return (
            VerifyReport::failed(
                events.len(),
                fail(
                    0,
                    ProblemKind::Changed,
                    format!(
                        "a workspace segment header promises {promised} events but {} follow: the header was changed",
                        s.events.len()
                    ),
                ),
            ),
            Some(vault),
        );
    }
    report.segments = segments.len();
    report.segment_events = segment_events;
    if !signed {
        return (
            VerifyReport::failed(
                events.len(),
                fail(
                    0,
                    ProblemKind::BadSignature,
                    "the export's signature does not match its content: the file was altered"
                        .into(),
                ),
            ),
            Some(vault),
        );
    }
    if trailer.events != events.len()
        || trailer.head_hash != report.head_hash
        || trailer.segment_events != segment_events
    {
        return (
            VerifyReport::failed(
                events.len(),
                fail(
                    events.len() as i64 + 1,
                    ProblemKind::Truncated,
                    format!(
                        "the export promises {} events and {} workspace segment events but holds {} and {}",
                        trailer.events,
                        trailer.segment_events,
                        events.len(),
                        segment_events
                    ),
                ),
            ),
            Some(vault),
        );
    }
    (report, Some(vault))
}

/// Writes a CSV export for people and spreadsheets: the main chain's events, then each
/// merged workspace segment's, whose rows name their `workspace_vault` (empty for the
/// main chain). `name_of` resolves actor names for readability; names are not part of
/// the hashed events.
pub fn export_csv(
    out: impl Write,
    events: &[Event],
    segments: &[Segment],
    name_of: impl Fn(UserId) -> Option<String>,
) -> Result<(), crate::AuditError> {
    let mut w = csv::Writer::from_writer(out);
    let io = |e: csv::Error| crate::AuditError::Io(std::io::Error::from(e).kind());
    w.write_record([
        "seq",
        "id",
        "ts",
        "actor_id",
        "actor_name",
        "actor_role",
        "session_id",
        "action",
        "outcome",
        "object_kind",
        "object_id",
        "detail",
        "break_glass",
        "prev_hash",
        "hash",
        "workspace_vault",
    ])
    .map_err(io)?;
    let rows = events.iter().map(|e| (e, String::new())).chain(
        segments
            .iter()
            .flat_map(|s| s.events.iter().map(|e| (e, s.workspace.to_string()))),
    );
    for (e, workspace) in rows {
        let actor_name = e.actor_id.and_then(&name_of).unwrap_or_default();
        w.write_record([
            e.seq.to_string(),
            e.id.to_string(),
            e.ts.clone(),
            e.actor_id.map(|u| u.to_string()).unwrap_or_default(),
            actor_name,
            e.actor_role
                .map(|r| r.as_str().to_string())
                .unwrap_or_default(),
            e.session_id.map(|s| s.to_string()).unwrap_or_default(),
            e.action.as_str().to_string(),
            e.outcome.as_str().to_string(),
            e.object_kind.clone().unwrap_or_default(),
            e.object_id.clone().unwrap_or_default(),
            e.detail.clone(),
            u8::from(e.break_glass).to_string(),
            e.prev_hash.clone(),
            e.hash.clone(),
            workspace,
        ])
        .map_err(io)?;
    }
    w.flush().map_err(|e| crate::AuditError::Io(e.kind()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EventDraft;
    use airlock_model::EventKind;
    use proptest::prelude::*;

    /// An export of `n` events; with `segment`, the last is a merge of a three-event
    /// workspace chain, which the export carries.
    fn sample_export(n: i64, segment: bool) -> Vec<u8> {
        let vault = VaultId::new();
        let key = SigningKey::from_bytes(&[5u8; 32]);
        let who = UserId::new();
        let ws = VaultId::new();
        let ws_events = crate::segment::tests::workspace_chain(ws, 3);
        let segments = if segment {
            vec![Segment {
                workspace: ws,
                workspace_key: "ab".repeat(32),
                events: ws_events.clone(),
            }]
        } else {
            vec![]
        };
        let mut prev = genesis_hash(vault);
        let events: Vec<Event> = (1..=n)
            .map(|seq| {
                let mut d = EventDraft::system(
                    EventKind::Login,
                    format!("2026-01-01T00:00:{seq:02}.000000Z"),
                );
                d.actor_id = Some(who);
                d.detail.insert("count".into(), seq.into());
                if segment && seq == n {
                    d.kind = EventKind::PackageMerged;
                    d.detail
                        .insert("workspace_vault".into(), ws.to_string().into());
                    d.detail
                        .insert("workspace_key".into(), "ab".repeat(32).into());
                    d.detail.insert("segment_first_seq".into(), 1.into());
                    d.detail.insert("segment_last_seq".into(), 3.into());
                    d.detail
                        .insert("segment_head".into(), ws_events[2].hash.clone().into());
                }
                let e = Event::seal(seq, prev.clone(), d);
                prev = e.hash.clone();
                e
            })
            .collect();
        let cps = vec![
            Checkpoint::sign(vault, 2, &events[1].hash, who, &key, "t".into()),
            Checkpoint::sign(
                vault,
                n,
                &events[n as usize - 1].hash,
                who,
                &key,
                "t".into(),
            ),
        ];
        let signers = vec![ExportSigner {
            user_id: who,
            name: "tester".into(),
            public_key: hex::encode(key.verifying_key().as_bytes()),
        }];
        let mut out = Vec::new();
        export_jsonl(
            &mut out,
            vault,
            &events,
            &cps,
            &segments,
            signers,
            who,
            &key,
            "now".into(),
        )
        .unwrap();
        out
    }

    fn lines(bytes: &[u8]) -> Vec<String> {
        String::from_utf8(bytes.to_vec())
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }

    fn join(ls: &[String]) -> Vec<u8> {
        format!("{}\n", ls.join("\n")).into_bytes()
    }

    #[test]
    fn an_export_without_segments_keeps_version_1() {
        let text = String::from_utf8(sample_export(3, false)).unwrap();
        assert!(text
            .starts_with("{\"type\":\"header\",\"format\":\"airlock-audit-log\",\"version\":1,"));
        assert!(
            !text.contains("segment"),
            "older verifiers read it unchanged"
        );
    }

    #[test]
    fn an_export_with_a_segment_verifies_and_names_segment_damage() {
        let bytes = sample_export(5, true);
        let (r, _, _) = verify_jsonl(&bytes);
        assert!(r.ok, "{:?}", r.problem);
        assert_eq!((r.events, r.segments, r.segment_events), (5, 1, 3));
        let ls = lines(&bytes);
        assert!(ls[0].contains("\"version\":2"));
        let first = ls
            .iter()
            .position(|l| l.starts_with(SEGMENT_EVENT_PREFIX))
            .unwrap();
        assert!(ls[first - 1].starts_with(SEGMENT_PREFIX));
        let named = |ls: &[String]| {
            let p = verify_jsonl(&join(ls)).0.problem.unwrap();
            (p.kind, p.seq, p.message)
        };

        let mut changed = ls.clone();
        changed[first + 1] = changed[first + 1].replace("\"ts\":\"w2\"", "\"ts\":\"w9\"");
        let (kind, seq, message) = named(&changed);
        assert_eq!((kind, seq), (ProblemKind::Changed, 5), "{message}");
        assert!(message.contains("workspace event #2"), "{message}");

        let mut removed = ls.clone();
        removed.remove(first + 1);
        let (kind, _, message) = named(&removed);
        assert_eq!(kind, ProblemKind::Removed, "{message}");
        assert!(
            message.contains("workspace event #2 is missing"),
            "{message}"
        );

        let mut reordered = ls.clone();
        reordered.swap(first, first + 1);
        assert_eq!(named(&reordered).0, ProblemKind::Reordered);

        let mut inserted = ls.clone();
        inserted.insert(first + 1, ls[first + 1].clone());
        assert_eq!(named(&inserted).0, ProblemKind::Inserted);

        let mut dropped = ls.clone();
        dropped.drain(first - 1..first + 3);
        let (kind, seq, _) = named(&dropped);
        assert_eq!(
            (kind, seq),
            (ProblemKind::Removed, 5),
            "the whole segment gone is named at its merge event"
        );

        let mut rekeyed = ls.clone();
        rekeyed[first - 1] = rekeyed[first - 1].replace(&"ab".repeat(32), &"cd".repeat(32));
        assert_eq!(named(&rekeyed).0, ProblemKind::Changed);

        let mut moved = ls.clone();
        let line = moved.remove(first);
        moved.insert(2, line);
        assert_eq!(
            named(&moved).0,
            ProblemKind::Malformed,
            "segment events stay in their segment"
        );
    }

    #[test]
    fn a_csv_export_names_the_workspace_of_segment_rows() {
        let ws = VaultId::new();
        let seg = Segment {
            workspace: ws,
            workspace_key: String::new(),
            events: crate::segment::tests::workspace_chain(ws, 2),
        };
        let main = crate::segment::tests::workspace_chain(VaultId::new(), 1);
        let mut out = Vec::new();
        export_csv(&mut out, &main, &[seg], |_| None).unwrap();
        let text = String::from_utf8(out).unwrap();
        let rows: Vec<&str> = text.lines().collect();
        assert_eq!(rows.len(), 4);
        assert!(rows[0].ends_with(",hash,workspace_vault"));
        assert!(rows[1].ends_with(','), "main chain rows have no workspace");
        assert!(rows[3].ends_with(&ws.to_string()));
    }

    #[test]
    fn a_fresh_export_verifies() {
        let bytes = sample_export(5, false);
        let (r, _, _) = verify_jsonl(&bytes);
        assert!(r.ok, "{:?}", r.problem);
        assert_eq!(r.events, 5);
        assert_eq!(r.checkpoints, 2);
    }

    #[test]
    fn removing_reordering_or_cutting_lines_is_named() {
        let bytes = sample_export(5, false);
        let text = String::from_utf8(bytes).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        let join = |ls: Vec<&str>| format!("{}\n", ls.join("\n")).into_bytes();

        let mut removed = lines.clone();
        removed.remove(4); // event #3 (header, e1, e2, cp2, e3…)
        assert_eq!(
            verify_jsonl(&join(removed)).0.problem.unwrap().kind,
            ProblemKind::Removed
        );

        let mut swapped = lines.clone();
        swapped.swap(4, 5);
        assert_eq!(
            verify_jsonl(&join(swapped)).0.problem.unwrap().kind,
            ProblemKind::Reordered
        );

        let cut = join(lines[..lines.len() - 1].to_vec());
        assert_eq!(
            verify_jsonl(&cut).0.problem.unwrap().kind,
            ProblemKind::Truncated
        );
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]
        #[test]
        fn any_byte_change_is_detected(pos in 0usize..100_000, flip in 1u8..=255) {
            let bytes = sample_export(4, true);
            let mut bad = bytes.clone();
            let at = pos % bad.len();
            bad[at] ^= flip;
            let (r, _, _) = verify_jsonl(&bad);
            prop_assert!(!r.ok, "flipping byte {} with {:#04x} went unnoticed", at, flip);
        }
    }
}
