//! The reference index: fingerprints of a library of references, and its file format.
//!
//! File format (all integers little endian), version 3:
//!
//! ```text
//! magic  b"FEFP"
//! u16    format version (3)
//! u16    bits per frame (32)
//! u16    energy smoothing, frames (3)   u16 bit time difference, frames (2)
//! u32    hop in microseconds (16000)
//! u32    window in microseconds (32000)
//! u16    low band edge, Hz (300)     u16 high band edge, Hz (3000)
//! u32    number of entries
//! per entry:
//!   u16  name length, then the UTF-8 name
//!   u32  number of frames n, then n × u32 words, then n × u8 weights, then n × u32 masks
//! u32    CRC-32 (IEEE) of every byte before it
//! ```
//!
//! Versions 1 and 2 ended in an FNV-1a checksum instead, which takes a byte at a time and was
//! most of the time a large index took to load; both are still read. Version 1 had no masks:
//! every bit of every word is compared. A reader rejects other versions and other fingerprint
//! parameters, so an index is never silently compared with fingerprints it was not made with.

use super::{
    BITS, Extractor, Fingerprint, FingerprintError, HIGH_HZ, HOP_S, LAG, LOW_HZ, SMOOTH, WINDOW_S,
};

const MAGIC: &[u8; 4] = b"FEFP";
/// Version of the index file format this code writes and reads.
pub const FORMAT_VERSION: u16 = 3;
/// The version before masks were stored.
const VERSION_WITHOUT_MASKS: u16 = 1;
/// The last version checked with FNV-1a.
const VERSION_WITH_FNV: u16 = 2;

/// Why an index could not be built or read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndexError {
    /// The bytes do not start with the index magic.
    #[error("not a farend fingerprint index (bad magic)")]
    BadMagic,
    /// The index was written by another format version.
    #[error(
        "unsupported fingerprint index version {0} (this build reads versions 1 to {FORMAT_VERSION})"
    )]
    UnsupportedVersion(u16),
    /// The index was made with other fingerprint parameters.
    #[error("fingerprint index parameters differ from this build's")]
    ParameterMismatch,
    /// The bytes end before the index does.
    #[error("fingerprint index is truncated")]
    Truncated,
    /// The checksum does not match the content.
    #[error("fingerprint index checksum mismatch (file damaged)")]
    Checksum,
    /// A name is not valid UTF-8, or too long.
    #[error("invalid reference name in index")]
    BadName,
    /// Two references have the same name.
    #[error("duplicate reference name {0:?}")]
    DuplicateName(String),
    /// The audio could not be fingerprinted.
    #[error(transparent)]
    Fingerprint(#[from] FingerprintError),
}

/// One reference in an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexEntry {
    /// The reference's name (e.g. its file stem, or `speech/en-f1`).
    pub name: String,
    /// Its fingerprint.
    pub fingerprint: Fingerprint,
}

/// Fingerprints of a reference library, searchable with [`super::identify`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Index {
    entries: Vec<IndexEntry>,
    /// The entries' names, so that a duplicate is found without a scan.
    names: std::collections::HashSet<String>,
}

/// FNV-1a, the checksum of versions 1 and 2.
fn fnv1a(bytes: &[u8]) -> u32 {
    bytes.iter().fold(0x811c_9dc5u32, |h, &b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], IndexError> {
        let end = self.pos.checked_add(n).ok_or(IndexError::Truncated)?;
        let s = self.bytes.get(self.pos..end).ok_or(IndexError::Truncated)?;
        self.pos = end;
        Ok(s)
    }
    fn u16(&mut self) -> Result<u16, IndexError> {
        let b = self.take(2)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    fn u32(&mut self) -> Result<u32, IndexError> {
        let b = self.take(4)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

impl Index {
    /// An empty index.
    pub fn new() -> Self {
        Self::default()
    }

    /// Fingerprints `samples` at `rate` Hz and adds them under `name`.
    pub fn add(&mut self, name: &str, samples: &[f32], rate: u32) -> Result<(), IndexError> {
        let fingerprint = Extractor::new(rate)?.reference(samples);
        self.add_fingerprint(name, fingerprint)
    }

    /// Adds an already computed fingerprint under `name`.
    pub fn add_fingerprint(
        &mut self,
        name: &str,
        fingerprint: Fingerprint,
    ) -> Result<(), IndexError> {
        if name.is_empty() || name.len() > usize::from(u16::MAX) {
            return Err(IndexError::BadName);
        }
        if !self.names.insert(name.to_string()) {
            return Err(IndexError::DuplicateName(name.to_string()));
        }
        self.entries.push(IndexEntry {
            name: name.to_string(),
            fingerprint,
        });
        Ok(())
    }

    /// The references in the index, in insertion order.
    pub fn entries(&self) -> &[IndexEntry] {
        &self.entries
    }

    /// Number of references.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether the index holds no reference.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Total duration of all references, in seconds.
    pub fn total_duration_s(&self) -> f64 {
        self.entries
            .iter()
            .map(|e| e.fingerprint.duration_s())
            .sum()
    }

    /// Serialises the index (see the module documentation for the format).
    pub fn to_bytes(&self) -> Vec<u8> {
        let frames: usize = self
            .entries
            .iter()
            .map(|e| e.fingerprint.frames.len())
            .sum();
        let mut out = Vec::with_capacity(32 + frames * 9 + self.entries.len() * 40);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
        out.extend_from_slice(&(BITS as u16).to_le_bytes());
        out.extend_from_slice(&(SMOOTH as u16).to_le_bytes());
        out.extend_from_slice(&(LAG as u16).to_le_bytes());
        out.extend_from_slice(&((HOP_S * 1e6).round() as u32).to_le_bytes());
        out.extend_from_slice(&((WINDOW_S * 1e6).round() as u32).to_le_bytes());
        out.extend_from_slice(&(LOW_HZ as u16).to_le_bytes());
        out.extend_from_slice(&(HIGH_HZ as u16).to_le_bytes());
        out.extend_from_slice(&(self.entries.len() as u32).to_le_bytes());
        for e in &self.entries {
            out.extend_from_slice(&(e.name.len() as u16).to_le_bytes());
            out.extend_from_slice(e.name.as_bytes());
            out.extend_from_slice(&(e.fingerprint.frames.len() as u32).to_le_bytes());
            for w in &e.fingerprint.frames {
                out.extend_from_slice(&w.to_le_bytes());
            }
            out.extend_from_slice(&e.fingerprint.weights);
            for m in &e.fingerprint.masks {
                out.extend_from_slice(&m.to_le_bytes());
            }
        }
        let sum = crc32fast::hash(&out);
        out.extend_from_slice(&sum.to_le_bytes());
        out
    }

    /// Reads an index written by [`Index::to_bytes`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, IndexError> {
        if bytes.len() < 4 || &bytes[..4] != MAGIC {
            return Err(IndexError::BadMagic);
        }
        let mut r = Reader { bytes, pos: 4 };
        let version = r.u16()?;
        if !(VERSION_WITHOUT_MASKS..=FORMAT_VERSION).contains(&version) {
            return Err(IndexError::UnsupportedVersion(version));
        }
        let params = (
            (r.u16()?, r.u16()?, r.u16()?),
            r.u32()?,
            r.u32()?,
            r.u16()?,
            r.u16()?,
        );
        let expected = (
            (BITS as u16, SMOOTH as u16, LAG as u16),
            (HOP_S * 1e6).round() as u32,
            (WINDOW_S * 1e6).round() as u32,
            LOW_HZ as u16,
            HIGH_HZ as u16,
        );
        if params != expected {
            return Err(IndexError::ParameterMismatch);
        }
        if bytes.len() < r.pos + 8 {
            return Err(IndexError::Truncated);
        }
        let (body, tail) = bytes.split_at(bytes.len() - 4);
        let sum = if version <= VERSION_WITH_FNV {
            fnv1a(body)
        } else {
            crc32fast::hash(body)
        };
        if sum != u32::from_le_bytes([tail[0], tail[1], tail[2], tail[3]]) {
            return Err(IndexError::Checksum);
        }
        let mut r = Reader {
            bytes: body,
            pos: r.pos,
        };
        let count = r.u32()? as usize;
        let mut index = Index {
            entries: Vec::with_capacity(count.min(1 << 16)),
            names: std::collections::HashSet::with_capacity(count.min(1 << 16)),
        };
        for _ in 0..count {
            let len = usize::from(r.u16()?);
            let name = std::str::from_utf8(r.take(len)?).map_err(|_| IndexError::BadName)?;
            let n = r.u32()? as usize;
            let words = r.take(n.checked_mul(4).ok_or(IndexError::Truncated)?)?;
            let frames = words
                .chunks_exact(4)
                .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                .collect();
            let weights = r.take(n)?.to_vec();
            let masks = if version == VERSION_WITHOUT_MASKS {
                vec![u32::MAX; n]
            } else {
                r.take(n.checked_mul(4).ok_or(IndexError::Truncated)?)?
                    .chunks_exact(4)
                    .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
                    .collect()
            };
            index.add_fingerprint(
                name,
                Fingerprint {
                    frames,
                    masks,
                    weights,
                },
            )?;
        }
        if r.pos != body.len() {
            return Err(IndexError::Truncated);
        }
        Ok(index)
    }
}
