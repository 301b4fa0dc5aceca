//! Suite manifests: a small TOML file naming the suite's kind and data files (paths relative to
//! the manifest), or a bare data file / folder whose kind is inferred from its shape.

use crate::error::EvalError;
use frontdesk_core::config::IntentModelConfig;
use frontdesk_core::Lang;
use serde::Deserialize;
use std::path::{Path, PathBuf};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize, serde::Serialize, PartialOrd, Ord,
)]
#[serde(rename_all = "snake_case")]
pub enum SearchMode {
    Lexical,
    Dense,
    Hybrid,
}

impl SearchMode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lexical => "lexical",
            Self::Dense => "dense",
            Self::Hybrid => "hybrid",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum SuiteSpec {
    /// Questions `{"question","answer","doc_ids"}` against a knowledge base (`None`: the
    /// configured one, or the target server's).
    Retrieval {
        kb: Option<PathBuf>,
        questions: PathBuf,
        k: usize,
        modes: Vec<SearchMode>,
        answer: bool,
        /// Search only documents in these languages (empty: all), e.g. Serbian questions
        /// against the English pages to measure cross-lingual retrieval.
        langs: Vec<Lang>,
    },
    /// `{"text","intent","in_scope"}` rows. `train: None` is the configured catalogue;
    /// `test: None` with `positive_intent` means k-fold cross-validation over `train`.
    Intents {
        train: Option<PathBuf>,
        calibrate: Option<PathBuf>,
        test: Option<PathBuf>,
        all_out_of_scope: bool,
        pair_by: Option<String>,
        positive_intent: Option<String>,
        cv_folds: usize,
        /// How to build and calibrate the classifier (`[intent_model]`; `None`: the config's
        /// `engine.intent_model`).
        model: Option<IntentModelConfig>,
    },
    Conversations {
        cases: PathBuf,
        use_llm: Option<bool>,
    },
    Actions {
        store: PathBuf,
        tasks: PathBuf,
        policy: Option<PathBuf>,
        /// `{"task_id","user_scenario"}` rows that replace the tasks' scenarios (reworded
        /// copies); tasks without a row here are left out of the run.
        scenarios: Option<PathBuf>,
        /// Who plays the customer (`[customer]`; default: the scripted customer).
        customer: CustomerSpec,
    },
}

/// The customer side of an actions suite.
#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum CustomerSpec {
    /// Rules over the scenario's facts, reacting to the reply's structured fields.
    #[default]
    Scripted,
    /// A local chat model given only the scenario, reading the bot's text like a person.
    Lm(LmCustomerSpec),
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LmCustomerSpec {
    /// Catalogue name of the customer's chat model (default: the configured chat model).
    #[serde(default)]
    pub model: Option<String>,
    /// Sampling temperature of the customer's messages.
    #[serde(default = "LmCustomerSpec::default_temperature")]
    pub temperature: f32,
    /// Conversations per task, each with its own seed (`seed + run`): pass^k is over these.
    #[serde(default = "LmCustomerSpec::default_runs")]
    pub runs: usize,
    #[serde(default)]
    pub seed: u64,
    /// The conversation ends after this many customer messages.
    #[serde(default = "LmCustomerSpec::default_max_turns")]
    pub max_turns: usize,
}

impl LmCustomerSpec {
    fn default_temperature() -> f32 {
        0.7
    }
    fn default_runs() -> usize {
        1
    }
    fn default_max_turns() -> usize {
        14
    }
}

impl SuiteSpec {
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Retrieval { .. } => "retrieval",
            Self::Intents { .. } => "intents",
            Self::Conversations { .. } => "conversations",
            Self::Actions { .. } => "actions",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Suite {
    pub name: String,
    /// The manifest or data path the suite came from (shown in reports).
    pub source: PathBuf,
    /// Run at most this many questions / rows / cases / tasks, spread evenly over the file.
    pub limit: Option<usize>,
    /// Retrieval: index at most this many documents of the knowledge base (spread evenly) and
    /// keep only the questions whose gold documents are among them.
    pub kb_limit: Option<usize>,
    /// Intents: train on at most this many rows of `train` (spread evenly).
    pub train_limit: Option<usize>,
    pub spec: SuiteSpec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    kind: String,
    name: Option<String>,
    #[allow(dead_code)]
    description: Option<String>,
    limit: Option<usize>,
    kb_limit: Option<usize>,
    train_limit: Option<usize>,
    kb: Option<PathBuf>,
    questions: Option<PathBuf>,
    k: Option<usize>,
    modes: Option<Vec<SearchMode>>,
    answer: Option<bool>,
    #[serde(default)]
    langs: Vec<Lang>,
    train: Option<PathBuf>,
    calibrate: Option<PathBuf>,
    test: Option<PathBuf>,
    #[serde(default)]
    all_out_of_scope: bool,
    pair_by: Option<String>,
    positive_intent: Option<String>,
    cv_folds: Option<usize>,
    intent_model: Option<IntentModelConfig>,
    cases: Option<PathBuf>,
    use_llm: Option<bool>,
    store: Option<PathBuf>,
    tasks: Option<PathBuf>,
    policy: Option<PathBuf>,
    scenarios: Option<PathBuf>,
    customer: Option<CustomerSpec>,
}

pub const DEFAULT_K: usize = 10;
pub const DEFAULT_CV_FOLDS: usize = 5;

/// Reads a suite from a `.toml` manifest, a data file or a folder.
pub fn load_suite(path: &Path) -> Result<Suite, EvalError> {
    if path.is_dir() {
        let manifest = path.join("suite.toml");
        if manifest.is_file() {
            return load_manifest(&manifest);
        }
        return infer_dir(path);
    }
    if path.extension().is_some_and(|e| e == "toml") {
        return load_manifest(path);
    }
    infer_file(path)
}

pub fn load_manifest(path: &Path) -> Result<Suite, EvalError> {
    let text = std::fs::read_to_string(path).map_err(|e| EvalError::io(path, e))?;
    parse_manifest(&text, path)
}

/// Parses manifest text; relative paths resolve against the manifest's folder.
pub fn parse_manifest(text: &str, path: &Path) -> Result<Suite, EvalError> {
    let err = |message: String| EvalError::Manifest {
        path: path.to_path_buf(),
        message,
    };
    let raw: RawManifest = toml::from_str(text).map_err(|e| err(e.to_string()))?;
    let base = path.parent().unwrap_or(Path::new("."));
    let rel = |p: Option<PathBuf>| p.map(|p| if p.is_absolute() { p } else { base.join(p) });
    let need = |p: Option<PathBuf>, field: &str| {
        rel(p).ok_or_else(|| {
            err(format!(
                "kind = \"{}\" needs `{field} = \"path\"`",
                raw.kind
            ))
        })
    };
    let spec = match raw.kind.as_str() {
        "retrieval" | "qa" => SuiteSpec::Retrieval {
            kb: rel(raw.kb),
            questions: need(raw.questions, "questions")?,
            k: raw.k.unwrap_or(DEFAULT_K).max(1),
            modes: raw
                .modes
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| vec![SearchMode::Hybrid]),
            answer: raw.answer.unwrap_or(false),
            langs: raw.langs,
        },
        "intents" => {
            let spec = SuiteSpec::Intents {
                train: rel(raw.train),
                calibrate: rel(raw.calibrate),
                test: rel(raw.test),
                all_out_of_scope: raw.all_out_of_scope,
                pair_by: raw.pair_by,
                positive_intent: raw.positive_intent,
                cv_folds: raw.cv_folds.unwrap_or(DEFAULT_CV_FOLDS),
                model: raw.intent_model,
            };
            if let SuiteSpec::Intents {
                train,
                test,
                cv_folds,
                ..
            } = &spec
            {
                if test.is_none() && train.is_none() {
                    return Err(err("kind = \"intents\" needs `test = \"path\"`, or `train` to cross-validate on".into()));
                }
                if test.is_none() && *cv_folds < 2 {
                    return Err(err("cross-validation needs cv_folds >= 2".into()));
                }
            }
            spec
        }
        "conversations" => SuiteSpec::Conversations {
            cases: need(raw.cases, "cases")?,
            use_llm: raw.use_llm,
        },
        "actions" => SuiteSpec::Actions {
            store: need(raw.store, "store")?,
            tasks: need(raw.tasks, "tasks")?,
            policy: rel(raw.policy),
            scenarios: rel(raw.scenarios),
            customer: match raw.customer {
                Some(CustomerSpec::Lm(spec)) if spec.runs == 0 || spec.max_turns == 0 => {
                    return Err(err(
                        "[customer] runs and max_turns must be at least 1".into()
                    ))
                }
                Some(c) => c,
                None => CustomerSpec::Scripted,
            },
        },
        other => {
            return Err(err(format!(
                "unknown kind {other:?}; expected retrieval, intents, conversations or actions"
            )))
        }
    };
    Ok(Suite {
        name: raw.name.unwrap_or_else(|| stem(path)),
        source: path.to_path_buf(),
        limit: raw.limit,
        kb_limit: raw.kb_limit,
        train_limit: raw.train_limit,
        spec,
    })
}

fn stem(path: &Path) -> String {
    path.file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "suite".into())
}

/// Infers the kind of a bare data file from its extension and first record.
pub fn infer_file(path: &Path) -> Result<Suite, EvalError> {
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase();
    let suite = |spec| {
        Ok(Suite {
            name: stem(path),
            source: path.to_path_buf(),
            limit: None,
            kb_limit: None,
            train_limit: None,
            spec,
        })
    };
    if ext == "yaml" || ext == "yml" {
        return suite(SuiteSpec::Conversations {
            cases: path.to_path_buf(),
            use_llm: None,
        });
    }
    let text = std::fs::read_to_string(path).map_err(|e| EvalError::io(path, e))?;
    let first: serde_json::Value = text
        .lines()
        .find(|l| !l.trim().is_empty())
        .and_then(|l| serde_json::from_str(l).ok())
        .ok_or_else(|| EvalError::Manifest {
            path: path.to_path_buf(),
            message: "not a suite manifest (.toml), YAML cases or JSONL data".into(),
        })?;
    let has = |k: &str| first.get(k).is_some();
    let spec = if has("turns") {
        SuiteSpec::Conversations {
            cases: path.to_path_buf(),
            use_llm: None,
        }
    } else if has("question") {
        SuiteSpec::Retrieval {
            kb: None,
            questions: path.to_path_buf(),
            k: DEFAULT_K,
            modes: vec![SearchMode::Hybrid],
            answer: false,
            langs: Vec::new(),
        }
    } else if has("text") && has("intent") {
        SuiteSpec::Intents {
            train: None,
            calibrate: None,
            test: Some(path.to_path_buf()),
            all_out_of_scope: false,
            pair_by: None,
            positive_intent: None,
            cv_folds: DEFAULT_CV_FOLDS,
            model: None,
        }
    } else if has("expected_actions") {
        let store = path.parent().unwrap_or(Path::new(".")).to_path_buf();
        SuiteSpec::Actions {
            policy: Some(store.join("wiki.md")).filter(|p| p.is_file()),
            store,
            tasks: path.to_path_buf(),
            scenarios: None,
            customer: CustomerSpec::Scripted,
        }
    } else {
        return Err(EvalError::Manifest {
            path: path.to_path_buf(),
            message: "cannot tell the suite kind from the first record; expected `turns`, `question`, `text`+`intent` or `expected_actions` (or write a .toml manifest)".into(),
        });
    };
    suite(spec)
}

/// A folder without `suite.toml`: knowledge + questions → retrieval, YAML → conversations,
/// `users.json` + tasks → actions.
pub fn infer_dir(dir: &Path) -> Result<Suite, EvalError> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| EvalError::io(dir, e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file())
        .collect();
    files.sort();
    let name_of = |p: &PathBuf| {
        p.file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default()
    };
    let find = |pred: &dyn Fn(&str) -> bool| files.iter().find(|p| pred(&name_of(p))).cloned();
    let suite = |spec| {
        Ok(Suite {
            name: stem(dir),
            source: dir.to_path_buf(),
            limit: None,
            kb_limit: None,
            train_limit: None,
            spec,
        })
    };
    if let (Some(tasks), true) = (
        find(&|n| n.starts_with("tasks") && n.ends_with(".jsonl")),
        dir.join("users.json").is_file(),
    ) {
        let policy = Some(dir.join("policy.toml")).filter(|p| p.is_file());
        return suite(SuiteSpec::Actions {
            store: dir.to_path_buf(),
            tasks,
            policy,
            scenarios: None,
            customer: CustomerSpec::Scripted,
        });
    }
    if let Some(questions) =
        find(&|n| (n.starts_with("qa") || n.starts_with("questions")) && n.ends_with(".jsonl"))
    {
        let kb = find(&|n| n.starts_with("kb") && n.ends_with(".jsonl"));
        return suite(SuiteSpec::Retrieval {
            kb,
            questions,
            k: DEFAULT_K,
            modes: vec![SearchMode::Hybrid],
            answer: false,
            langs: Vec::new(),
        });
    }
    if let Some(cases) = find(&|n| n.ends_with(".yaml") || n.ends_with(".yml")) {
        return suite(SuiteSpec::Conversations {
            cases,
            use_llm: None,
        });
    }
    Err(EvalError::Manifest {
        path: dir.to_path_buf(),
        message: "folder has no suite.toml and no recognisable data (qa*.jsonl, *.yaml, tasks*.jsonl + users.json)".into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sample_limits_parse() {
        let path = Path::new("/gate/x.toml");
        let s = parse_manifest(
            "kind = \"retrieval\"\nquestions = \"qa.jsonl\"\nkb_limit = 40\nlimit = 200\n",
            path,
        )
        .unwrap();
        assert_eq!(
            (s.kb_limit, s.limit, s.train_limit),
            (Some(40), Some(200), None)
        );
        let s = parse_manifest(
            "kind = \"intents\"\ntrain = \"t.jsonl\"\ntest = \"v.jsonl\"\ntrain_limit = 2000\n",
            path,
        )
        .unwrap();
        assert_eq!(s.train_limit, Some(2000));
    }

    #[test]
    fn paths_resolve_against_the_manifest_folder() {
        let path = Path::new("/suites/x/stackfaq.toml");
        let s = parse_manifest("kind = \"retrieval\"\nkb = \"../data/kb.jsonl\"\nquestions = \"/abs/qa.jsonl\"\nmodes = [\"lexical\", \"dense\"]\nk = 5\nlimit = 20\n", path).unwrap();
        assert_eq!(s.name, "stackfaq");
        assert_eq!(s.limit, Some(20));
        assert_eq!(
            s.spec,
            SuiteSpec::Retrieval {
                kb: Some(PathBuf::from("/suites/x/../data/kb.jsonl")),
                questions: PathBuf::from("/abs/qa.jsonl"),
                k: 5,
                modes: vec![SearchMode::Lexical, SearchMode::Dense],
                answer: false,
                langs: Vec::new(),
            }
        );
    }

    #[test]
    fn manifest_table() {
        let p = Path::new("m/suite.toml");
        // (text, Ok(kind) or Err(substring))
        let cases: Vec<(&str, Result<&str, &str>)> = vec![
            ("kind = \"intents\"\ntest = \"t.jsonl\"\nall_out_of_scope = true\npair_by = \"text_en\"", Ok("intents")),
            ("kind = \"intents\"\ntrain = \"b.jsonl\"\npositive_intent = \"contact_human_agent\"\ncv_folds = 5", Ok("intents")),
            ("kind = \"intents\"", Err("needs `test")),
            ("kind = \"intents\"\ntest = \"t.jsonl\"\n[intent_model]\ncompanion_embedder = \"all-minilm-l6-v2\"\noos_recall_target = 0.5", Ok("intents")),
            ("kind = \"intents\"\ntest = \"t.jsonl\"\n[intent_model]\noos_recal_target = 0.5", Err("oos_recal_target")),
            ("kind = \"intents\"\ntrain = \"b.jsonl\"\ncv_folds = 1", Err("cv_folds")),
            ("kind = \"conversations\"\ncases = \"c.yaml\"\nuse_llm = false", Ok("conversations")),
            ("kind = \"conversations\"", Err("needs `cases")),
            ("kind = \"actions\"\nstore = \"s\"\ntasks = \"t.jsonl\"", Ok("actions")),
            ("kind = \"actions\"\nstore = \"s\"\ntasks = \"t.jsonl\"\nscenarios = \"p.jsonl\"\n[customer]\nkind = \"lm\"\nruns = 3", Ok("actions")),
            ("kind = \"actions\"\nstore = \"s\"\ntasks = \"t.jsonl\"\n[customer]\nkind = \"lm\"\nruns = 0", Err("runs and max_turns")),
            ("kind = \"actions\"\nstore = \"s\"\ntasks = \"t.jsonl\"\n[customer]\nkind = \"lm\"\ntemprature = 0.2", Err("temprature")),
            ("kind = \"actions\"\nstore = \"s\"\ntasks = \"t.jsonl\"\n[customer]\nkind = \"oracle\"", Err("oracle")),
            ("kind = \"retrieval\"\nquestions = \"q.jsonl\"\nmodez = [\"dense\"]", Err("modez")),
            ("kind = \"other\"", Err("unknown kind")),
        ];
        for (text, want) in cases {
            match (parse_manifest(text, p), want) {
                (Ok(s), Ok(kind)) => assert_eq!(s.spec.kind(), kind, "{text}"),
                (Err(e), Err(sub)) => assert!(e.to_string().contains(sub), "{text}: {e}"),
                (got, want) => panic!("{text}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn customer_table_defaults() {
        let p = Path::new("m/suite.toml");
        let s = parse_manifest(
            "kind = \"actions\"\nstore = \"s\"\ntasks = \"t.jsonl\"\n[customer]\nkind = \"lm\"\nmodel = \"qwen2.5-coder-1.5b-instruct\"\n",
            p,
        )
        .unwrap();
        let SuiteSpec::Actions {
            customer,
            scenarios,
            ..
        } = s.spec
        else {
            panic!("not an actions suite");
        };
        assert_eq!(scenarios, None);
        assert_eq!(
            customer,
            CustomerSpec::Lm(LmCustomerSpec {
                model: Some("qwen2.5-coder-1.5b-instruct".into()),
                temperature: 0.7,
                runs: 1,
                seed: 0,
                max_turns: 14,
            })
        );
    }

    #[test]
    fn intent_model_table_overrides_the_config() {
        let p = Path::new("m/suite.toml");
        let s = parse_manifest(
            "kind = \"intents\"\ntest = \"t.jsonl\"\n[intent_model]\ncompanion_embedder = \"all-minilm-l6-v2\"\nmax_domain_reject = 0.005\noos_recall_target = 0.5\n",
            p,
        )
        .unwrap();
        let SuiteSpec::Intents { model, .. } = s.spec else {
            panic!("not an intents suite");
        };
        let model = model.expect("the table is read");
        assert_eq!(
            model.companion_embedder.as_deref(),
            Some("all-minilm-l6-v2")
        );
        assert_eq!(
            (model.max_domain_reject, model.oos_recall_target),
            (0.005, Some(0.5))
        );
        // Keys not given keep the defaults.
        assert_eq!(model.oos_class_weight, 1.0);
        let s = parse_manifest("kind = \"intents\"\ntest = \"t.jsonl\"\n", p).unwrap();
        assert!(matches!(s.spec, SuiteSpec::Intents { model: None, .. }));
    }

    #[test]
    fn bare_files_and_folders_are_inferred() {
        let dir = tempfile::tempdir().unwrap();
        let write = |name: &str, text: &str| {
            let p = dir.path().join(name);
            std::fs::write(&p, text).unwrap();
            p
        };
        let qa = write(
            "qa.jsonl",
            "{\"question\":\"q\",\"answer\":\"a\",\"doc_ids\":[\"d\"]}\n",
        );
        let intents = write(
            "i.jsonl",
            "\n{\"text\":\"t\",\"intent\":\"x\",\"in_scope\":true}\n",
        );
        let conv = write("c.yaml", "- id: a\n  turns: []\n");
        let bad = write("bad.jsonl", "{\"foo\":1}\n");
        assert_eq!(load_suite(&qa).unwrap().spec.kind(), "retrieval");
        assert_eq!(load_suite(&intents).unwrap().spec.kind(), "intents");
        assert_eq!(load_suite(&conv).unwrap().spec.kind(), "conversations");
        assert!(load_suite(&bad)
            .unwrap_err()
            .to_string()
            .contains("cannot tell"));
        write(
            "kb.jsonl",
            "{\"id\":\"d\",\"title\":\"t\",\"text\":\"x\"}\n",
        );
        std::fs::remove_file(&conv).unwrap();
        match load_suite(dir.path()).unwrap().spec {
            SuiteSpec::Retrieval { kb: Some(kb), .. } => assert!(kb.ends_with("kb.jsonl")),
            other => panic!("{other:?}"),
        }
    }
}
