//! Draft-model speculation (`draft.rs`): tiny models written by the tests share a vocabulary,
//! one drafting for the other; the output equals plain greedy decoding token for token (plain,
//! under a constraint, through the worker and through `load_chat`), a draft model whose output
//! is padded past the vocabulary drafts only ids the chat model has, and a draft model with
//! another vocabulary is refused at load. On the real 0.5B model drafting for itself nearly
//! every drafted token is accepted; the 1.5B with the 0.5B as its draft is an opt-in test.

use super::constraint::TokenVocab;
use super::engine::{self, Engine, Frontend};
use super::speculation::{Speculation, SpeculationSpec};
use super::speculative_tests::{
    constrained_speculation_equals_plain, equal_or_parting_at_a_near_tie, greedy, grounded_prompts,
    run, spawn, workers_stream_the_same_text, TINY_PROMPTS,
};
use super::tiny::{self, TinyModel};
use frontdesk_core::chat::FinishReason;
use frontdesk_core::config::ModelsConfig;
use frontdesk_core::{ChatMessage, GenerateRequest, InferenceError, SamplingParams};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The chat model of these tests (the default tiny model).
fn target(dir: &Path) -> PathBuf {
    let path = dir.join("target.gguf");
    tiny::write(&path, "qwen2", 7);
    path
}

/// A smaller model of another architecture and other weights, sharing the target's vocabulary.
fn other_model(dir: &Path) -> PathBuf {
    write(
        dir,
        "other.gguf",
        TinyModel {
            arch: "llama",
            seed: 11,
            layers: 1,
            ..TinyModel::default()
        },
    )
}

fn write(dir: &Path, name: &str, model: TinyModel<'_>) -> PathBuf {
    let path = dir.join(name);
    tiny::write_model(&path, &model);
    path
}

/// A draft model for `target` (`f` its frontend, `e` its engine).
fn draft(path: &Path, max_draft: usize, e: &Engine, f: &Frontend) -> Speculation {
    let spec = SpeculationSpec::Draft {
        path: path.to_path_buf(),
        max_draft,
    };
    Speculation::open(&spec, f, e.vocab_size(), 4096).expect("draft model")
}

/// Drafted, accepted, and passes where a draft was refused, over all runs.
#[derive(Debug, Default)]
struct Tally {
    drafted: usize,
    accepted: usize,
    refused_passes: usize,
}

/// Generates every tiny prompt plainly and with `speculation` (penalties 1.0 and 1.1) and
/// asserts the outputs are equal.
fn assert_equal_to_plain(
    e: &mut Engine,
    f: &Frontend,
    speculation: &mut Speculation,
    what: &str,
) -> Tally {
    let mut tally = Tally::default();
    for text in TINY_PROMPTS {
        let prompt = f.encode_chat(&[ChatMessage::user(*text)]).expect("prompt");
        for penalty in [1.0, 1.1] {
            let params = greedy(48, penalty);
            let (plain, p_out) = run(e, f, &prompt, &params, None, None);
            let (spec, s_out) = run(e, f, &prompt, &params, None, Some(speculation));
            assert_eq!(spec, plain, "{what} {text:?} penalty {penalty}");
            assert_eq!(s_out.reason, p_out.reason);
            assert!(s_out.accepted <= s_out.drafted);
            tally.drafted += s_out.drafted;
            tally.accepted += s_out.accepted;
            tally.refused_passes += usize::from(s_out.accepted < s_out.drafted);
        }
    }
    tally
}

#[test]
fn draft_model_speculation_equals_plain_greedy_on_tiny_models() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut e, f) = engine::open(&target(dir.path()), 4096).expect("open");

    // The chat model drafting for itself: its drafts are its own choices, so (the tiny model's
    // batched and one-token passes agree to 1e-4) nearly all are accepted.
    let same = write(dir.path(), "same.gguf", TinyModel::default());
    for k in [1, 3, 5] {
        let mut d = draft(&same, k, &e, &f);
        let t = assert_equal_to_plain(&mut e, &f, &mut d, "itself");
        assert!(t.drafted > 100, "k {k}: {t:?}");
        assert!(t.accepted * 20 >= t.drafted * 19, "k {k}: {t:?}");
    }

    // A smaller model of another architecture and other weights: it guesses some tokens right
    // and many wrong, so drafts are both kept and refused (the caches are cut back).
    let other = other_model(dir.path());
    for k in [2, 4] {
        let mut d = draft(&other, k, &e, &f);
        let t = assert_equal_to_plain(&mut e, &f, &mut d, "other");
        assert!(t.accepted > 0 && t.refused_passes > 10, "k {k}: {t:?}");
    }
}

#[test]
fn a_draft_model_padded_past_the_vocabulary_drafts_only_ids_the_chat_model_has() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (mut e, f) = engine::open(&target(dir.path()), 4096).expect("open");
    let padded = write(
        dir.path(),
        "padded.gguf",
        TinyModel {
            padding_rows: 32,
            ..TinyModel::default()
        },
    );
    // Not vacuous: left alone, the padded model chooses its padding ids.
    let (mut pe, pf) = engine::open(&padded, 4096).expect("open padded");
    assert_eq!(pe.vocab_size(), e.vocab_size() + 32);
    let prompt = pf.encode_chat(&[ChatMessage::user("hello")]).expect("ids");
    let (own, _) = run(&mut pe, &pf, &prompt, &greedy(16, 1.0), None, None);
    assert!(own.iter().any(|&t| t as usize >= e.vocab_size()), "{own:?}");
    // Fed to the chat model, a padding id would be an error; as a draft model it drafts the
    // best id the chat model has instead.
    let mut d = draft(&padded, 3, &e, &f);
    let t = assert_equal_to_plain(&mut e, &f, &mut d, "padded");
    assert!(t.drafted > 0, "{t:?}");
}

#[test]
fn draft_model_speculation_under_a_constraint_equals_plain_constrained_decoding() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = target(dir.path());
    let (mut e, f) = engine::open(&path, 4096).expect("open");
    let vocab = Arc::new(TokenVocab::from_tokenizer(&f.tokenizer, &f.eos_ids));
    let prompt = f.encode_raw("x y hello z hello w").expect("ids");
    // The chat model drafting for itself: unconstrained its drafts are all kept (previous
    // test), so every refusal here is the constraint ending a draft at a token it disallows.
    // The allowed tokens are the first the model chooses freely, so some drafts are allowed.
    let (free, _) = run(&mut e, &f, &prompt, &greedy(40, 1.0), None, None);
    let mut allowed = Vec::new();
    for t in free.into_iter().chain([70, 71, 72, 73]) {
        if allowed.len() < 4 && !allowed.contains(&t) && !f.eos_ids.contains(&t) {
            allowed.push(t);
        }
    }
    let allowed: [u32; 4] = allowed.try_into().expect("four tokens");
    let mut speculation = draft(&path, 3, &e, &f);
    for penalty in [1.0, 1.3] {
        let s_out = constrained_speculation_equals_plain(
            &mut e,
            &f,
            &prompt,
            &greedy(40, penalty),
            allowed,
            &vocab,
            &mut speculation,
        );
        assert!(
            s_out.accepted > 0 && s_out.accepted < s_out.drafted,
            "penalty {penalty}: {s_out:?}"
        );
    }
}

fn refusal(e: InferenceError) -> String {
    match e {
        InferenceError::ModelUnavailable { why, .. } => why,
        other => panic!("expected ModelUnavailable, got {other:?}"),
    }
}

#[test]
fn a_draft_model_with_another_vocabulary_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (e, f) = engine::open(&target(dir.path()), 4096).expect("open");
    let cases = [
        // Same size, one token different.
        ("renamed.gguf", &[("h", "e"), ("l", "o")][..], "token 257"),
        // One more token: the special tokens' ids move.
        (
            "longer.gguf",
            &[("h", "e"), ("l", "l"), ("l", "o")][..],
            "262 tokens",
        ),
    ];
    for (name, merges, expected) in cases {
        let path = write(
            dir.path(),
            name,
            TinyModel {
                merges,
                ..TinyModel::default()
            },
        );
        let spec = SpeculationSpec::Draft { path, max_draft: 3 };
        let err = Speculation::open(&spec, &f, e.vocab_size(), 4096).expect_err("refused");
        let why = refusal(err);
        assert!(why.contains(expected), "{name}: {why}");
        assert!(why.contains("tokenizer"), "{name}: {why}");
    }
}

#[tokio::test]
async fn the_worker_streams_the_same_text_with_a_draft_model() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = target(dir.path());
    let other = other_model(dir.path());
    let plain = spawn(&path, None);
    let drafted = spawn(
        &path,
        Some(SpeculationSpec::Draft {
            path: other,
            max_draft: 3,
        }),
    );
    workers_stream_the_same_text(&plain, &drafted).await;
}

#[tokio::test]
async fn load_chat_runs_the_configured_draft_model_and_refuses_a_mismatched_one() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = target(dir.path());
    let other = other_model(dir.path());
    let cfg = |draft: Option<&Path>| ModelsConfig {
        chat: path.display().to_string(),
        draft: draft.map(|p| p.display().to_string()),
        auto_fetch: false,
        ..ModelsConfig::default()
    };
    let plain = crate::load_chat(&cfg(None)).expect("chat with prompt lookup");
    let drafted = crate::load_chat(&cfg(Some(&other))).expect("chat with a draft model");
    for text in TINY_PROMPTS {
        let r = GenerateRequest {
            messages: vec![ChatMessage::user(*text)],
            params: greedy(40, 1.1),
        };
        let a = collect_dyn(plain.as_ref(), r.clone()).await;
        let b = collect_dyn(drafted.as_ref(), r).await;
        assert_eq!(a, b, "{text:?}");
    }
    let mismatched = write(
        dir.path(),
        "renamed.gguf",
        TinyModel {
            merges: &[("h", "e"), ("l", "o")],
            ..TinyModel::default()
        },
    );
    let err = crate::load_chat(&cfg(Some(&mismatched)))
        .err()
        .expect("a draft model with another vocabulary is refused");
    assert!(refusal(err).contains("cannot draft for this chat model"));
}

async fn collect_dyn(
    h: &dyn frontdesk_core::ChatModel,
    r: GenerateRequest,
) -> (String, FinishReason, usize) {
    let stream = h.generate(r).await.expect("generate");
    let (text, reason, generated, _) = crate::chat::constraint::tests::collect(stream).await;
    (text, reason, generated)
}

// ---------------------------------------------------------------- the real models

/// Greedy answers to the grounded prompts, plain and with `draft_file` drafting for
/// `target_file`; asserts each pair equal or parting at a near tie. Returns (identical answers,
/// prompts, accepted, drafted).
fn real_draft_run(target_file: &Path, draft_file: &Path) -> (usize, usize, usize, usize) {
    let (mut e, f) = engine::open(target_file, 4096).expect("open");
    let mut speculation = draft(draft_file, 3, &e, &f);
    let params = SamplingParams {
        max_tokens: 80,
        ..SamplingParams::default()
    };
    let prompts = grounded_prompts(&f);
    let (mut exact, mut accepted, mut drafted) = (0, 0, 0);
    for prompt in &prompts {
        let (plain, _) = run(&mut e, &f, prompt, &params, None, None);
        let (spec, out) = run(&mut e, &f, prompt, &params, None, Some(&mut speculation));
        accepted += out.accepted;
        drafted += out.drafted;
        exact += usize::from(equal_or_parting_at_a_near_tie(
            &mut e, &f, prompt, &params, &plain, &spec,
        ));
    }
    eprintln!(
        "{exact} of {} grounded answers identical; {accepted} of {drafted} drafted tokens accepted",
        prompts.len()
    );
    (exact, prompts.len(), accepted, drafted)
}

#[test]
fn real_model_drafting_for_itself_accepts_nearly_every_token() {
    let Some(path) = crate::model_file_for_test("qwen2.5-coder-0.5b-instruct/model.gguf") else {
        return;
    };
    let (_, _, accepted, drafted) = real_draft_run(&path, &path);
    // Its drafts are its own greedy choices; only where a one-token pass and the batched
    // verify pass round a near tie differently can one be refused.
    assert!(drafted > 100, "{drafted}");
    assert!(
        accepted * 20 >= drafted * 19,
        "{accepted} of {drafted} accepted"
    );
}

/// The 1.5B model stays out of `scripts/test`: run with
/// `cargo test -p frontdesk-inference --release -- --ignored real_1_5b`.
#[test]
#[ignore = "needs the 1.5B model; run by hand (see the crate README, Draft model)"]
fn real_1_5b_with_the_0_5b_draft_equals_plain_greedy_up_to_near_ties() {
    let big = crate::model_file_for_test("qwen2.5-coder-1.5b-instruct/model.gguf");
    let small = crate::model_file_for_test("qwen2.5-coder-0.5b-instruct/model.gguf");
    let (Some(big), Some(small)) = (big, small) else {
        panic!("this opt-in test needs both models: frontdesk models fetch qwen2.5-coder-0.5b-instruct qwen2.5-coder-1.5b-instruct");
    };
    let (_, _, accepted, drafted) = real_draft_run(&big, &small);
    assert!(accepted * 3 > drafted, "{accepted} of {drafted} accepted");
}
