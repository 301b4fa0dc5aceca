//! Turning generated token ids into text pieces that are safe to show: never a broken UTF-8
//! sequence, never any part of a stop string.

use tokenizers::Tokenizer;

/// Incremental detokenisation: decodes a small window of recent ids and emits only the text that
/// the newest id added, once it no longer ends in an incomplete character.
pub(crate) struct Detokenizer {
    ids: Vec<u32>,
    prefix_offset: usize,
    read_offset: usize,
}

impl Detokenizer {
    pub fn new() -> Self {
        Self {
            ids: Vec::new(),
            prefix_offset: 0,
            read_offset: 0,
        }
    }

    pub fn push(&mut self, tok: &Tokenizer, id: u32) -> String {
        self.ids.push(id);
        let decode = |ids: &[u32]| tok.decode(ids, true).unwrap_or_default();
        let prefix = decode(&self.ids[self.prefix_offset..self.read_offset]);
        let full = decode(&self.ids[self.prefix_offset..]);
        // A trailing U+FFFD means the last id is only part of a multi-byte character: wait.
        if full.len() > prefix.len()
            && !full.ends_with('\u{FFFD}')
            && full.is_char_boundary(prefix.len())
        {
            let piece = full[prefix.len()..].to_string();
            self.prefix_offset = self.read_offset;
            self.read_offset = self.ids.len();
            piece
        } else {
            String::new()
        }
    }
}

/// What the stop filter decided for a piece of new text.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum StopCheck {
    /// Text that can be sent now (may be empty while a possible stop string is held back).
    Emit(String),
    /// A stop string appeared: send this text (everything before it) and finish.
    Stopped(String),
}

/// Holds back any tail of the output that could be the start of a stop string, so a stop string
/// split across tokens is never partly shown.
pub(crate) struct StopFilter {
    stops: Vec<String>,
    pending: String,
}

impl StopFilter {
    pub fn new(stops: &[String]) -> Self {
        Self {
            stops: stops.iter().filter(|s| !s.is_empty()).cloned().collect(),
            pending: String::new(),
        }
    }

    pub fn push(&mut self, text: &str) -> StopCheck {
        self.pending.push_str(text);
        let first_hit = self
            .stops
            .iter()
            .filter_map(|s| self.pending.find(s.as_str()))
            .min();
        if let Some(at) = first_hit {
            let out = self.pending[..at].to_string();
            self.pending.clear();
            return StopCheck::Stopped(out);
        }
        let hold = self.held_suffix_len();
        let cut = self.pending.len() - hold;
        let out = self.pending[..cut].to_string();
        self.pending.drain(..cut);
        StopCheck::Emit(out)
    }

    /// The text still held back, released when generation ends for another reason.
    pub fn flush(&mut self) -> String {
        std::mem::take(&mut self.pending)
    }

    /// Length of the longest suffix of `pending` that is a proper prefix of some stop string.
    fn held_suffix_len(&self) -> usize {
        let p = &self.pending;
        let mut best = 0;
        for stop in &self.stops {
            let max = stop.len().saturating_sub(1).min(p.len());
            for len in (best + 1..=max).rev() {
                let start = p.len() - len;
                if p.is_char_boundary(start) && stop.starts_with(&p[start..]) {
                    best = len;
                    break;
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stop_filter_table() {
        // (stops, pieces, expected emitted text, stopped?)
        let cases: Vec<(&[&str], &[&str], &str, bool)> = vec![
            (&["STOP"], &["hello ", "world"], "hello world", false),
            (&["STOP"], &["hello ST", "OP and more"], "hello ", true),
            (&["STOP"], &["hello S", "T", "O", "P"], "hello ", true),
            (&["STOP"], &["hello ST", "ART"], "hello START", false),
            (
                &["\n\n", "User:"],
                &["a\n", "b", "\nUs", "er: x"],
                "a\nb\n",
                true,
            ),
            (&["ab"], &["xa"], "xa", false),
            (&["žž"], &["až", "ž"], "a", true),
            (&[], &["anything"], "anything", false),
        ];
        for (stops, pieces, want, want_stop) in cases {
            let stops: Vec<String> = stops.iter().map(|s| s.to_string()).collect();
            let mut f = StopFilter::new(&stops);
            let mut out = String::new();
            let mut stopped = false;
            for p in pieces {
                match f.push(p) {
                    StopCheck::Emit(t) => out.push_str(&t),
                    StopCheck::Stopped(t) => {
                        out.push_str(&t);
                        stopped = true;
                        break;
                    }
                }
            }
            if !stopped {
                out.push_str(&f.flush());
            }
            assert_eq!(
                (out.as_str(), stopped),
                (want, want_stop),
                "stops {stops:?} pieces {pieces:?}"
            );
        }
    }

    #[test]
    fn held_text_never_contains_stop_prefix_sent_early() {
        let mut f = StopFilter::new(&["</answer>".to_string()]);
        assert_eq!(f.push("done </ans"), StopCheck::Emit("done ".into()));
        assert_eq!(f.push("wer>"), StopCheck::Stopped(String::new()));
    }
}
