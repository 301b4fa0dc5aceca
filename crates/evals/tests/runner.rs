//! End-to-end runner tests with tiny fakes: a hashing embedder over the real retrieval index,
//! a scripted assistant, and a fake HTTP server standing in for a deployment.

use async_trait::async_trait;
use frontdesk_core::assistant::AssistantError;
use frontdesk_core::conversation::{AnswerSource, TurnOutcome};
use frontdesk_core::testing::HashEmbedder;
use frontdesk_core::{
    Assistant, Citation, Config, ConversationState, ConversationStatus, Decision, EscalationReason,
    HandoffInfo, Lang, Retriever, SearchQuery, TurnEvent,
};
use frontdesk_evals::engine_backend::AssistantFactory;
use frontdesk_evals::report::baseline::{compare, Tolerance};
use frontdesk_evals::{load_suite, run_all, EngineBackend, EvalContext, HttpTarget, RunOptions};
use std::path::Path;
use std::sync::Arc;
use tokio::sync::mpsc;

const KB: &str = r#"{"id":"policies/returns","title":"Returns","text":"Unworn boots can be returned within 30 days for a full refund."}
{"id":"policies/shipping","title":"Shipping","text":"Parcels to Serbia arrive in 2 working days. Shipping costs 5 EUR."}
{"id":"faq/payment","title":"Payment","text":"We accept cards and PayPal."}
"#;

const QA: &str = r#"{"question":"how many days to return boots","answer":"30 days","doc_ids":["policies/returns"],"lang":"en"}
{"question":"shipping to Serbia days","answer":"2 working days","doc_ids":["policies/shipping"],"lang":"en"}
{"question":"do you accept PayPal","answer":"Yes, cards and PayPal.","doc_ids":["faq/payment"]}
{"question":"gift wrapping","answer":"No","doc_ids":["faq/giftwrap"]}
"#;

/// Answers from the first hit (citing it), hands over when asked for a person.
struct ScriptedAssistant {
    retriever: Arc<dyn Retriever>,
}

#[async_trait]
impl Assistant for ScriptedAssistant {
    async fn respond(
        &self,
        state: &mut ConversationState,
        message: &str,
        events: mpsc::Sender<TurnEvent>,
    ) -> Result<TurnOutcome, AssistantError> {
        let mut outcome = TurnOutcome {
            text: String::new(),
            voice_text: String::new(),
            lang: Lang::En,
            citations: vec![],
            decision: Decision::Answer,
            source: AnswerSource::Direct,
            intent: None,
            status: state.status,
            handoff: None,
            retrieved: vec![],
            retrieved_doc_ids: vec![],
            executed_actions: vec![],
            pending_action: None,
            awaiting: None,
            latency_ms: 1,
            ttft_ms: None,
        };
        if message.contains("person") {
            let reason = EscalationReason::CustomerRequest;
            state.status = ConversationStatus::WaitingForHuman;
            outcome.status = state.status;
            outcome.decision = Decision::Escalate { reason };
            outcome.handoff = Some(HandoffInfo {
                reason,
                summary: "asked".into(),
            });
            outcome.text = "A colleague will take over.".into();
        } else {
            let hits = self
                .retriever
                .search(&SearchQuery::new(message, 3))
                .await
                .map_err(|e| AssistantError::Internal(e.to_string()))?;
            let hit = hits
                .first()
                .ok_or_else(|| AssistantError::Internal("no hits".into()))?;
            outcome.citations = vec![Citation {
                index: 1,
                doc_id: hit.doc_id.clone(),
                title: hit.title.clone(),
                url: None,
                chunk_id: hit.chunk_id.clone(),
            }];
            outcome.retrieved_doc_ids = hits.iter().map(|h| h.doc_id.clone()).collect();
            outcome.text = format!("{} [1]", hit.text);
        }
        let _ = events.send(TurnEvent::Token(outcome.text.clone())).await;
        let _ = events.send(TurnEvent::Done(outcome.clone())).await;
        Ok(outcome)
    }
}

fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn context(dir: &Path) -> EvalContext {
    let config = Config {
        knowledge: vec![dir.join("kb.jsonl")],
        ..Config::default()
    };
    let embedder = Arc::new(HashEmbedder::new(256));
    let factory: AssistantFactory = Arc::new(|retriever, _kb, _use_llm| {
        Box::pin(async move { Ok(Arc::new(ScriptedAssistant { retriever }) as Arc<dyn Assistant>) })
    });
    EvalContext {
        backend: Arc::new(EngineBackend::new(config, embedder.clone(), Some(factory))),
        embedder: Some(embedder),
        target: None,
        actions: None,
        options: RunOptions::default(),
    }
}

#[tokio::test]
async fn retrieval_suite_over_a_tiny_kb() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "kb.jsonl", KB);
    write(dir.path(), "qa.jsonl", QA);
    let manifest = write(dir.path(), "tiny.toml", "kind = \"retrieval\"\nkb = \"kb.jsonl\"\nquestions = \"qa.jsonl\"\nmodes = [\"lexical\", \"hybrid\"]\nanswer = true\n");
    let suite = load_suite(&manifest).unwrap();
    let report = run_all(&context(dir.path()), &[suite]).await.unwrap();
    let modes: Vec<&str> = report
        .suites
        .iter()
        .map(|s| s.mode.as_deref().unwrap_or(""))
        .collect();
    assert_eq!(modes, ["lexical", "hybrid", "answers"]);
    let lexical = &report.suites[0];
    // Three questions find their doc first; the gift-wrap doc does not exist.
    assert_eq!(
        lexical.metrics["recall_at_1"], 0.75,
        "{:?}",
        lexical.metrics
    );
    assert_eq!(lexical.metrics["mrr"], 0.75);
    assert_eq!(lexical.cases.iter().filter(|c| !c.passed).count(), 1);
    assert_eq!(lexical.by_lang["en"]["recall_at_1"], 0.75);
    let answers = &report.suites[2];
    assert_eq!(answers.metrics["answered_rate"], 1.0);
    // Answers are the cited passages verbatim: fully grounded.
    assert_eq!(answers.metrics["grounded_answer_rate"], 1.0);
    // The assistant cites the top hybrid hit, so its citation precision is hybrid recall@1.
    assert_eq!(
        answers.metrics["citation_precision"],
        report.suites[1].metrics["recall_at_1"]
    );
    assert!(answers.metrics["answer_f1"] > 0.0 && answers.metrics["answer_similarity"] > 0.0);
}

#[tokio::test]
async fn customer_view_rates_over_a_tiny_kb() {
    // The scripted assistant quotes its top hit and hands over when asked for a person.
    let qa = r#"{"question":"how many days to return unworn boots","contains":["30"],"doc_ids":["policies/returns"],"lang":"en"}
{"question":"unworn boots returned within how many days","contains":["30|thirty","full refund"],"doc_ids":["policies/returns"],"lang":"en"}
{"question":"how many days to return unworn boots, and do you ship by drone","contains":["30","drone"],"doc_ids":["policies/returns"],"lang":"en"}
{"question":"can a person call me about unworn boots","contains":["30"],"doc_ids":["policies/returns"],"lang":"en"}
{"question":"do you sell unworn boots in green","answerable":false,"doc_ids":["policies/returns"],"lang":"en"}
"#;
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "kb.jsonl", KB);
    write(dir.path(), "qa.jsonl", qa);
    let manifest = write(dir.path(), "cv.toml", "kind = \"retrieval\"\nkb = \"kb.jsonl\"\nquestions = \"qa.jsonl\"\nmodes = [\"lexical\"]\nanswer = true\n");
    let suite = load_suite(&manifest).unwrap();
    let report = run_all(&context(dir.path()), &[suite]).await.unwrap();
    let answers = &report.suites[1];
    let m = &answers.metrics;
    // Two correct, one half-answered two-part question, one handoff; the near-miss was answered.
    assert_eq!(m["correct_answer_rate"], 0.5, "{m:?}");
    assert_eq!(m["wrong_answer_rate"], 0.25);
    assert_eq!(m["declined_rate"], 0.25);
    assert_eq!(m["unanswerable_answered_rate"], 1.0);
    assert!(m["reply_length_p50_chars"] > 40.0);
    assert_eq!(answers.by_lang["en"]["correct_answer_rate"], 0.5);
    let verdicts: Vec<bool> = answers.cases.iter().map(|c| c.passed).collect();
    assert_eq!(verdicts, [true, true, false, false, false]);
    assert!(
        answers.cases[2].reasons[0].contains("drone"),
        "{:?}",
        answers.cases[2].reasons
    );
    // A rising wrong rate fails the gate; fewer declines alone do not.
    let mut worse = report.clone();
    worse.suites[1]
        .metrics
        .insert("wrong_answer_rate".into(), 0.5);
    worse.suites[1].metrics.insert("declined_rate".into(), 0.0);
    let regressions = compare(&report, &worse, Tolerance::default());
    assert_eq!(regressions.len(), 1, "{regressions:?}");
    assert_eq!(regressions[0].metric, "wrong_answer_rate");
}

#[tokio::test]
async fn conversation_suite_against_a_fake_assistant() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "kb.jsonl", KB);
    let cases = write(
        dir.path(),
        "cases.yaml",
        r#"
- id: returns
  lang: en
  turns:
    - say: how many days to return unworn boots
      expect: {cite: [policies/returns], contains: ["30"], escalate: false}
- id: person
  lang: en
  turns:
    - say: I want a person
      expect: {escalate: true, escalate_reason: customer_request}
- id: wrong-expectation
  lang: sr-Latn
  turns:
    - say: do you accept PayPal
      expect: {cite: [policies/shipping], escalate: false}
"#,
    );
    let report = run_all(&context(dir.path()), &[load_suite(&cases).unwrap()])
        .await
        .unwrap();
    let s = &report.suites[0];
    assert_eq!(s.kind, "conversations");
    let passed: Vec<(&str, bool)> = s.cases.iter().map(|c| (c.id.as_str(), c.passed)).collect();
    assert_eq!(
        passed,
        [
            ("returns", true),
            ("person", true),
            ("wrong-expectation", false)
        ]
    );
    assert!(
        s.cases[2].reasons[0].contains("policies/shipping"),
        "{:?}",
        s.cases[2].reasons
    );
    assert!((s.metrics["case_pass_rate"] - 2.0 / 3.0).abs() < 1e-9);
    assert!((s.metrics["containment_rate"] - 2.0 / 3.0).abs() < 1e-9);
    assert_eq!(s.metrics["escalation_precision"], 1.0);
    assert_eq!(s.metrics["escalation_recall"], 1.0);
    assert_eq!(s.by_reason["customer_request"]["escalation_f1"], 1.0);
    assert_eq!(s.by_lang["sr-Latn"]["case_pass_rate"], 0.0);
    assert_eq!(s.metrics["grounded_answer_rate"], 1.0);

    // The same report as a baseline passes; a worse run is caught.
    assert!(compare(&report, &report, Tolerance::default()).is_empty());
    let mut worse = report.clone();
    worse.suites[0].metrics.insert("case_pass_rate".into(), 0.3);
    let regressions = compare(&report, &worse, Tolerance::default());
    assert_eq!(regressions.len(), 1);
    assert_eq!(regressions[0].metric, "case_pass_rate");
}

#[tokio::test]
async fn intents_suite_with_pairs_and_cross_validation() {
    let dir = tempfile::tempdir().unwrap();
    let train = write(
        dir.path(),
        "train.jsonl",
        r#"{"text":"where is my order","intent":"order_status"}
{"text":"track my parcel order","intent":"order_status"}
{"text":"order status please","intent":"order_status"}
{"text":"I want to talk to a person","intent":"human_agent"}
{"text":"give me a human agent","intent":"human_agent"}
{"text":"connect me to a person now","intent":"human_agent"}
{"text":"what is the weather","intent":"oos","in_scope":false}
"#,
    );
    let test = write(
        dir.path(),
        "test.jsonl",
        r#"{"text":"where is my parcel","intent":"order_status","text_en":"where is my parcel"}
{"text":"a human person please","intent":"human_agent","text_en":"a human agent please"}
{"text":"weather tomorrow","intent":"oos","in_scope":false,"oos_type":"ood-oos","text_en":"weather tomorrow"}
"#,
    );
    let m1 = write(
        dir.path(),
        "split.toml",
        &format!(
            "kind = \"intents\"\ntrain = {:?}\ntest = {:?}\npair_by = \"text_en\"\n",
            train, test
        ),
    );
    let m2 = write(
        dir.path(),
        "cv.toml",
        &format!(
            "kind = \"intents\"\ntrain = {:?}\npositive_intent = \"human_agent\"\ncv_folds = 3\n",
            train
        ),
    );
    let report = run_all(
        &context(dir.path()),
        &[load_suite(&m1).unwrap(), load_suite(&m2).unwrap()],
    )
    .await
    .unwrap();
    let split = &report.suites[0];
    assert_eq!(split.counts["rows"], 3);
    for k in [
        "in_scope_accuracy",
        "false_escalation_rate",
        "oos_recall",
        "cross_lingual_agreement",
    ] {
        assert!(
            split.metrics.contains_key(k),
            "{k} missing: {:?}",
            split.metrics
        );
    }
    let cv = &report.suites[1];
    assert_eq!(cv.cases.len(), 7);
    assert!(
        cv.metrics.contains_key("escalation_recall"),
        "{:?}",
        cv.metrics
    );
    assert!(cv.notes[0].contains("3-fold"));
}

#[tokio::test]
async fn http_target_mode_against_a_fake_server() {
    use axum::response::IntoResponse;
    use axum::routing::post;
    use axum::{Json, Router};
    // Questions are answered in JSON, conversation turns as Server-Sent Events (tokens, then
    // the reply in `done`), as `frontdesk serve` does for clients that accept a stream.
    let app = Router::new()
        .route("/v1/conversations", post(|| async { Json(serde_json::json!({"id": "c1", "token": "t"})) }))
        .route(
            "/v1/conversations/{id}/messages",
            post(|Json(body): Json<serde_json::Value>| async move {
                let text = body["text"].as_str().unwrap_or("").to_string();
                if text == "returns?" {
                    let done = serde_json::json!({"text": "30 days [1]", "lang": "en", "citations": [{"doc_id": "policies/returns", "title": "Returns", "url": null}], "status": "bot", "source": "direct"});
                    let body = format!("event: token\ndata: {{\"text\":\"30 days\"}}\n\nevent: done\ndata: {done}\n\n");
                    return ([(axum::http::header::CONTENT_TYPE, "text/event-stream")], body).into_response();
                }
                if text.contains("person") {
                    Json(serde_json::json!({"text": "A colleague will help.", "lang": "en", "citations": [], "status": "waiting_for_human", "handoff": {"reason": "customer_request"}}))
                } else {
                    Json(serde_json::json!({"text": "30 days [1]", "lang": "en", "citations": [{"doc_id": "policies/returns", "title": "Returns", "url": null}], "status": "bot"}))
                }
                .into_response()
            }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let dir = tempfile::tempdir().unwrap();
    let qa = write(dir.path(), "qa.jsonl", QA);
    let cases = write(dir.path(), "c.yaml", "- id: p\n  turns:\n    - say: a person please\n      expect: {escalate_reason: customer_request}\n- id: r\n  turns:\n    - say: returns?\n      expect: {cite: policies/returns, contains: '30'}\n");
    let url = format!("http://{addr}");
    let mut ctx = context(dir.path());
    ctx.target = Some((url.clone(), Arc::new(HttpTarget::new(&url).unwrap())));
    let report = run_all(
        &ctx,
        &[load_suite(&qa).unwrap(), load_suite(&cases).unwrap()],
    )
    .await
    .unwrap();
    assert_eq!(report.target, url);
    let retrieval = &report.suites[0];
    assert_eq!(retrieval.mode.as_deref(), Some("target"));
    assert_eq!(
        retrieval.metrics["recall_at_1"], 0.25,
        "{:?}",
        retrieval.metrics
    );
    assert!(!retrieval.metrics.contains_key("grounded_answer_rate"));
    let conv = &report.suites[1];
    assert_eq!(conv.metrics["case_pass_rate"], 1.0, "{:?}", conv.cases);
    for k in ["ttft_p50_ms", "direct_latency_p50_ms", "direct_ttft_p95_ms"] {
        assert!(conv.metrics.contains_key(k), "{k}: {:?}", conv.metrics);
    }
    assert_eq!(conv.metrics["containment_rate"], 0.5);
}
