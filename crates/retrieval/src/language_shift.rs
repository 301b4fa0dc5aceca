//! Taking the language out of a cosine.
//!
//! A multilingual embedder puts texts of one language near each other whatever they say: with
//! multilingual-e5-small, a Serbian question is closer to the shop's few Serbian pages than to
//! the English page that answers it (on the demo shop's fresh dev questions, 58 of the 87
//! Serbian questions whose page was not ranked first had the Serbian FAQ first). The share of
//! a cosine that comes from the language alone is the query's similarity to the centroid of
//! the chunks in that language. Each chunk's cosine is moved by the difference between that
//! and the query's similarity to the centroid of the language it resembles most (its own, for
//! a question in a language the index holds):
//!
//! `adjusted(q, chunk) = q·chunk − q·centroid(language of chunk) + max over L of q·centroid(L)`
//!
//! so chunks in the question's language keep their cosines (and the confidence model and the
//! thresholds fitted on such cosines keep their meaning), and chunks in other languages are
//! measured as if they were written in it. With one language in the index nothing changes. A
//! language with few chunks gets a centroid drawn towards the overall one (`PRIOR_CHUNKS`
//! pseudo-chunks), so a single page is not cancelled against itself.

use crate::dense::dot;
use frontdesk_core::Lang;

/// Pseudo-chunks of the overall centroid added to each language's centroid. Chosen on the
/// demo shop's fresh dev questions (dense hit@1 per language for 0, 5, 20 and 50: 5 was as good
/// as 0 in Cyrillic and better in Latin; 20 and 50 gave back most of the gain).
const PRIOR_CHUNKS: f32 = 5.0;

pub struct LanguageShift {
    /// The languages present, in the order of `centroids`.
    langs: Vec<Lang>,
    /// Per language present: its (shrunk) centroid. Empty when the index has one language.
    centroids: Vec<Vec<f32>>,
    dim: usize,
    /// Row of a chunk → index into `centroids`.
    row_group: Vec<usize>,
}

/// What one query vector's cosines are shifted by, per language group of the index.
pub struct QueryShift(Vec<f32>);

impl QueryShift {
    pub fn none() -> Self {
        Self(Vec::new())
    }
}

impl LanguageShift {
    /// `row_lang[r]` is the language of chunk row `r`; `vectors` are its rows of `dim` floats.
    pub fn build(dim: usize, vectors: &[f32], row_lang: &[Lang]) -> Self {
        let mut langs: Vec<Lang> = row_lang.to_vec();
        langs.sort_by_key(|l| l.code());
        langs.dedup();
        let rows = vectors.chunks_exact(dim.max(1));
        if langs.len() < 2 || dim == 0 || rows.len() != row_lang.len() {
            return Self::disabled();
        }
        let group_of = |l: Lang| langs.iter().position(|x| *x == l).unwrap_or(0);
        let mut sums = vec![vec![0.0f32; dim]; langs.len()];
        let mut counts = vec![0.0f32; langs.len()];
        let mut overall = vec![0.0f32; dim];
        let row_group: Vec<usize> = row_lang.iter().map(|l| group_of(*l)).collect();
        for (v, &g) in rows.zip(&row_group) {
            for ((s, o), x) in sums[g].iter_mut().zip(overall.iter_mut()).zip(v) {
                *s += x;
                *o += x;
            }
            counts[g] += 1.0;
        }
        let n = row_lang.len() as f32;
        overall.iter_mut().for_each(|x| *x /= n);
        let centroids = sums
            .into_iter()
            .zip(&counts)
            .map(|(sum, &c)| {
                sum.iter()
                    .zip(&overall)
                    .map(|(s, o)| (s + PRIOR_CHUNKS * o) / (c + PRIOR_CHUNKS))
                    .collect()
            })
            .collect();
        Self {
            langs,
            centroids,
            dim,
            row_group,
        }
    }

    pub fn disabled() -> Self {
        Self {
            langs: Vec::new(),
            centroids: Vec::new(),
            dim: 0,
            row_group: Vec::new(),
        }
    }

    /// Whether the index holds more than one language (otherwise cosines are left as they are).
    pub fn is_active(&self) -> bool {
        !self.centroids.is_empty()
    }

    /// The shift for a query known to be in `lang`: chunks in that language keep their
    /// cosines. Serbian's two scripts count as one language here, the nearer of them being the
    /// query's own (a query and its other-script variant share `lang`). Without a language, or
    /// one the index lacks, the centroid the query resembles most stands in for its own —
    /// which is not its own when Serbian is mapped into English (`language_map.rs`): the two
    /// centroids are then near each other, and taking the larger similarity would lift every
    /// cosine of an English question a little.
    pub fn for_query_in(&self, q: &[f32], lang: Option<Lang>) -> QueryShift {
        if !self.is_active() || q.len() != self.dim {
            return QueryShift::none();
        }
        let sims: Vec<f32> = self.centroids.iter().map(|c| dot(q, c)).collect();
        let own = |x: &Lang| match lang {
            Some(l) if l.is_serbian() => x.is_serbian(),
            Some(l) => *x == l,
            None => true,
        };
        let reference = self
            .langs
            .iter()
            .zip(&sims)
            .filter(|(x, _)| own(x))
            .map(|(_, s)| *s)
            .reduce(f32::max)
            .unwrap_or_else(|| sims.iter().copied().fold(f32::MIN, f32::max));
        QueryShift(sims.into_iter().map(|o| reference - o).collect())
    }

    /// The cosine of chunk `row` with the language taken out.
    pub fn adjust(&self, shift: &QueryShift, row: usize, cosine: f32) -> f32 {
        match self.row_group.get(row).and_then(|&g| shift.0.get(g)) {
            Some(delta) => cosine + delta,
            None => cosine,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(v: &[f32]) -> Vec<f32> {
        let n = v.iter().map(|x| x * x).sum::<f32>().sqrt();
        v.iter().map(|x| x / n).collect()
    }

    /// Two English chunks about topics A and B, two Serbian chunks about C and D; a Serbian
    /// question about A. Axis 0..3 are topics, axis 4 is "sounds Serbian".
    fn mixed() -> (Vec<f32>, Vec<Lang>) {
        let rows = [
            unit(&[1.0, 0.0, 0.0, 0.0, 0.0]),
            unit(&[0.0, 1.0, 0.0, 0.0, 0.0]),
            unit(&[0.0, 0.0, 1.0, 0.0, 1.0]),
            unit(&[0.0, 0.0, 0.0, 1.0, 1.0]),
        ];
        (
            rows.concat(),
            vec![Lang::En, Lang::En, Lang::SrCyrl, Lang::SrCyrl],
        )
    }

    #[test]
    fn a_question_in_the_other_language_finds_its_topic_not_its_language() {
        let (vectors, langs) = mixed();
        let shift = LanguageShift::build(5, &vectors, &langs);
        assert!(shift.is_active());
        let q = unit(&[0.6, 0.0, 0.0, 0.0, 1.0]);
        let raw: Vec<f32> = vectors.chunks_exact(5).map(|v| dot(&q, v)).collect();
        // Raw: a Serbian chunk about another topic beats the English chunk about A.
        assert!(raw[2] > raw[0], "{raw:?}");
        let s = shift.for_query_in(&q, None);
        let adjusted: Vec<f32> = raw
            .iter()
            .enumerate()
            .map(|(r, c)| shift.adjust(&s, r, *c))
            .collect();
        let best = (0..4)
            .max_by(|a, b| adjusted[*a].total_cmp(&adjusted[*b]))
            .unwrap();
        assert_eq!(best, 0, "{adjusted:?}");
    }

    #[test]
    fn chunks_in_the_questions_language_keep_their_cosines() {
        let (vectors, langs) = mixed();
        let shift = LanguageShift::build(5, &vectors, &langs);
        // An English question about B: the English centroid is the nearest.
        let q = unit(&[0.1, 1.0, 0.0, 0.0, 0.0]);
        let s = shift.for_query_in(&q, None);
        assert_eq!(shift.adjust(&s, 1, 0.7), 0.7);
        assert!(shift.adjust(&s, 2, 0.3) > 0.3);
    }

    #[test]
    fn a_known_language_keeps_its_own_chunks_cosines_even_nearer_another_centroid() {
        let (vectors, langs) = mixed();
        let shift = LanguageShift::build(5, &vectors, &langs);
        // An English question that sits nearer the Serbian centroid than the English one.
        let q = unit(&[0.2, 0.0, 0.5, 0.5, 0.6]);
        let guessed = shift.for_query_in(&q, None);
        assert!(
            shift.adjust(&guessed, 0, 0.5) > 0.5,
            "max: English chunks lifted"
        );
        let told = shift.for_query_in(&q, Some(Lang::En));
        assert_eq!(shift.adjust(&told, 0, 0.5), 0.5);
        // Serbian Latin against Cyrillic pages: the Serbian group is its own.
        let sr = shift.for_query_in(&q, Some(Lang::SrLatn));
        assert_eq!(shift.adjust(&sr, 2, 0.5), 0.5);
    }

    #[test]
    fn one_language_leaves_cosines_unchanged() {
        let (vectors, _) = mixed();
        let shift = LanguageShift::build(5, &vectors, &[Lang::En; 4]);
        assert!(!shift.is_active());
        let q = unit(&[0.6, 0.0, 0.0, 0.0, 1.0]);
        let s = shift.for_query_in(&q, None);
        assert_eq!(shift.adjust(&s, 2, 0.5), 0.5);
    }

    #[test]
    fn a_mismatched_row_count_disables_the_shift() {
        let (vectors, _) = mixed();
        assert!(!LanguageShift::build(5, &vectors, &[Lang::En, Lang::SrCyrl]).is_active());
    }
}
