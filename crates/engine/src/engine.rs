//! The engine and its knowledge-answer machinery (search, reader, LM answer with verification,
//! hand-over); `respond.rs` runs a turn through its phases with them.
//!
//! Streaming and verification: LM output is buffered per sentence; each sentence is verified
//! against the passages before it is sent as `Token` events, so the customer never sees an
//! unverified claim and nothing has to be taken back. The first failing sentence stops the
//! generation; when no sentence passed, the reply becomes extractive (or a handoff).

use crate::action_reading;
use crate::acts::{catalogue_act, ActClassifier, MessageActs};
use crate::answer::{extract_in_script, in_customers_script, rewrite_query, without_yes_or_no};
use crate::error::EngineError;
use crate::flows::item_reader::{self, EmbeddingItemReader};
use crate::flows::AuditLog;
use crate::intents::IntentClassifier;
use crate::lang::fold;
use crate::lm_reader::{self, Fact, NOT_FOUND};
use crate::policy::answer_confidence;
use crate::reader::{led_by, Reader, Reading};
use crate::summary::handoff_summary;
use crate::templates::{Template, Texts};
use crate::understanding::{asks_yes_or_no, Understanding};
use crate::verify::{sentences, Sources};
use frontdesk_core::assistant::AssistantError;
use frontdesk_core::chat::GenerationEvent;
use frontdesk_core::config::{BusinessProfile, CommercePolicy, EnginePolicy};
use frontdesk_core::conversation::AnswerSource;
use frontdesk_core::intents::RECOMMEND_PRODUCT;
use frontdesk_core::retrieval::{ChunkKind, Hit};
use frontdesk_core::text::question_parts;
use frontdesk_core::Translator;
use frontdesk_core::{
    ChatModel, Citation, Commerce, ConversationState, ConversationStatus, Embedder,
    EscalationReason, HandoffInfo, InferenceError, Lang, Retriever, SearchQuery, TurnEvent,
};
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::mpsc;

/// Hits fetched per turn (the LM reads units of `max_passages` of them).
const SEARCH_K: usize = 6;
/// Sentences of a passage used for an extractive answer.
const EXTRACT_SENTENCES: usize = 2;
/// Parts of a question searched on their own at most ("a, b and c?"; a longer message is
/// seldom one question).
const MAX_PARTS_SEARCHED: usize = 3;
/// Hits kept from each part's own search: the part's answer is nearly always in its first two.
const HITS_PER_PART: usize = 2;

pub struct EngineDeps {
    pub retriever: Arc<dyn Retriever>,
    pub embedder: Arc<dyn Embedder>,
    pub chat: Option<Arc<dyn ChatModel>>,
    pub commerce: Option<Arc<dyn Commerce>>,
    /// The business's intent catalogue, trained; `None` when it brings none (then the
    /// knowledge base alone decides what is in scope).
    pub intents: Option<IntentClassifier>,
    pub policy: EnginePolicy,
    /// Who the assistant speaks for: its own texts are written from it.
    pub business: BusinessProfile,
    pub commerce_policy: CommercePolicy,
    pub audit: Option<Arc<dyn AuditLog>>,
}

pub struct Engine {
    pub(crate) deps: EngineDeps,
    reader: Reader,
    texts: Texts,
    /// The yes/no reader, built on first use (it embeds its examples); `None` when the
    /// embedder failed then (the word lists alone read yes and no).
    acts: tokio::sync::OnceCell<Option<ActClassifier>>,
    /// Which order item a message means in other words than the item's name.
    pub(crate) items: EmbeddingItemReader,
}

impl Engine {
    pub fn new(deps: EngineDeps) -> Result<Engine, EngineError> {
        let t = &deps.policy.thresholds;
        if deps.policy.max_passages == 0 {
            return Err(EngineError::Config(
                "engine.max_passages must be at least 1".into(),
            ));
        }
        // Written so that NaN fails too.
        let prior_ok = t.known_topic_answerable > 0.0 && t.known_topic_answerable < 1.0;
        if !(0.0..=1.0).contains(&t.min_answer)
            || !(0.0..=1.0).contains(&t.direct_answer)
            || t.min_answer > t.direct_answer
            || !prior_ok
        {
            return Err(EngineError::Config(format!(
                "engine.thresholds need 0 <= min_answer ({}) <= direct_answer ({}) <= 1 and \
                 0 < known_topic_answerable ({}) < 1",
                t.min_answer, t.direct_answer, t.known_topic_answerable
            )));
        }
        let w = deps.policy.reader.companion_weight;
        if !(w.is_finite() && w >= 0.0) {
            return Err(EngineError::Config(format!(
                "engine.reader.companion_weight must be a number >= 0, not {w}"
            )));
        }
        let sure = deps.policy.reader.sure_score;
        if sure.is_nan() {
            return Err(EngineError::Config(
                "engine.reader.sure_score must be a number (above 1 turns it off)".into(),
            ));
        }
        let reader = Reader::new(deps.embedder.clone(), deps.policy.reader);
        let texts = Texts::new(deps.business.clone());
        let items = EmbeddingItemReader::new(deps.embedder.clone(), item_reader::DEFAULT_MARGIN);
        Ok(Engine {
            items,
            deps,
            reader,
            texts,
            acts: tokio::sync::OnceCell::new(),
        })
    }

    /// The learned act reader: built-in examples plus the business's catalogue rows (its
    /// `human_agent` rows as requests for a person, the rest as something else; their vectors
    /// reused when the catalogue was embedded by the same model). None when the examples could
    /// not be embedded.
    async fn act_classifier(&self) -> Option<&ActClassifier> {
        self.acts
            .get_or_init(|| async {
                let built = ActClassifier::builtin(self.deps.embedder.clone()).await;
                match built {
                    Ok(clf) => {
                        let same_model = |id: &str| id == self.deps.embedder.info().model_id;
                        Some(match &self.deps.intents {
                            Some(intents) => {
                                let (id, vectors) = intents.row_vectors();
                                if same_model(&id) {
                                    let rows = || vectors.iter().zip(intents.rows());
                                    clf.with_vectors(
                                        rows().map(|(v, row)| {
                                            (v.clone(), catalogue_act(&row.intent))
                                        }),
                                    )
                                    .with_action_vectors(
                                        rows().map(|(v, row)| {
                                            (v.clone(), action_reading::label_of(&row.intent))
                                        }),
                                    )
                                } else {
                                    clf
                                }
                            }
                            None => clf,
                        })
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "act examples could not be embedded");
                        None
                    }
                }
            })
            .await
            .as_ref()
    }

    /// Does the work the first turn would otherwise wait for: embedding the built-in act and
    /// action examples (about a thousand sentences, seconds on 2 cores) and fitting the action
    /// model on them. `frontdesk serve` calls it before it listens, so no customer's first
    /// message pays for it.
    pub async fn prepare(&self) {
        if let Some(acts) = self.act_classifier().await {
            acts.action_model();
        }
    }

    /// The learned reading of a whole message: a request for a person, a complaint, abuse, a
    /// sensitive topic, and the message as a yes or a no (None when it cannot be read: the word
    /// lists still can).
    pub(crate) async fn read_message(&self, message: &str) -> Option<MessageActs> {
        match self.act_classifier().await?.read_message(message).await {
            Ok(acts) => Some(acts),
            Err(e) => {
                tracing::warn!(error = %e, "reading the message's acts failed");
                None
            }
        }
    }

    /// The bot's own text `t` in `lang`, as this business words it.
    pub(crate) fn text(&self, t: Template, lang: Lang) -> String {
        self.texts.text(t, lang)
    }

    pub fn policy(&self) -> &EnginePolicy {
        &self.deps.policy
    }
}

/// Collects what a turn produced while streaming it.
pub(crate) struct TurnOut {
    pub(crate) events: mpsc::Sender<TurnEvent>,
    pub(crate) text: String,
    pub(crate) citations: Vec<Citation>,
    pub(crate) started: Instant,
    pub(crate) ttft_ms: Option<u64>,
}

impl TurnOut {
    pub(crate) async fn send(&self, ev: TurnEvent) {
        // A closed receiver (client went away) does not stop the turn.
        let _ = self.events.send(ev).await;
    }
    pub(crate) async fn token(&mut self, piece: &str) {
        if piece.is_empty() {
            return;
        }
        if self.ttft_ms.is_none() {
            self.ttft_ms = Some(self.started.elapsed().as_millis() as u64);
        }
        if !self.text.is_empty()
            && !self.text.ends_with([' ', '\n'])
            && !piece.starts_with([' ', '\n'])
        {
            self.text.push(' ');
            self.send(TurnEvent::Token(" ".into())).await;
        }
        self.text.push_str(piece);
        self.send(TurnEvent::Token(piece.to_string())).await;
    }
    pub(crate) async fn sentences(&mut self, text: &str) {
        for s in sentences(text) {
            self.token(&s).await;
        }
    }
    pub(crate) async fn cite(&mut self, index: usize, hit: &Hit) {
        let c = Citation {
            index,
            doc_id: hit.doc_id.clone(),
            title: hit.title.clone(),
            url: hit.url.clone(),
            chunk_id: hit.chunk_id.clone(),
        };
        self.citations.push(c.clone());
        self.send(TurnEvent::Citation(c)).await;
    }
}

/// An answer drafted from the knowledge base.
pub(crate) struct Drafted {
    pub(crate) source: AnswerSource,
}

/// The knowledge-base query for a message in `lang`: a Serbian one also in its other script.
fn search_query(query: &str, lang: Lang) -> SearchQuery {
    let q = SearchQuery::new(query, SEARCH_K).with_lang(lang);
    match crate::lang::other_script(query, lang) {
        Some(v) => q.with_variant(v),
        None => q,
    }
}

fn same_language_family(a: Lang, b: Lang) -> bool {
    a == b || (a.is_serbian() && b.is_serbian())
}

impl Engine {
    pub(crate) async fn classify(
        &self,
        message: &str,
    ) -> Result<Option<crate::intents::IntentPrediction>, AssistantError> {
        let Some(intents) = &self.deps.intents else {
            return Ok(None);
        };
        // One embedding per view of the classifier (its companions, when configured, too).
        let views = intents
            .embed_views(&[message.to_string()])
            .await
            .map_err(|e| match e {
                EngineError::Embed(e) => map_inference(e),
                other => AssistantError::Internal(other.to_string()),
            })?
            .into_iter()
            .next()
            .ok_or_else(|| AssistantError::Internal("embedder returned no vector".into()))?;
        Ok(Some(intents.classify_views(&views)))
    }

    /// The engine with `companion` as the reader's English second view of questions and units
    /// (`engine.reader.companion_weight`); `None` leaves the reader with the main embedder.
    pub fn with_reader_companion(self, companion: Option<Arc<dyn Embedder>>) -> Self {
        Engine {
            reader: self.reader.with_companion(companion),
            ..self
        }
    }

    /// The engine with `translator` reading order items named in another language than
    /// English in English translation too (`flows::item_reader`); `None` leaves it without.
    pub fn with_translator(self, translator: Option<Arc<dyn Translator>>) -> Self {
        Engine {
            items: self.items.with_translator(translator),
            ..self
        }
    }

    pub(crate) async fn search(
        &self,
        query: &str,
        u: &Understanding,
    ) -> Result<Vec<Hit>, AssistantError> {
        let hits = self
            .deps
            .retriever
            .search(&search_query(query, u.lang))
            .await
            .map_err(|e| AssistantError::Internal(e.to_string()))?;
        let wants_products = u.intent_name() == Some(RECOMMEND_PRODUCT)
            && !u.flags.complaint
            && self.deps.policy.recommendations;
        if wants_products {
            let (mut products, rest): (Vec<Hit>, Vec<Hit>) =
                hits.into_iter().partition(|h| h.kind == ChunkKind::Product);
            products.extend(rest);
            return Ok(products);
        }
        Ok(hits)
    }

    /// A knowledge-base answer quoted from the passages: the units the reader picks from the top
    /// hits (the best hit's most relevant sentences when the reader cannot run), cited, and
    /// flagged when the passage's language differs from the customer's.
    pub(crate) async fn quote(
        &self,
        out: &mut TurnOut,
        hits: &[Hit],
        query: &str,
        lang: Lang,
        reading: Option<Reading>,
    ) {
        let top: Vec<&Hit> = hits.iter().collect();
        let read = match reading {
            Some(r) => Ok(Some(r)),
            None => self.read(query, hits, lang, None).await,
        };
        let (hit, text, more) = match read {
            Ok(Some(r)) => {
                let hit = top[r.hit];
                // A spec line or a table row does not say what it is about: its section does.
                let text = led_by(r.subject, r.text);
                (hit, in_customers_script(text, hit.lang, lang), r.more)
            }
            Ok(None) => (
                top[0],
                extract_in_script(top[0], query, EXTRACT_SENTENCES, lang),
                Vec::new(),
            ),
            Err(e) => {
                tracing::warn!(error = %e, "reader unavailable; quoting the best passage's first sentences");
                (
                    top[0],
                    extract_in_script(top[0], query, EXTRACT_SENTENCES, lang),
                    Vec::new(),
                )
            }
        };
        // An FAQ answer's own "Yes." or "No." answers the FAQ's question; it answers the
        // customer's only if they asked a yes/no question too.
        let polar = asks_yes_or_no(&fold(query));
        let unled = |text: String| if polar { text } else { without_yes_or_no(text) };
        let text = unled(text);
        let more: Vec<(Hit, String)> = more.into_iter().map(|(h, t)| (h, unled(t))).collect();
        let foreign = std::iter::once(hit.lang)
            .chain(more.iter().map(|(h, _)| h.lang))
            .find(|l| !same_language_family(*l, lang));
        if let Some(source_lang) = foreign {
            let note = if source_lang == Lang::En {
                Template::SourceInEnglish
            } else {
                Template::SourceInSerbian
            };
            out.token(&self.text(note, lang)).await;
        }
        out.sentences(&format!("{text} [1]")).await;
        out.cite(1, hit).await;
        for (n, (more_hit, more_text)) in more.into_iter().enumerate() {
            let text = in_customers_script(more_text, more_hit.lang, lang);
            out.sentences(&format!("{text} [{}]", n + 2)).await;
            out.cite(n + 2, &more_hit).await;
        }
    }

    /// The chat model, when knowledge answers may be written by it.
    pub(crate) fn lm(&self) -> Option<&dyn ChatModel> {
        let p = &self.deps.policy;
        if p.use_llm && p.lm_reader.enabled {
            self.deps.chat.as_deref()
        } else {
            None
        }
    }

    /// What the reader picks from `hits` for `query` (`None` when it is turned off). With part
    /// search and the customer's reading `u`, each part of a question in several parts is also
    /// searched on its own, and a part may be answered from what that search finds.
    pub(crate) async fn read(
        &self,
        query: &str,
        hits: &[Hit],
        lang: Lang,
        u: Option<&Understanding>,
    ) -> Result<Option<Reading>, InferenceError> {
        if !self.deps.policy.reader.enabled {
            return Ok(None);
        }
        let found_for_parts = match u {
            Some(u) if self.deps.policy.reader.part_search => {
                self.search_parts(query, u, hits).await
            }
            _ => Vec::new(),
        };
        let mut top: Vec<&Hit> = hits.iter().collect();
        let main = top.len();
        top.extend(found_for_parts.iter());
        let r = self.reader.read(query, &top, main, lang).await?;
        if let Some(r) = &r {
            tracing::debug!(query, score = r.score, passage = r.hit, "reader");
        }
        Ok(r)
    }

    /// The best hits of each part of `query` searched on its own (when it has several parts),
    /// leaving out those already in `hits`. A failed search leaves its part to the passages
    /// already found.
    async fn search_parts(&self, query: &str, u: &Understanding, hits: &[Hit]) -> Vec<Hit> {
        let parts = question_parts(query, u.lang);
        if parts.len() < 2 {
            return Vec::new();
        }
        let mut found: Vec<Hit> = Vec::new();
        for part in parts.iter().take(MAX_PARTS_SEARCHED) {
            // The part first, the whole question after it: a part alone ("and how long is its
            // hose?") has often lost its subject.
            match self.search(&format!("{part} {query}"), u).await {
                Ok(part_hits) => {
                    for h in part_hits.into_iter().take(HITS_PER_PART) {
                        if !hits.iter().chain(&found).any(|x| x.chunk_id == h.chunk_id) {
                            found.push(h);
                        }
                    }
                }
                Err(e) => tracing::warn!(error = %e, "searching a part of the question failed"),
            }
        }
        found
    }

    /// The facts the LM reader is given for `query`: the reader's closest units of `hits`.
    pub(crate) async fn lm_facts(&self, query: &str, hits: &[Hit], lang: Lang) -> Vec<Fact> {
        let top: Vec<&Hit> = hits.iter().collect();
        match self
            .reader
            .candidates(query, &top, self.deps.policy.lm_reader.facts.max(1), lang)
            .await
        {
            Ok(c) => lm_reader::facts(&c, lang),
            Err(e) => {
                tracing::warn!(error = %e, "reader unavailable; no facts for the LM");
                Vec::new()
            }
        }
    }

    /// The LM reader: stream the model's verified sentences written from `facts` (units of
    /// `hits`) and cite the passages it copied from. The first sentence that fails
    /// verification ends the answer.
    pub(crate) async fn generate(
        &self,
        chat: &dyn ChatModel,
        out: &mut TurnOut,
        question: &str,
        facts: &[Fact],
        hits: &[Hit],
        lang: Lang,
    ) -> bool {
        if facts.is_empty() {
            return false;
        }
        let mut stream = match chat
            .generate(lm_reader::request(question, facts, lang))
            .await
        {
            Ok(s) => s,
            Err(e) => {
                tracing::warn!(error = %e, "chat model unavailable; answering extractively");
                return false;
            }
        };
        let mut sources: Vec<String> = facts.iter().map(|f| f.text.clone()).collect();
        sources.extend(hits.iter().map(|h| {
            format!(
                "{} {} {}",
                h.title,
                h.question.clone().unwrap_or_default(),
                h.text
            )
        }));
        let check = Sources::new(&sources);
        tracing::debug!(facts = ?facts.iter().map(|f| f.text.as_str()).collect::<Vec<_>>(), "LM reader facts");
        let mut raw = String::new();
        let mut buffer = String::new();
        let mut accepted: Vec<String> = Vec::new();
        let mut report = None;
        let mut failed = false;
        let mut finished = false;
        while !finished && !failed {
            match stream.recv().await {
                Some(Ok(GenerationEvent::Text(t))) => {
                    raw.push_str(&t);
                    buffer.push_str(&t);
                }
                Some(Ok(GenerationEvent::Finished { constraint, .. })) => {
                    report = constraint;
                    finished = true;
                }
                None => finished = true,
                Some(Err(e)) => {
                    tracing::warn!(error = %e, "generation failed mid-answer");
                    failed = true;
                }
            }
            if buffer.contains(NOT_FOUND) {
                break;
            }
            // Verify complete sentences only; the unfinished tail waits for more text.
            let cut = if finished {
                buffer.len()
            } else {
                complete_prefix_len(&buffer)
            };
            let tail = buffer.split_off(cut);
            for s in sentences(&buffer) {
                if Sources::states_nothing(&s) {
                    // A bare "Sure." is neither streamed nor counted as an answer.
                    continue;
                }
                if check.sentence_ok(&s) {
                    out.token(&s).await;
                    accepted.push(s);
                } else {
                    tracing::debug!(sentence = %s, "dropped unverified sentence");
                    failed = true;
                    break;
                }
            }
            buffer = tail;
        }
        // Dropping the stream cancels the rest of the generation.
        drop(stream);
        tracing::debug!(output = %raw, accepted = accepted.len(), "LM reader");
        if accepted.is_empty() {
            return false;
        }
        let copied = report
            .as_ref()
            .map(|r| lm_reader::copied_facts(r, facts.len()))
            .unwrap_or_default();
        tracing::debug!(question, copied = ?copied, "LM reader copied");
        let mut cited: Vec<usize> = Vec::new();
        for f in copied {
            if !cited.contains(&facts[f].hit) {
                cited.push(facts[f].hit);
            }
        }
        if cited.is_empty() {
            cited.push(facts[0].hit);
        }
        let markers: String = (1..=cited.len()).map(|n| format!("[{n}]")).collect();
        out.token(&markers).await;
        for (n, h) in cited.iter().enumerate() {
            out.cite(n + 1, &hits[*h]).await;
        }
        true
    }

    /// The LM reader on the top `max_passages` of `hits`: true when verified sentences went out.
    pub(crate) async fn answer_with_lm(
        &self,
        out: &mut TurnOut,
        u: &Understanding,
        query: &str,
        hits: &[Hit],
    ) -> bool {
        let Some(chat) = self.lm() else {
            return false;
        };
        let top = &hits[..hits.len().min(self.deps.policy.max_passages)];
        let facts = self.lm_facts(query, top, u.lang).await;
        self.generate(chat, out, &u.text, &facts, top, u.lang).await
    }

    pub(crate) async fn draft_answer(
        &self,
        out: &mut TurnOut,
        u: &Understanding,
        query: &str,
        hits: &[Hit],
        confidence: f32,
        reading: Option<Reading>,
    ) -> Drafted {
        let best = &hits[0];
        let t = &self.deps.policy.thresholds;
        let direct = confidence >= t.direct_answer && same_language_family(best.lang, u.lang);
        if direct {
            self.quote(out, hits, query, u.lang, reading).await;
            return Drafted {
                source: AnswerSource::Direct,
            };
        }
        if self.answer_with_lm(out, u, query, hits).await {
            // Verified sentences went out; keep them rather than repeating the passage.
            return Drafted {
                source: AnswerSource::Generated,
            };
        }
        self.quote(out, hits, query, u.lang, reading).await;
        Drafted {
            source: AnswerSource::Extractive,
        }
    }

    /// The message searched as the customer wrote it and, when it may lean on the previous
    /// topic (`rewrite_query`), also together with that topic. The rewrite is kept only on
    /// evidence: the message alone is not answerable and the rewrite retrieves with more
    /// confidence. So a new question that happens to be short or to hold "and" or "to" ("Do you
    /// ship to Canada?") is answered as asked, not dragged back to the returns it follows.
    pub(crate) async fn search_in_context(
        &self,
        message: &str,
        state: &ConversationState,
        u: &Understanding,
        searched: Option<(String, Vec<Hit>)>,
    ) -> Result<(String, Vec<Hit>), AssistantError> {
        let mut searched = searched;
        let mut search = |q: String| {
            let reused = match searched.take() {
                Some((sq, hits)) if sq == q => Some(hits),
                _ => None,
            };
            async move {
                match reused {
                    Some(hits) => Ok(hits),
                    None => self.search(&q, u).await,
                }
            }
        };
        let alone = search(message.to_string()).await?;
        let rewritten = rewrite_query(message, state);
        if rewritten == message {
            return Ok((rewritten, alone));
        }
        let confidence = |hits: &[Hit]| {
            answer_confidence(
                &self.deps.policy,
                u,
                hits.first().map_or(0.0, |h| h.confidence),
            )
        };
        let alone_confidence = confidence(&alone);
        if alone_confidence >= self.deps.policy.thresholds.min_answer {
            return Ok((message.to_string(), alone));
        }
        let with_topic = search(rewritten.clone()).await?;
        Ok(if confidence(&with_topic) > alone_confidence {
            (rewritten, with_topic)
        } else {
            (message.to_string(), alone)
        })
    }

    pub(crate) async fn hand_over(
        &self,
        out: &mut TurnOut,
        state: &mut ConversationState,
        u: &Understanding,
        reason: EscalationReason,
        tried: &[String],
    ) -> HandoffInfo {
        let info = HandoffInfo {
            reason,
            summary: handoff_summary(state, u, reason, tried),
        };
        out.token(&self.text(Template::Handoff(reason), u.lang))
            .await;
        out.send(TurnEvent::Handoff(info.clone())).await;
        state.status = ConversationStatus::WaitingForHuman;
        info
    }
}

/// Length of the part of `buffer` that ends with a finished sentence (terminator + whitespace).
fn complete_prefix_len(buffer: &str) -> usize {
    let mut cut = 0;
    let mut prev_end = false;
    for (i, c) in buffer.char_indices() {
        if prev_end && c.is_whitespace() {
            cut = i;
        }
        prev_end = matches!(c, '.' | '!' | '?') || (c == '\n');
        if c == '\n' {
            cut = i + 1;
        }
    }
    cut
}

pub(crate) fn map_inference(e: frontdesk_core::InferenceError) -> AssistantError {
    match e {
        e @ frontdesk_core::InferenceError::Overloaded { .. } => {
            AssistantError::Overloaded(e.to_string())
        }
        other => AssistantError::Internal(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_search_query_carries_the_detected_language_and_the_other_script() {
        // The index maps a Serbian question into English only when it knows it is Serbian:
        // casual Latin without diacritics carries no letter that says so.
        let sr = search_query("kolko kosta dostava", Lang::SrLatn);
        assert_eq!(sr.lang, Some(Lang::SrLatn));
        assert_eq!(sr.variants, vec!["колко коста достава".to_string()]);
        let en = search_query("how much is delivery", Lang::En);
        assert_eq!(en.lang, Some(Lang::En));
        assert!(en.variants.is_empty());
    }
}
