//! The question translators a search can use (`frontdesk_core::Translator`), chosen by
//! `retrieval.translate_questions`.
//!
//! Apertium is a rule-based machine translator (dictionaries, morphology and transfer rules)
//! with a Serbo-Croatian ↔ English pair. It is used here because a generative model asked to
//! translate a question changes what is asked (see crates/retrieval/README.md, "Translating the
//! question with the chat model"), while a rule-based translator only ever maps the words it
//! knows and passes the rest (numbers, codes, typos, most names) through unchanged; a name that
//! is also a word is translated as one ("Novi Sad" becomes "New Now"). Its output is rough, so
//! it is one more search variant beside the question, never text shown to anyone.

use async_trait::async_trait;
use frontdesk_core::config::{QuestionTranslator, RetrievalConfig};
use frontdesk_core::text::cyrillic_to_latin;
use frontdesk_core::{Lang, TranslationError, Translator};
use std::collections::HashMap;
use std::process::Stdio;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;
use tokio::io::AsyncWriteExt;

/// How long one translation may take before the search goes on without it (a question takes
/// about 0.1 s; the process starts, loads its dictionaries and translates one line).
const TIMEOUT: Duration = Duration::from_secs(3);

/// The translator `cfg` asks for, if it can run on this machine (checked once per process and
/// command; a missing one is a warning, and searches go on without translations).
pub fn from_config(cfg: &RetrievalConfig) -> Option<Arc<dyn Translator>> {
    translator(cfg.translate_questions, cfg)
}

/// The translator of kind `kind` with `cfg`'s command, if it can run on this machine (as
/// [`from_config`]; the engine's order-item reader names its own kind,
/// `engine.item_translation`).
pub fn translator(kind: QuestionTranslator, cfg: &RetrievalConfig) -> Option<Arc<dyn Translator>> {
    match kind {
        QuestionTranslator::Off => None,
        QuestionTranslator::Apertium => {
            Apertium::detect(&cfg.apertium_command).map(|a| Arc::new(a) as Arc<dyn Translator>)
        }
    }
}

/// The `apertium` command with its Serbo-Croatian ↔ English modes.
#[derive(Debug, Clone)]
pub struct Apertium {
    command: String,
    /// Serbian (Latin) → English.
    to_english: Option<String>,
    /// English → Serbian (Latin); the Serbian variant of the pair's Serbo-Croatian when it has one.
    to_serbian: Option<String>,
}

impl Apertium {
    /// The translator behind `command`, with the modes it lists (`apertium -l`); None, with a
    /// warning once, when it is not installed or has neither direction.
    pub fn detect(command: &str) -> Option<Self> {
        static SEEN: OnceLock<Mutex<HashMap<String, Option<Apertium>>>> = OnceLock::new();
        let seen = SEEN.get_or_init(Default::default);
        let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
        seen.entry(command.to_string())
            .or_insert_with(|| {
                let found = Self::probe(command);
                if found.is_none() {
                    tracing::warn!(
                        command,
                        "apertium with its Serbo-Croatian–English pair is not installed: \
                         questions are not translated for searching pages in the other language"
                    );
                }
                found
            })
            .clone()
    }

    fn probe(command: &str) -> Option<Self> {
        let out = std::process::Command::new(command)
            .arg("-l")
            .stdin(Stdio::null())
            .stderr(Stdio::null())
            .output()
            .ok()?;
        let listed = String::from_utf8_lossy(&out.stdout);
        Self::from_modes(command, listed.split_whitespace())
    }

    /// The translator for the modes `apertium -l` listed.
    pub fn from_modes<'a>(command: &str, modes: impl IntoIterator<Item = &'a str>) -> Option<Self> {
        let modes: Vec<&str> = modes.into_iter().collect();
        let has = |m: &str| modes.contains(&m);
        let to_english = has("hbs-eng").then(|| "hbs-eng".to_string());
        let to_serbian = ["eng-hbs_SR", "eng-hbs"]
            .into_iter()
            .find(|m| has(m))
            .map(str::to_string);
        (to_english.is_some() || to_serbian.is_some()).then(|| Self {
            command: command.to_string(),
            to_english,
            to_serbian,
        })
    }

    fn mode(&self, from: Lang, to: Lang) -> Option<&str> {
        if from.is_serbian() && to == Lang::En {
            self.to_english.as_deref()
        } else if from == Lang::En && to.is_serbian() {
            self.to_serbian.as_deref()
        } else {
            None
        }
    }
}

#[async_trait]
impl Translator for Apertium {
    fn translates(&self, from: Lang, to: Lang) -> bool {
        self.mode(from, to).is_some()
    }

    async fn translate(
        &self,
        text: &str,
        from: Lang,
        to: Lang,
    ) -> Result<String, TranslationError> {
        let mode = self.mode(from, to).ok_or_else(|| {
            TranslationError::Unavailable(format!("no {} → {} mode", from.code(), to.code()))
        })?;
        // The pair reads Serbian in Latin script only, one line at a time.
        let line = if from.is_serbian() {
            cyrillic_to_latin(text)
        } else {
            text.to_string()
        };
        let line = line.split_whitespace().collect::<Vec<_>>().join(" ");
        let mut child = tokio::process::Command::new(&self.command)
            .args(["-u", mode])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| TranslationError::Unavailable(format!("{}: {e}", self.command)))?;
        let mut stdin = child
            .stdin
            .take()
            .ok_or_else(|| TranslationError::Failed("no stdin".into()))?;
        let run = async move {
            stdin.write_all(line.as_bytes()).await?;
            stdin.write_all(b"\n").await?;
            drop(stdin);
            child.wait_with_output().await
        };
        let out = tokio::time::timeout(TIMEOUT, run)
            .await
            .map_err(|_| TranslationError::Failed(format!("{mode} took over {TIMEOUT:?}")))?
            .map_err(|e| TranslationError::Failed(format!("{mode}: {e}")))?;
        if !out.status.success() {
            return Err(TranslationError::Failed(format!(
                "{mode} exited with {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr).trim()
            )));
        }
        let translated = clean(&String::from_utf8_lossy(&out.stdout));
        if translated.is_empty() {
            return Err(TranslationError::Failed(format!("{mode} wrote nothing")));
        }
        Ok(translated)
    }
}

/// The translation as plain words: one line, without the marks Apertium may put before a word
/// it could not analyse (`*`), generate (`#`) or translate (`@`).
fn clean(out: &str) -> String {
    out.split_whitespace()
        .map(|w| w.trim_start_matches(['*', '#', '@']))
        .filter(|w| !w.is_empty())
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn modes_decide_the_directions() {
        let both = Apertium::from_modes(
            "apertium",
            ["Cyrl-Latn", "eng-hbs", "eng-hbs_SR", "hbs-eng"],
        )
        .unwrap();
        assert_eq!(both.mode(Lang::SrCyrl, Lang::En), Some("hbs-eng"));
        assert_eq!(both.mode(Lang::En, Lang::SrLatn), Some("eng-hbs_SR"));
        assert!(!both.translates(Lang::En, Lang::En));
        let one = Apertium::from_modes("apertium", ["eng-hbs"]).unwrap();
        assert!(one.translates(Lang::En, Lang::SrCyrl));
        assert!(!one.translates(Lang::SrLatn, Lang::En));
        assert!(Apertium::from_modes("apertium", ["eng-spa", "spa-eng"]).is_none());
    }

    #[test]
    fn marks_and_line_breaks_are_taken_out() {
        assert_eq!(
            clean("How *much #costs @dostava?\n"),
            "How much costs dostava?"
        );
        assert_eq!(clean("  \n"), "");
    }

    #[tokio::test]
    async fn a_missing_command_is_reported_not_hung() {
        assert!(Apertium::detect("/nonexistent/apertium").is_none());
        let t = Apertium::from_modes("/nonexistent/apertium", ["hbs-eng"]).unwrap();
        let err = t
            .translate("Koliko košta dostava?", Lang::SrLatn, Lang::En)
            .await;
        assert!(
            matches!(err, Err(TranslationError::Unavailable(_))),
            "{err:?}"
        );
        let err = t.translate("Hello", Lang::En, Lang::SrLatn).await;
        assert!(
            matches!(err, Err(TranslationError::Unavailable(_))),
            "{err:?}"
        );
    }
}
