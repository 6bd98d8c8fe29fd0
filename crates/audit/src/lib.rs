//! Airlock's audit trail: an append-only, hash-chained event log with Ed25519-signed
//! checkpoints, verifiable in the vault or offline from an exported JSONL file.
//!
//! Each [`Event`] stores the SHA-256 of its predecessor (`prev_hash`) and its own `hash`
//! over a length-prefixed encoding of every field, so changing, removing, inserting or
//! reordering an event breaks the chain at a point [`verify_chain`] names. Checkpoints
//! sign the head hash with a user's key; an export ends with a trailer signed over the
//! whole file so a cut-off tail is detected too. Events carry ids, never content.
//!
//! ```
//! use airlock_audit::{genesis_hash, Event};
//! let vault = airlock_model::VaultId::new();
//! let e = Event::seal(1, genesis_hash(vault), airlock_audit::EventDraft::system(
//!     airlock_model::EventKind::VaultCreated, "2026-01-01T00:00:00.000000Z".into()));
//! assert_eq!(e.hash, e.compute_hash());
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod export;
mod segment;
mod store;
mod verify;

pub use export::{export_csv, export_jsonl, verify_jsonl, ExportLine, ExportSigner};
pub use segment::{merge_links, verify_segments, MergeLink, Segment};
pub use store::{append, checkpoint, head, load_checkpoints, load_events, AuditError};
pub use verify::{verify_chain, ChainProblem, ProblemKind, VerifyReport};

use airlock_model::{EventId, EventKind, Outcome, Role, SessionId, UserId, VaultId};
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// Formats a time the way the audit log stores it: RFC 3339, UTC, microseconds.
pub fn format_ts(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    let micros = t.microsecond();
    let base = t.replace_nanosecond(0).expect("zero nanoseconds is valid");
    let s = base.format(&Rfc3339).expect("UTC times always format");
    format!("{}.{:06}Z", s.trim_end_matches('Z'), micros)
}

/// The `prev_hash` of a vault's first event: binds the chain to its vault.
pub fn genesis_hash(vault: VaultId) -> String {
    let mut h = Sha256::new();
    h.update(b"airlock-audit-genesis-v1\0");
    h.update(vault.as_uuid().as_bytes());
    hex::encode(h.finalize())
}

/// An event before it takes its place in the chain.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDraft {
    /// When it happened ([`format_ts`]).
    pub ts: String,
    /// Who acted; `None` for the system or an unknown person (failed login).
    pub actor_id: Option<UserId>,
    /// The actor's role at the time.
    pub actor_role: Option<Role>,
    /// The session the action belongs to.
    pub session_id: Option<SessionId>,
    /// What happened.
    pub kind: EventKind,
    /// How it ended.
    pub outcome: Outcome,
    /// The kind of object acted on (`user`, `vault`, `audit_log`…).
    pub object_kind: Option<String>,
    /// Its id.
    pub object_id: Option<String>,
    /// Further ids and counts, as a JSON object. Never content or PHI.
    pub detail: serde_json::Map<String, serde_json::Value>,
    /// Whether the actor was in a break-glass session.
    pub break_glass: bool,
}

impl EventDraft {
    /// A system event with no actor, successful, no object.
    pub fn system(kind: EventKind, ts: String) -> EventDraft {
        EventDraft {
            ts,
            actor_id: None,
            actor_role: None,
            session_id: None,
            kind,
            outcome: Outcome::Success,
            object_kind: None,
            object_id: None,
            detail: serde_json::Map::new(),
            break_glass: false,
        }
    }
}

/// A stored audit event.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// Position in the chain, from 1, without gaps.
    pub seq: i64,
    /// Unique id.
    pub id: EventId,
    /// When it happened ([`format_ts`]).
    pub ts: String,
    /// Who acted.
    pub actor_id: Option<UserId>,
    /// The actor's role at the time.
    pub actor_role: Option<Role>,
    /// The session.
    pub session_id: Option<SessionId>,
    /// What happened.
    pub action: EventKind,
    /// How it ended.
    pub outcome: Outcome,
    /// Kind of object acted on.
    pub object_kind: Option<String>,
    /// Id of the object acted on.
    pub object_id: Option<String>,
    /// Ids and counts, compact JSON with sorted keys (the exact hashed text).
    pub detail: String,
    /// Break-glass flag.
    pub break_glass: bool,
    /// Hash of the previous event (or the genesis hash).
    pub prev_hash: String,
    /// This event's hash.
    pub hash: String,
}

impl Event {
    /// Places `draft` at `seq` after `prev_hash` and computes its hash.
    pub fn seal(seq: i64, prev_hash: String, draft: EventDraft) -> Event {
        let mut e = Event {
            seq,
            id: EventId::new(),
            ts: draft.ts,
            actor_id: draft.actor_id,
            actor_role: draft.actor_role,
            session_id: draft.session_id,
            action: draft.kind,
            outcome: draft.outcome,
            object_kind: draft.object_kind,
            object_id: draft.object_id,
            detail: serde_json::Value::Object(draft.detail).to_string(),
            break_glass: draft.break_glass,
            prev_hash,
            hash: String::new(),
        };
        e.hash = e.compute_hash();
        e
    }

    /// SHA-256 over a length-prefixed encoding of every field but `hash`, hex.
    pub fn compute_hash(&self) -> String {
        hex::encode(self.digest())
    }

    /// Whether the stored `hash` is exactly the lowercase hex of [`Event::digest`].
    pub fn hash_matches(&self) -> bool {
        decode_lower_hex::<32>(&self.hash).is_some_and(|h| h == self.digest())
    }

    /// The raw SHA-256 over the canonical encoding. Allocation-free: it runs once per
    /// event whenever a chain of a million events is verified.
    pub fn digest(&self) -> [u8; 32] {
        fn field(h: &mut Sha256, bytes: &[u8]) {
            h.update((bytes.len() as u32).to_be_bytes());
            h.update(bytes);
        }
        fn opt(h: &mut Sha256, v: Option<&[u8]>) {
            match v {
                Some(s) => {
                    h.update([1]);
                    field(h, s);
                }
                None => h.update([0]),
            }
        }
        let mut buf = [[0u8; 36]; 3];
        let [id_buf, actor_buf, session_buf] = &mut buf;
        let id = self
            .id
            .as_uuid()
            .hyphenated()
            .encode_lower(id_buf)
            .as_bytes();
        let actor = self
            .actor_id
            .map(|u| &*u.as_uuid().hyphenated().encode_lower(actor_buf))
            .map(str::as_bytes);
        let session = self
            .session_id
            .map(|s| &*s.as_uuid().hyphenated().encode_lower(session_buf))
            .map(str::as_bytes);
        let mut h = Sha256::new();
        h.update(b"airlock-audit-event-v1\0");
        h.update(self.seq.to_be_bytes());
        field(&mut h, id);
        field(&mut h, self.ts.as_bytes());
        opt(&mut h, actor);
        opt(&mut h, self.actor_role.map(|r| r.as_str().as_bytes()));
        opt(&mut h, session);
        field(&mut h, self.action.as_str().as_bytes());
        field(&mut h, self.outcome.as_str().as_bytes());
        opt(&mut h, self.object_kind.as_deref().map(str::as_bytes));
        opt(&mut h, self.object_id.as_deref().map(str::as_bytes));
        field(&mut h, self.detail.as_bytes());
        h.update([u8::from(self.break_glass)]);
        field(&mut h, self.prev_hash.as_bytes());
        h.finalize().into()
    }
}

/// A signed statement that the chain's event `seq` has hash `head_hash`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The event the checkpoint seals.
    pub seq: i64,
    /// That event's hash.
    pub head_hash: String,
    /// Who signed.
    pub signer_id: UserId,
    /// The signer's Ed25519 public key, hex.
    pub public_key: String,
    /// Ed25519 signature over [`Checkpoint::message`], hex.
    pub signature: String,
    /// When it was signed.
    pub ts: String,
}

impl Checkpoint {
    /// The signed message: domain, vault, seq and head hash.
    pub fn message(vault: VaultId, seq: i64, head_hash: &str) -> Vec<u8> {
        let mut m = b"airlock-audit-checkpoint-v1\0".to_vec();
        m.extend_from_slice(vault.as_uuid().as_bytes());
        m.extend_from_slice(&seq.to_be_bytes());
        m.extend_from_slice(head_hash.as_bytes());
        m
    }

    /// Signs the head at `seq` with `key`.
    pub fn sign(
        vault: VaultId,
        seq: i64,
        head_hash: &str,
        signer: UserId,
        key: &SigningKey,
        ts: String,
    ) -> Checkpoint {
        let sig = key.sign(&Checkpoint::message(vault, seq, head_hash));
        Checkpoint {
            seq,
            head_hash: head_hash.to_string(),
            signer_id: signer,
            public_key: hex::encode(key.verifying_key().as_bytes()),
            signature: hex::encode(sig.to_bytes()),
            ts,
        }
    }

    /// Whether the signature is valid for this vault.
    pub fn signature_valid(&self, vault: VaultId) -> bool {
        verify_hex_signature(
            &self.public_key,
            &self.signature,
            &Checkpoint::message(vault, self.seq, &self.head_hash),
        )
    }
}

/// Verifies a hex Ed25519 signature by a hex public key over `message`.
pub fn verify_hex_signature(public_key: &str, signature: &str, message: &[u8]) -> bool {
    let Some(pk) = decode_lower_hex::<32>(public_key) else {
        return false;
    };
    let Some(sig) = decode_lower_hex::<64>(signature) else {
        return false;
    };
    let Ok(vk) = VerifyingKey::from_bytes(&pk) else {
        return false;
    };
    vk.verify(message, &Signature::from_bytes(&sig)).is_ok()
}

/// Decodes exactly N bytes of lowercase hex (upper case is refused, so that a flipped
/// case bit in an export is a change, not an equivalent spelling).
fn decode_lower_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    if s.len() != 2 * N
        || !s
            .bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    {
        return None;
    }
    let v = hex::decode(s).ok()?;
    v.try_into().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_field_is_covered_by_the_hash() {
        let vault = VaultId::new();
        let mut d = EventDraft::system(EventKind::Login, "2026-01-01T00:00:00.000000Z".into());
        d.detail.insert("n".into(), 1.into());
        let e = Event::seal(1, genesis_hash(vault), d);
        let variants: Vec<fn(&mut Event)> = vec![
            |e| e.seq = 2,
            |e| e.id = EventId::new(),
            |e| e.ts.push('0'),
            |e| e.actor_id = Some(UserId::new()),
            |e| e.actor_role = Some(Role::Lead),
            |e| e.session_id = Some(SessionId::new()),
            |e| e.action = EventKind::Logout,
            |e| e.outcome = Outcome::Failure,
            |e| e.object_kind = Some("user".into()),
            |e| e.object_id = Some("x".into()),
            |e| e.detail = "{\"n\":2}".into(),
            |e| e.break_glass = true,
            |e| e.prev_hash = "0".repeat(64),
        ];
        for (i, change) in variants.iter().enumerate() {
            let mut c = e.clone();
            change(&mut c);
            assert_ne!(
                c.compute_hash(),
                e.hash,
                "field change {i} must change the hash"
            );
        }
    }

    #[test]
    fn timestamps_have_a_fixed_shape() {
        let t = time::macros::datetime!(2026-11-25 10:32:56.123456789 UTC);
        assert_eq!(format_ts(t), "2026-11-25T10:32:56.123456Z");
    }

    #[test]
    fn checkpoint_signatures_bind_vault_seq_and_head() {
        let key = SigningKey::from_bytes(&[3u8; 32]);
        let vault = VaultId::new();
        let cp = Checkpoint::sign(vault, 5, &"a".repeat(64), UserId::new(), &key, "t".into());
        assert!(cp.signature_valid(vault));
        assert!(!cp.signature_valid(VaultId::new()));
        let mut c = cp.clone();
        c.seq = 6;
        assert!(!c.signature_valid(vault));
        let mut c = cp.clone();
        c.signature = c.signature.to_uppercase();
        assert!(
            !c.signature_valid(vault),
            "upper-case hex is not the same signature text"
        );
    }
}
