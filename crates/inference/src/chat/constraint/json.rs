//! The JSON constraint: the output is one object following a flat schema.
//!
//! A byte automaton accepts exactly the objects the schema allows (keys in any order, each at
//! most once, required keys before `}`; string, number, bool, enum-of-strings and `null`
//! values; at most `MAX_WS` whitespace bytes in a row between tokens of the object; numbers of
//! at most 16 + 16 digits and a two-digit exponent). A state's
//! allowed tokens come from one walk of the vocabulary's sorted texts and are memoised per
//! state, so a string value's tokens are found once per string, not once per token; inside a
//! string only the few thousand tokens that are not plain content are walked.
//!
//! It always finishes within the token budget: for each allowed token the walk also records how
//! many bytes the shortest completion needs after it, and when the remaining budget gets tight
//! only tokens whose completion still fits are allowed (every single byte is a token in a
//! byte-level vocabulary, so a completion of n bytes needs at most n tokens).

use super::vocab::{TokenSet, TokenVocab};
use super::DecodeConstraint;
use frontdesk_core::chat::{ConstraintReport, JsonKind, JsonObjectSchema};
use frontdesk_core::InferenceError;
use std::collections::HashMap;

const MAX_WS: u8 = 8;
const MAX_FIELDS: usize = 64;
const MAX_LITERALS: usize = 64;
/// Digits of a number's integer and fraction parts, and of its exponent: every number stays an
/// ordinary f64 (a parser refuses `1e999` or a 400-digit integer).
const MAX_DIGITS: u8 = 16;
const MAX_EXP_DIGITS: u8 = 2;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Num {
    Minus,
    Zero,
    /// Digits read so far in each part.
    Int(u8),
    Dot,
    Frac(u8),
    E,
    ESign,
    Exp(u8),
}

impl Num {
    fn complete(self) -> bool {
        matches!(self, Num::Zero | Num::Int(_) | Num::Frac(_) | Num::Exp(_))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Pos {
    /// Before `{`.
    Start,
    /// After `{`.
    Open,
    /// After `,`.
    Comma,
    /// Inside a key, `off` bytes of it read; `cands` = fields it can still be.
    Key {
        cands: u64,
        off: u8,
    },
    /// After a key's closing quote.
    Colon {
        field: u8,
    },
    /// After `:`.
    Value {
        field: u8,
    },
    /// Inside a literal (`true`, `null`, a quoted enum value, …).
    Lit {
        field: u8,
        cands: u64,
        off: u8,
    },
    /// Inside a free string: `esc` 0 plain, 1 after `\`, 2..=5 reading `\u` digits;
    /// `cont` continuation bytes still due.
    Str {
        field: u8,
        esc: u8,
        cont: u8,
    },
    Num {
        field: u8,
        st: Num,
    },
    /// After a value.
    After,
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct State {
    used: u64,
    ws: u8,
    pos: Pos,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Str,
    Num,
    Lits,
}

#[derive(Debug, Clone)]
struct Field {
    name: Vec<u8>,
    kind: Kind,
    /// The literal alternatives that can start this value (`true`/`false`, quoted enum
    /// values, `null`).
    lits: Vec<Vec<u8>>,
    min_value: usize,
}

/// Allowed tokens of one state, with the completion each leaves.
struct Entry {
    allowed: TokenSet,
    max_need: usize,
    min_need: usize,
    /// Inside a string: the plain-content tokens (`TokenVocab::string_tokens`) all leave this
    /// need; they are in `allowed` but not in `needs`.
    plain_need: Option<usize>,
    needs: Vec<(u32, u32)>,
}

pub struct JsonConstraint {
    fields: Vec<Field>,
    all: u64,
    required: u64,
    state: State,
    broken: bool,
    memo: HashMap<State, Entry>,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\t' | b'\r')
}

fn bits(m: u64) -> impl Iterator<Item = usize> {
    let mut m = m;
    std::iter::from_fn(move || {
        if m == 0 {
            return None;
        }
        let i = m.trailing_zeros() as usize;
        m &= m - 1;
        Some(i)
    })
}

fn invalid(why: String) -> InferenceError {
    InferenceError::InvalidInput(format!("JSON constraint: {why}"))
}

impl JsonConstraint {
    pub fn new(schema: &JsonObjectSchema) -> Result<Self, InferenceError> {
        if schema.fields.len() > MAX_FIELDS {
            return Err(invalid(format!("at most {MAX_FIELDS} fields")));
        }
        let mut fields = Vec::new();
        let mut required = 0u64;
        for (i, f) in schema.fields.iter().enumerate() {
            let name = f.name.as_bytes().to_vec();
            if name.is_empty()
                || name.len() > 200
                || name.iter().any(|&b| b < 0x20 || b == b'"' || b == b'\\')
            {
                return Err(invalid(format!(
                    "key {:?} must be 1-200 bytes without quotes, backslashes or control characters",
                    f.name
                )));
            }
            if schema.fields[..i].iter().any(|g| g.name == f.name) {
                return Err(invalid(format!("key {:?} appears twice", f.name)));
            }
            let mut lits: Vec<Vec<u8>> = Vec::new();
            let kind = match &f.kind {
                JsonKind::String => Kind::Str,
                JsonKind::Number => Kind::Num,
                JsonKind::Bool => {
                    lits.push(b"true".to_vec());
                    lits.push(b"false".to_vec());
                    Kind::Lits
                }
                JsonKind::Enum(values) => {
                    for v in values {
                        let q = serde_json::to_string(v)
                            .map_err(|e| invalid(format!("enum value {v:?}: {e}")))?
                            .into_bytes();
                        if q.len() > 250 {
                            return Err(invalid(format!("enum value {v:?} is too long")));
                        }
                        if !lits.contains(&q) {
                            lits.push(q);
                        }
                    }
                    Kind::Lits
                }
            };
            if f.nullable {
                lits.push(b"null".to_vec());
            }
            if kind == Kind::Lits && lits.is_empty() {
                return Err(invalid(format!(
                    "key {:?} has an enum without values",
                    f.name
                )));
            }
            if lits.len() > MAX_LITERALS {
                return Err(invalid(format!(
                    "key {:?}: at most {} enum values",
                    f.name,
                    MAX_LITERALS - 1
                )));
            }
            let min_lit = lits.iter().map(Vec::len).min().unwrap_or(usize::MAX);
            let min_value = match kind {
                Kind::Str => 2,
                Kind::Num => 1,
                Kind::Lits => min_lit,
            }
            .min(min_lit);
            if !f.optional {
                required |= 1 << i;
            }
            fields.push(Field {
                name,
                kind,
                lits,
                min_value,
            });
        }
        let all = if fields.len() == 64 {
            u64::MAX
        } else {
            (1u64 << fields.len()) - 1
        };
        Ok(Self {
            fields,
            all,
            required,
            state: State {
                used: 0,
                ws: 0,
                pos: Pos::Start,
            },
            broken: false,
            memo: HashMap::new(),
        })
    }

    fn key_start(&self, used: u64) -> Option<State> {
        let cands = self.all & !used;
        (cands != 0).then_some(State {
            used,
            ws: 0,
            pos: Pos::Key { cands, off: 0 },
        })
    }

    fn lit_step(&self, s: State, field: u8, cands: u64, off: u8, b: u8) -> Option<State> {
        let lits = &self.fields[field as usize].lits;
        let o = off as usize;
        let next: u64 = bits(cands)
            .filter(|&i| lits[i].len() > o && lits[i][o] == b)
            .fold(0, |m, i| m | 1 << i);
        if next == 0 {
            return None;
        }
        let pos = if bits(next).any(|i| lits[i].len() == o + 1) {
            Pos::After
        } else {
            Pos::Lit {
                field,
                cands: next,
                off: off + 1,
            }
        };
        Some(State { ws: 0, pos, ..s })
    }

    /// The automaton: the state after byte `b`, or `None` if `b` cannot come next.
    fn step(&self, s: State, b: u8) -> Option<State> {
        let to = |pos| {
            Some(State {
                used: s.used,
                ws: 0,
                pos,
            })
        };
        let space = || (is_ws(b) && s.ws < MAX_WS).then_some(State { ws: s.ws + 1, ..s });
        match s.pos {
            Pos::Start => match b {
                b'{' => to(Pos::Open),
                _ => space(),
            },
            Pos::Open => match b {
                b'"' => self.key_start(s.used),
                b'}' if self.required & !s.used == 0 => to(Pos::Done),
                _ => space(),
            },
            Pos::Comma => match b {
                b'"' => self.key_start(s.used),
                _ => space(),
            },
            Pos::Key { cands, off } => {
                let o = off as usize;
                if b == b'"' {
                    let i = bits(cands).find(|&i| self.fields[i].name.len() == o)?;
                    Some(State {
                        used: s.used | 1 << i,
                        ws: 0,
                        pos: Pos::Colon { field: i as u8 },
                    })
                } else {
                    let next: u64 = bits(cands)
                        .filter(|&i| {
                            let n = &self.fields[i].name;
                            n.len() > o && n[o] == b
                        })
                        .fold(0, |m, i| m | 1 << i);
                    (next != 0).then_some(State {
                        used: s.used,
                        ws: 0,
                        pos: Pos::Key {
                            cands: next,
                            off: off + 1,
                        },
                    })
                }
            }
            Pos::Colon { field } => match b {
                b':' => to(Pos::Value { field }),
                _ => space(),
            },
            Pos::Value { field } => {
                if is_ws(b) {
                    return space();
                }
                let f = &self.fields[field as usize];
                match (f.kind, b) {
                    (Kind::Str, b'"') => to(Pos::Str {
                        field,
                        esc: 0,
                        cont: 0,
                    }),
                    (Kind::Num, b'-') => to(Pos::Num {
                        field,
                        st: Num::Minus,
                    }),
                    (Kind::Num, b'0') => to(Pos::Num {
                        field,
                        st: Num::Zero,
                    }),
                    (Kind::Num, b'1'..=b'9') => to(Pos::Num {
                        field,
                        st: Num::Int(1),
                    }),
                    _ => {
                        let all = if f.lits.len() == 64 {
                            u64::MAX
                        } else {
                            (1u64 << f.lits.len()) - 1
                        };
                        self.lit_step(s, field, all, 0, b)
                    }
                }
            }
            Pos::Lit { field, cands, off } => self.lit_step(s, field, cands, off, b),
            Pos::Str { field, esc, cont } => {
                let str_to = |esc, cont| to(Pos::Str { field, esc, cont });
                if cont > 0 {
                    return (b & 0xC0 == 0x80).then(|| str_to(0, cont - 1)).flatten();
                }
                match esc {
                    1 => match b {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => str_to(0, 0),
                        b'u' => str_to(2, 0),
                        _ => None,
                    },
                    2..=5 => {
                        if b.is_ascii_hexdigit() {
                            str_to(if esc == 5 { 0 } else { esc + 1 }, 0)
                        } else {
                            None
                        }
                    }
                    _ => match b {
                        b'"' => to(Pos::After),
                        b'\\' => str_to(1, 0),
                        0x20..=0x7F => str_to(0, 0),
                        0xC2..=0xDF => str_to(0, 1),
                        0xE0..=0xEF => str_to(0, 2),
                        0xF0..=0xF4 => str_to(0, 3),
                        _ => None,
                    },
                }
            }
            Pos::Num { field, st } => {
                let num = |st| to(Pos::Num { field, st });
                let digit = b.is_ascii_digit();
                let next = match (st, b) {
                    (Num::Minus, b'0') => num(Num::Zero),
                    (Num::Minus, b'1'..=b'9') => num(Num::Int(1)),
                    (Num::Int(n), _) if digit && n < MAX_DIGITS => num(Num::Int(n + 1)),
                    (Num::Zero | Num::Int(_), b'.') => num(Num::Dot),
                    (Num::Dot, _) if digit => num(Num::Frac(1)),
                    (Num::Frac(n), _) if digit && n < MAX_DIGITS => num(Num::Frac(n + 1)),
                    (Num::Zero | Num::Int(_) | Num::Frac(_), b'e' | b'E') => num(Num::E),
                    (Num::E, b'+' | b'-') => num(Num::ESign),
                    (Num::E | Num::ESign, _) if digit => num(Num::Exp(1)),
                    (Num::Exp(n), _) if digit && n < MAX_EXP_DIGITS => num(Num::Exp(n + 1)),
                    _ => None,
                };
                if next.is_some() {
                    return next;
                }
                if st.complete() {
                    self.step(
                        State {
                            used: s.used,
                            ws: 0,
                            pos: Pos::After,
                        },
                        b,
                    )
                } else {
                    None
                }
            }
            Pos::After => match b {
                b',' if self.all & !s.used != 0 => to(Pos::Comma),
                b'}' if self.required & !s.used == 0 => to(Pos::Done),
                _ => space(),
            },
            Pos::Done => None,
        }
    }

    /// Bytes a `"name": value` member takes at least.
    fn member(&self, i: usize) -> usize {
        self.fields[i].name.len() + 3 + self.fields[i].min_value
    }

    /// Bytes needed to close the object after a value, given the keys used.
    fn rest_after(&self, used: u64) -> usize {
        1 + bits(self.required & !used)
            .map(|i| 1 + self.member(i))
            .sum::<usize>()
    }

    /// The fewest bytes that complete the object from `s`.
    fn need(&self, s: State) -> usize {
        let missing = self.required & !s.used;
        let members = |m: u64| bits(m).map(|i| self.member(i)).sum::<usize>();
        match s.pos {
            Pos::Start => {
                1 + self.need(State {
                    pos: Pos::Open,
                    ..s
                })
            }
            Pos::Open => {
                if missing == 0 {
                    1
                } else {
                    members(missing) + missing.count_ones() as usize
                }
            }
            Pos::Comma => {
                if missing == 0 {
                    bits(self.all & !s.used)
                        .map(|i| self.member(i))
                        .min()
                        .unwrap_or(0)
                        + 1
                } else {
                    members(missing) + missing.count_ones() as usize
                }
            }
            Pos::Key { cands, off } => bits(cands)
                .map(|i| {
                    self.fields[i].name.len() - off as usize
                        + 2
                        + self.fields[i].min_value
                        + self.rest_after(s.used | 1 << i)
                })
                .min()
                .unwrap_or(0),
            Pos::Colon { field } => {
                1 + self.fields[field as usize].min_value + self.rest_after(s.used)
            }
            Pos::Value { field } => self.fields[field as usize].min_value + self.rest_after(s.used),
            Pos::Lit { field, cands, off } => {
                let lits = &self.fields[field as usize].lits;
                bits(cands)
                    .map(|i| lits[i].len() - off as usize)
                    .min()
                    .unwrap_or(0)
                    + self.rest_after(s.used)
            }
            Pos::Str { esc, cont, .. } => {
                let esc_rest = match esc {
                    0 => 0,
                    1 => 1,
                    e => 6 - e as usize,
                };
                cont as usize + esc_rest + 1 + self.rest_after(s.used)
            }
            Pos::Num { st, .. } => usize::from(!st.complete()) + self.rest_after(s.used),
            Pos::After => self.rest_after(s.used),
            Pos::Done => 0,
        }
    }

    fn entry(&self, vocab: &TokenVocab, s: State) -> Entry {
        let mut allowed = TokenSet::empty(vocab.len());
        let mut needs: Vec<(u32, u32)> = Vec::new();
        let (mut min_need, mut max_need) = (usize::MAX, 0);
        let mut plain_need = None;
        let mut leaf = |t: u32, end: State| {
            let n = self.need(end);
            allowed.insert(t);
            needs.push((t, n as u32));
            min_need = min_need.min(n);
            max_need = max_need.max(n);
        };
        if let Pos::Str {
            esc: 0, cont: 0, ..
        } = s.pos
        {
            // Plain content leaves the state as it is: only the other tokens (a quote, a
            // backslash, a split character) need the walk.
            let strings = vocab.string_tokens();
            vocab.walk_in(&strings.rest, s, |s, b| self.step(s, b), &mut leaf);
            let n = self.need(s);
            allowed.union_with(&strings.plain);
            plain_need = Some(n);
            min_need = min_need.min(n);
            max_need = max_need.max(n);
        } else {
            vocab.walk(s, |s, b| self.step(s, b), &mut leaf);
        }
        Entry {
            allowed,
            max_need,
            min_need,
            plain_need,
            needs,
        }
    }

    /// The object so far is finished.
    pub fn is_done(&self) -> bool {
        self.state.pos == Pos::Done
    }
}

impl DecodeConstraint for JsonConstraint {
    fn allow(&mut self, vocab: &TokenVocab, remaining: usize, allowed: &mut TokenSet) {
        if self.broken || self.is_done() {
            return;
        }
        let s = self.state;
        if !self.memo.contains_key(&s) {
            let e = self.entry(vocab, s);
            self.memo.insert(s, e);
        }
        let Some(e) = self.memo.get(&s) else { return };
        let budget = remaining.saturating_sub(1);
        if e.max_need <= budget {
            allowed.union_with(&e.allowed);
            return;
        }
        // Tight budget: only tokens after which the object can still close in time (or, if the
        // budget was too small from the start, those closest to closing).
        let limit = budget.max(e.min_need) as u32;
        if e.plain_need.is_some_and(|n| n as u32 <= limit) {
            allowed.union_with(&vocab.string_tokens().plain);
        }
        for &(t, n) in &e.needs {
            if n <= limit {
                allowed.insert(t);
            }
        }
    }

    fn advance(&mut self, vocab: &TokenVocab, token: u32) {
        let mut s = self.state;
        for &b in vocab.bytes(token) {
            match self.step(s, b) {
                Some(n) => s = n,
                None => {
                    self.broken = true;
                    return;
                }
            }
        }
        if vocab.bytes(token).is_empty() {
            self.broken = true;
        }
        self.state = s;
    }

    fn is_complete(&self) -> bool {
        self.is_done() || self.broken
    }

    fn report(&self) -> ConstraintReport {
        ConstraintReport {
            complete: self.is_done(),
            copies: Vec::new(),
        }
    }
}

#[cfg(test)]
impl JsonConstraint {
    /// Feeds text byte by byte; false at the first byte the automaton rejects.
    pub(crate) fn accepts_prefix(&self, text: &[u8]) -> Option<bool> {
        let mut s = self.state;
        for &b in text {
            s = self.step(s, b)?;
        }
        Some(s.pos == Pos::Done)
    }

    pub(crate) fn min_tokens(&self) -> usize {
        self.need(self.state)
    }
}
