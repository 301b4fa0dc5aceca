//! Real GGUF chat models from the model cache. Skipped when the files are absent unless
//! FRONTDESK_REQUIRE_MODELS=1 (CI), which turns absence into a failure.

use frontdesk_core::chat::{FinishReason, GenerationEvent};
use frontdesk_core::{ChatMessage, ChatModel, GenerateRequest, SamplingParams};
use frontdesk_inference::chat::{spawn_gguf, ChatHandle, ChatWorkerOptions};
use std::path::PathBuf;

fn model_path(name: &str) -> Option<PathBuf> {
    let dir = std::env::var_os("FRONTDESK_MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            dirs::cache_dir()
                .unwrap_or_default()
                .join("frontdesk/models")
        });
    let p = dir.join(name).join("model.gguf");
    if p.is_file() {
        return Some(p);
    }
    if std::env::var("FRONTDESK_REQUIRE_MODELS").as_deref() == Ok("1") {
        panic!(
            "{} is missing and FRONTDESK_REQUIRE_MODELS=1; run `frontdesk models fetch {name}`",
            p.display()
        );
    }
    eprintln!("skipping: {} not present", p.display());
    None
}

fn spawn(name: &str) -> Option<ChatHandle> {
    let p = model_path(name)?;
    let opts = ChatWorkerOptions {
        model_id: name.into(),
        queue: 2,
        max_context: 2048,
        speculative: None,
    };
    Some(spawn_gguf(&p, &opts).expect("model loads"))
}

async fn ask(
    h: &ChatHandle,
    system: &str,
    user: &str,
    max_tokens: usize,
) -> (String, usize, usize) {
    let req = GenerateRequest {
        messages: vec![ChatMessage::system(system), ChatMessage::user(user)],
        params: SamplingParams {
            max_tokens,
            ..Default::default()
        },
    };
    let mut rx = h.generate(req).await.expect("queued");
    let mut text = String::new();
    while let Some(ev) = rx.recv().await {
        match ev.expect("no error") {
            GenerationEvent::Text(t) => text.push_str(&t),
            GenerationEvent::Finished {
                reason,
                prompt_tokens,
                cached_prompt_tokens,
                ..
            } => {
                assert!(matches!(reason, FinishReason::Eos | FinishReason::Length));
                return (text, prompt_tokens, cached_prompt_tokens);
            }
        }
    }
    panic!("no Finished event")
}

const SYSTEM: &str = "You are the support assistant of Northwind Outfitters, an outdoor shop. Answer briefly and politely.";

#[tokio::test]
async fn answers_greedily_and_reuses_the_system_prompt() {
    for (name, expect_any) in [
        ("smollm2-135m-instruct", &["paris"][..]),
        ("qwen2.5-coder-0.5b-instruct", &["paris"][..]),
    ] {
        let Some(h) = spawn(name) else { continue };
        let (text, p1, c1) = ask(
            &h,
            SYSTEM,
            "What is the capital of France? Answer in one word.",
            24,
        )
        .await;
        let lower = text.to_lowercase();
        assert!(
            expect_any.iter().any(|w| lower.contains(w)),
            "{name} answered {text:?}"
        );
        assert_eq!(c1, 0, "{name}: cold cache");
        let (text2, p2, c2) = ask(&h, SYSTEM, "Do you sell tents?", 24).await;
        assert!(!text2.trim().is_empty(), "{name}: empty second answer");
        assert!(
            c2 > 20 && c2 < p2,
            "{name}: second turn should reuse the system prompt: cached {c2} of {p2} (first {p1})"
        );
    }
}
