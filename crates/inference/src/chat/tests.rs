use super::engine;
use super::model::{Decoder, DecoderConfig};
use super::stream::Detokenizer;
use super::tiny;
use super::*;
use candle_core::quantized::gguf_file;
use candle_core::{Device, Tensor};
use frontdesk_core::chat::{FinishReason, GenerationEvent};
use frontdesk_core::{ChatMessage, ChatModel, GenerateRequest, InferenceError, SamplingParams};
use std::path::PathBuf;
use std::time::{Duration, Instant};

fn tiny_model(arch: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("tiny.gguf");
    tiny::write(&path, arch, 7);
    (dir, path)
}

fn max_abs_diff(a: &Tensor, b: &Tensor) -> f32 {
    let a = a.flatten_all().and_then(|t| t.to_vec1::<f32>()).expect("a");
    let b = b.flatten_all().and_then(|t| t.to_vec1::<f32>()).expect("b");
    assert_eq!(a.len(), b.len());
    a.iter()
        .zip(&b)
        .map(|(x, y)| (x - y).abs())
        .fold(0.0, f32::max)
}

fn open_decoder(path: &std::path::Path) -> Decoder {
    let bytes = std::fs::read(path).expect("read");
    let ct = gguf_file::Content::read(&mut std::io::Cursor::new(&bytes)).expect("header");
    let cfg = DecoderConfig::from_metadata(&ct, 4096).expect("cfg");
    Decoder::from_gguf(&ct, &bytes, &|_| {}, cfg).expect("decoder")
}

#[test]
fn decoder_matches_candle_reference_models() {
    let prompt: Vec<u32> = vec![5, 70, 101, 33, 200, 17, 44];
    for arch in ["qwen2", "llama"] {
        let (_d, path) = tiny_model(arch);
        let mut ours = open_decoder(&path);
        let mut f = std::fs::File::open(&path).expect("open");
        let ct = gguf_file::Content::read(&mut f).expect("read");
        let dev = Device::Cpu;
        let input = Tensor::new(prompt.as_slice(), &dev)
            .and_then(|t| t.unsqueeze(0))
            .expect("input");
        let next = Tensor::new(&[9u32], &dev)
            .and_then(|t| t.unsqueeze(0))
            .expect("next");
        let (r1, r2) = if arch == "qwen2" {
            let mut m = candle_transformers::models::quantized_qwen2::ModelWeights::from_gguf(
                ct, &mut f, &dev,
            )
            .expect("qwen2");
            (
                m.forward(&input, 0).expect("fwd"),
                m.forward(&next, prompt.len()).expect("fwd"),
            )
        } else {
            let mut m = candle_transformers::models::quantized_llama::ModelWeights::from_gguf(
                ct, &mut f, &dev,
            )
            .expect("llama");
            (
                m.forward(&input, 0).expect("fwd"),
                m.forward(&next, prompt.len()).expect("fwd"),
            )
        };
        let o1 = ours.forward(&prompt).expect("ours");
        let o2 = ours.forward(&[9]).expect("ours");
        assert!(
            max_abs_diff(&o1, &r1) < 1e-4,
            "{arch} prefill differs: {}",
            max_abs_diff(&o1, &r1)
        );
        assert!(
            max_abs_diff(&o2, &r2) < 1e-4,
            "{arch} step differs: {}",
            max_abs_diff(&o2, &r2)
        );
    }
}

#[test]
fn truncated_cache_equals_fresh_run() {
    for arch in ["qwen2", "llama"] {
        let (_d, path) = tiny_model(arch);
        let mut a = open_decoder(&path);
        a.forward(&[1, 2, 3, 4, 5]).expect("fwd");
        a.truncate_cache(2);
        assert_eq!(a.cache_len(), 2);
        let la = a.forward(&[8, 9, 10]).expect("fwd");
        let mut b = open_decoder(&path);
        let lb = b.forward(&[1, 2, 8, 9, 10]).expect("fwd");
        assert!(max_abs_diff(&la, &lb) < 1e-4, "{arch}");
    }
}

fn opts(queue: usize) -> ChatWorkerOptions {
    ChatWorkerOptions {
        model_id: "tiny".into(),
        queue,
        max_context: 4096,
        speculative: None,
    }
}

fn req(user: &str, params: SamplingParams) -> GenerateRequest {
    GenerateRequest {
        messages: vec![
            ChatMessage::system("You are a shop assistant."),
            ChatMessage::user(user),
        ],
        params,
    }
}

fn greedy(max_tokens: usize) -> SamplingParams {
    SamplingParams {
        temperature: 0.0,
        repeat_penalty: 1.0,
        max_tokens,
        ..Default::default()
    }
}

/// Runs a request to completion: (text, finish reason, prompt, cached, generated).
async fn run(h: &ChatHandle, r: GenerateRequest) -> (String, FinishReason, usize, usize, usize) {
    let mut rx = h.generate(r).await.expect("generate");
    let mut text = String::new();
    while let Some(ev) = rx.recv().await {
        match ev.expect("event") {
            GenerationEvent::Text(t) => {
                assert!(!t.is_empty(), "empty text events are not sent");
                text.push_str(&t)
            }
            GenerationEvent::Finished {
                reason,
                prompt_tokens,
                cached_prompt_tokens,
                generated_tokens,
                ..
            } => {
                return (
                    text,
                    reason,
                    prompt_tokens,
                    cached_prompt_tokens,
                    generated_tokens,
                )
            }
        }
    }
    panic!("stream ended without Finished")
}

#[tokio::test]
async fn max_tokens_and_determinism() {
    for arch in ["qwen2", "llama"] {
        let (_d, path) = tiny_model(arch);
        let h = spawn_gguf(&path, &opts(4)).expect("spawn");
        assert_eq!(h.info().architecture, arch);
        for n in [1usize, 5, 17] {
            let (text, reason, _, _, generated) = run(&h, req("hello", greedy(n))).await;
            assert_eq!(
                (reason, generated),
                (FinishReason::Length, n),
                "{arch} max_tokens {n}"
            );
            assert!(
                !text.is_empty() || n < 3,
                "{arch}: some text for {n} tokens"
            );
        }
        let a = run(&h, req("hello", greedy(12))).await.0;
        let b = run(&h, req("hello", greedy(12))).await.0;
        assert_eq!(a, b, "greedy is deterministic");
    }
}

#[tokio::test]
async fn seeded_sampling_is_reproducible_and_seed_dependent() {
    let (_d, path) = tiny_model("qwen2");
    let h = spawn_gguf(&path, &opts(4)).expect("spawn");
    let p = |seed| SamplingParams {
        temperature: 1.5,
        top_p: 0.95,
        seed,
        max_tokens: 24,
        repeat_penalty: 1.0,
        ..Default::default()
    };
    let a1 = run(&h, req("hi", p(1))).await.0;
    let a2 = run(&h, req("hi", p(1))).await.0;
    assert_eq!(a1, a2, "same seed, same text");
    let others: Vec<String> = sample_seeds(&h, &[2, 3, 4]).await;
    assert!(
        others.iter().any(|o| o != &a1),
        "different seeds should give some different text"
    );
    let g = run(&h, req("hi", greedy(24))).await.0;
    let hot = SamplingParams {
        temperature: 5.0,
        top_p: 1.0,
        seed: 9,
        max_tokens: 24,
        repeat_penalty: 1.0,
        ..Default::default()
    };
    assert_ne!(
        run(&h, req("hi", hot)).await.0,
        g,
        "temperature sampling differs from greedy"
    );
}

async fn sample_seeds(h: &ChatHandle, seeds: &[u64]) -> Vec<String> {
    let mut out = Vec::new();
    for &seed in seeds {
        let p = SamplingParams {
            temperature: 1.5,
            top_p: 0.95,
            seed,
            max_tokens: 24,
            repeat_penalty: 1.0,
            ..Default::default()
        };
        out.push(run(h, req("hi", p)).await.0);
    }
    out
}

#[tokio::test]
async fn repeat_penalty_changes_greedy_output() {
    let (_d, path) = tiny_model("llama");
    let h = spawn_gguf(&path, &opts(4)).expect("spawn");
    let plain = run(&h, req("hello", greedy(40))).await.0;
    let penalised = SamplingParams {
        repeat_penalty: 3.0,
        repeat_last_n: 64,
        ..greedy(40)
    };
    assert_ne!(run(&h, req("hello", penalised)).await.0, plain);
}

#[tokio::test]
async fn stop_strings_end_generation_and_are_not_emitted() {
    let (_d, path) = tiny_model("qwen2");
    let h = spawn_gguf(&path, &opts(4)).expect("spawn");
    let full = run(&h, req("hello", greedy(40))).await.0;
    let chars: Vec<char> = full.chars().collect();
    assert!(chars.len() > 12, "need some text, got {full:?}");
    // Stop strings taken from inside the greedy text: output must be exactly the text before them.
    for (start, len) in [(3usize, 2usize), (6, 4), (1, 1)] {
        let stop: String = chars[start..start + len].iter().collect();
        let want = &full[..full.find(&stop).expect("present")];
        let p = SamplingParams {
            stop: vec![stop.clone(), "\u{1}never".into()],
            ..greedy(40)
        };
        let (text, reason, ..) = run(&h, req("hello", p)).await;
        assert_eq!(
            (text.as_str(), reason),
            (want, FinishReason::Stop),
            "stop {stop:?}"
        );
    }
    let p = SamplingParams {
        stop: vec!["\u{1}never".into()],
        ..greedy(40)
    };
    assert_eq!(
        run(&h, req("hello", p)).await.0,
        full,
        "an absent stop string changes nothing"
    );
}

#[tokio::test]
async fn prefix_cache_reuses_shared_system_prompt_without_changing_output() {
    let (_d, path) = tiny_model("qwen2");
    let warm = spawn_gguf(&path, &opts(4)).expect("spawn");
    let (_, _, p1, c1, _) = run(&warm, req("first question", greedy(8))).await;
    assert_eq!(c1, 0, "cold start has nothing cached");
    let (text2, _, p2, c2, _) = run(&warm, req("another one entirely", greedy(8))).await;
    let (_, front) = engine::open(&path, 4096).expect("open");
    let a = front
        .encode_chat(&req("first question", greedy(8)).messages)
        .expect("ids");
    let b = front
        .encode_chat(&req("another one entirely", greedy(8)).messages)
        .expect("ids");
    let shared = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let system_only = front
        .encode_chat(&[ChatMessage::system("You are a shop assistant.")])
        .expect("ids")
        .len();
    assert!(
        shared > system_only / 2,
        "the prompts share the system turn"
    );
    assert_eq!(
        c2, shared,
        "exactly the shared prefix is reused ({p2} prompt tokens)"
    );
    let (_, _, p3, c3, _) = run(&warm, req("another one entirely", greedy(8))).await;
    assert_eq!(
        c3,
        p3 - 1,
        "an identical prompt reuses everything but the last token"
    );
    assert!(p1 > 0);
    let cold = spawn_gguf(&path, &opts(4)).expect("spawn");
    assert_eq!(
        run(&cold, req("another one entirely", greedy(8))).await.0,
        text2,
        "cache reuse must not change the answer"
    );
}

#[tokio::test]
async fn dropping_the_stream_cancels_generation() {
    let (_d, path) = tiny_model("llama");
    let h = spawn_gguf(&path, &opts(4)).expect("spawn");
    let mut rx = h
        .generate(req("hello", greedy(3000)))
        .await
        .expect("generate");
    let first = rx.recv().await;
    assert!(matches!(first, Some(Ok(GenerationEvent::Text(_)))));
    drop(rx);
    // The next request only finishes after the worker gave up the first one.
    run(&h, req("x", greedy(2))).await;
    let total = h.generated_tokens_total();
    assert!(
        total < 1000,
        "worker kept generating after the receiver was dropped: {total}"
    );
}

#[tokio::test]
async fn full_queue_answers_overloaded_at_once() {
    let (_d, path) = tiny_model("qwen2");
    let h = spawn_gguf(&path, &opts(1)).expect("spawn");
    let mut streams = Vec::new();
    let mut overloaded = 0;
    let t = Instant::now();
    for _ in 0..4 {
        match h.generate(req("hello", greedy(3000))).await {
            Ok(rx) => streams.push(rx),
            Err(InferenceError::Overloaded { model, capacity }) => {
                assert_eq!((model.as_str(), capacity), ("tiny", 1));
                overloaded += 1;
            }
            Err(e) => panic!("unexpected {e}"),
        }
    }
    assert!(
        t.elapsed() < Duration::from_millis(500),
        "must not wait for room"
    );
    assert!(
        overloaded >= 2,
        "one running + one queued at most, got {overloaded} rejections"
    );
}

#[test]
fn unsupported_architecture_is_named() {
    let (_d, path) = tiny_model("gemma3");
    let err = spawn_gguf(&path, &opts(1)).err().expect("must fail");
    let msg = err.to_string();
    assert!(msg.contains("gemma3") && msg.contains("qwen2"), "{msg}");
    assert!(check_architecture(&path).is_err());
}

#[test]
fn detokenizer_never_emits_broken_utf8() {
    let (_d, path) = tiny_model("qwen2");
    let (_, front) = engine::open(&path, 4096).expect("open");
    for text in ["hello world", "žaba ćevap", "čaj 🙂 ok", "Здраво свете"] {
        let ids = front.encode_raw(text).expect("encode");
        let mut d = Detokenizer::new();
        let mut out = String::new();
        for &id in &ids {
            let piece = d.push(&front.tokenizer, id);
            assert!(
                !piece.contains('\u{FFFD}'),
                "{text}: broken piece {piece:?}"
            );
            out.push_str(&piece);
        }
        assert_eq!(out, text);
    }
}

#[test]
fn bench_api_prefix_reuse() {
    let (_d, path) = tiny_model("qwen2");
    let mut m = bench::BenchModel::load(&path, 4096).expect("load");
    let ids = m.encode_raw("hello hello hello world").expect("ids");
    let (a, cached) = m.prefill_greedy(&ids).expect("prefill");
    assert_eq!(cached, 0);
    let b = m.step_greedy(a).expect("step");
    m.truncate_cache(4);
    let (a2, cached2) = m.prefill_greedy(&ids).expect("prefill");
    assert_eq!((a2, cached2), (a, 4));
    assert_eq!(m.step_greedy(a2).expect("step"), b);
}
