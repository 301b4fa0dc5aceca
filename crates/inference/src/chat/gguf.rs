//! Opening a GGUF chat model: metadata, tokenizer and weights, in the order the formats demand
//! (the template and special ids are read before the weights are loaded).

use super::model::{Decoder, DecoderConfig, SUPPORTED_ARCHS};
use candle_core::quantized::gguf_file;
use candle_core::quantized::tokenizer::TokenizerFromGguf;
use frontdesk_core::InferenceError;
use std::path::Path;
use tokenizers::Tokenizer;

pub(crate) struct LoadedGguf {
    pub decoder: Decoder,
    pub tokenizer: Tokenizer,
    pub template: Option<String>,
    pub bos_token: String,
    pub eos_token: String,
    /// Every id that ends generation (`<|im_end|>`, `<|endoftext|>`, the GGUF's eos id, …).
    pub eos_ids: Vec<u32>,
    pub add_bos: Option<u32>,
}

fn unavailable(path: &Path, why: impl std::fmt::Display) -> InferenceError {
    InferenceError::ModelUnavailable {
        model: path.display().to_string(),
        why: why.to_string(),
    }
}

fn open(path: &Path) -> Result<std::fs::File, InferenceError> {
    std::fs::File::open(path).map_err(|e| {
        unavailable(
            path,
            format!(
                "cannot open the GGUF file ({e}); check the path or run `frontdesk models fetch`"
            ),
        )
    })
}

fn read_content(
    path: &Path,
    reader: &mut (impl std::io::Read + std::io::Seek),
) -> Result<gguf_file::Content, InferenceError> {
    // candle 0.11.1 divides by `general.alignment` unchecked, so an alignment of 0 panics
    // (found by the GGUF fuzz harness, crates/server/README.md#fuzzing): a file that makes the
    // reader panic is an unreadable file, not a crash.
    let read = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        gguf_file::Content::read(reader)
    }))
    .map_err(|_| {
        unavailable(
            path,
            "not a readable GGUF file (its header makes the reader fail); re-fetch it with `frontdesk models fetch`",
        )
    })?;
    let content = read.map_err(|e| {
        unavailable(
            path,
            format!("not a readable GGUF file ({e}); re-fetch it with `frontdesk models fetch`"),
        )
    })?;
    Ok(content)
}

fn architecture_of(ct: &gguf_file::Content) -> Option<String> {
    ct.metadata
        .get("general.architecture")
        .and_then(|v| v.to_string().ok())
        .cloned()
}

fn unsupported_arch(path: &Path, found: &str) -> InferenceError {
    unavailable(
        path,
        format!(
            "unsupported GGUF architecture `{found}`: frontdesk runs {} models; choose one of those (see `frontdesk models list`)",
            SUPPORTED_ARCHS.join(" and ")
        ),
    )
}

/// Reads only the header: the architecture name, after checking it is one frontdesk can run.
pub fn check_architecture(path: &Path) -> Result<String, InferenceError> {
    let ct = read_content(path, &mut open(path)?)?;
    let arch = architecture_of(&ct).unwrap_or_else(|| "(none)".into());
    if !SUPPORTED_ARCHS.contains(&arch.as_str()) {
        return Err(unsupported_arch(path, &arch));
    }
    Ok(arch)
}

fn meta_u32(ct: &gguf_file::Content, key: &str) -> Option<u32> {
    ct.metadata.get(key).and_then(|v| {
        v.to_u32()
            .ok()
            .or_else(|| v.to_i32().ok().map(|i| i as u32))
    })
}

pub(crate) fn load(path: &Path, max_context: usize) -> Result<LoadedGguf, InferenceError> {
    let file = open(path)?;
    // Mapped, not read: the weights are converted straight from the page cache, in parallel,
    // and the mapping is gone once they are.
    // SAFETY: the model files are the catalogue's (written once by `models fetch`, checked by
    // sha256); a file changed under a loading process could only give wrong weights, which
    // the conversion reads as plain bytes (every length is checked against the header).
    let map = unsafe { memmap2::Mmap::map(&file) }
        .map_err(|e| unavailable(path, format!("cannot map the GGUF file ({e})")))?;
    let ct = read_content(path, &mut std::io::Cursor::new(&map[..]))?;
    // A converted matrix's pages leave this process at once (the page cache keeps them), so the
    // file does not count twice in its memory while the rest converts.
    let release = |range: std::ops::Range<usize>| {
        #[cfg(unix)]
        // SAFETY: the mapping is read-only and file-backed: dropped pages read the file again if
        // touched, so nothing borrowed from it changes.
        let _ = unsafe {
            map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, range.start, range.len())
        };
        #[cfg(not(unix))]
        let _ = range;
    };
    let arch = architecture_of(&ct).unwrap_or_else(|| "(none)".into());
    if !SUPPORTED_ARCHS.contains(&arch.as_str()) {
        return Err(unsupported_arch(path, &arch));
    }
    let template = ct
        .metadata
        .get("tokenizer.chat_template")
        .and_then(|v| v.to_string().ok())
        .cloned();
    let tokens: Vec<String> = match ct
        .metadata
        .get("tokenizer.ggml.tokens")
        .and_then(|v| v.to_vec().ok())
    {
        Some(vs) => vs
            .iter()
            .map(|v| v.to_string().cloned().unwrap_or_default())
            .collect(),
        None => {
            return Err(unavailable(
                path,
                "the GGUF carries no tokenizer (tokenizer.ggml.tokens)",
            ))
        }
    };
    let token_text = |id: Option<u32>| {
        id.and_then(|i| tokens.get(i as usize))
            .cloned()
            .unwrap_or_default()
    };
    let bos_id = meta_u32(&ct, "tokenizer.ggml.bos_token_id");
    let eos_id = meta_u32(&ct, "tokenizer.ggml.eos_token_id");
    let add_bos = ct
        .metadata
        .get("tokenizer.ggml.add_bos_token")
        .and_then(|v| v.to_bool().ok())
        .unwrap_or(false);
    let mut eos_ids: Vec<u32> = eos_id.into_iter().collect();
    for name in [
        "<|im_end|>",
        "<|endoftext|>",
        "<|eot_id|>",
        "<|end_of_text|>",
    ] {
        if let Some(i) = tokens.iter().position(|t| t == name) {
            let i = i as u32;
            if !eos_ids.contains(&i) {
                eos_ids.push(i);
            }
        }
    }
    let pre = ct
        .metadata
        .get("tokenizer.ggml.pre")
        .and_then(|v| v.to_string().ok())
        .cloned()
        .unwrap_or_default();
    let cfg = DecoderConfig::from_metadata(&ct, max_context).map_err(|e| unavailable(path, e))?;
    // The tokenizer is built beside the weights' conversion, on the kernels' pool.
    let (tokenizer, decoder) = crate::kernels::install(|| {
        rayon::join(
            || Tokenizer::from_gguf(&ct),
            || Decoder::from_gguf(&ct, &map, &release, cfg),
        )
    });
    let mut tokenizer =
        tokenizer.map_err(|e| unavailable(path, format!("cannot build its tokenizer: {e}")))?;
    if pre == "smollm" {
        fix_smollm_pretokenizer(&mut tokenizer);
    }
    let decoder = decoder
        .map_err(|e| unavailable(path, format!("cannot load its weights ({e}); the file may be truncated: run `frontdesk models verify`")))?;
    Ok(LoadedGguf {
        decoder,
        tokenizer,
        template,
        bos_token: token_text(bos_id),
        eos_token: token_text(eos_id),
        eos_ids,
        add_bos: if add_bos { bos_id } else { None },
    })
}

/// SmolLM2's own tokenizer.json splits digits one per token and adds no prefix space; candle's
/// GGUF builder treats `pre=smollm` as plain GPT-2 (prefix space, grouped digits), which shifts
/// every prompt away from what the model was trained on.
fn fix_smollm_pretokenizer(tokenizer: &mut Tokenizer) {
    use tokenizers::pre_tokenizers::{
        byte_level::ByteLevel, digits::Digits, sequence::Sequence, PreTokenizerWrapper,
    };
    let seq = Sequence::new(vec![
        PreTokenizerWrapper::Digits(Digits::new(true)),
        PreTokenizerWrapper::ByteLevel(ByteLevel::new(false, true, true)),
    ]);
    tokenizer.with_pre_tokenizer(Some(PreTokenizerWrapper::Sequence(seq)));
}
