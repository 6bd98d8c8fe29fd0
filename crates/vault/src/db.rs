//! Opening `vault.db` with SQLCipher through sqlx, keyed by an HKDF subkey of the work
//! key, and running the schema migrations.

use crate::error::VaultError;
use crate::keys::{purpose, Key32};
use crate::{Vault, DATABASE_FILE};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::time::Duration;
use zeroize::Zeroizing;

/// The vault database schema, from `migrations/`.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("../../migrations");

impl Vault {
    /// Opens (creating on first use) the vault database with the work key and brings its
    /// schema up to date. A wrong key, a truncated or a missing database is
    /// [`VaultError::DatabaseUnreadable`].
    pub async fn connect(&self, work: &Key32) -> Result<SqlitePool, VaultError> {
        let path = self.dir().join(DATABASE_FILE);
        let fresh = !path.exists();
        if fresh && self.database_expected() {
            return Err(VaultError::DatabaseUnreadable);
        }
        let key = work.derive(purpose::DATABASE);
        let pragma = Zeroizing::new(format!("\"x'{}'\"", hex::encode(key.expose())));
        let options = SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(fresh)
            .pragma("key", pragma.to_string())
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .acquire_timeout(Duration::from_secs(30))
            .connect_with(options)
            .await
            .map_err(|e| match VaultError::from(e) {
                VaultError::Database(_) => VaultError::DatabaseUnreadable,
                other => other,
            })?;
        let probe: Result<i64, _> = sqlx::query_scalar("SELECT count(*) FROM sqlite_master")
            .fetch_one(&pool)
            .await;
        // An empty file where a database with users is expected (copied without its WAL,
        // or emptied) is refused, not migrated into a new, empty project.
        let emptied = matches!(probe, Ok(0)) && self.database_expected();
        if probe.is_err() || emptied {
            pool.close().await;
            return Err(VaultError::DatabaseUnreadable);
        }
        MIGRATOR
            .run(&pool)
            .await
            .map_err(|_| VaultError::DatabaseUnreadable)?;
        Ok(pool)
    }

    /// A vault that already has user slots must already have its database.
    fn database_expected(&self) -> bool {
        self.header()
            .slots
            .iter()
            .any(|s| matches!(s.owner, crate::SlotOwner::User { .. }))
    }
}

#[cfg(test)]
mod tests {
    use crate::*;

    #[tokio::test]
    async fn database_is_unreadable_without_the_key_and_when_truncated() {
        let dir = tempfile::tempdir().unwrap();
        let vdir = dir.path().join("v");
        let (mut v, keys, _) =
            Vault::create(&vdir, KdfParams::INSECURE_FAST, Policy::default()).unwrap();
        let pool = v.connect(&keys.work).await.unwrap();
        sqlx::query("INSERT INTO settings(key, value) VALUES ('project_name', 'Synthetic Study')")
            .execute(&pool)
            .await
            .unwrap();
        // Into the database file itself: the WAL is removed below, and a file read before
        // the checkpoint may still be empty (the test then passed or failed by timing).
        sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
        v.add_user_slot(
            airlock_model::UserId::new(),
            airlock_model::Role::Lead,
            "lee",
            &secrecy::SecretString::from("x".repeat(16)),
            &keys.work,
            Some(&keys.source),
            PersonalKeys::generate(),
        )
        .unwrap();

        let raw = std::fs::read(vdir.join(DATABASE_FILE)).unwrap();
        assert!(raw.len() > 4096, "the database holds its pages");
        assert!(
            !raw.starts_with(b"SQLite format 3"),
            "no plaintext SQLite header"
        );
        assert!(!raw.windows(15).any(|w| w == b"Synthetic Study"));

        let other = Key32::random();
        assert!(matches!(
            v.connect(&other).await,
            Err(VaultError::DatabaseUnreadable)
        ));

        let db = vdir.join(DATABASE_FILE);
        let _ = std::fs::remove_file(vdir.join("vault.db-wal"));
        let _ = std::fs::remove_file(vdir.join("vault.db-shm"));
        std::fs::write(&db, &raw[..raw.len().min(1000)]).unwrap();
        assert!(matches!(
            v.connect(&keys.work).await,
            Err(VaultError::DatabaseUnreadable)
        ));

        std::fs::write(&db, b"").unwrap();
        assert!(
            matches!(
                v.connect(&keys.work).await,
                Err(VaultError::DatabaseUnreadable)
            ),
            "an emptied database is not taken for a new one"
        );

        std::fs::remove_file(&db).unwrap();
        assert!(matches!(
            v.connect(&keys.work).await,
            Err(VaultError::DatabaseUnreadable)
        ));
    }
}
