//! Checksum algorithms a sender may use, and a hasher that computes several at once so a
//! file is read exactly once.

use md5::Md5;
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest as _, Sha256, Sha512};
use std::fmt;
use std::str::FromStr;

/// A checksum algorithm found in a manifest.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Algorithm {
    /// MD5: collisions are easy to make; accepted with a warning.
    Md5,
    /// SHA-1: collisions are practical; accepted with a warning.
    Sha1,
    /// SHA-256.
    Sha256,
    /// SHA-512.
    Sha512,
}

impl Algorithm {
    /// Every algorithm, weakest first.
    pub const ALL: [Algorithm; 4] = [
        Algorithm::Md5,
        Algorithm::Sha1,
        Algorithm::Sha256,
        Algorithm::Sha512,
    ];

    /// The name as BagIt and `sha256sum --tag` write it, lower case.
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Md5 => "md5",
            Algorithm::Sha1 => "sha1",
            Algorithm::Sha256 => "sha256",
            Algorithm::Sha512 => "sha512",
        }
    }

    /// Digest length in bytes.
    pub fn len(self) -> usize {
        match self {
            Algorithm::Md5 => 16,
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
            Algorithm::Sha512 => 64,
        }
    }

    /// The algorithm whose hex digests have `hex_len` characters.
    pub fn from_hex_len(hex_len: usize) -> Option<Algorithm> {
        Algorithm::ALL.into_iter().find(|a| a.len() * 2 == hex_len)
    }

    /// Whether collisions are practical, so a match proves little against a tamperer.
    pub fn is_weak(self) -> bool {
        matches!(self, Algorithm::Md5 | Algorithm::Sha1)
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        let s = s.trim().to_ascii_lowercase().replace('-', "");
        Algorithm::ALL
            .into_iter()
            .find(|a| a.as_str() == s)
            .ok_or(())
    }
}

/// Computes SHA-256 always, plus whichever other algorithms a manifest needs, in one pass.
#[derive(Clone)]
pub struct MultiHasher {
    sha256: Sha256,
    sha512: Option<Sha512>,
    sha1: Option<Sha1>,
    md5: Option<Md5>,
}

/// The digests of one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Digests {
    /// SHA-256, always computed.
    pub sha256: [u8; 32],
    /// The others that were asked for.
    pub extra: Vec<(Algorithm, Vec<u8>)>,
}

impl Digests {
    /// The digest for `alg`, if it was computed.
    pub fn get(&self, alg: Algorithm) -> Option<&[u8]> {
        if alg == Algorithm::Sha256 {
            return Some(&self.sha256);
        }
        self.extra
            .iter()
            .find(|(a, _)| *a == alg)
            .map(|(_, d)| d.as_slice())
    }
}

impl MultiHasher {
    /// A hasher for SHA-256 and `also`.
    pub fn new(also: &[Algorithm]) -> MultiHasher {
        MultiHasher {
            sha256: Sha256::new(),
            sha512: also.contains(&Algorithm::Sha512).then(Sha512::new),
            sha1: also.contains(&Algorithm::Sha1).then(Sha1::new),
            md5: also.contains(&Algorithm::Md5).then(Md5::new),
        }
    }

    /// Feeds bytes to every algorithm.
    pub fn update(&mut self, bytes: &[u8]) {
        self.sha256.update(bytes);
        if let Some(h) = &mut self.sha512 {
            h.update(bytes);
        }
        if let Some(h) = &mut self.sha1 {
            h.update(bytes);
        }
        if let Some(h) = &mut self.md5 {
            h.update(bytes);
        }
    }

    /// The SHA-256 state alone (for callers that finish it themselves).
    pub fn sha256_state(&self) -> &Sha256 {
        &self.sha256
    }

    /// Finishes every algorithm.
    pub fn finish(self) -> Digests {
        let mut extra = Vec::new();
        if let Some(h) = self.md5 {
            extra.push((Algorithm::Md5, h.finalize().to_vec()));
        }
        if let Some(h) = self.sha1 {
            extra.push((Algorithm::Sha1, h.finalize().to_vec()));
        }
        if let Some(h) = self.sha512 {
            extra.push((Algorithm::Sha512, h.finalize().to_vec()));
        }
        Digests {
            sha256: self.sha256.finalize().into(),
            extra,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_vectors_for_every_algorithm() {
        let mut h = MultiHasher::new(&Algorithm::ALL);
        h.update(b"a");
        h.update(b"bc");
        let d = h.finish();
        assert_eq!(
            hex::encode(d.sha256),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(
            hex::encode(d.get(Algorithm::Md5).unwrap()),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(
            hex::encode(d.get(Algorithm::Sha1).unwrap()),
            "a9993e364706816aba3e25717850c26c9cd0d89d"
        );
        assert!(hex::encode(d.get(Algorithm::Sha512).unwrap()).starts_with("ddaf35a193617aba"));
    }

    #[test]
    fn names_and_lengths() {
        assert_eq!("SHA-256".parse::<Algorithm>(), Ok(Algorithm::Sha256));
        assert_eq!("sha3".parse::<Algorithm>(), Err(()));
        assert_eq!(Algorithm::from_hex_len(128), Some(Algorithm::Sha512));
        assert_eq!(Algorithm::from_hex_len(63), None);
        assert!(Algorithm::Md5.is_weak() && !Algorithm::Sha256.is_weak());
        assert!(MultiHasher::new(&[]).finish().get(Algorithm::Md5).is_none());
    }
}
