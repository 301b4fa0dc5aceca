//! The one phrase matcher of the bot: does a word list's entry occur in a folded text?
//! Lists that name whole words ("no", "human") match on both word boundaries; lists of stems
//! ("vrat" for "vratim", "vratiti") match at a word start only. Which a list needs is part of
//! the list, so every reader of a message (the engine) and of a page (the knowledge loader's
//! check for instructions addressed to the assistant) shares this one implementation.

/// Where a phrase must sit in the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Boundary {
    /// A word boundary on both sides: "no" does not match "not".
    WholeWord,
    /// A word boundary before it only: a stem matches its inflected forms.
    WordStart,
}

/// Byte offset of the first occurrence of `phrase` in `folded` that sits on `boundary`.
pub fn find(folded: &str, phrase: &str, boundary: Boundary) -> Option<usize> {
    let mut start = 0;
    while let Some(pos) = folded[start..].find(phrase) {
        let at = start + pos;
        let end = at + phrase.len();
        let before_ok = !folded[..at]
            .chars()
            .next_back()
            .is_some_and(char::is_alphanumeric);
        let after_ok = boundary == Boundary::WordStart
            || !folded[end..]
                .chars()
                .next()
                .is_some_and(char::is_alphanumeric);
        if before_ok && after_ok {
            return Some(at);
        }
        start = at + phrase.len().max(1);
        while !folded.is_char_boundary(start) {
            start += 1;
        }
    }
    None
}

/// Whether any entry of `list` occurs in `folded` on `boundary`.
pub fn any(folded: &str, list: &[&str], boundary: Boundary) -> bool {
    list.iter().any(|p| find(folded, p, boundary).is_some())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn boundaries_table() {
        use Boundary::*;
        for (text, phrase, boundary, want) in [
            ("i want a human", "human", WholeWord, Some(9)),
            ("not now", "no", WholeWord, None),
            ("no, thanks", "no", WholeWord, Some(0)),
            ("zelim da vratim cipele", "vrat", WordStart, Some(9)),
            ("zelim da vratim cipele", "vrat", WholeWord, None),
            ("povratak", "vrat", WordStart, None),
            ("", "x", WordStart, None),
            ("čaša čaj", "čaj", WholeWord, Some(7)),
        ] {
            assert_eq!(find(text, phrase, boundary), want, "{text} / {phrase}");
        }
    }
}
