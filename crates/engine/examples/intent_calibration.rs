//! Out-of-scope calibration of the intent classifier on labelled dev sets: for each
//! (train, test) pair, the classifier is trained on `train`, its threshold fitted by 5-fold
//! cross-validation over `train` (as the engine does with its catalogue), and measured on
//! `test`: in-scope accuracy, false escalation rate, out-of-scope recall and precision. A sweep
//! over the scoring tunables (`IntentScoring`) shows what each choice costs.
//!
//!   cargo run -p frontdesk-engine --release --example intent_calibration -- \
//!     ../shared/evaldata/dev/intents_banking77oos_train.jsonl ../shared/evaldata/dev/intents_banking77oos_valid.jsonl \
//!     ../shared/evaldata/dev/intents_clinc150_train.jsonl ../shared/evaldata/dev/intents_clinc150_valid.jsonl
//!
//! Rows with `head` = `-` are the kNN classifier (the best kNN class wins, its score is
//! thresholded); the others use the trained linear head (`HeadParams`) to pick the intent and
//! threshold `oos_score` (kNN score of the head's class, its probability, or a blend). The
//! head rows print the wall time of training the head plus the 5-fold CV (once per head).
//!
//! `--rules-only` skips the slow top_per_class × centroid_weight grid and sweeps only the
//! threshold rules; `--head-only` prints only the head rows. `HEAD_L2`, `HEAD_EPOCHS`,
//! `HEAD_LR`, `HEAD_BATCH` override the head's defaults (sweeps). `DOMAIN_SWEEP=1` sweeps the
//! domain gate, the recall rule and the explicit class's weight instead of the score rules.
//! `DUMP_PROBS=DIR` writes the (mixed) class probabilities of every test row for offline
//! analysis; `COMPANION=all-minilm-l6-v2` adds MiniLM as a second view of the catalogue.
//!
//! Embeddings (multilingual-e5-small from `FRONTDESK_MODEL_DIR`; `EMBED_MODEL=all-minilm-l6-v2`
//! for the English-only alternative) are cached under
//! `FRONTDESK_EMBED_CACHE` (default: the system temp dir) so that sweeps re-run in seconds.

use frontdesk_core::intents::OUT_OF_SCOPE;
use frontdesk_core::{EmbedKind, Embedder};
use frontdesk_engine::{
    load_intents_jsonl, HeadParams, IntentClassifier, IntentExample, IntentScoring, OosScore,
    OosThresholds, ThresholdRule, WhitenParams,
};
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The model cache, resolved as the CLI resolves it (`FRONTDESK_MODEL_DIR` or the default).
fn model_dir() -> PathBuf {
    frontdesk_inference::model_dir(&frontdesk_core::config::ModelsConfig::default())
}

/// Query embeddings of the rows of `path`, read from / written to a cache file named after the
/// data file's name and length.
async fn vectors(
    embedder: &Arc<dyn Embedder>,
    path: &Path,
    rows: &[IntentExample],
) -> Result<Vec<Vec<f32>>, Box<dyn std::error::Error>> {
    let dir = std::env::var_os("FRONTDESK_EMBED_CACHE")
        .map(PathBuf::from)
        .unwrap_or_else(std::env::temp_dir);
    let len = std::fs::metadata(path)?.len();
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let file = dir.join(format!(
        "{}-{name}-{len}.f32",
        embedder.info().model_id.replace('/', "_")
    ));
    if let Ok(bytes) = std::fs::read(&file) {
        let floats: Vec<f32> = bytes
            .chunks_exact(4)
            .map(|b| f32::from_le_bytes([b[0], b[1], b[2], b[3]]))
            .collect();
        if !rows.is_empty() && floats.len().is_multiple_of(rows.len()) {
            let dim = floats.len() / rows.len();
            return Ok(floats.chunks(dim).map(<[f32]>::to_vec).collect());
        }
    }
    let t = std::time::Instant::now();
    let mut out = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(64) {
        out.extend(
            embedder
                .embed(
                    chunk.iter().map(|r| r.text.clone()).collect(),
                    EmbedKind::Query,
                )
                .await?,
        );
    }
    eprintln!(
        "embedded {} rows of {name} in {:.0}s",
        rows.len(),
        t.elapsed().as_secs_f32()
    );
    let bytes: Vec<u8> = out.iter().flatten().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::create_dir_all(&dir)?;
    std::fs::write(&file, bytes)?;
    Ok(out)
}

struct Scores {
    in_scope_accuracy: f32,
    false_escalation: f32,
    oos_recall: f32,
    oos_precision: f32,
    /// Recall on `id-oos` / `ood-oos` rows, when the data says which.
    oos_recall_id: f32,
    oos_recall_ood: f32,
    thresholds: OosThresholds,
}

/// The `oos_type` of each row of a JSONL file (None when absent).
fn oos_types(path: &Path) -> Result<Vec<Option<String>>, Box<dyn std::error::Error>> {
    Ok(std::fs::read_to_string(path)?
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l)
                .ok()
                .and_then(|v| v.get("oos_type")?.as_str().map(String::from))
        })
        .collect())
}

fn measure(
    clf: &IntentClassifier,
    test: &[IntentExample],
    tv: &[Vec<Vec<f32>>],
    types: &[Option<String>],
) -> Scores {
    let (mut n_in, mut right, mut rejected_in, mut n_oos, mut caught, mut rejected) =
        (0, 0, 0, 0, 0, 0);
    let mut by_type = [(0usize, 0usize); 2];
    for (i, (r, v)) in test.iter().zip(tv).enumerate() {
        let p = clf.classify_views(v);
        let rejected_here = !p.in_scope || p.intent == OUT_OF_SCOPE;
        rejected += usize::from(rejected_here);
        if r.in_scope {
            n_in += 1;
            right += usize::from(!rejected_here && p.intent == r.intent);
            rejected_in += usize::from(rejected_here);
        } else {
            n_oos += 1;
            caught += usize::from(rejected_here);
            let t = match types.get(i).and_then(|t| t.as_deref()) {
                Some("id-oos") => Some(0),
                Some("ood-oos") => Some(1),
                _ => None,
            };
            if let Some(t) = t {
                by_type[t].0 += 1;
                by_type[t].1 += usize::from(rejected_here);
            }
        }
    }
    let div = |a: usize, b: usize| {
        if b == 0 {
            f32::NAN
        } else {
            a as f32 / b as f32
        }
    };
    Scores {
        in_scope_accuracy: div(right, n_in),
        false_escalation: div(rejected_in, n_in),
        oos_recall: div(caught, n_oos),
        oos_precision: div(caught, rejected),
        oos_recall_id: div(by_type[0].1, by_type[0].0),
        oos_recall_ood: div(by_type[1].1, by_type[1].0),
        thresholds: clf.thresholds(),
    }
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `--rules-only`: skip the (slow) sweep over top_per_class × centroid_weight.
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let rules_only = raw.iter().any(|a| a == "--rules-only");
    let head_only = raw.iter().any(|a| a == "--head-only");
    let args: Vec<PathBuf> = raw
        .iter()
        .filter(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .collect();
    if args.len() < 2 || !args.len().is_multiple_of(2) {
        return Err("usage: intent_calibration TRAIN.jsonl TEST.jsonl [TRAIN TEST]…".into());
    }
    // `EMBED_MODEL=all-minilm-l6-v2` measures the English-only alternative.
    let embedder: Arc<dyn Embedder> = match std::env::var("EMBED_MODEL").as_deref() {
        Ok("all-minilm-l6-v2") => Arc::new(frontdesk_inference::embed::spawn_minilm(
            &model_dir().join("all-minilm-l6-v2"),
            &Default::default(),
        )?),
        _ => Arc::new(frontdesk_inference::embed::spawn_e5(
            &model_dir().join("multilingual-e5-small/e5-small-q4.bin"),
            &Default::default(),
        )?),
    };
    // `COMPANION=all-minilm-l6-v2` mixes a second view of every catalogue into the classifier.
    let companion: Option<Arc<dyn Embedder>> = match std::env::var("COMPANION").as_deref() {
        Ok("all-minilm-l6-v2") => Some(Arc::new(frontdesk_inference::embed::spawn_minilm(
            &model_dir().join("all-minilm-l6-v2"),
            &Default::default(),
        )?)),
        Ok(other) => return Err(format!("unknown COMPANION {other}").into()),
        Err(_) => None,
    };
    let env = |name: &str| std::env::var(name).ok().and_then(|v| v.parse::<f32>().ok());
    // `WHITEN_DIMS=0` turns the projection off; `WHITEN_DIMS`, `WHITEN_POWER` sweep it.
    let whitening = match env("WHITEN_DIMS") {
        Some(d) if d < 1.0 => None,
        dims => {
            let d = WhitenParams::default();
            Some(WhitenParams {
                dims: dims.map_or(d.dims, |v| v as usize),
                power: env("WHITEN_POWER").unwrap_or(d.power),
            })
        }
    };
    let defaults = IntentScoring {
        whitening,
        ..IntentScoring::default()
    };
    // The kNN classifier as it was before the head: the best kNN class and its score.
    let knn_default = IntentScoring {
        head: None,
        ..defaults
    };
    let head_params = {
        let d = HeadParams::default();
        HeadParams {
            l2: env("HEAD_L2").unwrap_or(d.l2),
            epochs: env("HEAD_EPOCHS").map_or(d.epochs, |v| v as usize),
            learning_rate: env("HEAD_LR").unwrap_or(d.learning_rate),
            batch: env("HEAD_BATCH").map_or(d.batch, |v| v as usize),
            ..d
        }
    };
    let grid: Vec<IntentScoring> = {
        let mut g = Vec::new();
        for top_per_class in [1, 3, 5, 10] {
            for centroid_weight in [0.0, 0.3, 0.6] {
                g.push(IntentScoring {
                    top_per_class,
                    centroid_weight,
                    ..knn_default
                });
            }
        }
        g
    };
    for pair in args.chunks(2) {
        let train = load_intents_jsonl(&pair[0])?;
        let test = load_intents_jsonl(&pair[1])?;
        let trv = vectors(&embedder, &pair[0], &train).await?;
        let mut tv: Vec<Vec<Vec<f32>>> = vectors(&embedder, &pair[1], &test)
            .await?
            .into_iter()
            .map(|v| vec![v])
            .collect();
        let trc = match &companion {
            Some(c) => {
                let rows = vectors(c, &pair[1], &test).await?;
                tv.iter_mut().zip(rows).for_each(|(views, v)| views.push(v));
                Some(vectors(c, &pair[0], &train).await?)
            }
            None => None,
        };
        let build =
            |scoring: IntentScoring| -> Result<IntentClassifier, Box<dyn std::error::Error>> {
                let clf = IntentClassifier::from_vectors_with(
                    train.clone(),
                    trv.clone(),
                    embedder.clone(),
                    scoring,
                )?;
                Ok(match (&companion, &trc) {
                    (Some(c), Some(v)) => clf.with_companion(c.clone(), v.clone())?,
                    _ => clf,
                })
            };
        let types = oos_types(&pair[1])?;
        println!(
            "\n## {} → {} ({} train rows, {} test rows, {} out of scope)",
            pair[0].display(),
            pair[1].display(),
            train.len(),
            test.len(),
            test.iter().filter(|r| !r.in_scope).count()
        );
        println!("\n| whiten | head | oos_score | top_per_class | centroid_weight | rule | max_false_reject | max_domain_reject | oos_class_weight | threshold | domain_threshold | in_scope_accuracy | false_escalation_rate | oos_recall | oos_recall_id | oos_recall_ood | oos_precision |");
        println!("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        let print = |clf: &IntentClassifier| {
            let s = measure(clf, &test, &tv, &types);
            let scoring = clf.scoring();
            let (head, oos) = match scoring.head {
                Some(h) => (
                    format!(
                        "l2={} ep={} lr={} b={} w={}",
                        h.l2, h.epochs, h.learning_rate, h.batch, scoring.head_weight
                    ),
                    format!("{:?}", scoring.oos_score),
                ),
                None => ("-".to_string(), "Knn".to_string()),
            };
            let whiten = scoring
                .whitening
                .map_or("-".to_string(), |w| format!("{}^{}", w.dims, w.power));
            println!(
                "| {whiten} | {head} | {oos} | {} | {:.1} | {} | {:.2} | {:.3} | {:.2} | {:.4} | {:.4} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} |",
                scoring.top_per_class,
                scoring.centroid_weight,
                match scoring.rule {
                    ThresholdRule::RecallTarget => format!("Recall({})", scoring.oos_recall_target),
                    rule => format!("{rule:?}"),
                },
                scoring.max_false_reject,
                scoring.max_domain_reject,
                scoring.oos_class_weight,
                s.thresholds.score.max(-9.0),
                s.thresholds.domain.max(-9.0),
                s.in_scope_accuracy,
                s.false_escalation,
                s.oos_recall,
                s.oos_recall_id,
                s.oos_recall_ood,
                s.oos_precision
            );
        };
        if !head_only {
            // kNN: one classifier (and one CV) per model tunable; the threshold tunables reuse
            // the cached CV verdicts.
            for scoring in grid.iter().filter(|_| !rules_only) {
                let mut clf = build(*scoring)?;
                clf.calibrate_cv(5);
                print(&clf);
            }
            let mut clf = build(knn_default)?;
            for (rule, shares) in [
                (
                    ThresholdRule::RejectShare,
                    &[0.02, 0.04, 0.06, 0.08, 0.1, 0.12, 0.15][..],
                ),
                (ThresholdRule::Balanced, &[0.04, 0.08, 0.15, 0.3][..]),
            ] {
                for &max_false_reject in shares {
                    clf = clf.with_scoring(IntentScoring {
                        max_false_reject,
                        rule,
                        ..knn_default
                    });
                    clf.calibrate_cv(5);
                    print(&clf);
                }
            }
        }
        // The head: trained once on all of train, plus once per CV fold (timed together).
        let head_scoring = IntentScoring {
            head: Some(head_params),
            head_weight: env("HEAD_WEIGHT").unwrap_or(defaults.head_weight),
            ..defaults
        };
        let t = std::time::Instant::now();
        let mut clf = build(head_scoring)?;
        let t_train = t.elapsed().as_secs_f32();
        if let Some(dir) = std::env::var_os("DUMP_PROBS") {
            // Class probabilities of every test row (for offline analysis).
            let dir = PathBuf::from(dir);
            let probs: Vec<u8> = tv
                .iter()
                .flat_map(|v| clf.class_probabilities(v).unwrap_or_default())
                .flat_map(f32::to_le_bytes)
                .collect();
            let name = embedder.info().model_id.replace('/', "_");
            std::fs::write(dir.join(format!("{name}.probs.f32")), probs)?;
            std::fs::write(
                dir.join(format!("{name}.classes.txt")),
                clf.classes().join("\n"),
            )?;
        }
        if std::env::var_os("HEAD_QUICK").is_some() {
            print(&clf);
            continue;
        }
        clf.calibrate_cv(5);
        eprintln!(
            "head {head_params:?}: train {t_train:.1}s, train + 5-fold CV {:.1}s",
            t.elapsed().as_secs_f32()
        );
        print(&clf);
        // No threshold: what the head alone does (its explicit out_of_scope class only).
        let thresholds = clf.thresholds();
        clf.set_thresholds(OosThresholds::OPEN);
        print(&clf);
        clf.set_thresholds(thresholds);
        if std::env::var_os("DOMAIN_SWEEP").is_some() {
            // The domain gate against the class-score threshold and the explicit class's weight.
            for oos_class_weight in [1.0, 0.5, 0.3] {
                for max_domain_reject in [0.0, 0.005, 0.01] {
                    for (rule, oos_recall_target) in [
                        (ThresholdRule::Balanced, 0.0),
                        (ThresholdRule::RecallTarget, 0.5),
                        (ThresholdRule::RecallTarget, 0.8),
                        (ThresholdRule::RecallTarget, 0.85),
                        (ThresholdRule::RecallTarget, 0.9),
                        (ThresholdRule::RecallTarget, 0.95),
                    ] {
                        for max_false_reject in [0.04, 0.06] {
                            clf = clf.with_scoring(IntentScoring {
                                max_domain_reject,
                                max_false_reject,
                                oos_class_weight,
                                rule,
                                oos_recall_target,
                                ..head_scoring
                            });
                            clf.calibrate_cv(5);
                            print(&clf);
                        }
                    }
                }
            }
            continue;
        }
        for oos_score in [
            OosScore::Knn,
            OosScore::HeadProb,
            OosScore::Blend(0.1),
            OosScore::Blend(0.2),
        ] {
            for (rule, shares) in [
                (ThresholdRule::RejectShare, &[0.04, 0.08][..]),
                (ThresholdRule::Balanced, &[0.04, 0.06, 0.08][..]),
            ] {
                for &max_false_reject in shares {
                    clf = clf.with_scoring(IntentScoring {
                        max_false_reject,
                        rule,
                        oos_score,
                        ..head_scoring
                    });
                    clf.calibrate_cv(5);
                    print(&clf);
                }
            }
        }
    }
    Ok(())
}
