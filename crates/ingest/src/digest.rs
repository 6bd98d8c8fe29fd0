//! Checksum algorithms a sender may use, and a hasher that computes several at once so a
//! file is read exactly once.

use md5::Md5;
use serde::{Deserialize, Serialize};
use sha1::Sha1;
use sha2::{Digest as _, Sha256, Sha512};
use std::fmt;
use std::str::FromStr;

/// A checksum algorithm found in a manifest.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, ts_rs::TS,
)]
#[serde(rename_all = "lowercase")]
#[ts(export)]
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
    pub fn digest_len(self) -> usize {
        match self {
            Algorithm::Md5 => 16,
            Algorithm::Sha1 => 20,
            Algorithm::Sha256 => 32,
            Algorithm::Sha512 => 64,
        }
    }

    /// The algorithm whose hex digests have `hex_len` characters.
    pub fn from_hex_len(hex_len: usize) -> Option<Algorithm> {
        Algorithm::ALL
            .into_iter()
            .find(|a| a.digest_len() * 2 == hex_len)
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

/// Computes the requested algorithms in one pass over the data.
#[derive(Clone, Default)]
pub struct MultiHasher {
    sha256: Option<Sha256>,
    sha512: Option<Sha512>,
    sha1: Option<Sha1>,
    md5: Option<Md5>,
}

/// The digests of one file, by algorithm.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Digests {
    /// Algorithm and digest bytes, in [`Algorithm::ALL`] order.
    pub values: Vec<(Algorithm, Vec<u8>)>,
}

impl Digests {
    /// The digest for `alg`, if it was computed.
    pub fn get(&self, alg: Algorithm) -> Option<&[u8]> {
        self.values
            .iter()
            .find(|(a, _)| *a == alg)
            .map(|(_, d)| d.as_slice())
    }

    /// Adds (or replaces) a digest computed elsewhere, e.g. the blob store's SHA-256.
    pub fn with(mut self, alg: Algorithm, digest: &[u8]) -> Digests {
        self.values.retain(|(a, _)| *a != alg);
        self.values.push((alg, digest.to_vec()));
        self.values.sort_by_key(|(a, _)| *a);
        self
    }

    /// Whether every expected digest matches; `false` names the first that does not.
    pub fn first_mismatch(&self, expected: &[(Algorithm, Vec<u8>)]) -> Option<Algorithm> {
        expected
            .iter()
            .find(|(alg, want)| self.get(*alg) != Some(want.as_slice()))
            .map(|(alg, _)| *alg)
    }
}

impl MultiHasher {
    /// A hasher computing exactly `algorithms`.
    pub fn new(algorithms: &[Algorithm]) -> MultiHasher {
        let has = |a| algorithms.contains(&a);
        MultiHasher {
            sha256: has(Algorithm::Sha256).then(Sha256::new),
            sha512: has(Algorithm::Sha512).then(Sha512::new),
            sha1: has(Algorithm::Sha1).then(Sha1::new),
            md5: has(Algorithm::Md5).then(Md5::new),
        }
    }

    /// Feeds bytes to every algorithm.
    pub fn update(&mut self, bytes: &[u8]) {
        if let Some(h) = &mut self.sha256 {
            h.update(bytes);
        }
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

    /// Finishes every algorithm.
    pub fn finish(self) -> Digests {
        let mut values = Vec::new();
        if let Some(h) = self.md5 {
            values.push((Algorithm::Md5, h.finalize().to_vec()));
        }
        if let Some(h) = self.sha1 {
            values.push((Algorithm::Sha1, h.finalize().to_vec()));
        }
        if let Some(h) = self.sha256 {
            values.push((Algorithm::Sha256, h.finalize().to_vec()));
        }
        if let Some(h) = self.sha512 {
            values.push((Algorithm::Sha512, h.finalize().to_vec()));
        }
        Digests { values }
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
            hex::encode(d.get(Algorithm::Sha256).unwrap()),
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
        let d = MultiHasher::new(&[Algorithm::Md5])
            .finish()
            .with(Algorithm::Sha256, &[1; 32]);
        assert_eq!(d.get(Algorithm::Sha256), Some(&[1u8; 32][..]));
        assert_eq!(d.first_mismatch(&[(Algorithm::Sha256, vec![1; 32])]), None);
        assert_eq!(
            d.first_mismatch(&[(Algorithm::Sha512, vec![1; 64])]),
            Some(Algorithm::Sha512),
            "an algorithm that was not computed never matches"
        );
    }
}
