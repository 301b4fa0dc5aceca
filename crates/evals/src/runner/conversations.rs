//! Conversation suites: scripted customer turns with per-turn expectations; case pass/fail with
//! reasons, escalation precision/recall overall and by reason, containment, groundedness, latency.

use super::{lang_of, latency_metrics, EvalContext};
use crate::data::{load_cases, ConversationCase, Expect};
use crate::error::EvalError;
use crate::manifest::{Suite, SuiteSpec};
use crate::metrics::answer::{self as judge, VerdictCounts};
use crate::metrics::classification::BinaryCounts;
use crate::metrics::{grounding, ratio};
use crate::report::{CaseRecord, Confusion, Metrics, SuiteReport};
use crate::target::{InProcessTarget, RecordingRetriever, Target, TurnResult};
use frontdesk_core::metrics as m;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// Doc ids compare without a file extension, so `policies/returns` matches `policies/returns.md`.
fn same_doc(cited: &str, expected: &str) -> bool {
    let strip = |s: &str| {
        let s = s.trim().trim_start_matches("./");
        match s.rsplit_once('.') {
            Some((base, ext)) if !ext.contains('/') && ext.len() <= 5 && !base.is_empty() => {
                base.to_string()
            }
            _ => s.to_string(),
        }
    };
    strip(cited) == strip(expected)
}

fn same_lang(got: &str, want: &str) -> bool {
    match (
        got.parse::<frontdesk_core::Lang>(),
        want.parse::<frontdesk_core::Lang>(),
    ) {
        (Ok(a), Ok(b)) => a == b,
        _ => got.eq_ignore_ascii_case(want),
    }
}

/// Every way `turn` misses `expect`, in words (empty: passed).
pub fn check_turn(expect: &Expect, turn: &TurnResult) -> Vec<String> {
    let mut reasons = Vec::new();
    if !expect.cite.is_empty()
        && !turn
            .citations
            .iter()
            .any(|c| expect.cite.iter().any(|e| same_doc(&c.doc_id, e)))
    {
        let got: Vec<&str> = turn.citations.iter().map(|c| c.doc_id.as_str()).collect();
        reasons.push(format!(
            "expected a citation of {:?}, cited {got:?}",
            expect.cite
        ));
    }
    // The customer-view matcher: numbers, dashes, case and scripts folded, `a|b` alternatives.
    for s in judge::missing(&turn.text, &expect.contains) {
        reasons.push(format!("reply lacks {s:?}"));
    }
    for s in &expect.not_contains {
        if judge::missing(&turn.text, std::slice::from_ref(s)).is_empty() {
            reasons.push(format!("reply contains forbidden {s:?}"));
        }
    }
    if expect.answerable == Some(false) && !judge::declined(&turn.facts()) {
        reasons.push("answered a question the knowledge base cannot answer".into());
    }
    match (expect.escalate, turn.escalated) {
        (Some(true), false) => {
            reasons.push("expected a handoff, the bot kept the conversation".into())
        }
        (Some(false), true) => reasons.push(format!(
            "unexpected handoff ({})",
            turn.escalation_reason
                .as_deref()
                .unwrap_or("no reason given")
        )),
        _ => {}
    }
    if let Some(want) = &expect.escalate_reason {
        if turn.escalated && turn.escalation_reason.as_deref() != Some(want.as_str()) {
            reasons.push(format!(
                "handoff reason {} instead of {want}",
                turn.escalation_reason.as_deref().unwrap_or("none")
            ));
        } else if !turn.escalated && expect.escalate.is_none() {
            reasons.push(format!(
                "expected a handoff ({want}), the bot kept the conversation"
            ));
        }
    }
    if let Some(action) = &expect.action {
        let events: Vec<&frontdesk_core::conversation::ActionEvent> = turn
            .actions
            .iter()
            .filter(|a| &a.action == action)
            .collect();
        match &expect.action_state {
            _ if events.is_empty() => {
                let seen: Vec<String> = turn
                    .actions
                    .iter()
                    .map(|a| format!("{}:{}", a.action, a.state))
                    .collect();
                reasons.push(format!("expected action {action}, saw {seen:?}"));
            }
            Some(state) if !events.iter().any(|a| &a.state == state) => {
                let seen: Vec<&str> = events.iter().map(|a| a.state.as_str()).collect();
                reasons.push(format!(
                    "action {action} in state {seen:?}, expected {state}"
                ));
            }
            Some(state) if state == "completed" && !turn.executed_actions.contains(action) => {
                reasons.push(format!(
                    "action {action} reported completed but not executed"
                ));
            }
            _ => {}
        }
    }
    if let (Some(want), Some(got)) = (&expect.intent, &turn.intent) {
        if want != got {
            reasons.push(format!("intent {got} instead of {want}"));
        }
    }
    if let Some(want) = &expect.lang {
        match &turn.lang {
            Some(got) if same_lang(got, want) => {}
            got => reasons.push(format!(
                "reply language {} instead of {want}",
                got.as_deref().unwrap_or("unknown")
            )),
        }
    }
    if let Some(want) = &expect.awaiting {
        let got = turn.awaiting.as_deref().unwrap_or("none");
        if got != want {
            reasons.push(format!("awaiting {got} instead of {want}"));
        }
    }
    if let Some(max) = expect.max_latency_ms {
        if turn.latency_ms > max as f64 {
            reasons.push(format!("took {:.0} ms (max {max})", turn.latency_ms));
        }
    }
    reasons
}

/// One case's run: its turns (as far as they got) and why it failed.
pub struct CaseRun {
    pub case: ConversationCase,
    pub lang: String,
    pub turns: Vec<(TurnResult, Vec<String>)>,
    pub error: Option<String>,
}

impl CaseRun {
    fn passed(&self) -> bool {
        self.error.is_none() && self.turns.iter().all(|(_, r)| r.is_empty())
    }
}

fn gold_escalation(e: &Expect) -> Option<Option<String>> {
    match (e.escalate, &e.escalate_reason) {
        (Some(false), _) => Some(None),
        (_, Some(r)) => Some(Some(r.clone())),
        (Some(true), None) => Some(Some("any".into())),
        (None, None) => None,
    }
}

/// The customer-view rates over the turns that state what a correct reply holds (`contains`)
/// or that the knowledge base cannot answer (`answerable: false`), and the median length of the
/// answered replies among them.
fn customer_metrics(out: &mut Metrics, runs: &[&CaseRun]) {
    let mut counts = VerdictCounts::default();
    let mut lengths = Vec::new();
    for run in runs {
        for (i, (t, _)) in run.turns.iter().enumerate() {
            let e = &run.case.turns[i].expect;
            let answerable = e.answerable.unwrap_or(true);
            if let Some(v) = judge::verdict(&t.facts(), &e.contains, answerable) {
                counts.add(v);
                if !judge::declined(&t.facts()) {
                    lengths.push(t.text.chars().count());
                }
            }
        }
    }
    counts.write(out);
    if let Some(v) = judge::reply_length_p50(&lengths) {
        out.insert(m::REPLY_LENGTH_P50_CHARS.into(), v);
    }
}

fn answered(t: &TurnResult) -> bool {
    match t.decision.as_deref() {
        Some(d) => d == "answer",
        None => !t.escalated && !t.citations.is_empty(),
    }
}

/// Escalation counts per labelled turn, the by-reason breakdown and the confusion matrix.
fn escalation(runs: &[&CaseRun]) -> (BinaryCounts, BTreeMap<String, Metrics>, Confusion) {
    let mut overall = BinaryCounts::default();
    let mut labelled: Vec<(Option<String>, Option<String>)> = Vec::new();
    for run in runs {
        for (i, (turn, _)) in run.turns.iter().enumerate() {
            if let Some(gold) = gold_escalation(&run.case.turns[i].expect) {
                overall.add(gold.is_some(), turn.escalated);
                let pred = turn.escalated.then(|| {
                    turn.escalation_reason
                        .clone()
                        .unwrap_or_else(|| "unspecified".into())
                });
                labelled.push((gold, pred));
            }
        }
    }
    let reasons: BTreeSet<String> = labelled
        .iter()
        .flat_map(|(g, p)| [g.clone(), p.clone()])
        .flatten()
        .filter(|r| r != "any")
        .collect();
    let by_reason = reasons
        .iter()
        .map(|r| {
            let c = BinaryCounts::from_pairs(labelled.iter().map(|(g, p)| {
                (
                    g.as_deref() == Some(r.as_str()),
                    p.as_deref() == Some(r.as_str()),
                )
            }));
            let mut mm = Metrics::new();
            c.write_escalation(&mut mm);
            (r.clone(), mm)
        })
        .collect();
    let mut confusion = Confusion::new(vec!["none".into()]);
    for (g, p) in &labelled {
        confusion.add(
            g.as_deref().unwrap_or("none"),
            p.as_deref().unwrap_or("none"),
        );
    }
    (overall, by_reason, confusion)
}

fn conversation_metrics(runs: &[&CaseRun]) -> Metrics {
    let mut out = Metrics::new();
    let mut put = |k: &str, v: Option<f64>| {
        if let Some(v) = v {
            out.insert(k.to_string(), v);
        }
    };
    put(
        m::CASE_PASS_RATE,
        ratio(runs.iter().filter(|r| r.passed()).count(), runs.len()),
    );
    put(
        m::CONTAINMENT_RATE,
        ratio(
            runs.iter()
                .filter(|r| !r.turns.iter().any(|(t, _)| t.escalated))
                .count(),
            runs.len(),
        ),
    );
    let turns: Vec<&TurnResult> = runs
        .iter()
        .flat_map(|r| r.turns.iter().map(|(t, _)| t))
        .collect();
    put(
        m::ANSWERED_RATE,
        ratio(turns.iter().filter(|t| answered(t)).count(), turns.len()),
    );
    let grounded: Vec<&&TurnResult> = turns
        .iter()
        .filter(|t| answered(t) && !t.passages.is_empty())
        .collect();
    let texts = |t: &TurnResult| {
        t.passages
            .iter()
            .map(|p| p.text.clone())
            .collect::<Vec<_>>()
    };
    put(
        m::GROUNDED_ANSWER_RATE,
        ratio(
            grounded
                .iter()
                .filter(|t| {
                    let p = texts(t);
                    grounding::is_grounded(
                        &t.text,
                        &p.iter().map(String::as_str).collect::<Vec<_>>(),
                    )
                })
                .count(),
            grounded.len(),
        ),
    );
    let (sup, cnt) = grounded.iter().fold((0, 0), |(s, c), t| {
        let p = texts(t);
        let (a, b) = grounding::supported_sentences(
            &t.text,
            &p.iter().map(String::as_str).collect::<Vec<_>>(),
        );
        (s + a, c + b)
    });
    put(m::SUPPORTED_SENTENCE_RATE, ratio(sup, cnt));
    // Citation precision where the case names the documents it expects.
    let mut precisions = Vec::new();
    for run in runs {
        for (i, (t, _)) in run.turns.iter().enumerate() {
            let want = &run.case.turns[i].expect.cite;
            if !want.is_empty() && !t.citations.is_empty() {
                let cited: Vec<&str> = t.citations.iter().map(|c| c.doc_id.as_str()).collect();
                precisions.push(
                    cited
                        .iter()
                        .filter(|c| want.iter().any(|w| same_doc(c, w)))
                        .count() as f64
                        / cited.len() as f64,
                );
            }
        }
    }
    put(m::CITATION_PRECISION, crate::metrics::mean(&precisions));
    let (counts, _, _) = escalation(runs);
    counts.write_escalation(&mut out);
    customer_metrics(&mut out, runs);
    latency_metrics(&mut out, turns.iter().copied());
    out
}

async fn run_case(target: &Arc<dyn Target>, case: ConversationCase) -> CaseRun {
    let lang = lang_of(
        case.lang.as_deref(),
        case.turns.first().map(|t| t.say.as_str()).unwrap_or(""),
    );
    let mut run = CaseRun {
        case,
        lang,
        turns: Vec::new(),
        error: None,
    };
    let mut session = match target.open().await {
        Ok(s) => s,
        Err(e) => {
            run.error = Some(e.to_string());
            return run;
        }
    };
    for turn in run.case.turns.clone() {
        match session.send(&turn.say).await {
            Ok(result) => {
                let reasons = check_turn(&turn.expect, &result);
                run.turns.push((result, reasons));
            }
            Err(e) => {
                run.error = Some(e.to_string());
                break;
            }
        }
    }
    run
}

fn case_record(run: &CaseRun) -> CaseRecord {
    let mut reasons: Vec<String> = run
        .turns
        .iter()
        .enumerate()
        .flat_map(|(i, (_, r))| r.iter().map(move |r| format!("turn {}: {r}", i + 1)))
        .collect();
    if let Some(e) = &run.error {
        reasons.push(format!("stopped: {e}"));
    }
    let turns: Vec<serde_json::Value> = run
        .turns
        .iter()
        .enumerate()
        .map(|(i, (t, r))| {
            serde_json::json!({
                "say": run.case.turns[i].say,
                "reply": t.text,
                "lang": t.lang,
                "status": t.status,
                "decision": t.decision,
                "intent": t.intent,
                "escalation_reason": t.escalation_reason,
                "citations": t.citations.iter().map(|c| c.doc_id.clone()).collect::<Vec<_>>(),
                "actions": t.actions.iter().map(|a| format!("{}:{}", a.action, a.state)).collect::<Vec<_>>(),
                "latency_ms": t.latency_ms.round(),
                "ttft_ms": t.ttft_ms.map(f64::round),
                "source": t.source,
                "passages": t.passages,
                "reasons": r,
            })
        })
        .collect();
    CaseRecord {
        id: run.case.id.clone(),
        lang: Some(run.lang.clone()),
        passed: run.passed(),
        reasons,
        detail: serde_json::json!({"tags": run.case.tags, "turns": turns}),
    }
}

pub async fn run_conversations(ctx: &EvalContext, suite: &Suite) -> Result<SuiteReport, EvalError> {
    let SuiteSpec::Conversations { cases, use_llm } = &suite.spec else {
        return Err(EvalError::suite(&suite.name, "not a conversations suite"));
    };
    let mut cases = load_cases(cases)?;
    if let Some(limit) = ctx.limit(suite) {
        cases = super::spread(cases, limit);
    }
    let use_llm = use_llm.unwrap_or(true) && ctx.options.use_llm;
    let pb = ctx.progress(cases.len(), &suite.name);
    let runs: Vec<CaseRun> = match &ctx.target {
        Some((_, target)) => {
            ctx.map_ordered(cases, &pb, |case| run_case(target, case))
                .await
        }
        None => {
            let index = ctx.backend.index(None, None).await?;
            let recorder = RecordingRetriever::new(index.retriever());
            let recorder = &recorder;
            let backend = &ctx.backend;
            let results: Vec<Result<CaseRun, EvalError>> = ctx
                .map_ordered(cases, &pb, |case| async move {
                    // A fresh assistant per case: action cases must not see each other's writes.
                    let assistant = backend.assistant(recorder.clone(), None, use_llm).await?;
                    let target: Arc<dyn Target> = Arc::new(InProcessTarget {
                        assistant,
                        recorder: Some(recorder.clone()),
                    });
                    Ok(run_case(&target, case).await)
                })
                .await;
            results.into_iter().collect::<Result<_, _>>()?
        }
    };
    pb.finish_and_clear();
    let all: Vec<&CaseRun> = runs.iter().collect();
    let (_, by_reason, confusion) = escalation(&all);
    let mut langs: Vec<&str> = runs.iter().map(|r| r.lang.as_str()).collect();
    langs.sort();
    langs.dedup();
    let by_lang = langs
        .iter()
        .map(|l| {
            (
                l.to_string(),
                conversation_metrics(
                    &all.iter()
                        .copied()
                        .filter(|r| r.lang == *l)
                        .collect::<Vec<_>>(),
                ),
            )
        })
        .collect();
    let turns: u64 = runs.iter().map(|r| r.turns.len() as u64).sum();
    let mut notes = Vec::new();
    if ctx.target.is_none() {
        notes.push(format!(
            "in-process, chat LM {}",
            if use_llm {
                "on"
            } else {
                "off (direct and extractive answers)"
            }
        ));
    }
    Ok(SuiteReport {
        name: suite.name.clone(),
        kind: "conversations".into(),
        metrics: conversation_metrics(&all),
        counts: BTreeMap::from([("cases".into(), runs.len() as u64), ("turns".into(), turns)]),
        by_lang,
        by_reason,
        confusion: Some(confusion),
        latencies_ms: runs
            .iter()
            .flat_map(|r| r.turns.iter().map(|(t, _)| t.latency_ms))
            .collect(),
        notes,
        cases: runs.iter().map(case_record).collect(),
        ..Default::default()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontdesk_core::conversation::ActionEvent;
    use frontdesk_core::Citation;

    fn turn() -> TurnResult {
        TurnResult {
            text: "You have 30 days to return boots [1].".into(),
            lang: Some("en".into()),
            citations: vec![Citation {
                index: 1,
                doc_id: "policies/returns.md".into(),
                title: "Returns".into(),
                url: None,
                chunk_id: "c1".into(),
            }],
            status: "bot".into(),
            decision: Some("answer".into()),
            latency_ms: 120.0,
            ..Default::default()
        }
    }

    #[test]
    fn expectation_table() {
        let escalated = TurnResult {
            escalated: true,
            escalation_reason: Some("frustration".into()),
            ..turn()
        };
        let acted = TurnResult {
            actions: vec![ActionEvent {
                action: "cancel_pending_order".into(),
                state: "completed".into(),
                detail: serde_json::Value::Null,
            }],
            executed_actions: vec!["cancel_pending_order".into()],
            ..turn()
        };
        let cases: Vec<(&str, &str, TurnResult, usize)> = vec![
            (
                "cite ok (extension ignored)",
                "{cite: [policies/returns], contains: ['30'], escalate: false, lang: en}",
                turn(),
                0,
            ),
            ("wrong doc", "{cite: [policies/shipping]}", turn(), 1),
            (
                "missing + forbidden text",
                "{contains: ['60'], not_contains: ['30 DAYS']}",
                turn(),
                2,
            ),
            ("expected handoff", "{escalate: true}", turn(), 1),
            (
                "unexpected handoff",
                "{escalate: false}",
                escalated.clone(),
                1,
            ),
            (
                "wrong reason",
                "{escalate: true, escalate_reason: customer_request}",
                escalated.clone(),
                1,
            ),
            (
                "right reason",
                "{escalate_reason: frustration}",
                escalated,
                0,
            ),
            (
                "reason without handoff",
                "{escalate_reason: frustration}",
                turn(),
                1,
            ),
            (
                "action completed",
                "{action: cancel_pending_order, action_state: completed}",
                acted.clone(),
                0,
            ),
            (
                "action wrong state",
                "{action: cancel_pending_order, action_state: awaiting_confirmation}",
                acted,
                1,
            ),
            ("no action", "{action: cancel_pending_order}", turn(), 1),
            ("language", "{lang: sr-Latn}", turn(), 1),
            ("language alias", "{lang: en-US}", turn(), 0),
            ("too slow", "{max_latency_ms: 100}", turn(), 1),
        ];
        for (name, expect, result, n) in cases {
            let e: Expect = serde_yaml::from_str(expect).unwrap();
            let got = check_turn(&e, &result);
            assert_eq!(got.len(), n, "{name}: {got:?}");
        }
    }
}
