//! Retrieval/QA suites: rank metrics per search mode, and (with `answer = true` or a target)
//! answer quality: token F1 and embedding similarity to the reference, groundedness, citations.

use super::{lang_of, latency_metrics, percentile_metrics, EvalContext};
use crate::data::{load_jsonl, QuestionRow};
use crate::error::EvalError;
use crate::manifest::{Suite, SuiteSpec};
use crate::metrics::answer::{self as judge, Verdict, VerdictCounts};
use crate::metrics::{grounding, mean, ratio, retrieval as rm, text};
use crate::report::{CaseRecord, Metrics, SuiteReport};
use crate::target::{InProcessTarget, RecordingRetriever, Target, TurnResult};
use frontdesk_core::metrics as m;
use frontdesk_core::EmbedKind;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Instant;

/// Ranks scored for every question, whatever the suite's `k` (nDCG@10 and hit@10 need ten).
const MIN_DEPTH: usize = 10;
/// Chunks fetched per document rank: the metrics count distinct documents, and a document
/// split into several chunks (or an FAQ page with many pairs) fills several chunk ranks.
const CHUNKS_PER_DOC: usize = 5;

struct Scored {
    lang: String,
    ranked: Vec<String>,
    latency_ms: f64,
}

fn rank_metrics(rows: &[(&QuestionRow, &Scored)]) -> Metrics {
    let mut out = Metrics::new();
    let col = |f: &dyn Fn(&QuestionRow, &Scored) -> f64| {
        mean(&rows.iter().map(|(q, s)| f(q, s)).collect::<Vec<_>>())
    };
    for (name, k) in [
        (m::RECALL_AT_1, 1),
        (m::RECALL_AT_3, 3),
        (m::RECALL_AT_5, 5),
        (m::RECALL_AT_10, 10),
        (m::HIT_AT_10, 10),
    ] {
        if let Some(v) = col(&|q, s| rm::recall_at_k(&s.ranked, &q.doc_ids, k)) {
            out.insert(name.into(), v);
        }
    }
    if let Some(v) = col(&|q, s| rm::reciprocal_rank(&s.ranked, &q.doc_ids)) {
        out.insert(m::MRR.into(), v);
    }
    if let Some(v) = col(&|q, s| rm::ndcg_at_k(&s.ranked, &q.doc_ids, 10)) {
        out.insert(m::NDCG_AT_10.into(), v);
    }
    out
}

fn by_lang<T>(
    items: &[(&QuestionRow, &T)],
    lang: impl Fn(&T) -> &str,
    f: impl Fn(&[(&QuestionRow, &T)]) -> Metrics,
) -> BTreeMap<String, Metrics> {
    let mut langs: Vec<&str> = items.iter().map(|(_, s)| lang(s)).collect();
    langs.sort();
    langs.dedup();
    langs
        .into_iter()
        .map(|l| {
            let subset: Vec<(&QuestionRow, &T)> = items
                .iter()
                .filter(|(_, s)| lang(s) == l)
                .copied()
                .collect();
            (l.to_string(), f(&subset))
        })
        .collect()
}

fn question_case(i: usize, q: &QuestionRow, lang: &str, ranked: &[String], k: usize) -> CaseRecord {
    let rank = rm::first_gold_rank(ranked, &q.doc_ids);
    let passed = rank.is_some_and(|r| r <= k);
    let top: Vec<String> = rm::dedup_ranked(ranked).into_iter().take(5).collect();
    CaseRecord {
        id: q.id.clone().unwrap_or_else(|| format!("q{i}")),
        lang: Some(lang.to_string()),
        passed,
        reasons: if passed {
            vec![]
        } else {
            vec![format!(
                "gold {:?} {}",
                q.doc_ids,
                rank.map_or("not retrieved".to_string(), |r| format!("at rank {r}"))
            )]
        },
        detail: serde_json::json!({"question": q.question, "gold": q.doc_ids, "top": top, "rank": rank}),
    }
}

pub async fn run_retrieval(
    ctx: &EvalContext,
    suite: &Suite,
) -> Result<Vec<SuiteReport>, EvalError> {
    let SuiteSpec::Retrieval {
        kb,
        questions,
        k,
        modes,
        answer,
        langs: langs_filter,
    } = &suite.spec
    else {
        return Err(EvalError::suite(&suite.name, "not a retrieval suite"));
    };
    let mut rows: Vec<QuestionRow> = load_jsonl(questions)?;
    let mut notes = Vec::new();
    // A sampled knowledge base keeps the questions all of whose gold documents it holds.
    let index = match (&ctx.target, suite.kb_limit) {
        (None, Some(n)) => {
            let index = ctx.backend.index(kb.as_deref(), Some(n)).await?;
            let kept: std::collections::HashSet<String> = index.doc_ids().into_iter().collect();
            let before = rows.len();
            rows.retain(|q| q.doc_ids.iter().all(|d| kept.contains(d)));
            notes.push(format!(
                "knowledge base: {} documents spread over the file (kb_limit); {} of {before} questions have their gold documents in it",
                kept.len(),
                rows.len()
            ));
            Some(index)
        }
        _ => None,
    };
    if let Some(limit) = ctx.limit(suite) {
        rows = super::spread(rows, limit);
    }
    let langs: Vec<String> = rows
        .iter()
        .map(|q| lang_of(q.lang.as_deref(), &q.question))
        .collect();
    if let Some((_, target)) = &ctx.target {
        if kb.is_some() {
            tracing::warn!("suite {}: `kb` is ignored with --target; questions go to the server's own knowledge base", suite.name);
        }
        return Ok(vec![
            answer_suite(ctx, suite, &rows, &langs, target.clone(), "target", *k).await?,
        ]);
    }
    let index = match index {
        Some(index) => index,
        None => ctx.backend.index(kb.as_deref(), None).await?,
    };
    if !langs_filter.is_empty() {
        let names: Vec<&str> = langs_filter.iter().map(|l| l.code()).collect();
        notes.push(format!("searched only documents in: {}", names.join(", ")));
    }
    let langs_filter = langs_filter.as_slice();
    let depth = (*k).max(MIN_DEPTH);
    let mut reports = Vec::new();
    for mode in modes {
        let pb = ctx.progress(rows.len(), &format!("{} {}", suite.name, mode.as_str()));
        let items: Vec<(usize, &QuestionRow)> = rows.iter().enumerate().collect();
        let index = &index;
        let scored: Vec<Result<Scored, EvalError>> = ctx
            .map_ordered(items, &pb, |(i, q)| {
                let lang = langs[i].clone();
                async move {
                    let started = Instant::now();
                    let hits = index
                        .search(&q.question, depth * CHUNKS_PER_DOC, *mode, langs_filter)
                        .await?;
                    let ids: Vec<String> = hits.into_iter().map(|h| h.doc_id).collect();
                    let mut ranked = rm::dedup_ranked(&ids);
                    ranked.truncate(depth);
                    Ok(Scored {
                        lang,
                        ranked,
                        latency_ms: started.elapsed().as_secs_f64() * 1000.0,
                    })
                }
            })
            .await;
        pb.finish_and_clear();
        let scored: Vec<Scored> = scored.into_iter().collect::<Result<_, _>>()?;
        let pairs: Vec<(&QuestionRow, &Scored)> = rows.iter().zip(&scored).collect();
        let mut metrics = rank_metrics(&pairs);
        let latencies: Vec<f64> = scored.iter().map(|s| s.latency_ms).collect();
        percentile_metrics(&mut metrics, "", &latencies, &[]);
        reports.push(SuiteReport {
            name: suite.name.clone(),
            kind: "retrieval".into(),
            mode: Some(mode.as_str().into()),
            metrics,
            counts: BTreeMap::from([("questions".into(), rows.len() as u64)]),
            by_lang: by_lang(&pairs, |s| s.lang.as_str(), rank_metrics),
            latencies_ms: latencies,
            notes: notes.clone(),
            cases: pairs
                .iter()
                .enumerate()
                .map(|(i, (q, s))| question_case(i, q, &s.lang, &s.ranked, *k))
                .collect(),
            ..Default::default()
        });
    }
    if *answer {
        let recorder = RecordingRetriever::new(index.retriever());
        let assistant = ctx
            .backend
            .assistant(recorder.clone(), kb.as_deref(), ctx.options.use_llm)
            .await?;
        let target: Arc<dyn Target> = Arc::new(InProcessTarget {
            assistant,
            recorder: Some(recorder),
        });
        let mut report = answer_suite(ctx, suite, &rows, &langs, target, "answers", *k).await?;
        report.notes.extend(notes);
        reports.push(report);
    }
    Ok(reports)
}

struct Answered {
    lang: String,
    turn: TurnResult,
    similarity: Option<f64>,
}

fn answered(t: &TurnResult) -> bool {
    match t.decision.as_deref() {
        Some(d) => d == "answer",
        None => !t.escalated && !t.citations.is_empty(),
    }
}

fn verdict_of(q: &QuestionRow, a: &Answered) -> Option<Verdict> {
    judge::verdict(&a.turn.facts(), &q.contains, q.answerable)
}

/// The customer-view rates and the median answered reply length.
fn customer_metrics(out: &mut Metrics, rows: &[(&QuestionRow, &Answered)]) {
    let mut counts = VerdictCounts::default();
    for (q, a) in rows {
        if let Some(v) = verdict_of(q, a) {
            counts.add(v);
        }
    }
    counts.write(out);
    let lengths: Vec<usize> = rows
        .iter()
        .filter(|(_, a)| !judge::declined(&a.turn.facts()))
        .map(|(_, a)| a.turn.text.chars().count())
        .collect();
    if let Some(v) = judge::reply_length_p50(&lengths) {
        out.insert(m::REPLY_LENGTH_P50_CHARS.into(), v);
    }
}

fn answer_metrics(rows: &[(&QuestionRow, &Answered)]) -> Metrics {
    let mut out = Metrics::new();
    customer_metrics(&mut out, rows);
    let put = |out: &mut Metrics, k: &str, v: Option<f64>| {
        if let Some(v) = v {
            out.insert(k.into(), v);
        }
    };
    let cited: Vec<(&QuestionRow, &Answered)> = rows
        .iter()
        .copied()
        .filter(|(_, a)| answered(&a.turn))
        .collect();
    put(&mut out, m::ANSWERED_RATE, ratio(cited.len(), rows.len()));
    let with_ref: Vec<f64> = cited
        .iter()
        .filter_map(|(q, a)| q.answer.as_ref().map(|r| text::token_f1(&a.turn.text, r)))
        .collect();
    put(&mut out, m::ANSWER_F1, mean(&with_ref));
    put(
        &mut out,
        m::ANSWER_SIMILARITY,
        mean(
            &cited
                .iter()
                .filter_map(|(_, a)| a.similarity)
                .collect::<Vec<_>>(),
        ),
    );
    let grounded: Vec<&(&QuestionRow, &Answered)> = cited
        .iter()
        .filter(|(_, a)| !a.turn.passages.is_empty())
        .collect();
    let texts = |a: &Answered| {
        a.turn
            .passages
            .iter()
            .map(|p| p.text.clone())
            .collect::<Vec<_>>()
    };
    put(
        &mut out,
        m::GROUNDED_ANSWER_RATE,
        ratio(
            grounded
                .iter()
                .filter(|(_, a)| {
                    let t = texts(a);
                    grounding::is_grounded(
                        &a.turn.text,
                        &t.iter().map(String::as_str).collect::<Vec<_>>(),
                    )
                })
                .count(),
            grounded.len(),
        ),
    );
    let (sup, cnt) = grounded.iter().fold((0, 0), |(s, c), (_, a)| {
        let t = texts(a);
        let (s2, c2) = grounding::supported_sentences(
            &a.turn.text,
            &t.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        (s + s2, c + c2)
    });
    put(&mut out, m::SUPPORTED_SENTENCE_RATE, ratio(sup, cnt));
    let precisions: Vec<f64> = cited
        .iter()
        .filter(|(q, _)| !q.doc_ids.is_empty())
        .filter_map(|(q, a)| {
            grounding::citation_precision(
                &a.turn
                    .citations
                    .iter()
                    .map(|c| c.doc_id.clone())
                    .collect::<Vec<_>>(),
                &q.doc_ids,
            )
        })
        .collect();
    put(&mut out, m::CITATION_PRECISION, mean(&precisions));
    let ranked: Vec<(&QuestionRow, Scored)> = rows
        .iter()
        .filter(|(q, _)| !q.doc_ids.is_empty())
        .map(|(q, a)| {
            let ranked = if a.turn.retrieved_doc_ids.is_empty() {
                a.turn.citations.iter().map(|c| c.doc_id.clone()).collect()
            } else {
                a.turn.retrieved_doc_ids.clone()
            };
            (
                *q,
                Scored {
                    lang: a.lang.clone(),
                    ranked,
                    latency_ms: a.turn.latency_ms,
                },
            )
        })
        .collect();
    out.extend(rank_metrics(
        &ranked.iter().map(|(q, s)| (*q, s)).collect::<Vec<_>>(),
    ));
    latency_metrics(&mut out, rows.iter().map(|(_, a)| &a.turn));
    out
}

/// Sends each question as the first message of a new conversation and scores the reply.
async fn answer_suite(
    ctx: &EvalContext,
    suite: &Suite,
    rows: &[QuestionRow],
    langs: &[String],
    target: Arc<dyn Target>,
    mode: &str,
    k: usize,
) -> Result<SuiteReport, EvalError> {
    let pb = ctx.progress(rows.len(), &format!("{} {mode}", suite.name));
    let items: Vec<(usize, &QuestionRow)> = rows.iter().enumerate().collect();
    let target = &target;
    let results: Vec<Result<TurnResult, EvalError>> = ctx
        .map_ordered(items, &pb, |(_, q)| async move {
            let mut session = target.open().await?;
            session.send(&q.question).await
        })
        .await;
    pb.finish_and_clear();
    let turns: Vec<TurnResult> = results.into_iter().collect::<Result<_, _>>()?;
    let similarities = similarities(ctx, rows, &turns).await?;
    let answers: Vec<Answered> = turns
        .into_iter()
        .zip(similarities)
        .zip(langs)
        .map(|((turn, similarity), lang)| Answered {
            lang: lang.clone(),
            turn,
            similarity,
        })
        .collect();
    let pairs: Vec<(&QuestionRow, &Answered)> = rows.iter().zip(&answers).collect();
    let cases = pairs
        .iter()
        .enumerate()
        .map(|(i, (q, a))| {
            let ranked: Vec<String> = a.turn.citations.iter().map(|c| c.doc_id.clone()).collect();
            let mut case = question_case(i, q, &a.lang, if a.turn.retrieved_doc_ids.is_empty() { &ranked } else { &a.turn.retrieved_doc_ids }, k);
            let verdict = verdict_of(q, a);
            match verdict {
                // A row the customer view can judge passes on its verdict alone.
                Some(v) => {
                    case.passed = matches!(v, Verdict::Correct | Verdict::UnanswerableDeclined);
                    case.reasons = match v {
                        Verdict::Correct | Verdict::UnanswerableDeclined => vec![],
                        Verdict::Wrong => vec![format!("wrong answer: lacks {:?}", judge::missing(&a.turn.text, &q.contains))],
                        Verdict::Declined => vec![format!("declined ({})", a.turn.escalation_reason.as_deref().or(a.turn.decision.as_deref()).or(a.turn.source.as_deref()).unwrap_or("no citations"))],
                        Verdict::UnanswerableAnswered => vec!["answered a question the knowledge base cannot answer".into()],
                    };
                }
                None if !answered(&a.turn) => {
                    case.passed = false;
                    case.reasons.push(format!("not answered ({})", a.turn.escalation_reason.as_deref().or(a.turn.decision.as_deref()).unwrap_or("no citations")));
                }
                None => {}
            }
            case.detail = serde_json::json!({
                "turns": [{"say": q.question, "reply": a.turn.text, "reference": q.answer, "contains": q.contains, "answerable": q.answerable, "verdict": verdict.map(|v| format!("{v:?}")), "style": q.style, "page": q.page, "citations": ranked, "passages": a.turn.passages, "reasons": case.reasons, "source": a.turn.source, "latency_ms": a.turn.latency_ms, "ttft_ms": a.turn.ttft_ms}],
                "gold": q.doc_ids,
            });
            case
        })
        .collect();
    let mut notes = style_notes(&pairs);
    if ctx.target.is_some() {
        notes.push("Target mode: ranks come from the reply's citations; groundedness needs passage text and is not measured.".to_string());
    }
    Ok(SuiteReport {
        name: suite.name.clone(),
        kind: "retrieval".into(),
        mode: Some(mode.into()),
        metrics: answer_metrics(&pairs),
        counts: BTreeMap::from([("questions".into(), rows.len() as u64)]),
        by_lang: by_lang(&pairs, |a| a.lang.as_str(), answer_metrics),
        latencies_ms: answers.iter().map(|a| a.turn.latency_ms).collect(),
        notes,
        cases,
        ..Default::default()
    })
}

/// Correct / wrong / declined per writing style (`informal`, `typo`, `two-part`, …) and for the
/// unanswerable rows, as report notes: where the bot fails, not only how often.
fn style_notes(pairs: &[(&QuestionRow, &Answered)]) -> Vec<String> {
    let mut by: BTreeMap<String, VerdictCounts> = BTreeMap::new();
    for (q, a) in pairs {
        if let Some(v) = verdict_of(q, a) {
            let key = if q.answerable {
                q.style.clone().unwrap_or_else(|| "unstyled".into())
            } else {
                "unanswerable".into()
            };
            by.entry(key).or_default().add(v);
        }
    }
    if by.is_empty() {
        return Vec::new();
    }
    let parts: Vec<String> = by
        .iter()
        .map(|(k, c)| {
            if k == "unanswerable" {
                format!(
                    "unanswerable {}/{} declined",
                    c.unanswerable_declined,
                    c.unanswerable_declined + c.unanswerable_answered
                )
            } else {
                format!(
                    "{k} {}/{}/{} correct/wrong/declined",
                    c.correct, c.wrong, c.declined
                )
            }
        })
        .collect();
    vec![format!("by style: {}", parts.join("; "))]
}

/// Cosine of the answer's and the reference's embeddings, for answered questions with a reference.
async fn similarities(
    ctx: &EvalContext,
    rows: &[QuestionRow],
    turns: &[TurnResult],
) -> Result<Vec<Option<f64>>, EvalError> {
    let Some(embedder) = &ctx.embedder else {
        return Ok(vec![None; rows.len()]);
    };
    let mut out = vec![None; rows.len()];
    let wanted: Vec<(usize, String, String)> = rows
        .iter()
        .zip(turns)
        .enumerate()
        .filter(|(_, (_, t))| answered(t))
        .filter_map(|(i, (q, t))| q.answer.clone().map(|r| (i, t.text.clone(), r)))
        .collect();
    for chunk in wanted.chunks(32) {
        let mut texts: Vec<String> = chunk.iter().map(|(_, a, _)| a.clone()).collect();
        texts.extend(chunk.iter().map(|(_, _, r)| r.clone()));
        let v = embedder
            .embed(texts, EmbedKind::Passage)
            .await
            .map_err(|e| EvalError::Backend(format!("embedding answers: {e}")))?;
        let n = chunk.len();
        for (j, (i, _, _)) in chunk.iter().enumerate() {
            out[*i] = Some(text::cosine(&v[j], &v[n + j]));
        }
    }
    Ok(out)
}
