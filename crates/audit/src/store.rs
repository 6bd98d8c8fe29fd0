//! Reading and appending events in the vault database. Appends take the caller's open
//! transaction, so an action and its event commit or roll back together.

use crate::{format_ts, genesis_hash, Checkpoint, Event, EventDraft};
use airlock_model::{EventKind, Outcome, Role, UserId, VaultId};
use ed25519_dalek::SigningKey;
use sqlx::{Row, SqliteConnection};
use time::OffsetDateTime;

/// A failure reading or writing the audit log.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AuditError {
    /// The database refused or failed the operation.
    #[error("audit log database error (code {0})")]
    Database(String),
    /// A stored row does not parse (unknown action name, bad id).
    #[error("audit event #{0} is not readable by this version of Airlock")]
    Unreadable(i64),
    /// Writing an export failed.
    #[error("writing the audit export failed: {0:?}")]
    Io(std::io::ErrorKind),
}

impl From<sqlx::Error> for AuditError {
    fn from(e: sqlx::Error) -> Self {
        // Name the failure without echoing anything from the data.
        AuditError::Database(match e {
            sqlx::Error::Database(db) => db.code().unwrap_or_default().into_owned(),
            sqlx::Error::RowNotFound => "row not found".into(),
            sqlx::Error::PoolTimedOut => "busy".into(),
            sqlx::Error::Io(io) => format!("i/o {:?}", io.kind()),
            _ => "internal".into(),
        })
    }
}

/// The last event's seq and hash, or `(0, genesis)` for an empty log.
pub async fn head(
    conn: &mut SqliteConnection,
    vault: VaultId,
) -> Result<(i64, String), AuditError> {
    let row = sqlx::query("SELECT seq, hash FROM audit_events ORDER BY seq DESC LIMIT 1")
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match row {
        Some(r) => (r.get(0), r.get(1)),
        None => (0, genesis_hash(vault)),
    })
}

/// Appends `draft` to the chain inside the caller's transaction.
pub async fn append(
    conn: &mut SqliteConnection,
    vault: VaultId,
    draft: EventDraft,
) -> Result<Event, AuditError> {
    let (seq, prev) = head(conn, vault).await?;
    let e = Event::seal(seq + 1, prev, draft);
    sqlx::query(
        "INSERT INTO audit_events (seq, id, ts, actor_id, actor_role, session_id, action, outcome, \
         object_kind, object_id, detail, break_glass, prev_hash, hash) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(e.seq)
    .bind(e.id.to_string())
    .bind(&e.ts)
    .bind(e.actor_id.map(|u| u.to_string()))
    .bind(e.actor_role.map(|r| r.as_str()))
    .bind(e.session_id.map(|s| s.to_string()))
    .bind(e.action.as_str())
    .bind(e.outcome.as_str())
    .bind(&e.object_kind)
    .bind(&e.object_id)
    .bind(&e.detail)
    .bind(e.break_glass)
    .bind(&e.prev_hash)
    .bind(&e.hash)
    .execute(&mut *conn)
    .await?;
    Ok(e)
}

/// Signs the current head with `key` and stores the checkpoint (no-op on an empty log
/// or when the head is already checkpointed).
pub async fn checkpoint(
    conn: &mut SqliteConnection,
    vault: VaultId,
    signer: UserId,
    key: &SigningKey,
    now: OffsetDateTime,
) -> Result<Option<Checkpoint>, AuditError> {
    let (seq, hash) = head(conn, vault).await?;
    if seq == 0 {
        return Ok(None);
    }
    let exists: Option<i64> = sqlx::query_scalar("SELECT seq FROM audit_checkpoints WHERE seq = ?")
        .bind(seq)
        .fetch_optional(&mut *conn)
        .await?;
    if exists.is_some() {
        return Ok(None);
    }
    let cp = Checkpoint::sign(vault, seq, &hash, signer, key, format_ts(now));
    sqlx::query(
        "INSERT INTO audit_checkpoints (seq, head_hash, signer_id, public_key, signature, ts) VALUES (?, ?, ?, ?, ?, ?)",
    )
    .bind(cp.seq)
    .bind(&cp.head_hash)
    .bind(cp.signer_id.to_string())
    .bind(&cp.public_key)
    .bind(&cp.signature)
    .bind(&cp.ts)
    .execute(&mut *conn)
    .await?;
    Ok(Some(cp))
}

fn parse_opt<T: std::str::FromStr>(v: Option<String>, seq: i64) -> Result<Option<T>, AuditError> {
    v.map(|s| s.parse::<T>().map_err(|_| AuditError::Unreadable(seq)))
        .transpose()
}

/// One row as SQLite's `json_array` renders it, in column order.
type RowTuple = (
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    String,
    bool,
    String,
    String,
);

/// Rows fetched per query. sqlx hands SQLite rows over one at a time through a channel
/// (tens of microseconds each); letting SQLite render a chunk as one JSON array makes
/// loading a million events a matter of a second instead of half a minute.
const CHUNK: i64 = 20_000;

/// Every event in chain order (by seq).
pub async fn load_events(conn: &mut SqliteConnection) -> Result<Vec<Event>, AuditError> {
    use rayon::prelude::*;
    let total: i64 = sqlx::query_scalar("SELECT count(*) FROM audit_events")
        .fetch_one(&mut *conn)
        .await?;
    let mut events = Vec::with_capacity(usize::try_from(total).unwrap_or(0));
    let mut after = i64::MIN;
    loop {
        // One JSON array per row, one row per line: parsed in parallel below.
        let chunk: Option<String> = sqlx::query_scalar(
            "SELECT group_concat(json_array(seq, id, ts, actor_id, actor_role, session_id, action, outcome, \
             object_kind, object_id, detail, json(CASE break_glass WHEN 1 THEN 'true' ELSE 'false' END), \
             prev_hash, hash), char(10)) \
             FROM (SELECT * FROM audit_events WHERE seq > ? ORDER BY seq LIMIT ?)",
        )
        .bind(after)
        .bind(CHUNK)
        .fetch_one(&mut *conn)
        .await?;
        let Some(text) = chunk else { break };
        let first = after.saturating_add(1);
        let rows: Vec<Event> = text
            .par_split('\n')
            .map(|line| {
                serde_json::from_str::<RowTuple>(line)
                    .map_err(|_| AuditError::Unreadable(first))
                    .and_then(event_from_row)
            })
            .collect::<Result<_, _>>()?;
        let Some(last) = rows.last().map(|e| e.seq) else {
            break;
        };
        events.extend(rows);
        after = last;
    }
    Ok(events)
}

fn event_from_row(r: RowTuple) -> Result<Event, AuditError> {
    let seq = r.0;
    Ok(Event {
        seq,
        id: r.1.parse().map_err(|_| AuditError::Unreadable(seq))?,
        ts: r.2,
        actor_id: parse_opt::<UserId>(r.3, seq)?,
        actor_role: parse_opt::<Role>(r.4, seq)?,
        session_id: parse_opt(r.5, seq)?,
        action: EventKind::parse(&r.6).ok_or(AuditError::Unreadable(seq))?,
        outcome: Outcome::parse(&r.7).ok_or(AuditError::Unreadable(seq))?,
        object_kind: r.8,
        object_id: r.9,
        detail: r.10,
        break_glass: r.11,
        prev_hash: r.12,
        hash: r.13,
    })
}

/// Every checkpoint, by seq.
pub async fn load_checkpoints(conn: &mut SqliteConnection) -> Result<Vec<Checkpoint>, AuditError> {
    let rows = sqlx::query(
        "SELECT seq, head_hash, signer_id, public_key, signature, ts FROM audit_checkpoints ORDER BY seq",
    )
    .fetch_all(&mut *conn)
    .await?;
    rows.into_iter()
        .map(|r| {
            let seq: i64 = r.get(0);
            let signer: String = r.get(2);
            Ok(Checkpoint {
                seq,
                head_hash: r.get(1),
                signer_id: signer.parse().map_err(|_| AuditError::Unreadable(seq))?,
                public_key: r.get(3),
                signature: r.get(4),
                ts: r.get(5),
            })
        })
        .collect()
}
