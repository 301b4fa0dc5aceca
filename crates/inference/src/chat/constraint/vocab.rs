//! A model's token texts as bytes, prepared once per model for decode constraints: token sets
//! as bitsets, the texts sorted (an implicit trie: walking it with an automaton visits each
//! shared prefix once and skips every token behind a dead prefix), per-token classes for the
//! copy constraint, and the UTF-8 guard every constrained request runs under.

use std::sync::OnceLock;
use tokenizers::Tokenizer;

/// A set of token ids (a bitset over the vocabulary).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TokenSet {
    words: Vec<u64>,
    len: usize,
}

impl TokenSet {
    /// No tokens, room for ids `0..len`.
    pub fn empty(len: usize) -> Self {
        Self {
            words: vec![0; len.div_ceil(64)],
            len,
        }
    }

    /// Ids the set can hold.
    pub fn capacity(&self) -> usize {
        self.len
    }

    /// Ids beyond the capacity are ignored.
    pub fn insert(&mut self, id: u32) {
        let i = id as usize;
        if i < self.len {
            self.words[i / 64] |= 1 << (i % 64);
        }
    }

    pub fn remove(&mut self, id: u32) {
        let i = id as usize;
        if i < self.len {
            self.words[i / 64] &= !(1 << (i % 64));
        }
    }

    pub fn contains(&self, id: u32) -> bool {
        let i = id as usize;
        i < self.len && self.words[i / 64] & (1 << (i % 64)) != 0
    }

    pub fn clear(&mut self) {
        self.words.iter_mut().for_each(|w| *w = 0);
    }

    pub fn is_empty(&self) -> bool {
        self.words.iter().all(|&w| w == 0)
    }

    pub fn count(&self) -> usize {
        self.words.iter().map(|w| w.count_ones() as usize).sum()
    }

    /// `self ∪= other`.
    pub fn union_with(&mut self, other: &TokenSet) {
        for (a, b) in self.words.iter_mut().zip(&other.words) {
            *a |= b;
        }
    }

    /// `self ∩= other`.
    pub fn intersect_with(&mut self, other: &TokenSet) {
        let n = other.words.len();
        for (i, a) in self.words.iter_mut().enumerate() {
            *a &= if i < n { other.words[i] } else { 0 };
        }
    }

    /// `self ∪= a ∖ b` (and `∩ c` when given), in one pass.
    pub fn union_with_difference(&mut self, a: &TokenSet, b: &TokenSet, c: Option<&TokenSet>) {
        for (i, w) in self.words.iter_mut().enumerate() {
            let mut x =
                a.words.get(i).copied().unwrap_or(0) & !b.words.get(i).copied().unwrap_or(0);
            if let Some(c) = c {
                x &= c.words.get(i).copied().unwrap_or(0);
            }
            *w |= x;
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = u32> + '_ {
        self.words.iter().enumerate().flat_map(|(i, &w)| {
            let mut w = w;
            std::iter::from_fn(move || {
                if w == 0 {
                    return None;
                }
                let b = w.trailing_zeros();
                w &= w - 1;
                Some((i * 64) as u32 + b)
            })
        })
    }

    /// Sets every logit outside the set to −∞ (logits beyond the capacity too).
    pub fn mask_logits(&self, logits: &mut [f32]) {
        for (i, chunk) in logits.chunks_mut(64).enumerate() {
            let w = self.words.get(i).copied().unwrap_or(0);
            if w == 0 {
                chunk.fill(f32::NEG_INFINITY);
                continue;
            }
            // Only the holes of the word.
            let mut holes = !w;
            while holes != 0 {
                let j = holes.trailing_zeros() as usize;
                if j >= chunk.len() {
                    break;
                }
                chunk[j] = f32::NEG_INFINITY;
                holes &= holes - 1;
            }
        }
    }

    pub(crate) fn words(&self) -> &[u64] {
        &self.words
    }

    pub(crate) fn words_mut(&mut self) -> &mut [u64] {
        &mut self.words
    }
}

/// UTF-8 state between tokens: how many continuation bytes the next token must start with,
/// and which range the first of them must fall in (`E0`, `ED`, `F0`, `F4` leads narrow it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Utf8Pending {
    need: u8,
    kind: u8,
}

impl Utf8Pending {
    fn range(self) -> (u8, u8) {
        match self.kind {
            1 => (0xA0, 0xBF),
            2 => (0x80, 0x9F),
            3 => (0x90, 0xBF),
            4 => (0x80, 0x8F),
            _ => (0x80, 0xBF),
        }
    }
    fn index(self) -> usize {
        self.need as usize * 5 + self.kind as usize
    }
}

/// How a token's bytes sit in UTF-8.
#[derive(Debug, Clone, Copy, Default)]
struct Utf8Info {
    /// The token can appear in valid UTF-8 at all.
    valid: bool,
    /// Leading continuation bytes (finishing the previous token's character).
    lead: u8,
    /// The token is nothing but continuation bytes (`lead` = its length).
    all_cont: bool,
    /// What it leaves pending at its end.
    trail: Utf8Pending,
}

fn utf8_info(b: &[u8]) -> Utf8Info {
    let lead = b.iter().take_while(|&&x| x & 0xC0 == 0x80).count();
    if lead > 3 {
        return Utf8Info::default();
    }
    if lead == b.len() {
        return Utf8Info {
            valid: lead > 0,
            lead: lead as u8,
            all_cont: true,
            trail: Utf8Pending::default(),
        };
    }
    let rest = &b[lead..];
    let trail = match std::str::from_utf8(rest) {
        Ok(_) => Utf8Pending::default(),
        Err(e) if e.error_len().is_none() => {
            let tail = &rest[e.valid_up_to()..];
            let b0 = tail[0];
            let want = if b0 >= 0xF0 {
                4
            } else if b0 >= 0xE0 {
                3
            } else {
                2
            };
            let kind = if tail.len() == 1 {
                match b0 {
                    0xE0 => 1,
                    0xED => 2,
                    0xF0 => 3,
                    0xF4 => 4,
                    _ => 0,
                }
            } else {
                0
            };
            Utf8Pending {
                need: (want - tail.len()) as u8,
                kind,
            }
        }
        Err(_) => return Utf8Info::default(),
    };
    Utf8Info {
        valid: true,
        lead: lead as u8,
        all_cont: false,
        trail,
    }
}

/// Bytes that belong to a word: ASCII letters and digits, and any non-ASCII byte.
pub(crate) fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b >= 0x80
}

/// Punctuation that stays inside a word when a word byte follows (`1,800`, `Wi-Fi`,
/// `a@b.example`, `12:30`).
pub(crate) fn is_word_punct(b: u8) -> bool {
    matches!(
        b,
        b'.' | b',' | b':' | b'/' | b'-' | b'\'' | b'@' | b'_' | b'&' | b'+' | b'#'
    )
}

const UNITS: &[&str] = &[
    "W", "kW", "MW", "V", "A", "mA", "mAh", "Ah", "Wh", "kWh", "Hz", "kHz", "MHz", "GHz", "g",
    "kg", "mg", "t", "lb", "lbs", "oz", "mm", "cm", "m", "km", "ft", "yd", "mi", "ml", "mL", "l",
    "L", "dl", "cl", "h", "hrs", "min", "s", "ms", "°", "°C", "°F", "%", "GB", "MB", "TB", "KB",
    "kB", "Mbps", "Gbps", "px", "dB", "rpm", "bar", "psi", "cal", "kcal", "EUR", "USD", "GBP",
    "RSD", "din", "pcs",
];
/// Unit words (singular; a plural adds "s" or "es"). A token counts as a unit when its letters
/// spell one, or are a prefix of at least three letters of one ("kil" of "kilograms"), since
/// long words are often split.
const UNIT_WORDS: &[&str] = &[
    "watt",
    "kilowatt",
    "volt",
    "amp",
    "ampere",
    "gram",
    "kilogram",
    "kilo",
    "pound",
    "ounce",
    "litre",
    "liter",
    "millilitre",
    "milliliter",
    "metre",
    "meter",
    "centimetre",
    "centimeter",
    "millimetre",
    "millimeter",
    "kilometre",
    "kilometer",
    "inch",
    "foot",
    "feet",
    "second",
    "minute",
    "hour",
    "day",
    "week",
    "month",
    "year",
    "degree",
    "percent",
    "euro",
    "dollar",
    "cent",
    "dinar",
    "decibel",
    "calorie",
    "kilocalorie",
    "gigabyte",
    "megabyte",
    "terabyte",
    "pixel",
    "piece",
];

fn is_unit_word(text: &str) -> bool {
    let w = text.trim().to_lowercase();
    if w.is_empty() || !w.chars().all(|c| c.is_ascii_alphabetic()) {
        return false;
    }
    UNIT_WORDS.iter().any(|u| {
        w == *u
            || w.strip_suffix('s') == Some(u)
            || w.strip_suffix("es") == Some(u)
            || (w.len() >= 3 && u.starts_with(w.as_str()))
    })
}

const CURRENCY: &[char] = &['€', '$', '£', '¥', '₹', '₽'];
/// Capitalised tokens that are ordinary words anywhere.
const FREE_CAPITALS: &[&str] = &["I", "I'm", "I'll", "I've", "I'd", "OK"];

/// Per-token classes the copy constraint restricts.
pub(crate) struct TokenClasses {
    pub digit: TokenSet,
    pub upper: TokenSet,
    pub unit: TokenSet,
    pub currency: TokenSet,
    pub link: TokenSet,
    /// Tokens whose first byte is not a word byte (they cannot glue onto the previous word).
    pub starts_nonword: TokenSet,
}

/// The vocabulary of one model as the constraints see it. Built once per model (lazily, by the
/// worker, on the first constrained request) and shared by all its requests.
pub struct TokenVocab {
    data: Vec<u8>,
    offsets: Vec<u32>,
    /// Tokens with a plain text (not special, not empty).
    usable: TokenSet,
    eos: Vec<u32>,
    /// Every usable token, sorted.
    all: Sorted,
    /// Tokens that are plain JSON string content, and the rest sorted (built when a JSON
    /// constraint first needs them).
    strings: OnceLock<StringTokens>,
    max_len: usize,
    utf8: Vec<Utf8Info>,
    guards: Vec<OnceLock<TokenSet>>,
    pub(crate) classes: TokenClasses,
}

/// Token ids sorted by their bytes: an implicit trie.
#[derive(Default)]
pub(crate) struct Sorted {
    ids: Vec<u32>,
    /// `lcp[i]`: common prefix length of entries `i - 1` and `i`.
    lcp: Vec<u16>,
    /// `ids[first[b]..first[b + 1]]` are the tokens starting with byte `b`.
    first: Vec<u32>,
}

/// The split a JSON string value needs: tokens that keep a string open and leave it in the
/// same state (no `"`, no `\`, no control byte, whole UTF-8 characters), and the others.
pub(crate) struct StringTokens {
    pub plain: TokenSet,
    pub rest: Sorted,
}

/// GPT-2's byte-level alphabet, inverted: the printable character each byte is written as.
fn byte_level_inverse() -> std::collections::HashMap<char, u8> {
    let mut map = std::collections::HashMap::with_capacity(256);
    let mut n = 0u32;
    for b in 0..=255u8 {
        let printable = matches!(b, 33..=126 | 161..=172 | 174..=255);
        let c = if printable {
            char::from(b)
        } else {
            let c = char::from_u32(256 + n).unwrap_or('\0');
            n += 1;
            c
        };
        map.insert(c, b);
    }
    map
}

impl TokenVocab {
    /// Reads every token's bytes from a byte-level BPE tokenizer (the only kind the GGUF loader
    /// builds). Special tokens are unusable except as `eos`.
    pub fn from_tokenizer(tok: &Tokenizer, eos: &[u32]) -> Self {
        let n = tok.get_vocab_size(true);
        let added = tok.get_added_tokens_decoder();
        let inverse = byte_level_inverse();
        let mut texts: Vec<Option<Vec<u8>>> = Vec::with_capacity(n);
        for id in 0..n as u32 {
            let text = match added.get(&id) {
                Some(a) if a.special => None,
                Some(a) => Some(a.content.as_bytes().to_vec()),
                None => tok.id_to_token(id).and_then(|s| {
                    s.chars()
                        .map(|c| inverse.get(&c).copied())
                        .collect::<Option<Vec<u8>>>()
                }),
            };
            texts.push(text.filter(|t| !t.is_empty()));
        }
        Self::from_texts(texts, eos)
    }

    /// From explicit token texts (`None` = special or unusable).
    pub fn from_texts(texts: Vec<Option<Vec<u8>>>, eos: &[u32]) -> Self {
        let n = texts.len();
        let mut data = Vec::new();
        let mut offsets = Vec::with_capacity(n + 1);
        offsets.push(0u32);
        let mut usable = TokenSet::empty(n);
        for (id, t) in texts.iter().enumerate() {
            if let Some(t) = t {
                data.extend_from_slice(t);
                usable.insert(id as u32);
            }
            offsets.push(data.len() as u32);
        }
        let mut v = Self {
            data,
            offsets,
            usable,
            eos: eos.iter().copied().filter(|&e| (e as usize) < n).collect(),
            all: Sorted::default(),
            strings: OnceLock::new(),
            max_len: 0,
            utf8: Vec::new(),
            guards: (0..20).map(|_| OnceLock::new()).collect(),
            classes: TokenClasses {
                digit: TokenSet::empty(n),
                upper: TokenSet::empty(n),
                unit: TokenSet::empty(n),
                currency: TokenSet::empty(n),
                link: TokenSet::empty(n),
                starts_nonword: TokenSet::empty(n),
            },
        };
        v.all = v.sort(v.usable.iter().collect());
        v.max_len = v
            .all
            .ids
            .iter()
            .map(|&t| v.bytes(t).len())
            .max()
            .unwrap_or(0);
        v.utf8 = (0..n as u32)
            .map(|t| {
                if v.usable.contains(t) {
                    utf8_info(v.bytes(t))
                } else {
                    Utf8Info::default()
                }
            })
            .collect();
        v.classify();
        v
    }

    fn sort(&self, mut ids: Vec<u32>) -> Sorted {
        ids.sort_unstable_by(|&a, &b| self.bytes(a).cmp(self.bytes(b)).then(a.cmp(&b)));
        let mut lcp = Vec::with_capacity(ids.len());
        for (i, &t) in ids.iter().enumerate() {
            let l = if i == 0 {
                0
            } else {
                let (a, b) = (self.bytes(ids[i - 1]), self.bytes(t));
                a.iter().zip(b).take_while(|(x, y)| x == y).count()
            };
            lcp.push(l.min(u16::MAX as usize) as u16);
        }
        let mut first = vec![0u32; 257];
        for &t in &ids {
            first[self.bytes(t)[0] as usize + 1] += 1;
        }
        for b in 0..256 {
            first[b + 1] += first[b];
        }
        Sorted { ids, lcp, first }
    }

    /// Plain JSON string content and the rest (see `StringTokens`).
    pub(crate) fn string_tokens(&self) -> &StringTokens {
        self.strings.get_or_init(|| {
            let mut plain = TokenSet::empty(self.len());
            let mut rest = Vec::new();
            for t in self.usable.iter() {
                let b = self.bytes(t);
                let quiet = !b.iter().any(|&x| x < 0x20 || x == b'"' || x == b'\\');
                if quiet && std::str::from_utf8(b).is_ok() {
                    plain.insert(t);
                } else {
                    rest.push(t);
                }
            }
            StringTokens {
                plain,
                rest: self.sort(rest),
            }
        })
    }

    fn classify(&mut self) {
        let n = self.len();
        let mut c = TokenClasses {
            digit: TokenSet::empty(n),
            upper: TokenSet::empty(n),
            unit: TokenSet::empty(n),
            currency: TokenSet::empty(n),
            link: TokenSet::empty(n),
            starts_nonword: TokenSet::empty(n),
        };
        for t in self.usable.iter() {
            let bytes = self.bytes(t);
            let text = String::from_utf8_lossy(bytes);
            let trimmed = text.trim();
            if text.chars().any(|ch| ch.is_numeric()) {
                c.digit.insert(t);
            }
            if text.chars().any(|ch| ch.is_uppercase()) && !FREE_CAPITALS.contains(&trimmed) {
                c.upper.insert(t);
            }
            if text.chars().any(|ch| CURRENCY.contains(&ch)) {
                c.currency.insert(t);
                c.unit.insert(t);
            }
            if UNITS.contains(&trimmed) || is_unit_word(trimmed) {
                c.unit.insert(t);
            }
            let lower = text.to_lowercase();
            if lower.contains('@')
                || lower.contains("://")
                || lower.contains("www")
                || lower.contains("http")
            {
                c.link.insert(t);
            }
            if !is_word_byte(bytes[0]) {
                c.starts_nonword.insert(t);
            }
        }
        self.classes = c;
    }

    /// Ids `0..len()`.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The bytes the token adds to the output (empty for special tokens).
    pub fn bytes(&self, id: u32) -> &[u8] {
        let i = id as usize;
        if i + 1 >= self.offsets.len() {
            return &[];
        }
        &self.data[self.offsets[i] as usize..self.offsets[i + 1] as usize]
    }

    /// Tokens with a plain text (everything a constraint may allow besides `eos`).
    pub fn usable(&self) -> &TokenSet {
        &self.usable
    }

    /// The ids that end generation.
    pub fn eos(&self) -> &[u32] {
        &self.eos
    }

    /// The longest token text, in bytes.
    pub fn max_token_len(&self) -> usize {
        self.max_len
    }

    /// The token whose text is exactly `text`, if any.
    pub fn find(&self, text: &[u8]) -> Option<u32> {
        let i = self.all.ids.partition_point(|&t| self.bytes(t) < text);
        self.all
            .ids
            .get(i)
            .copied()
            .filter(|&t| self.bytes(t) == text)
    }

    /// Calls `f(token, len)` for every usable token whose text is a prefix of `q`: a descent
    /// through the sorted texts, two binary searches per byte.
    pub fn prefixes_of(&self, q: &[u8], mut f: impl FnMut(u32, usize)) {
        let sorted = &self.all.ids;
        let (mut lo, mut hi) = (0usize, sorted.len());
        for (d, &qb) in q.iter().enumerate() {
            // Every token in lo..hi shares q[..d]; those exactly d long sort first.
            while lo < hi && self.bytes(sorted[lo]).len() == d {
                lo += 1;
            }
            let range = &sorted[lo..hi];
            let a = lo + range.partition_point(|&t| self.bytes(t)[d] < qb);
            let b = lo + range.partition_point(|&t| self.bytes(t)[d] <= qb);
            if a == b {
                return;
            }
            lo = a;
            hi = b;
            let mut i = lo;
            while i < hi && self.bytes(sorted[i]).len() == d + 1 {
                f(sorted[i], d + 1);
                i += 1;
            }
        }
    }

    /// Runs an automaton over every usable token's text from `start` and calls
    /// `leaf(token, end_state)` for the tokens it accepts completely. Texts are visited in sorted
    /// order, so each shared prefix is stepped once and everything behind a dead prefix (a
    /// whole first-byte bucket, for most automaton states) is skipped.
    pub fn walk<S: Copy>(
        &self,
        start: S,
        step: impl Fn(S, u8) -> Option<S>,
        leaf: impl FnMut(u32, S),
    ) {
        self.walk_in(&self.all, start, step, leaf)
    }

    /// `walk` over a subset of the vocabulary.
    pub(crate) fn walk_in<S: Copy>(
        &self,
        set: &Sorted,
        start: S,
        step: impl Fn(S, u8) -> Option<S>,
        mut leaf: impl FnMut(u32, S),
    ) {
        let mut stack: Vec<S> = Vec::with_capacity(64);
        for b in 0..256usize {
            let (lo, hi) = (set.first[b] as usize, set.first[b + 1] as usize);
            if lo == hi {
                continue;
            }
            let Some(s1) = step(start, b as u8) else {
                continue;
            };
            stack.clear();
            stack.push(start);
            stack.push(s1);
            let mut i = lo;
            while i < hi {
                let t = set.ids[i];
                let bytes = self.bytes(t);
                let l = if i == lo { 1 } else { set.lcp[i] as usize };
                stack.truncate(l + 1);
                let mut dead = None;
                for (d, &x) in bytes.iter().enumerate().skip(l) {
                    match step(stack[d], x) {
                        Some(s) => stack.push(s),
                        None => {
                            dead = Some(d + 1);
                            break;
                        }
                    }
                }
                match dead {
                    None => {
                        leaf(t, stack[bytes.len()]);
                        i += 1;
                    }
                    // Every token sharing the dead prefix is dead: jump past them.
                    Some(d) => i = self.prefix_range_end(set, i, hi, &bytes[..d]),
                }
            }
        }
    }

    /// The end of the run of sorted texts from `i` (which starts with `p`) that start with `p`:
    /// galloping, then a binary search, so a large dead subtree costs a logarithm.
    fn prefix_range_end(&self, set: &Sorted, i: usize, hi: usize, p: &[u8]) -> usize {
        let has = |j: usize| self.bytes(set.ids[j]).starts_with(p);
        let (mut lo, mut step) = (i + 1, 1usize);
        while lo + step - 1 < hi && has(lo + step - 1) {
            lo += step;
            step *= 2;
        }
        let end = (lo + step - 1).min(hi);
        lo + set.ids[lo..end].partition_point(|&t| self.bytes(t).starts_with(p))
    }

    /// The tokens that keep the output valid UTF-8 after `p` (`eos` only between characters).
    pub(crate) fn utf8_guard(&self, p: Utf8Pending) -> &TokenSet {
        self.guards[p.index()].get_or_init(|| {
            let mut set = TokenSet::empty(self.len());
            let (lo, hi) = p.range();
            for t in self.usable.iter() {
                let u = self.utf8[t as usize];
                if !u.valid {
                    continue;
                }
                let first = self.bytes(t)[0];
                let ok = if p.need == 0 {
                    u.lead == 0
                } else {
                    (lo..=hi).contains(&first)
                        && (u.lead == p.need || (u.all_cont && u.lead <= p.need))
                };
                if ok {
                    set.insert(t);
                }
            }
            if p.need == 0 {
                for &e in &self.eos {
                    set.insert(e);
                }
            }
            set
        })
    }

    /// The UTF-8 state after `token` (which `utf8_guard(p)` allowed).
    pub(crate) fn utf8_after(&self, p: Utf8Pending, token: u32) -> Utf8Pending {
        match self.utf8.get(token as usize) {
            Some(u) if u.all_cont => Utf8Pending {
                need: p.need.saturating_sub(u.lead),
                kind: 0,
            },
            Some(u) => u.trail,
            None => Utf8Pending::default(),
        }
    }
}
