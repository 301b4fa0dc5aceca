//! Okapi BM25 over chunk texts, written out so that tokenisation (codes, Serbian scripts)
//! is ours and the whole index serialises with serde.

use frontdesk_core::text::{query_terms, terms};
use frontdesk_core::Lang;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;

/// BM25 parameters; the defaults were chosen on the StackFAQ dev set (see the README).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Bm25Params {
    pub k1: f32,
    pub b: f32,
}

impl Default for Bm25Params {
    fn default() -> Self {
        Self { k1: 1.2, b: 0.75 }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Bm25Index {
    params: Bm25Params,
    /// term → postings of (chunk index, term frequency), chunk indexes ascending.
    postings: HashMap<String, Vec<(u32, u32)>>,
    doc_len: Vec<u32>,
    avg_len: f32,
    /// Whether any text was Serbian (its terms Serbian stems): only then is a query also looked
    /// up by its Serbian stems, which in an English index would only make false matches
    /// ("plane" → "plan").
    #[serde(default)]
    serbian: bool,
}

impl Bm25Index {
    /// Indexes `texts`, each with its language (Serbian text has its case endings stripped).
    pub fn build<'a>(texts: impl IntoIterator<Item = (&'a str, Lang)>, params: Bm25Params) -> Self {
        let mut postings: HashMap<String, Vec<(u32, u32)>> = HashMap::new();
        let mut doc_len = Vec::new();
        let mut serbian = false;
        for (i, (text, lang)) in texts.into_iter().enumerate() {
            serbian |= lang.is_serbian();
            let toks = terms(text, lang.is_serbian());
            doc_len.push(toks.len() as u32);
            let mut tf: HashMap<String, u32> = HashMap::new();
            for t in toks {
                *tf.entry(t).or_default() += 1;
            }
            for (t, n) in tf {
                postings.entry(t).or_default().push((i as u32, n));
            }
        }
        let total: u64 = doc_len.iter().map(|&l| l as u64).sum();
        let avg_len = if doc_len.is_empty() {
            0.0
        } else {
            total as f32 / doc_len.len() as f32
        };
        Self {
            params,
            postings,
            doc_len,
            avg_len,
            serbian,
        }
    }

    pub fn len(&self) -> usize {
        self.doc_len.len()
    }

    pub fn is_empty(&self) -> bool {
        self.doc_len.is_empty()
    }

    /// Top `k` (chunk index, score) by BM25, best first; `allow` restricts the candidates. With
    /// Serbian text in the index the query is looked up by its English and its Serbian terms
    /// both (`query_terms`), whatever language it seems to be in.
    pub fn search(
        &self,
        query: &str,
        k: usize,
        allow: Option<&dyn Fn(usize) -> bool>,
    ) -> Vec<(usize, f32)> {
        let mut qterms = if self.serbian {
            query_terms(query)
        } else {
            terms(query, false)
        };
        qterms.sort();
        qterms.dedup();
        let n = self.doc_len.len() as f32;
        let mut scores: HashMap<u32, f32> = HashMap::new();
        for t in &qterms {
            let Some(list) = self.postings.get(t) else {
                continue;
            };
            let df = list.len() as f32;
            let idf = ((n - df + 0.5) / (df + 0.5) + 1.0).ln();
            for &(doc, tf) in list {
                let len = self.doc_len[doc as usize] as f32;
                let norm = 1.0 - self.params.b + self.params.b * len / self.avg_len.max(1.0);
                let tf = tf as f32;
                *scores.entry(doc).or_default() +=
                    idf * tf * (self.params.k1 + 1.0) / (tf + self.params.k1 * norm);
            }
        }
        let mut ranked: Vec<(usize, f32)> = scores
            .into_iter()
            .map(|(d, s)| (d as usize, s))
            .filter(|(d, _)| allow.is_none_or(|f| f(*d)))
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(&b.0)));
        ranked.truncate(k);
        ranked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_exact_code_and_cross_script_matches_first() {
        let docs = [
            ("Trail shoes NW-2041 with a rubber sole", Lang::En),
            ("Returns are accepted within 30 days", Lang::En),
            ("Достава у Србију траје 1–2 радна дана", Lang::SrCyrl),
            ("Shipping to the EU takes 3–6 days", Lang::En),
            ("Paket u paketomatu čeka 72 sata", Lang::SrLatn),
            ("The Alpina tent sleeps two", Lang::En),
        ];
        let idx = Bm25Index::build(docs.iter().copied(), Bm25Params::default());
        let cases: &[(&str, usize)] = &[
            ("NW-2041", 0),
            ("can I return it", 1),
            ("koliko traje dostavu", 2),
            ("EU shipping time", 3),
            // Another case of the same Serbian word; a Serbian question names an English
            // page's product.
            ("gde je moj paketomat", 4),
            ("da li je Alpina za dvoje", 5),
        ];
        for (q, want) in cases {
            let hits = idx.search(q, 3, None);
            assert_eq!(
                hits.first().map(|h| h.0),
                Some(*want),
                "query {q:?}: {hits:?}"
            );
        }
        let only_odd = |i: usize| i % 2 == 1;
        assert!(idx
            .search("NW-2041", 3, Some(&only_odd))
            .iter()
            .all(|h| h.0 % 2 == 1));
        assert!(idx.search("zzzz", 3, None).is_empty());
        // An English index is searched by English terms only: no Serbian stem of "plane".
        let english = Bm25Index::build(
            [("A flight plan", Lang::En), ("The plane", Lang::En)],
            Bm25Params::default(),
        );
        assert_eq!(english.search("plane", 3, None).len(), 1);
    }
}
