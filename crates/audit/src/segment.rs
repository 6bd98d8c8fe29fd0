//! Merged workspace segments: an annotator's workspace chain, merged into this vault with
//! a result package, and the `package_merged` events of the main chain that pin it.
//!
//! Each merge event names the workspace vault, its signing key and the range of workspace
//! events it added (`segment_first_seq`..=`segment_last_seq`, head `segment_head`). A
//! segment verifies when its own chain walks from the workspace's genesis, every merge
//! event's range continues the one before it and ends on the hash it pins, and nothing
//! follows the last pinned event.

use crate::verify::{verify_chain, ChainProblem, ProblemKind};
use crate::Event;
use airlock_model::{EventKind, VaultId};
use std::collections::HashMap;

/// One workspace's audit chain as merged, from its event #1.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Segment {
    /// The workspace vault whose genesis the chain starts from.
    pub workspace: VaultId,
    /// The workspace's Ed25519 signing key (hex) the merge events name.
    pub workspace_key: String,
    /// Its events in seq order.
    pub events: Vec<Event>,
}

/// What one `package_merged` event of the main chain says about its segment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeLink {
    /// The merge event's seq in the main chain.
    pub seq: i64,
    /// The workspace vault id, as written.
    pub workspace: String,
    /// The workspace signing key, hex.
    pub workspace_key: String,
    /// The first workspace event the merge added.
    pub first: i64,
    /// The last workspace event merged so far (the segment's head then).
    pub last: i64,
    /// That event's hash.
    pub head: String,
}

/// The segment links of every merge event in `main`, in chain order. A merge event
/// whose detail lacks the fields yields a link no segment can satisfy.
pub fn merge_links(main: &[Event]) -> Vec<MergeLink> {
    main.iter()
        .filter(|e| e.action == EventKind::PackageMerged)
        .map(|e| {
            let d: serde_json::Value = serde_json::from_str(&e.detail).unwrap_or_default();
            let text = |k: &str| d[k].as_str().unwrap_or_default().to_string();
            MergeLink {
                seq: e.seq,
                workspace: text("workspace_vault"),
                workspace_key: text("workspace_key"),
                first: d["segment_first_seq"].as_i64().unwrap_or(-1),
                last: d["segment_last_seq"].as_i64().unwrap_or(-1),
                head: text("segment_head"),
            }
        })
        .collect()
}

fn problem(seq: i64, kind: ProblemKind, message: String) -> Option<ChainProblem> {
    Some(ChainProblem { seq, kind, message })
}

/// Checks every segment against the merge events of `main` (already verified): each
/// segment's own chain, its links to the merge events, and that no segment is missing
/// or unaccounted for. The first problem is named at the merge event concerned, with
/// the workspace event's number in the message.
pub fn verify_segments(main: &[Event], segments: &[Segment]) -> Option<ChainProblem> {
    let links = merge_links(main);
    let mut by_workspace: HashMap<&str, Vec<&MergeLink>> = HashMap::new();
    for l in &links {
        by_workspace
            .entry(l.workspace.as_str())
            .or_default()
            .push(l);
    }
    let held: HashMap<String, &Segment> = segments
        .iter()
        .map(|s| (s.workspace.to_string(), s))
        .collect();
    if held.len() != segments.len() {
        return problem(
            0,
            ProblemKind::Inserted,
            "a workspace audit segment appears twice: one was inserted".into(),
        );
    }
    if let Some(l) = links.iter().find(|l| !held.contains_key(&l.workspace)) {
        return problem(
            l.seq,
            ProblemKind::Removed,
            format!(
                "the workspace audit segment merged at event #{} is missing: it was removed",
                l.seq
            ),
        );
    }
    for s in segments {
        let ws = s.workspace.to_string();
        let Some(merges) = by_workspace.get(ws.as_str()) else {
            return problem(
                0,
                ProblemKind::Inserted,
                "a workspace audit segment is present that no merge event links: it was inserted"
                    .into(),
            );
        };
        if let Some(p) = check_segment(s, merges) {
            return Some(p);
        }
    }
    None
}

/// One segment against its merge events (at least one, in chain order).
fn check_segment(s: &Segment, merges: &[&MergeLink]) -> Option<ChainProblem> {
    // The merge event that added workspace event `seq` (the last one for later events).
    let merged_at = |seq: i64| {
        merges
            .iter()
            .find(|m| seq <= m.last)
            .unwrap_or(&merges[merges.len() - 1])
            .seq
    };
    let walked = verify_chain(s.workspace, &s.events, &[], &HashMap::new());
    if let Some(p) = walked.problem {
        let at = merged_at(p.seq);
        return problem(
            at,
            p.kind,
            format!(
                "the workspace audit segment merged at event #{at} does not verify: workspace {}",
                p.message
            ),
        );
    }
    let mut next = 1;
    for m in merges {
        if m.workspace_key != s.workspace_key {
            return problem(
                m.seq,
                ProblemKind::Changed,
                format!(
                    "merge event #{} names another workspace key than its segment: the segment was changed",
                    m.seq
                ),
            );
        }
        if m.first != next || m.last < m.first - 1 {
            return problem(
                m.seq,
                ProblemKind::Changed,
                format!(
                    "merge event #{} does not continue the workspace segment merged before it",
                    m.seq
                ),
            );
        }
        if m.last >= 1 {
            let Some(e) = usize::try_from(m.last - 1)
                .ok()
                .and_then(|i| s.events.get(i))
            else {
                return problem(
                    m.seq,
                    ProblemKind::Removed,
                    format!(
                        "the workspace audit segment merged at event #{} ends at workspace event #{} but the merge pins #{}: events were removed",
                        m.seq,
                        s.events.len(),
                        m.last
                    ),
                );
            };
            if e.hash != m.head {
                return problem(
                    m.seq,
                    ProblemKind::Changed,
                    format!(
                        "workspace event #{} does not match the head merge event #{} pins: the segment was changed",
                        m.last, m.seq
                    ),
                );
            }
        }
        next = m.last + 1;
    }
    let pinned = next - 1;
    if s.events.len() as i64 > pinned {
        let last = merges[merges.len() - 1].seq;
        return problem(
            last,
            ProblemKind::Inserted,
            format!(
                "workspace event #{} follows the head merge event #{last} pins: it was inserted",
                pinned + 1
            ),
        );
    }
    None
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::{genesis_hash, EventDraft};

    /// A workspace chain of `n` events.
    pub(crate) fn workspace_chain(ws: VaultId, n: i64) -> Vec<Event> {
        let mut prev = genesis_hash(ws);
        (1..=n)
            .map(|seq| {
                let e = Event::seal(
                    seq,
                    prev.clone(),
                    EventDraft::system(EventKind::AnnotationChanged, format!("w{seq}")),
                );
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    /// A main chain: a login, a merge of workspace events 1..=3, a login, a merge of 4..=5.
    fn main_chain(vault: VaultId, ws: VaultId, seg: &[Event]) -> Vec<Event> {
        let merge = |first: i64, last: i64| {
            let mut d = EventDraft::system(EventKind::PackageMerged, "m".into());
            d.detail
                .insert("workspace_vault".into(), ws.to_string().into());
            d.detail.insert("workspace_key".into(), "ab".into());
            d.detail.insert("segment_first_seq".into(), first.into());
            d.detail.insert("segment_last_seq".into(), last.into());
            d.detail.insert(
                "segment_head".into(),
                seg[last as usize - 1].hash.clone().into(),
            );
            d
        };
        let drafts = vec![
            EventDraft::system(EventKind::Login, "a".into()),
            merge(1, 3),
            EventDraft::system(EventKind::Login, "b".into()),
            merge(4, 5),
        ];
        let mut prev = genesis_hash(vault);
        (1..)
            .zip(drafts)
            .map(|(seq, d)| {
                let e = Event::seal(seq, prev.clone(), d);
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn named(main: &[Event], s: Segment) -> Option<(ProblemKind, i64)> {
        verify_segments(main, &[s]).map(|p| (p.kind, p.seq))
    }

    #[test]
    fn each_kind_of_segment_tampering_is_named_at_its_merge_event() {
        let (v, ws) = (VaultId::new(), VaultId::new());
        let events = workspace_chain(ws, 5);
        let main = main_chain(v, ws, &events);
        let good = Segment {
            workspace: ws,
            workspace_key: "ab".into(),
            events: events.clone(),
        };
        assert_eq!(verify_segments(&main, std::slice::from_ref(&good)), None);
        let with = |f: &dyn Fn(&mut Segment)| {
            let mut s = good.clone();
            f(&mut s);
            s
        };

        let changed = with(&|s| s.events[1].ts = "forged".into());
        assert_eq!(named(&main, changed), Some((ProblemKind::Changed, 2)));
        let rehashed = with(&|s| {
            s.events[4].ts = "forged".into();
            s.events[4].hash = s.events[4].compute_hash();
        });
        assert_eq!(
            named(&main, rehashed),
            Some((ProblemKind::Changed, 4)),
            "a re-hashed last event no longer matches the head its merge pins"
        );
        let removed = with(&|s| drop(s.events.remove(3)));
        assert_eq!(named(&main, removed), Some((ProblemKind::Removed, 4)));
        let cut = with(&|s| s.events.truncate(4));
        assert_eq!(named(&main, cut), Some((ProblemKind::Removed, 4)));
        let reordered = with(&|s| s.events.swap(0, 1));
        assert_eq!(named(&main, reordered), Some((ProblemKind::Reordered, 2)));
        let appended = with(&|s| {
            let extra = Event::seal(
                6,
                s.events[4].hash.clone(),
                EventDraft::system(EventKind::Logout, "x".into()),
            );
            s.events.push(extra);
        });
        assert_eq!(named(&main, appended), Some((ProblemKind::Inserted, 4)));
        let rekeyed = with(&|s| s.workspace_key = "cd".into());
        assert_eq!(named(&main, rekeyed), Some((ProblemKind::Changed, 2)));

        assert_eq!(
            verify_segments(&main, &[]).map(|p| (p.kind, p.seq)),
            Some((ProblemKind::Removed, 2)),
            "a merge event whose segment is gone"
        );
        let stray = Segment {
            workspace: VaultId::new(),
            workspace_key: "ab".into(),
            events: workspace_chain(VaultId::new(), 1),
        };
        assert_eq!(
            verify_segments(&main, &[good.clone(), stray]).map(|p| p.kind),
            Some(ProblemKind::Inserted),
            "a segment no merge event links"
        );
        assert_eq!(
            verify_segments(&main, &[good.clone(), good]).map(|p| p.kind),
            Some(ProblemKind::Inserted)
        );
    }
}
