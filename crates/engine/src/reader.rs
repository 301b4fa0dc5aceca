//! The reader: from the retrieved passages, the units that answer the question — a sentence, a
//! list item, a spec line ("Packed weight: 2.1 kg") — instead of a passage's first sentences.
//!
//! Each unit is embedded once, with its section heading in front so that "Weight: 410 g" knows
//! which product it describes: by the index when it indexes (the hit carries the vectors), else
//! the first time its chunk is read, and kept per chunk for the life of the process. A question
//! is matched to units by cosine in the embedder's multilingual space, so a Serbian "koliko je
//! težak" finds the English "Packed weight" line without a word list. (Adding the share of the
//! question's folded words found in a unit made the dev half worse at every weight tried.)

use crate::answer_kinds::{self, Kinds};
use frontdesk_core::config::ReaderConfig;
use frontdesk_core::embed::dot;
use frontdesk_core::retrieval::{ChunkKind, Hit};
use frontdesk_core::text::{
    fold, question_parts, unit_embed_text, unit_heading, units, Unit as TextUnit,
};
use frontdesk_core::{EmbedKind, Embedder, InferenceError, Lang};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// One readable unit of a passage and its embedding.
#[derive(Debug, Clone)]
struct Unit {
    text: String,
    vec: Vec<f32>,
    /// Its embedding by the companion embedder, for a unit of an English passage when one is
    /// configured.
    cvec: Option<Vec<f32>>,
    /// The kinds of value it states (a weight, a price, a duration …).
    kinds: Kinds,
    /// A list item under a label, a table row or an "attribute: value" line: a fact whose
    /// subject is its passage's heading, not a word of its own.
    headless: bool,
}

/// What the reader chose: the passage (index into the hits given) and its units, in the order
/// the passage has them.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub hit: usize,
    pub text: String,
    /// The best unit's score (cosine, less the rank penalty, plus the kind bonus).
    pub score: f32,
    /// False when the question asks for a kind of value (a weight, a price …) and the text
    /// states none.
    pub states_asked_kind: bool,
    /// Further passages and their units, for parts of the question the chosen passage does not
    /// answer, in the order of the parts (each led by its subject as [`Reading::subject`] is).
    pub more: Vec<(Hit, String)>,
    /// What the quoted units are about, when they do not say it themselves: the passage's
    /// section (a product's name) for a spec line, a list item or a table
    /// row that names none of its words. The reply leads with it.
    pub subject: Option<String>,
    /// The next-best units read, best first (at most [`RIVALS_KEPT`]): what else the passages
    /// offered. Logged with the answer signals (`respond`, debug) so the answer decision can be
    /// refitted offline on how clearly the chosen unit wins (crates/engine/README.md,
    /// "A unit-aware answer model").
    pub rivals: Vec<Rival>,
}

/// How many runner-up units a [`Reading`] keeps.
pub const RIVALS_KEPT: usize = 8;

/// A unit the reader did not choose: its score on the answer bar's scale, its cosine with the
/// chosen unit (near 1 when it restates it), and whether it comes from the chosen unit's
/// document.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Rival {
    pub score: f32,
    pub agreement: f32,
    pub same_doc: bool,
}

/// A unit offered to the LM reader: its passage (index into the hits given), its text and its
/// score.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub hit: usize,
    /// The passage's heading (FAQ question, section path or title).
    pub heading: String,
    pub text: String,
    pub score: f32,
}

type UnitScores = (
    Vec<(usize, Vec<(usize, f32)>)>,
    Vec<Arc<Vec<Unit>>>,
    Vec<Vec<f32>>,
);

/// A question's embeddings: the main embedder's, and the companion's for an English question.
struct QuestionVecs {
    main: Vec<f32>,
    companion: Option<Vec<f32>>,
}

/// The companion's say in each unit's score: `weight` × (its cosine with the question less
/// the mean of those cosines over every unit that has a companion vector), so it reorders the
/// units of English passages among themselves and leaves the main cosine's scale alone; 0 for
/// a unit without a companion vector or a question without one.
fn companion_say(q: Option<&[f32]>, passages: &[Arc<Vec<Unit>>], weight: f32) -> Vec<Vec<f32>> {
    let cos: Vec<Vec<Option<f32>>> = passages
        .iter()
        .map(|units| {
            units
                .iter()
                .map(|u| match (q, &u.cvec) {
                    (Some(q), Some(v)) => Some(dot(q, v)),
                    _ => None,
                })
                .collect()
        })
        .collect();
    let all: Vec<f32> = cos.iter().flatten().flatten().copied().collect();
    let mean = if all.is_empty() {
        0.0
    } else {
        all.iter().sum::<f32>() / all.len() as f32
    };
    cos.iter()
        .map(|units| {
            units
                .iter()
                .map(|c| c.map_or(0.0, |c| weight * (c - mean)))
                .collect()
        })
        .collect()
}

pub struct Reader {
    embedder: Arc<dyn Embedder>,
    /// An English-only second view of questions and units (`with_companion`).
    companion: Option<Arc<dyn Embedder>>,
    params: ReaderConfig,
    units: Mutex<HashMap<String, Arc<Vec<Unit>>>>,
}

/// The units of a passage (an FAQ answer is one unit); see [`units`].
fn unit_texts(hit: &Hit) -> Vec<TextUnit> {
    units(&hit.text, hit.kind == ChunkKind::Faq)
}

/// A passage's heading: its FAQ question, else its section path, else its title.
fn heading(hit: &Hit) -> &str {
    unit_heading(hit.question.as_deref(), &hit.section, &hit.title)
}

/// What a unit is embedded as: with its heading (and list label) first, so the unit knows its
/// subject.
fn embed_text(hit: &Hit, unit: &TextUnit) -> String {
    unit_embed_text(heading(hit), unit)
}

impl Reader {
    pub fn new(embedder: Arc<dyn Embedder>, params: ReaderConfig) -> Self {
        Self {
            embedder,
            companion: None,
            params,
            units: Mutex::new(HashMap::new()),
        }
    }

    /// The reader with `companion` as a second view of English questions and English units:
    /// its cosine, less its mean over the units read, is added × `companion_weight` to the
    /// score that chooses units (not to the score the answer bar reads).
    pub fn with_companion(self, companion: Option<Arc<dyn Embedder>>) -> Self {
        Self { companion, ..self }
    }

    async fn units_of(&self, hit: &Hit) -> Result<Arc<Vec<Unit>>, InferenceError> {
        if let Some(u) = self
            .units
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&hit.chunk_id)
        {
            return Ok(u.clone());
        }
        let texts = unit_texts(hit);
        let inputs: Vec<String> = texts
            .iter()
            .map(|t| {
                if self.params.unit_heading {
                    embed_text(hit, t)
                } else {
                    t.text.clone()
                }
            })
            .collect();
        // The index embedded the units as they are embedded here (headed, by the same model),
        // unless the hit came from elsewhere or the configuration differs.
        let indexed = hit.unit_vectors.as_ref().filter(|u| {
            self.params.unit_heading
                && u.vectors.len() == texts.len()
                && u.model_id == self.embedder.info().model_id
        });
        // The two views embed on their own worker threads, at the same time.
        let companion = self.companion_for(hit.lang).filter(|_| !texts.is_empty());
        let companion_inputs = companion.map(|_| inputs.clone());
        let main_view = async {
            match indexed {
                Some(u) => Ok(u.vectors.clone()),
                None if texts.is_empty() => Ok(Vec::new()),
                None => self.embedder.embed(inputs, EmbedKind::Passage).await,
            }
        };
        let second_view = async {
            match (companion, companion_inputs) {
                (Some(c), Some(inputs)) => c.embed(inputs, EmbedKind::Passage).await.map(Some),
                _ => Ok(None),
            }
        };
        let (vecs, cvecs) = tokio::join!(main_view, second_view);
        let vecs = vecs?;
        let cvecs: Vec<Option<Vec<f32>>> = match cvecs? {
            Some(v) => v.into_iter().map(Some).collect(),
            None => vec![None; texts.len()],
        };
        let units: Arc<Vec<Unit>> = Arc::new(
            texts
                .into_iter()
                .zip(vecs)
                .zip(cvecs)
                .map(|((u, vec), cvec)| Unit {
                    kinds: answer_kinds::stated(&u.text),
                    headless: u.label.is_some() || is_attribute_line(&u.text),
                    text: u.text,
                    vec,
                    cvec,
                })
                .collect(),
        );
        self.units
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(hit.chunk_id.clone(), units.clone());
        Ok(units)
    }

    /// The companion view for passages (or questions) in `lang`: English only.
    fn companion_for(&self, lang: Lang) -> Option<&Arc<dyn Embedder>> {
        match (&self.companion, lang) {
            (Some(c), Lang::En) if self.params.companion_weight > 0.0 => Some(c),
            _ => None,
        }
    }

    /// Every unit of the first `max_hits` passages scored against `q` (cosine, less the
    /// rank penalty, plus the kind bonus for a unit that states a value of a kind `asked`, plus
    /// the companion's say): per passage, (unit index, score); the passages' units; and per
    /// passage and unit the companion's part of the score (0 without one).
    async fn score_units(
        &self,
        q: &QuestionVecs,
        asked: Kinds,
        hits: &[&Hit],
    ) -> Result<UnitScores, InferenceError> {
        let p = self.params;
        let mut scored: Vec<(usize, Vec<(usize, f32)>)> = Vec::new();
        let mut all_units: Vec<Arc<Vec<Unit>>> = Vec::new();
        for (h, hit) in hits.iter().take(p.max_hits.max(1)).enumerate() {
            let units = self.units_of(hit).await?;
            let scores = units
                .iter()
                .enumerate()
                .map(|(i, u)| {
                    let bonus = if u.kinds.meets(asked) {
                        p.kind_bonus
                    } else {
                        0.0
                    };
                    (i, dot(&q.main, &u.vec) - p.rank_penalty * h as f32 + bonus)
                })
                .collect();
            scored.push((h, scores));
            all_units.push(units);
        }
        let say = companion_say(q.companion.as_deref(), &all_units, p.companion_weight);
        for ((_, scores), say) in scored.iter_mut().zip(&say) {
            for (i, s) in scores.iter_mut() {
                *s += say[*i];
            }
        }
        Ok((scored, all_units, say))
    }

    async fn embed_question(
        &self,
        question: &str,
        lang: Lang,
    ) -> Result<QuestionVecs, InferenceError> {
        let one = |v: Vec<Vec<f32>>| v.into_iter().next().unwrap_or_default();
        let text = || vec![question.to_string()];
        let second_view = async {
            match self.companion_for(lang) {
                Some(c) => c
                    .embed(text(), EmbedKind::Query)
                    .await
                    .map(|v| Some(one(v))),
                None => Ok(None),
            }
        };
        let (main, companion) =
            tokio::join!(self.embedder.embed(text(), EmbedKind::Query), second_view);
        let (main, companion) = (one(main?), companion?);
        Ok(QuestionVecs { main, companion })
    }

    /// The `k` units of `hits` closest to `question`, best first, each with its passage: the
    /// facts the LM reader is given.
    pub async fn candidates(
        &self,
        question: &str,
        hits: &[&Hit],
        k: usize,
        lang: Lang,
    ) -> Result<Vec<Candidate>, InferenceError> {
        let q = self.embed_question(question, lang).await?;
        let asked = answer_kinds::asked(question);
        let (scored, all_units, _) = self.score_units(&q, asked, hits).await?;
        let mut flat: Vec<Candidate> = scored
            .iter()
            .flat_map(|(h, s)| {
                let units = &all_units[*h];
                let head = heading(hits[*h]);
                s.iter().map(move |(i, v)| Candidate {
                    hit: *h,
                    heading: head.to_string(),
                    text: units[*i].text.clone(),
                    score: *v,
                })
            })
            .collect();
        flat.sort_by(|a, b| b.score.total_cmp(&a.score));
        flat.truncate(k);
        Ok(flat)
    }

    /// The units of `hits` that best answer `question`; `None` when no passage has any. The
    /// answer is chosen from the first `main` hits (at most `max_hits` of them); the hits after
    /// `main` were found by searching the parts of the question on their own, and only a part
    /// of the question is answered from them.
    pub async fn read(
        &self,
        question: &str,
        hits: &[&Hit],
        main: usize,
        lang: Lang,
    ) -> Result<Option<Reading>, InferenceError> {
        let p = self.params;
        let main = main.min(hits.len());
        let q = self.embed_question(question, lang).await?;
        let asked = answer_kinds::asked(question);
        let (scored, all_units, say) = self.score_units(&q, asked, &hits[..main]).await?;
        let best = scored
            .iter()
            .flat_map(|(h, s)| s.iter().map(move |(i, v)| (*h, *i, *v)))
            .max_by(|a, b| a.2.total_cmp(&b.2));
        let Some((h, best_unit, best_score)) = best else {
            return Ok(None);
        };
        let mut keep: Vec<(usize, f32)> = scored[h]
            .1
            .iter()
            .copied()
            .filter(|(i, s)| *i == best_unit || *s >= best_score - p.join_margin)
            .collect();
        keep.sort_by(|a, b| b.1.total_cmp(&a.1));
        keep.truncate(p.max_units.max(1));
        let units = &all_units[h];
        // A question in several parts gets the best unit for each part too, so the second half
        // of "is it in stock, and how heavy is it?" is not left unanswered: from the chosen
        // passage, or (with part search) from any passage read or found for the part.
        let mut read_more: Vec<(usize, Vec<usize>, Arc<Vec<Unit>>)> = Vec::new();
        let parts = question_parts(question, lang);
        if parts.len() > 1 && !units.is_empty() {
            let part_vecs = self
                .embedder
                .embed(
                    parts.iter().map(|s| s.to_string()).collect(),
                    EmbedKind::Query,
                )
                .await?;
            let mut passages: Vec<(usize, Arc<Vec<Unit>>)> = vec![(h, units.clone())];
            if p.part_search {
                for (other, u) in all_units.iter().enumerate().take(main) {
                    if other != h {
                        passages.push((other, u.clone()));
                    }
                }
                for (other, hit) in hits.iter().enumerate().skip(main) {
                    passages.push((other, self.units_of(hit).await?));
                }
            }
            let part_companion_vecs = match self.companion_for(lang) {
                Some(c) => Some(
                    c.embed(
                        parts.iter().map(|s| s.to_string()).collect(),
                        EmbedKind::Query,
                    )
                    .await?,
                ),
                _ => None,
            };
            let passage_units: Vec<Arc<Vec<Unit>>> =
                passages.iter().map(|(_, u)| u.clone()).collect();
            for (n, (part, pv)) in parts.iter().zip(&part_vecs).enumerate() {
                let part_asked = answer_kinds::asked(part);
                let cpv = part_companion_vecs.as_ref().and_then(|v| v.get(n));
                let part_say = companion_say(
                    cpv.map(|v| v.as_slice()),
                    &passage_units,
                    p.companion_weight,
                );
                let part_say = &part_say;
                let scored_part = passages.iter().enumerate().flat_map(|(n, (ph, pu))| {
                    pu.iter().enumerate().map(move |(i, u)| {
                        // The part alone: adding the whole question (to keep a subject the
                        // part may have lost) leaned towards the units answering the other
                        // parts, and read worse on the dev half at every weight.
                        let bonus = if p.part_search && u.kinds.meets(part_asked) {
                            p.kind_bonus
                        } else {
                            0.0
                        };
                        (*ph, pu, i, dot(pv, &u.vec) + bonus + part_say[n][i])
                    })
                });
                let best_in_chosen = scored_part
                    .clone()
                    .filter(|(ph, ..)| *ph == h)
                    .max_by(|a, b| a.3.total_cmp(&b.3));
                let best_elsewhere = scored_part
                    .filter(|(ph, ..)| *ph != h)
                    .max_by(|a, b| a.3.total_cmp(&b.3));
                // Another passage answers the part only when it is clearly better at it: each
                // further source lengthens the reply.
                let best = match (best_in_chosen, best_elsewhere) {
                    (Some(c), Some(e)) if e.3 >= c.3 + p.part_margin => e,
                    (Some(c), _) => c,
                    (None, Some(e)) => e,
                    (None, None) => continue,
                };
                let (ph, pu, i, score) = best;
                if ph == h {
                    if !keep.iter().any(|(k, _)| *k == i) {
                        keep.push((i, score));
                    }
                } else {
                    match read_more.iter_mut().find(|(m, ..)| *m == ph) {
                        Some((_, list, _)) if !list.contains(&i) => list.push(i),
                        Some(_) => {}
                        None => read_more.push((ph, vec![i], pu.clone())),
                    }
                }
            }
            // A further passage is quoted only for what the chosen one does not already say.
            let chosen: Vec<&str> = keep.iter().map(|(i, _)| units[*i].text.as_str()).collect();
            for (_, list, pu) in &mut read_more {
                list.sort_unstable();
                list.retain(|i| !chosen.contains(&pu[*i].text.as_str()));
            }
            read_more.retain(|(_, list, _)| !list.is_empty());
        }
        let best_vec = &units[best_unit].vec;
        let mut rivals: Vec<Rival> = scored
            .iter()
            .flat_map(|(oh, s)| s.iter().map(move |(i, v)| (*oh, *i, *v)))
            .filter(|(oh, i, _)| !(*oh == h && *i == best_unit))
            .map(|(oh, i, v)| Rival {
                score: v - say[oh][i],
                agreement: dot(best_vec, &all_units[oh][i].vec),
                same_doc: hits[oh].doc_id == hits[h].doc_id,
            })
            .collect();
        rivals.sort_by(|a, b| b.score.total_cmp(&a.score));
        rivals.truncate(RIVALS_KEPT);
        keep.sort_by_key(|(i, _)| *i);
        let kept: Vec<usize> = keep.iter().map(|(i, _)| *i).collect();
        let text = join_units(units, kept.iter().copied());
        let subject = unnamed_subject(hits[h], units, &kept, &text);
        let states_asked_kind = asked.is_empty()
            || keep.iter().any(|(i, _)| units[*i].kinds.meets(asked))
            || read_more
                .iter()
                .any(|(_, l, pu)| l.iter().any(|i| pu[*i].kinds.meets(asked)));
        Ok(Some(Reading {
            hit: h,
            text,
            subject,
            // The answer bar reads the main embedder's scale: the companion only chooses.
            score: best_score - say[h][best_unit],
            states_asked_kind,
            more: read_more
                .iter()
                .map(|(ph, l, pu)| {
                    let text = join_units(pu, l.iter().copied());
                    let subject = unnamed_subject(hits[*ph], pu, l, &text);
                    ((*hits[*ph]).clone(), led_by(subject, text))
                })
                .collect(),
            rivals,
        }))
    }
}

/// A line that states one attribute: a short name, a colon and a space (or Markdown bold's
/// closing stars), then its value ("Weight: 640 g", "colour grey: 54.00 EUR, in stock"). A
/// clock time's colon ("opens at 09:30 on weekdays") is not one.
fn is_attribute_line(text: &str) -> bool {
    let Some(colon) = text.char_indices().find_map(|(i, c)| {
        (c == ':'
            && text[i + 1..]
                .trim_start_matches('*')
                .starts_with(char::is_whitespace))
        .then_some(i)
    }) else {
        return false;
    };
    let name = text[..colon].trim();
    !name.is_empty()
        && name.split_whitespace().count() <= MAX_ATTRIBUTE_WORDS
        && !name.contains(['.', '!', '?'])
        && !text[colon + 1..].trim_start_matches('*').trim().is_empty()
}

/// Most words [`is_attribute_line`] takes for an attribute's name ("Maximum recommended
/// load"): a name, not a sentence ending in a colon ("We ask for the reason: …").
const MAX_ATTRIBUTE_WORDS: usize = 4;

/// The subject `text` (the passage's units at `which`) leaves unsaid: the passage's, when
/// every unit quoted is headless and none names it.
fn unnamed_subject(hit: &Hit, units: &[Unit], which: &[usize], text: &str) -> Option<String> {
    if which.iter().all(|i| units[*i].headless) {
        subject_of(hit).filter(|s| !names_any_word_of(text, s))
    } else {
        None
    }
}

/// `text` as the reply quotes it: after its `subject`, when it leaves one unsaid.
pub fn led_by(subject: Option<String>, text: String) -> String {
    match subject {
        Some(subject) => format!("{subject} — {text}"),
        None => text,
    }
}

/// What a passage's units are about: the last part of its section path, without a trailing
/// parenthesis (a SKU); none for an FAQ answer (its question is the subject) or a passage with
/// no section.
fn subject_of(hit: &Hit) -> Option<String> {
    if hit.kind == ChunkKind::Faq {
        return None;
    }
    let last = hit.section.rsplit(" > ").next()?.trim();
    let last = match last.rfind(" (") {
        Some(i) if last.ends_with(')') => last[..i].trim(),
        _ => last,
    };
    (!last.is_empty()).then(|| last.to_string())
}

/// Whether `text` holds any word of `subject` (folded, so scripts and diacritics do not
/// matter); a subject of only short words counts as named.
fn names_any_word_of(text: &str, subject: &str) -> bool {
    let text = fold(text);
    let words: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let subject = fold(subject);
    let mut any = false;
    for w in subject
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= MIN_SUBJECT_WORD_CHARS)
    {
        any = true;
        if words.contains(&w) {
            return true;
        }
    }
    !any
}

/// Shorter words of a subject ("2", "l", "of") say too little to count as naming it.
const MIN_SUBJECT_WORD_CHARS: usize = 3;

/// The texts of `units` at `which`, in that order, as one answer. A unit that does not end a
/// sentence (a spec line, a list item, a table row) is closed with a full stop before the
/// next, so "Weight: 1.3 kg" and "Maximum load: 12 kg" do not run together into one line, on
/// screen or read aloud.
fn join_units(units: &[Unit], which: impl Iterator<Item = usize>) -> String {
    let mut out = String::new();
    for i in which {
        if !out.is_empty() {
            if !out.ends_with(['.', '!', '?', ':', ';']) {
                out.push('.');
            }
            out.push(' ');
        }
        out.push_str(units[i].text.trim_end());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontdesk_core::testing::HashEmbedder;

    fn product(text: &str) -> Hit {
        Hit {
            chunk_id: "tents#alpina".into(),
            doc_id: "products/tents".into(),
            title: "Tents".into(),
            url: None,
            source: "products/tents.md".into(),
            lang: frontdesk_core::Lang::En,
            tags: vec![],
            kind: ChunkKind::Product,
            section: "Tents > Alpina 2 Tent".into(),
            question: None,
            text: text.into(),
            scores: Default::default(),
            confidence: 0.9,
            unit_vectors: None,
        }
    }

    #[test]
    fn units_are_embedded_under_their_passage_heading() {
        let h =
            product("Alpina 2 Tent: a light tent.\n\nSpecifications:\n\n- Packed weight: 2.1 kg\n");
        let units = unit_texts(&h);
        assert_eq!(
            embed_text(&h, &units[1]),
            "Tents > Alpina 2 Tent: Specifications: Packed weight: 2.1 kg"
        );
        let mut faq = product("Returns are free within 30 days.");
        faq.kind = ChunkKind::Faq;
        faq.question = Some("Are returns free?".into());
        let units = unit_texts(&faq);
        assert_eq!(units.len(), 1);
        assert_eq!(
            embed_text(&faq, &units[0]),
            "Are returns free?: Returns are free within 30 days."
        );
    }

    #[tokio::test]
    async fn the_unit_that_shares_the_question_wins_over_the_first_sentence() {
        let reader = Reader::new(Arc::new(HashEmbedder::new(64)), ReaderConfig::default());
        let h = product("Alpina 2 Tent: a freestanding tent for two. Price: 289.00 EUR.\n\n- Packed weight: 2.1 kg\n- Floor: 215 x 130 cm\n");
        let r = reader
            .read("what is the packed weight", &[&h], 1, Lang::En)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.hit, 0);
        assert!(r.text.contains("2.1 kg"), "{r:?}");
        assert!(!r.text.contains("freestanding"), "{r:?}");
        // Read a second time from the cache, with the same result.
        let again = reader
            .read("what is the packed weight", &[&h], 1, Lang::En)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(again, r);
    }

    #[tokio::test]
    async fn units_the_index_embedded_are_read_as_they_are() {
        let embedder = Arc::new(HashEmbedder::new(64));
        let reader = Reader::new(embedder.clone(), ReaderConfig::default());
        let text = "Alpina 2 Tent: a freestanding tent for two.\n\n- Packed weight: 2.1 kg\n- Floor: 215 x 130 cm\n";
        let question = "what is the packed weight";
        // Index vectors that put the floor line, not the weight line, at the question: the
        // reader can only quote the floor line if it reads them instead of embedding the units.
        let q = embedder
            .embed(vec![question.into()], EmbedKind::Query)
            .await
            .unwrap()
            .remove(0);
        let other: Vec<f32> = q.iter().rev().copied().collect();
        let indexed = |model_id: String| {
            let mut h = product(text);
            h.unit_vectors = Some(Arc::new(frontdesk_core::retrieval::UnitVectors {
                model_id,
                vectors: vec![other.clone(), other.clone(), q.clone()],
            }));
            h
        };
        let h = indexed(embedder.info().model_id);
        let r = reader
            .read(question, &[&h], 1, Lang::En)
            .await
            .unwrap()
            .unwrap();
        assert!(r.text.contains("215 x 130"), "{r:?}");
        // Vectors of another model are not this reader's: it embeds the units itself.
        let fresh = Reader::new(embedder.clone(), ReaderConfig::default());
        let h = indexed("another-model".into());
        let r = fresh
            .read(question, &[&h], 1, Lang::En)
            .await
            .unwrap()
            .unwrap();
        assert!(r.text.contains("2.1 kg"), "{r:?}");
    }

    #[tokio::test]
    async fn each_part_of_a_two_part_question_gets_its_unit() {
        // Wide enough that the hashed words of these few units do not collide.
        let reader = Reader::new(Arc::new(HashEmbedder::new(1024)), ReaderConfig::default());
        let h = product("Alpina 2 Tent: a freestanding tent for two. Price: 289.00 EUR.\n\n- Packed weight: 2.1 kg\n- Floor: 215 x 130 cm\n- Fly fabric: 20D ripstop nylon\n- Poles: aluminium, colour-coded\n");
        let question = "what is the packed weight, and what fabric is the fly made of?";
        let r = reader
            .read(question, &[&h], 1, Lang::En)
            .await
            .unwrap()
            .unwrap();
        assert!(r.text.contains("2.1 kg"), "{r:?}");
        assert!(r.text.contains("ripstop"), "{r:?}");
        // Each half alone finds only its own unit: the whole question needs both.
        let first = reader
            .read("what is the packed weight", &[&h], 1, Lang::En)
            .await
            .unwrap()
            .unwrap();
        assert!(!first.text.contains("ripstop"), "{first:?}");
    }

    #[tokio::test]
    async fn a_part_the_chosen_passage_cannot_answer_is_read_from_the_passage_found_for_it() {
        let tent = product("Alpina 2 Tent: a freestanding tent for two.\n\n- Packed weight: 2.1 kg\n- Floor: 215 x 130 cm\n");
        let mut returns = product("Unworn items can be returned within 30 days.\n\nRefunds reach the card in 5 business days.\n");
        returns.chunk_id = "policies/returns#0".into();
        returns.doc_id = "policies/returns".into();
        returns.kind = ChunkKind::Passage;
        returns.section = "Returns".into();
        let question = "what is the packed weight of the tent, and within how many days can unworn items be returned?";
        // (part search, further passage quoted)
        for (part_search, want_more) in [(true, true), (false, false)] {
            let params = ReaderConfig {
                part_search,
                ..ReaderConfig::default()
            };
            let reader = Reader::new(Arc::new(HashEmbedder::new(1024)), params);
            // The tent is what the whole question found; the returns page was found for a part.
            let r = reader
                .read(question, &[&tent, &returns], 1, Lang::En)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(r.hit, 0);
            assert!(r.text.contains("2.1 kg"), "{r:?}");
            if want_more {
                assert_eq!(r.more.len(), 1, "{r:?}");
                assert_eq!(r.more[0].0.chunk_id, "policies/returns#0");
                assert!(r.more[0].1.contains("30 days"), "{r:?}");
            } else {
                assert!(r.more.is_empty(), "{r:?}");
            }
        }
        // A question in one part is never answered from a passage found for a part.
        let reader = Reader::new(Arc::new(HashEmbedder::new(1024)), ReaderConfig::default());
        let r = reader
            .read(
                "what is the packed weight of the tent",
                &[&tent, &returns],
                1,
                Lang::En,
            )
            .await
            .unwrap()
            .unwrap();
        assert!(r.more.is_empty(), "{r:?}");
    }

    #[tokio::test]
    async fn a_table_row_answers_a_question_about_that_row() {
        let reader = Reader::new(Arc::new(HashEmbedder::new(1024)), ReaderConfig::default());
        let mut h = product("Opening hours:\n\n| Centre | Weekdays | Saturday |\n|---|---|---|\n| Belgrade | 08–20 | 09–15 |\n| Nis | 08–19 | 09–14 |\n");
        h.kind = ChunkKind::Passage;
        let r = reader
            .read(
                "what are the saturday hours of the nis centre",
                &[&h],
                1,
                Lang::En,
            )
            .await
            .unwrap()
            .unwrap();
        assert!(
            r.text.contains("Centre: Nis") && r.text.contains("Saturday: 09–14"),
            "{r:?}"
        );
        assert!(
            !r.text.contains("Belgrade") && !r.text.contains("| Centre |"),
            "{r:?}"
        );
    }

    #[test]
    fn units_that_end_no_sentence_are_closed_before_the_next() {
        let unit = |text: &str| Unit {
            text: text.into(),
            vec: vec![],
            cvec: None,
            kinds: Kinds::empty(),
            headless: true,
        };
        let units = [
            unit("Weight: 1.3 kg"),
            unit("Maximum load: 12 kg"),
            unit("It is waterproof."),
            unit("Colours: red; blue"),
        ];
        assert_eq!(
            join_units(&units, 0..4),
            "Weight: 1.3 kg. Maximum load: 12 kg. It is waterproof. Colours: red; blue"
        );
        assert_eq!(join_units(&units, [2].into_iter()), "It is waterproof.");
    }

    #[test]
    fn attribute_lines_table() {
        for (line, attribute) in [
            ("Weight: 640 g", true),
            ("Largest recommended load: 30 kg", true),
            ("colour grey: 54.00 EUR, out of stock", true),
            ("Before 10:00:** €12 (1,400 RSD)", true),
            ("The desk opens at 09:30 on weekdays.", false),
            (
                "We ask you for the reason first: no longer needed or a mistake.",
                false,
            ),
            ("Note: ", false),
            ("No colon at all", false),
        ] {
            assert_eq!(is_attribute_line(line), attribute, "{line}");
        }
    }

    #[tokio::test]
    async fn a_quoted_fact_that_does_not_name_its_subject_is_led_by_its_section_table() {
        let reader = Reader::new(Arc::new(HashEmbedder::new(1024)), ReaderConfig::default());
        // (section, passage, question, the subject the reply leads with)
        let rows: &[(&str, &str, &str, Option<&str>)] = &[
            // A spec line under a label: its product is only in the section.
            (
                "Shelters > Ridgeline Bivy (RL-BV-1)",
                "A one-person bivy.\n\nSpecifications:\n\n- Carry mass: 0.9 kg\n",
                "carry mass",
                Some("Ridgeline Bivy"),
            ),
            // An attribute line of its own.
            (
                "Heaters > Glowbox Heater",
                "Output: 900 W",
                "output",
                Some("Glowbox Heater"),
            ),
            // The fact names its subject: nothing to add.
            (
                "Shelters > Ridgeline Bivy",
                "The Ridgeline weighs 0.9 kg to carry.",
                "ridgeline weighs carry",
                None,
            ),
            // A sentence carries its own subject, even when the section's words are absent.
            (
                "Returns > Worn footwear",
                "They are refunded within 14 days of arrival.",
                "refunded within days",
                None,
            ),
        ];
        for (section, text, question, subject) in rows {
            let mut h = product(text);
            h.section = section.to_string();
            h.chunk_id = section.to_string(); // the reader keeps units per chunk
            let r = reader
                .read(question, &[&h], 1, Lang::En)
                .await
                .unwrap()
                .unwrap();
            assert_eq!(r.subject.as_deref(), *subject, "{section}: {r:?}");
        }
        // An FAQ answer's subject is its question.
        let mut faq = product("Weight: 2.1 kg");
        faq.chunk_id = "faq#ridgeline".into();
        faq.kind = ChunkKind::Faq;
        faq.question = Some("How heavy is the Ridgeline?".into());
        let r = reader
            .read("weight", &[&faq], 1, Lang::En)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.subject, None);
    }

    #[tokio::test]
    async fn a_unit_stating_the_kind_of_value_asked_is_preferred() {
        let h = product("Alpina 2 Tent: a freestanding tent for two hikers.\n\n- Packed: 2.1 kg\n");
        let question = "how heavy is the alpina 2 tent for two hikers";
        let plain = Reader::new(Arc::new(HashEmbedder::new(1024)), ReaderConfig::default());
        let r = plain
            .read(question, &[&h], 1, Lang::En)
            .await
            .unwrap()
            .unwrap();
        assert!(
            r.text.contains("freestanding") && !r.text.contains("2.1 kg"),
            "{r:?}"
        );
        assert!(!r.states_asked_kind, "{r:?}");
        let params = ReaderConfig {
            kind_bonus: 1.0,
            ..ReaderConfig::default()
        };
        let preferring = Reader::new(Arc::new(HashEmbedder::new(1024)), params);
        let r = preferring
            .read(question, &[&h], 1, Lang::En)
            .await
            .unwrap()
            .unwrap();
        assert!(r.text.contains("2.1 kg"), "{r:?}");
        assert!(r.states_asked_kind, "{r:?}");
        // A question that asks for no kind of value is read as before.
        let r = preferring
            .read("is the alpina 2 tent freestanding", &[&h], 1, Lang::En)
            .await
            .unwrap()
            .unwrap();
        assert!(
            r.text.contains("freestanding") && r.states_asked_kind,
            "{r:?}"
        );
    }

    #[tokio::test]
    async fn nothing_to_read_is_none() {
        let reader = Reader::new(Arc::new(HashEmbedder::new(64)), ReaderConfig::default());
        assert_eq!(
            reader.read("anything", &[], 0, Lang::En).await.unwrap(),
            None
        );
        let empty = product("");
        assert_eq!(
            reader
                .read("anything", &[&empty], 1, Lang::En)
                .await
                .unwrap(),
            None
        );
    }

    /// A second view that knows one synonym the bag of words does not: what a thing is built
    /// from is its material. Its three dimensions: material, warranty, anything else.
    struct SynonymEmbedder;

    #[async_trait::async_trait]
    impl Embedder for SynonymEmbedder {
        fn info(&self) -> frontdesk_core::EmbedderInfo {
            HashEmbedder::new(3).info()
        }
        async fn embed(
            &self,
            texts: Vec<String>,
            _kind: EmbedKind,
        ) -> Result<Vec<Vec<f32>>, InferenceError> {
            Ok(texts
                .iter()
                .map(|t| {
                    let t = t.to_lowercase();
                    let material = t.contains("built from") || t.contains("material");
                    let v = [
                        material as u8 as f32,
                        t.contains("warranty") as u8 as f32,
                        0.1,
                    ];
                    let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
                    v.iter().map(|x| x / n).collect()
                })
                .collect())
        }
    }

    #[tokio::test]
    async fn the_companion_chooses_among_english_units_and_the_bar_keeps_the_main_scale() {
        let h = product(
            "- Warranty: the lid is covered for two years\n- Material: anodised aluminium\n",
        );
        let question = "what is the lid built from";
        let main = Arc::new(HashEmbedder::new(1024));
        let off = ReaderConfig {
            companion_weight: 0.0,
            ..ReaderConfig::default()
        };
        let alone = Reader::new(main.clone(), off);
        let r = alone
            .read(question, &[&h], 1, Lang::En)
            .await
            .unwrap()
            .unwrap();
        assert!(
            r.text.starts_with("Warranty"),
            "the bag of words alone: {r:?}"
        );
        let params = ReaderConfig {
            companion_weight: 1.0,
            ..off
        };
        let both =
            Reader::new(main.clone(), params).with_companion(Some(Arc::new(SynonymEmbedder)));
        let r = both
            .read(question, &[&h], 1, Lang::En)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(r.text, "Material: anodised aluminium", "{r:?}");
        // The score the answer bar reads is the main embedder's cosine of the chosen unit.
        let q = main.embed_one(question);
        let u = main.embed_one(&embed_text(&h, &unit_texts(&h)[1]));
        assert!((r.score - dot(&q, &u)).abs() < 1e-5, "{r:?}");
        // A Serbian question is not read by the English-only view; nor is an English question
        // with the weight at 0.
        let r = both
            .read(question, &[&h], 1, Lang::SrLatn)
            .await
            .unwrap()
            .unwrap();
        assert!(r.text.starts_with("Warranty"), "{r:?}");
        let unweighted = Reader::new(main, off).with_companion(Some(Arc::new(SynonymEmbedder)));
        let r = unweighted
            .read(question, &[&h], 1, Lang::En)
            .await
            .unwrap()
            .unwrap();
        assert!(r.text.starts_with("Warranty"), "{r:?}");
    }
}
