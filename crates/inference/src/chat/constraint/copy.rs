//! The copy constraint: tokens of chosen classes (digits, names, units, links) only while
//! copying from given spans; ordinary words are free.
//!
//! State is the set of places in the spans where the output's current copy stretch continues
//! (`entries`: span, where the stretch began there, how far it got, where it began in the
//! output). Each step the allowed tokens are:
//! - tokens continuing some entry: the vocabulary's texts that are prefixes of the span text
//!   at the entry (one descent through the sorted texts per entry);
//! - free tokens (not of a restricted class, in context), unless the current word holds
//!   restricted content whose copy cannot end here (`1,8|00`, `Dy|son`): then only
//!   continuations; right after such content ends, a free token must not glue on (`Dyson|s`);
//! - restricted tokens that start a new copy: at a word start of some span (indexed once per
//!   request), and only at a word boundary of the output, so numbers are never assembled from
//!   pieces of different places. Units right after a number only continue the number's copy.
//!
//! Names are capitalised tokens except at the start of a sentence (and "I"); units count as
//! restricted only right after a number. A new copy may begin with one virtual space (" Dyson"
//! starting at a span's "Dyson").

use super::vocab::{is_word_byte, is_word_punct, TokenSet, TokenVocab};
use super::DecodeConstraint;
use frontdesk_core::chat::{ConstraintReport, CopiedStretch, CopyClass, CopySpans};
use frontdesk_core::InferenceError;
use std::collections::HashMap;

/// Copied stretches without restricted content are reported from this length on.
const REPORT_FREE_STRETCH: usize = 24;

#[derive(Debug, Clone, Copy)]
struct Start {
    span: u32,
    at: u32,
    /// 1 when the token's leading space stands for the span's word start.
    lead: u8,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Entry {
    span: u32,
    src_start: u32,
    pos: u32,
    out_start: u32,
}

#[derive(Debug, Clone, Copy)]
struct Context {
    sentence_start: bool,
    after_number: bool,
    /// The output ends at a word boundary: a token without leading space may start a copy.
    boundary: bool,
}

pub struct CopyConstraint {
    spans: Vec<Vec<u8>>,
    digits: bool,
    names: bool,
    units: bool,
    links: bool,
    starts: HashMap<u32, Vec<Start>>,
    start_plain: TokenSet,
    start_spaced: TokenSet,
    out: Vec<u8>,
    entries: Vec<Entry>,
    word_restricted: bool,
    restricted_ranges: Vec<(usize, usize)>,
    copies: Vec<CopiedStretch>,
    reported_until: usize,
    restricted: TokenSet,
}

fn span_word_end(s: &[u8], p: usize) -> bool {
    match s.get(p) {
        None => true,
        Some(&b) if is_word_byte(b) => false,
        Some(&b) if is_word_punct(b) => !s.get(p + 1).is_some_and(|&n| is_word_byte(n)),
        Some(_) => true,
    }
}

fn span_word_start(s: &[u8], p: usize) -> bool {
    if p == 0 {
        return true;
    }
    let b = s[p - 1];
    if is_word_byte(b) {
        false
    } else if is_word_punct(b) {
        !(p >= 2 && is_word_byte(s[p - 2]))
    } else {
        true
    }
}

impl CopyConstraint {
    pub fn new(spec: &CopySpans) -> Result<Self, InferenceError> {
        if spec.spans.iter().all(|s| s.trim().is_empty()) {
            return Err(InferenceError::InvalidInput(
                "copy constraint: no text to copy from (all spans are empty)".into(),
            ));
        }
        let has = |c| spec.classes.contains(&c);
        Ok(Self {
            spans: spec.spans.iter().map(|s| s.as_bytes().to_vec()).collect(),
            digits: has(CopyClass::Digits),
            names: has(CopyClass::Names),
            units: has(CopyClass::Units),
            links: has(CopyClass::Links),
            starts: HashMap::new(),
            start_plain: TokenSet::empty(0),
            start_spaced: TokenSet::empty(0),
            out: Vec::new(),
            entries: Vec::new(),
            word_restricted: false,
            restricted_ranges: Vec::new(),
            copies: Vec::new(),
            reported_until: 0,
            restricted: TokenSet::empty(0),
        })
    }

    fn context(&self) -> Context {
        let o = &self.out;
        let trimmed = o.trim_ascii_end();
        let line = &o[o.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1)..];
        let sentence_start = trimmed.is_empty()
            || matches!(trimmed.last(), Some(b'.' | b'!' | b'?'))
            || o[trimmed.len()..].contains(&b'\n')
            // A list item: "- ", "* ", "• ".
            || (!line.is_empty()
                && String::from_utf8_lossy(line)
                    .chars()
                    .all(|c| c.is_whitespace() || matches!(c, '-' | '*' | '•')));
        let num_end = o.strip_suffix(b" ").unwrap_or(o);
        let after_number = num_end.last().is_some_and(u8::is_ascii_digit);
        let boundary = match o.last() {
            None => true,
            Some(&b) if is_word_byte(b) => false,
            Some(&b) if is_word_punct(b) => !(o.len() >= 2 && is_word_byte(o[o.len() - 2])),
            Some(_) => true,
        };
        Context {
            sentence_start,
            after_number,
            boundary,
        }
    }

    /// The restricted classes in this context, as a token set (in `self.restricted`).
    fn fill_restricted(&mut self, vocab: &TokenVocab, ctx: Context) {
        let c = &vocab.classes;
        let mut sets: Vec<&TokenSet> = Vec::with_capacity(4);
        if self.digits {
            sets.push(&c.digit);
        }
        if self.names && !ctx.sentence_start {
            sets.push(&c.upper);
        }
        if self.units {
            sets.push(if ctx.after_number {
                &c.unit
            } else {
                &c.currency
            });
        }
        if self.links {
            sets.push(&c.link);
        }
        if self.restricted.capacity() != vocab.len() {
            self.restricted = TokenSet::empty(vocab.len());
        }
        let words = self.restricted.words_mut();
        for (i, w) in words.iter_mut().enumerate() {
            *w = sets.iter().fold(0, |acc, s| acc | s.words()[i]);
        }
    }

    fn is_restricted(&self, vocab: &TokenVocab, token: u32, ctx: Context) -> bool {
        let c = &vocab.classes;
        (self.digits && c.digit.contains(token))
            || (self.names && !ctx.sentence_start && c.upper.contains(token))
            || (self.units
                && if ctx.after_number {
                    c.unit.contains(token)
                } else {
                    c.currency.contains(token)
                })
            || (self.links && c.link.contains(token))
    }

    /// Some place the copy can stop: the span's word ends there.
    fn endable(&self) -> bool {
        self.entries
            .iter()
            .any(|e| span_word_end(&self.spans[e.span as usize], e.pos as usize))
    }

    fn glued(&self) -> bool {
        self.word_restricted && !self.entries.is_empty()
    }

    /// Reports the stretch `entry` copied, up to output byte `end`, if it is worth citing.
    fn report_stretch(&self, e: &Entry, end: usize) -> Option<CopiedStretch> {
        let mut out_start = e.out_start as usize;
        let mut src = e.src_start as usize;
        if out_start < self.reported_until {
            src += self.reported_until - out_start;
            out_start = self.reported_until;
        }
        if out_start >= end {
            return None;
        }
        let text = &self.out[out_start..end];
        let lead = text.len() - text.trim_ascii_start().len();
        let trail = text.len() - text.trim_ascii_end().len();
        if lead + trail >= text.len() {
            return None;
        }
        let (mut o0, mut o1) = (out_start + lead, end - trail);
        // Whole characters only.
        let cont = |i: usize| self.out.get(i).is_some_and(|&b| b & 0xC0 == 0x80);
        while o0 < o1 && cont(o0) {
            o0 += 1;
        }
        while o1 > o0 && cont(o1) {
            o1 -= 1;
        }
        if o0 >= o1 {
            return None;
        }
        let s0 = src + (o0 - out_start);
        let restricted = self
            .restricted_ranges
            .iter()
            .any(|&(a, b)| a < o1 && b > o0);
        (restricted || o1 - o0 >= REPORT_FREE_STRETCH).then_some(CopiedStretch {
            span: e.span as usize,
            source: s0..s0 + (o1 - o0),
            output: o0..o1,
        })
    }

    /// The longest live stretch (earliest output start; ties: first span, first place).
    fn longest(entries: &[Entry]) -> Option<&Entry> {
        entries
            .iter()
            .min_by_key(|e| (e.out_start, e.span, e.src_start))
    }
}

impl DecodeConstraint for CopyConstraint {
    fn start(&mut self, vocab: &TokenVocab) -> Result<(), InferenceError> {
        self.start_plain = TokenSet::empty(vocab.len());
        self.start_spaced = TokenSet::empty(vocab.len());
        self.restricted = TokenSet::empty(vocab.len());
        let max = vocab.max_token_len();
        let mut spaced: Vec<u8> = Vec::with_capacity(max + 1);
        for (si, s) in self.spans.iter().enumerate() {
            for p in 0..s.len() {
                if s[p].is_ascii_whitespace() || !span_word_start(s, p) {
                    continue;
                }
                let q = &s[p..s.len().min(p + max)];
                vocab.prefixes_of(q, |t, _| {
                    self.starts.entry(t).or_default().push(Start {
                        span: si as u32,
                        at: p as u32,
                        lead: 0,
                    });
                    self.start_plain.insert(t);
                });
                spaced.clear();
                spaced.push(b' ');
                spaced.extend_from_slice(&q[..q.len().min(max.saturating_sub(1))]);
                vocab.prefixes_of(&spaced, |t, len| {
                    if len > 1 {
                        self.starts.entry(t).or_default().push(Start {
                            span: si as u32,
                            at: p as u32,
                            lead: 1,
                        });
                        self.start_spaced.insert(t);
                    }
                });
            }
        }
        Ok(())
    }

    fn allow(&mut self, vocab: &TokenVocab, _remaining: usize, allowed: &mut TokenSet) {
        // Continuations of the current stretch.
        let max = vocab.max_token_len();
        let mut seen: Vec<(u32, u32)> = Vec::with_capacity(self.entries.len());
        for e in &self.entries {
            if seen.contains(&(e.span, e.pos)) {
                continue;
            }
            seen.push((e.span, e.pos));
            let s = &self.spans[e.span as usize];
            let p = e.pos as usize;
            vocab.prefixes_of(&s[p..s.len().min(p + max)], |t, _| allowed.insert(t));
        }
        let glued = self.glued();
        if glued && !self.endable() {
            return;
        }
        let ctx = self.context();
        self.fill_restricted(vocab, ctx);
        // Free tokens (not gluing onto a restricted word that just ended).
        let nonword = glued.then_some(&vocab.classes.starts_nonword);
        allowed.union_with_difference(vocab.usable(), &self.restricted, nonword);
        for &e in vocab.eos() {
            allowed.insert(e);
        }
        // Restricted tokens that start a new copy.
        let no_unit_starts = self.units && ctx.after_number;
        let empty = TokenSet::empty(0);
        let excluded = if no_unit_starts {
            &vocab.classes.unit
        } else {
            &empty
        };
        let restricted = self.restricted.words();
        let spaced = self.start_spaced.words();
        let plain = self.start_plain.words();
        for (i, w) in allowed.words_mut().iter_mut().enumerate() {
            let mut s = spaced[i];
            if ctx.boundary {
                s |= plain[i];
            }
            *w |= s & restricted[i] & !excluded.words().get(i).copied().unwrap_or(0);
        }
    }

    fn advance(&mut self, vocab: &TokenVocab, token: u32) {
        let t = vocab.bytes(token);
        let a = self.out.len();
        let ctx = self.context();
        let restricted = self.is_restricted(vocab, token, ctx);
        // Entries that continue, then new starts.
        let mut next: Vec<Entry> = Vec::with_capacity(self.entries.len());
        for e in &self.entries {
            let s = &self.spans[e.span as usize];
            if s[e.pos as usize..].starts_with(t) {
                next.push(Entry {
                    pos: e.pos + t.len() as u32,
                    ..*e
                });
            }
        }
        let unit_after_number =
            self.units && ctx.after_number && vocab.classes.unit.contains(token);
        if !unit_after_number {
            if let Some(starts) = self.starts.get(&token) {
                for st in starts {
                    if st.lead == 0 && !ctx.boundary {
                        continue;
                    }
                    let e = Entry {
                        span: st.span,
                        src_start: st.at,
                        pos: st.at + (t.len() - st.lead as usize) as u32,
                        out_start: (a + st.lead as usize) as u32,
                    };
                    if !next.iter().any(|n| n.span == e.span && n.pos == e.pos) {
                        next.push(e);
                    }
                }
            }
        }
        // The longest stretch ended before this token: report it.
        if let Some(old) = Self::longest(&self.entries).copied() {
            let new_min = next.iter().map(|e| e.out_start).min();
            if new_min.is_none_or(|m| m > old.out_start) {
                if let Some(c) = self.report_stretch(&old, a) {
                    self.reported_until = c.output.end;
                    self.copies.push(c);
                }
            }
        }
        if restricted {
            self.restricted_ranges.push((a, a + t.len()));
        }
        // Does the output's current word hold restricted content?
        let is_break = |b: u8| !is_word_byte(b) && !is_word_punct(b);
        match t.iter().rposition(|&b| is_break(b)) {
            None => self.word_restricted |= restricted,
            Some(k) if k + 1 == t.len() => self.word_restricted = false,
            Some(_) => self.word_restricted = restricted,
        }
        self.out.extend_from_slice(t);
        self.entries = next;
    }

    fn report(&self) -> ConstraintReport {
        let mut copies = self.copies.clone();
        if let Some(e) = Self::longest(&self.entries) {
            if let Some(c) = self.report_stretch(e, self.out.len()) {
                copies.push(c);
            }
        }
        ConstraintReport {
            complete: !self.glued() || self.endable(),
            copies,
        }
    }
}
