//! Pre-login events. A failed login happens before anyone can open the database, yet it
//! must be audited. Such events are encrypted to the vault's intake recipient (derived
//! from the work key, public part in the header) and written to `intake/`; the next
//! successful login imports them into the audit chain.

use crate::error::VaultError;
use crate::fsutil::write_atomic;
use crate::keys::{purpose, Key32};
use crate::Vault;
use std::io::{Read, Write};
use std::path::PathBuf;

const INTAKE_DIR: &str = "intake";

/// The intake recipient for a work key.
pub(crate) fn recipient(work: &Key32) -> String {
    work.derive_age_identity(purpose::INTAKE_IDENTITY)
        .to_public()
        .to_string()
}

/// One imported pre-login event: the file's id and its decrypted bytes.
pub struct IntakeRecord {
    /// Unique id (the file name), recorded on import so nothing is imported twice.
    pub id: String,
    /// The event as the writer serialised it.
    pub bytes: Vec<u8>,
}

impl Vault {
    fn intake_dir(&self) -> PathBuf {
        self.dir().join(INTAKE_DIR)
    }

    /// Encrypts `event` to the intake recipient and stores it durably. Needs no key.
    pub fn write_intake(&self, id: &str, event: &[u8]) -> Result<(), VaultError> {
        let recipient: age::x25519::Recipient = self
            .header()
            .intake_recipient
            .parse()
            .map_err(|_| VaultError::HeaderCorrupt)?;
        let encryptor =
            age::Encryptor::with_recipients(std::iter::once(&recipient as &dyn age::Recipient))
                .expect("one X25519 recipient is always valid");
        let mut out = Vec::new();
        let mut w = encryptor
            .wrap_output(&mut out)
            .map_err(|e| VaultError::io("encrypting a pre-login event", e))?;
        w.write_all(event)
            .and_then(|_| w.finish().map(|_| ()))
            .map_err(|e| VaultError::io("encrypting a pre-login event", e))?;
        let dir = self.intake_dir();
        std::fs::create_dir_all(&dir)
            .map_err(|e| VaultError::io("creating the intake folder", e))?;
        write_atomic(&dir.join(format!("{id}.age")), &out)
            .map_err(|e| VaultError::io("writing a pre-login event", e))
    }

    /// Decrypts every pending pre-login event, oldest file name first. Files that do not
    /// decrypt are skipped and reported by id in the second list.
    pub fn read_intake(
        &self,
        work: &Key32,
    ) -> Result<(Vec<IntakeRecord>, Vec<String>), VaultError> {
        let dir = self.intake_dir();
        let entries = match std::fs::read_dir(&dir) {
            Ok(e) => e,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok((vec![], vec![])),
            Err(e) => return Err(VaultError::io("reading the intake folder", e)),
        };
        let identity = work.derive_age_identity(purpose::INTAKE_IDENTITY);
        let mut names: Vec<String> = entries
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .filter_map(|n| n.strip_suffix(".age").map(str::to_owned))
            .collect();
        names.sort();
        let mut good = Vec::new();
        let mut bad = Vec::new();
        for id in names {
            let decrypted = std::fs::read(dir.join(format!("{id}.age")))
                .ok()
                .and_then(|bytes| {
                    let d = age::Decryptor::new_buffered(&bytes[..]).ok()?;
                    let mut r = d
                        .decrypt(std::iter::once(&identity as &dyn age::Identity))
                        .ok()?;
                    let mut out = Vec::new();
                    r.read_to_end(&mut out).ok()?;
                    Some(out)
                });
            match decrypted {
                Some(bytes) => good.push(IntakeRecord { id, bytes }),
                None => bad.push(id),
            }
        }
        Ok((good, bad))
    }

    /// Removes imported pre-login event files.
    pub fn remove_intake(&self, ids: &[String]) -> Result<(), VaultError> {
        for id in ids {
            match std::fs::remove_file(self.intake_dir().join(format!("{id}.age"))) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(VaultError::io("removing an imported pre-login event", e)),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::*;

    #[test]
    fn intake_events_are_encrypted_and_only_the_work_key_reads_them() {
        let dir = tempfile::tempdir().unwrap();
        let (v, keys, _) = Vault::create(
            &dir.path().join("v"),
            KdfParams::INSECURE_FAST,
            Policy::default(),
        )
        .unwrap();
        v.write_intake("0001-a", b"{\"kind\":\"login_failed\"}")
            .unwrap();
        let raw = std::fs::read(dir.path().join("v/intake/0001-a.age")).unwrap();
        assert!(!raw.windows(12).any(|w| w == b"login_failed"));
        let (good, bad) = v.read_intake(&keys.work).unwrap();
        assert_eq!(good.len(), 1);
        assert!(bad.is_empty());
        assert_eq!(good[0].bytes, b"{\"kind\":\"login_failed\"}");
        let (good, bad) = v.read_intake(&Key32::random()).unwrap();
        assert!(good.is_empty());
        assert_eq!(bad, vec!["0001-a".to_string()]);
        v.remove_intake(&["0001-a".into()]).unwrap();
        assert!(v.read_intake(&keys.work).unwrap().0.is_empty());
    }
}
