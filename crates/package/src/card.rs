//! Contact cards: a person's public keys in a small signed JSON file.

use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

const CARD_FORMAT: &str = "airlock-contact-v1";
const MAX_CARD_BYTES: usize = 16 * 1024;

/// Why a contact card was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CardError {
    /// Not a JSON contact card of a known format, or too large.
    #[error("the file is not an Airlock contact card")]
    NotACard,
    /// A key in the card is not a valid Ed25519 key or age recipient.
    #[error("the contact card holds an invalid key")]
    BadKey,
    /// The card's self-signature does not verify: it was changed.
    #[error("the contact card's signature is not valid: it was changed")]
    BadSignature,
}

/// The public half of a person's personal keys, signed by their own signing key (which
/// proves the card was made by whoever holds that key and was not changed since).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactCard {
    /// Always `airlock-contact-v1`.
    pub format: String,
    /// The person's user name.
    pub user_name: String,
    /// Their user id in the vault that made the card.
    pub user_id: String,
    /// The vault that made the card (for an annotator: their workspace vault).
    pub vault_id: String,
    /// Their age X25519 recipient, `age1…`.
    pub age_recipient: String,
    /// Their Ed25519 public key, lowercase hex.
    pub signing_key: String,
    /// When the card was made (RFC 3339).
    pub created: String,
    /// Ed25519 signature by `signing_key` over the other fields, lowercase hex.
    pub signature: String,
}

impl ContactCard {
    /// Makes and signs a card for `key`'s owner.
    pub fn new(
        user_name: &str,
        user_id: &str,
        vault_id: &str,
        age_recipient: &str,
        key: &SigningKey,
        created: &str,
    ) -> ContactCard {
        let mut card = ContactCard {
            format: CARD_FORMAT.into(),
            user_name: user_name.into(),
            user_id: user_id.into(),
            vault_id: vault_id.into(),
            age_recipient: age_recipient.into(),
            signing_key: hex::encode(key.verifying_key().as_bytes()),
            created: created.into(),
            signature: String::new(),
        };
        card.signature = hex::encode(key.sign(&card.message()).to_bytes());
        card
    }

    fn message(&self) -> Vec<u8> {
        let mut m = b"airlock-contact-signature-v1\0".to_vec();
        for f in [
            &self.format,
            &self.user_name,
            &self.user_id,
            &self.vault_id,
            &self.age_recipient,
            &self.signing_key,
            &self.created,
        ] {
            m.extend_from_slice(&(f.len() as u32).to_be_bytes());
            m.extend_from_slice(f.as_bytes());
        }
        m
    }

    /// Parses and checks a card: its format, both keys and its self-signature.
    pub fn parse(bytes: &[u8]) -> Result<ContactCard, CardError> {
        if bytes.len() > MAX_CARD_BYTES {
            return Err(CardError::NotACard);
        }
        let card: ContactCard = serde_json::from_slice(bytes).map_err(|_| CardError::NotACard)?;
        if card.format != CARD_FORMAT {
            return Err(CardError::NotACard);
        }
        card.age_recipient
            .parse::<age::x25519::Recipient>()
            .map_err(|_| CardError::BadKey)?;
        let key: [u8; 32] = hex::decode(&card.signing_key)
            .ok()
            .and_then(|k| k.try_into().ok())
            .ok_or(CardError::BadKey)?;
        let key = VerifyingKey::from_bytes(&key).map_err(|_| CardError::BadKey)?;
        let sig: [u8; 64] = hex::decode(&card.signature)
            .ok()
            .and_then(|s| s.try_into().ok())
            .ok_or(CardError::BadSignature)?;
        key.verify(&card.message(), &Signature::from_bytes(&sig))
            .map_err(|_| CardError::BadSignature)?;
        if card.signing_key != card.signing_key.to_lowercase() {
            return Err(CardError::BadSignature);
        }
        Ok(card)
    }

    /// The card as pretty JSON (what is written to a file).
    pub fn to_json(&self) -> Vec<u8> {
        let mut v = serde_json::to_vec_pretty(self).expect("cards serialise");
        v.push(b'\n');
        v
    }

    /// The fingerprint people read aloud to compare ([`crate::fingerprint`]).
    pub fn fingerprint(&self) -> String {
        crate::fingerprint(&self.signing_key, &self.age_recipient)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn card() -> ContactCard {
        let recipient = age::x25519::Identity::generate().to_public().to_string();
        ContactCard::new(
            "ann",
            "u1",
            "v1",
            &recipient,
            &SigningKey::from_bytes(&[5u8; 32]),
            "2026-12-01T10:00:00Z",
        )
    }

    #[test]
    fn a_card_round_trips_and_any_change_is_refused() {
        let c = card();
        let parsed = ContactCard::parse(&c.to_json()).unwrap();
        assert_eq!(parsed, c);
        let mut changed = c.clone();
        changed.user_name = "eve".into();
        assert_eq!(
            ContactCard::parse(&changed.to_json()).unwrap_err(),
            CardError::BadSignature
        );
        let mut swapped = c.clone();
        swapped.age_recipient = age::x25519::Identity::generate().to_public().to_string();
        assert_eq!(
            ContactCard::parse(&swapped.to_json()).unwrap_err(),
            CardError::BadSignature,
            "a swapped recipient is a change"
        );
        assert_eq!(ContactCard::parse(b"{}").unwrap_err(), CardError::NotACard);
        assert_eq!(c.fingerprint(), parsed.fingerprint());
    }
}
