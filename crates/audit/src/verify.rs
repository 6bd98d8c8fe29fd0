//! Chain verification: recompute every hash (in parallel), walk the links in order, and
//! check the signed checkpoints. The first problem found is named precisely.

use crate::{genesis_hash, Checkpoint, Event};
use airlock_model::{UserId, VaultId};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::{BTreeSet, HashMap};

/// What kind of damage was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProblemKind {
    /// An event's content no longer matches its hash or its successor's link.
    Changed,
    /// An event is missing from the middle of the chain.
    Removed,
    /// An event was added that the chain does not account for.
    Inserted,
    /// Events are out of order.
    Reordered,
    /// A line of an export is not a valid record.
    Malformed,
    /// A checkpoint or export signature is invalid or by an unknown key.
    BadSignature,
    /// Events are missing from the end.
    Truncated,
}

/// The first problem found.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChainProblem {
    /// The event concerned (0 when not tied to one event).
    pub seq: i64,
    /// The kind of damage.
    pub kind: ProblemKind,
    /// One sentence for people: what was found.
    pub message: String,
}

/// The outcome of verifying a chain.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct VerifyReport {
    /// True when no problem was found.
    pub ok: bool,
    /// Number of events checked.
    pub events: usize,
    /// Hash of the last event.
    pub head_hash: String,
    /// Number of valid signed checkpoints.
    pub checkpoints: usize,
    /// Users whose keys signed valid checkpoints.
    pub signers: Vec<UserId>,
    /// Merged workspace segments re-walked and linked to their merge events.
    pub segments: usize,
    /// Events in those segments.
    pub segment_events: usize,
    /// The first problem, if any.
    pub problem: Option<ChainProblem>,
}

impl VerifyReport {
    pub(crate) fn failed(events: usize, problem: ChainProblem) -> VerifyReport {
        VerifyReport {
            ok: false,
            events,
            head_hash: String::new(),
            checkpoints: 0,
            signers: vec![],
            segments: 0,
            segment_events: 0,
            problem: Some(problem),
        }
    }
}

fn problem(seq: i64, kind: ProblemKind, message: String) -> Option<ChainProblem> {
    Some(ChainProblem { seq, kind, message })
}

/// Walks the links; returns the first problem. The common case (seq 1, 2, 3… in order)
/// needs no lookup tables; they are only consulted to name an anomaly.
fn walk(vault: VaultId, events: &[Event]) -> Option<ChainProblem> {
    let bad_hash = events.par_iter().position_first(|e| !e.hash_matches());
    let genesis = genesis_hash(vault);
    let mut prev: &str = &genesis;
    for (expected, (i, e)) in (1i64..).zip(events.iter().enumerate()) {
        if e.seq != expected {
            // Everything before position i was in order, so the seqs seen are 1..expected.
            return if (1..expected).contains(&e.seq) {
                problem(
                    e.seq,
                    ProblemKind::Inserted,
                    format!(
                        "two events claim position #{}: an event was inserted",
                        e.seq
                    ),
                )
            } else if e.seq < expected || events[i..].iter().any(|later| later.seq == expected) {
                problem(
                    expected,
                    ProblemKind::Reordered,
                    format!("event #{expected} is out of order: events were reordered"),
                )
            } else {
                problem(
                    expected,
                    ProblemKind::Removed,
                    format!("event #{expected} is missing: it was removed"),
                )
            };
        }
        if bad_hash == Some(i) {
            return problem(
                e.seq,
                ProblemKind::Changed,
                format!("event #{} does not match its hash: it was changed", e.seq),
            );
        }
        if e.prev_hash != prev {
            let at = (e.seq - 1).max(1);
            return problem(
                at,
                ProblemKind::Changed,
                if e.seq == 1 {
                    "event #1 does not start this vault's chain: the log was changed or belongs to another vault".into()
                } else {
                    format!(
                        "event #{} no longer links to event #{at}: event #{at} was changed",
                        e.seq
                    )
                },
            );
        }
        prev = &e.hash;
    }
    None
}

/// Verifies `events` (in stored order) and `checkpoints` against this vault's genesis.
/// `keys` maps every Ed25519 public key (hex) the vault knows to its owner; a checkpoint
/// by any other key, or naming another owner, is a bad signature.
pub fn verify_chain(
    vault: VaultId,
    events: &[Event],
    checkpoints: &[Checkpoint],
    keys: &HashMap<String, UserId>,
) -> VerifyReport {
    if let Some(p) = walk(vault, events) {
        return VerifyReport::failed(events.len(), p);
    }
    let mut signers = BTreeSet::new();
    for cp in checkpoints {
        if keys.get(&cp.public_key) != Some(&cp.signer_id) || !cp.signature_valid(vault) {
            return VerifyReport::failed(
                events.len(),
                ChainProblem {
                    seq: cp.seq,
                    kind: ProblemKind::BadSignature,
                    message: format!(
                        "the checkpoint at event #{} has an invalid signature or an unknown signer",
                        cp.seq
                    ),
                },
            );
        }
        let Some(e) = usize::try_from(cp.seq - 1).ok().and_then(|i| events.get(i)) else {
            return VerifyReport::failed(
                events.len(),
                ChainProblem {
                    seq: events.len() as i64 + 1,
                    kind: ProblemKind::Truncated,
                    message: format!(
                        "a signed checkpoint covers event #{} but the log ends at #{}: events were removed from the end",
                        cp.seq,
                        events.len()
                    ),
                },
            );
        };
        if e.hash != cp.head_hash {
            return VerifyReport::failed(
                events.len(),
                ChainProblem {
                    seq: cp.seq,
                    kind: ProblemKind::Changed,
                    message: format!(
                        "event #{} does not match its signed checkpoint: the log was rewritten",
                        cp.seq
                    ),
                },
            );
        }
        signers.insert(cp.signer_id);
    }
    VerifyReport {
        ok: true,
        events: events.len(),
        head_hash: events
            .last()
            .map(|e| e.hash.clone())
            .unwrap_or_else(|| genesis_hash(vault)),
        checkpoints: checkpoints.len(),
        signers: signers.into_iter().collect(),
        segments: 0,
        segment_events: 0,
        problem: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::EventDraft;
    use airlock_model::EventKind;
    use ed25519_dalek::SigningKey;

    fn chain(vault: VaultId, n: i64) -> Vec<Event> {
        let mut prev = genesis_hash(vault);
        (1..=n)
            .map(|seq| {
                let e = Event::seal(
                    seq,
                    prev.clone(),
                    EventDraft::system(EventKind::Login, format!("t{seq}")),
                );
                prev = e.hash.clone();
                e
            })
            .collect()
    }

    fn kind(r: &VerifyReport) -> Option<(ProblemKind, i64)> {
        r.problem.as_ref().map(|p| (p.kind, p.seq))
    }

    #[test]
    fn each_kind_of_tampering_is_named() {
        let v = VaultId::new();
        let keys = HashMap::new();
        let good = chain(v, 10);
        assert!(verify_chain(v, &good, &[], &keys).ok);

        let mut changed = good.clone();
        changed[4].detail = "{\"x\":1}".into();
        assert_eq!(
            kind(&verify_chain(v, &changed, &[], &keys)),
            Some((ProblemKind::Changed, 5))
        );

        let mut rehashed = good.clone();
        rehashed[4].ts = "forged".into();
        rehashed[4].hash = rehashed[4].compute_hash();
        assert_eq!(
            kind(&verify_chain(v, &rehashed, &[], &keys)),
            Some((ProblemKind::Changed, 5))
        );

        let mut removed = good.clone();
        removed.remove(3);
        assert_eq!(
            kind(&verify_chain(v, &removed, &[], &keys)),
            Some((ProblemKind::Removed, 4))
        );

        let mut reordered = good.clone();
        reordered.swap(2, 3);
        assert_eq!(
            kind(&verify_chain(v, &reordered, &[], &keys)),
            Some((ProblemKind::Reordered, 3))
        );

        let mut inserted = good.clone();
        let extra = Event::seal(
            3,
            good[1].hash.clone(),
            EventDraft::system(EventKind::Logout, "x".into()),
        );
        inserted.insert(2, extra);
        assert_eq!(
            kind(&verify_chain(v, &inserted, &[], &keys)),
            Some((ProblemKind::Inserted, 3))
        );

        assert_eq!(
            kind(&verify_chain(VaultId::new(), &good, &[], &keys)),
            Some((ProblemKind::Changed, 1)),
            "a chain from another vault does not verify"
        );
    }

    #[test]
    fn checkpoints_catch_rewrites_truncation_and_unknown_keys() {
        let v = VaultId::new();
        let key = SigningKey::from_bytes(&[9u8; 32]);
        let who = UserId::new();
        let keys = HashMap::from([(hex::encode(key.verifying_key().as_bytes()), who)]);
        let good = chain(v, 6);
        let cp = Checkpoint::sign(v, 6, &good[5].hash, who, &key, "t".into());
        let ok = verify_chain(v, &good, std::slice::from_ref(&cp), &keys);
        assert!(ok.ok);
        assert_eq!(ok.signers, vec![who]);

        assert_eq!(
            kind(&verify_chain(
                v,
                &good[..4],
                std::slice::from_ref(&cp),
                &keys
            )),
            Some((ProblemKind::Truncated, 5))
        );
        let mut rewritten = good.clone();
        rewritten[5].ts = "forged".into();
        rewritten[5].hash = rewritten[5].compute_hash();
        assert_eq!(
            kind(&verify_chain(
                v,
                &rewritten,
                std::slice::from_ref(&cp),
                &keys
            )),
            Some((ProblemKind::Changed, 6))
        );
        let stranger = SigningKey::from_bytes(&[1u8; 32]);
        let forged = Checkpoint::sign(v, 6, &good[5].hash, who, &stranger, "t".into());
        assert_eq!(
            kind(&verify_chain(v, &good, &[forged], &keys)),
            Some((ProblemKind::BadSignature, 6))
        );
    }
}
