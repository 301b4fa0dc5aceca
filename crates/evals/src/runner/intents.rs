//! Intent/escalation suites: in-scope accuracy, out-of-scope recall, false escalations, agreement
//! between paired texts (cross-lingual), and detection of one positive intent (e.g. "talk to a
//! human") by cross-validation when the data has no split.

use super::{lang_of, EvalContext};
use crate::backend::{IntentModel, IntentPrediction};
use crate::data::{load_jsonl, IntentRow};
use crate::error::EvalError;
use crate::manifest::{Suite, SuiteSpec};
use crate::metrics::classification::{agreement, intent_metrics, BinaryCounts, IntentDecision};
use crate::report::{CaseRecord, Confusion, Metrics, SuiteReport};
use frontdesk_core::intents::OUT_OF_SCOPE;
use frontdesk_core::metrics as m;
use std::collections::BTreeMap;
use std::sync::Arc;

const BATCH: usize = 64;

async fn classify_all(
    ctx: &EvalContext,
    model: &Arc<dyn IntentModel>,
    texts: Vec<String>,
    label: &str,
) -> Result<Vec<IntentPrediction>, EvalError> {
    let pb = ctx.progress(texts.len(), label);
    let batches: Vec<Vec<String>> = texts.chunks(BATCH).map(|c| c.to_vec()).collect();
    let results = ctx
        .map_ordered(batches, &pb, |batch| {
            let n = batch.len() as u64;
            let pb = pb.clone();
            async move {
                let r = model.classify(&batch).await;
                pb.inc(n.saturating_sub(1));
                r.and_then(|p| {
                    if p.len() == n as usize {
                        Ok(p)
                    } else {
                        Err(EvalError::Backend(format!(
                            "classifier returned {} predictions for {n} texts",
                            p.len()
                        )))
                    }
                })
            }
        })
        .await;
    pb.finish_and_clear();
    Ok(results
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .flatten()
        .collect())
}

fn decision_label(p: &IntentPrediction) -> &str {
    if p.in_scope {
        &p.intent
    } else {
        OUT_OF_SCOPE
    }
}

pub async fn run_intents(ctx: &EvalContext, suite: &Suite) -> Result<SuiteReport, EvalError> {
    let SuiteSpec::Intents {
        train,
        calibrate,
        test,
        all_out_of_scope,
        pair_by,
        positive_intent,
        cv_folds,
        model: intent_model,
    } = &suite.spec
    else {
        return Err(EvalError::suite(&suite.name, "not an intents suite"));
    };
    let mut notes = Vec::new();
    let mut train_rows: Option<Vec<IntentRow>> = train.as_deref().map(load_jsonl).transpose()?;
    // Only take the rows out when there is a limit: `take()` in a tuple pattern would drop them.
    if let Some(n) = suite.train_limit {
        if let Some(rows) = train_rows.take() {
            notes.push(format!(
                "training rows: {} of {}, spread over the file (train_limit)",
                n.min(rows.len()),
                rows.len()
            ));
            train_rows = Some(super::spread(rows, n));
        }
    }
    let calibrate_rows: Option<Vec<IntentRow>> =
        calibrate.as_deref().map(load_jsonl).transpose()?;
    // (rows, predictions) in the order the rows were read.
    let (rows, preds, test_model) = match test {
        Some(test) => {
            let mut rows: Vec<IntentRow> = load_jsonl(test)?;
            if let Some(limit) = ctx.limit(suite) {
                rows = super::spread(rows, limit);
            }
            let model = ctx
                .backend
                .intents(train_rows, calibrate_rows, intent_model.as_ref())
                .await?;
            let preds = classify_all(
                ctx,
                &model,
                rows.iter().map(|r| r.text.clone()).collect(),
                &suite.name,
            )
            .await?;
            (rows, preds, Some(model))
        }
        None => {
            let Some(mut rows) = train_rows else {
                return Err(EvalError::suite(
                    &suite.name,
                    "needs `test`, or `train` to cross-validate on",
                ));
            };
            if let Some(limit) = ctx.limit(suite) {
                rows = super::spread(rows, limit);
            }
            let k = (*cv_folds).max(2);
            notes.push(format!(
                "{k}-fold cross-validation over {} rows (fold = row index mod {k})",
                rows.len()
            ));
            let mut preds: Vec<Option<IntentPrediction>> = vec![None; rows.len()];
            for fold in 0..k {
                let fit: Vec<IntentRow> = rows
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| i % k != fold)
                    .map(|(_, r)| r.clone())
                    .collect();
                let held: Vec<usize> = (0..rows.len()).filter(|i| i % k == fold).collect();
                let model = ctx
                    .backend
                    .intents(Some(fit), calibrate_rows.clone(), intent_model.as_ref())
                    .await?;
                let got = classify_all(
                    ctx,
                    &model,
                    held.iter().map(|&i| rows[i].text.clone()).collect(),
                    &format!("{} fold {}/{k}", suite.name, fold + 1),
                )
                .await?;
                for (i, p) in held.into_iter().zip(got) {
                    preds[i] = Some(p);
                }
            }
            let preds = preds
                .into_iter()
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| EvalError::suite(&suite.name, "a fold left rows unclassified"))?;
            (rows, preds, None)
        }
    };
    let decisions: Vec<IntentDecision> = rows
        .iter()
        .zip(&preds)
        .map(|(r, p)| IntentDecision {
            gold_intent: if *all_out_of_scope {
                OUT_OF_SCOPE.into()
            } else {
                r.intent.clone()
            },
            gold_in_scope: r.in_scope && !*all_out_of_scope,
            pred_intent: p.intent.clone(),
            pred_in_scope: p.in_scope,
            oos_type: r.oos_type.clone(),
        })
        .collect();
    let langs: Vec<String> = rows
        .iter()
        .map(|r| lang_of(r.lang.as_deref(), &r.text))
        .collect();

    // Paired texts (e.g. the English original of each Serbian row): same decision?
    let mut paired: Vec<Option<bool>> = vec![None; rows.len()];
    if let Some(field) = pair_by {
        let idx: Vec<usize> = (0..rows.len())
            .filter(|&i| rows[i].field(field).is_some_and(|t| !t.trim().is_empty()))
            .collect();
        if idx.is_empty() {
            return Err(EvalError::suite(
                &suite.name,
                format!("pair_by = {field:?} but no row has that field"),
            ));
        }
        let Some(model) = &test_model else {
            return Err(EvalError::suite(
                &suite.name,
                "pair_by needs a `test` file (it compares decisions of one trained classifier)",
            ));
        };
        let other = classify_all(
            ctx,
            model,
            idx.iter()
                .map(|&i| rows[i].field(field).unwrap_or_default().to_string())
                .collect(),
            &format!("{} {field}", suite.name),
        )
        .await?;
        for (i, p) in idx.into_iter().zip(other) {
            paired[i] = Some(decision_label(&p) == decision_label(&preds[i]));
        }
    }

    let metrics_of = |sel: &[usize]| -> Metrics {
        let subset: Vec<IntentDecision> = sel.iter().map(|&i| decisions[i].clone()).collect();
        let mut out = intent_metrics(&subset);
        let pairs: Vec<(bool, bool)> = sel
            .iter()
            .filter_map(|&i| paired[i])
            .map(|same| (same, true))
            .collect();
        if let Some(v) = agreement(&pairs) {
            out.insert(m::CROSS_LINGUAL_AGREEMENT.into(), v);
        }
        if let Some(pos) = positive_intent {
            let c = BinaryCounts::from_pairs(sel.iter().map(|&i| {
                (
                    rows[i].intent == *pos,
                    preds[i].in_scope && preds[i].intent == *pos,
                )
            }));
            c.write_escalation(&mut out);
        }
        out
    };
    let all: Vec<usize> = (0..rows.len()).collect();
    let mut lang_names: Vec<&String> = langs.iter().collect();
    lang_names.sort();
    lang_names.dedup();
    let by_lang: BTreeMap<String, Metrics> =
        if lang_names.len() > 1 || rows.iter().any(|r| r.lang.is_some()) {
            lang_names
                .into_iter()
                .map(|l| {
                    (
                        l.clone(),
                        metrics_of(
                            &all.iter()
                                .copied()
                                .filter(|&i| &langs[i] == l)
                                .collect::<Vec<_>>(),
                        ),
                    )
                })
                .collect()
        } else {
            BTreeMap::new()
        };

    let confusion = match positive_intent {
        Some(pos) => {
            let mut c = Confusion::new(vec!["other".into(), pos.clone()]);
            for i in &all {
                let g = if rows[*i].intent == *pos {
                    pos.as_str()
                } else {
                    "other"
                };
                let p = if preds[*i].in_scope && preds[*i].intent == *pos {
                    pos.as_str()
                } else {
                    "other"
                };
                c.add(g, p);
            }
            c
        }
        None => {
            let mut c = Confusion::new(vec!["in_scope".into(), OUT_OF_SCOPE.into()]);
            for d in &decisions {
                c.add(
                    if d.gold_in_scope {
                        "in_scope"
                    } else {
                        OUT_OF_SCOPE
                    },
                    if d.pred_in_scope {
                        "in_scope"
                    } else {
                        OUT_OF_SCOPE
                    },
                );
            }
            c
        }
    };

    let cases = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let d = &decisions[i];
            let mut reasons = Vec::new();
            match (d.gold_in_scope, d.pred_in_scope) {
                (true, false) => reasons.push(format!("in scope ({}) but rejected as out of scope", d.gold_intent)),
                (false, true) => reasons.push(format!("out of scope but classified as {}", d.pred_intent)),
                (true, true) if d.gold_intent != d.pred_intent => reasons.push(format!("expected {}, got {}", d.gold_intent, d.pred_intent)),
                _ => {}
            }
            if paired[i] == Some(false) {
                reasons.push(format!("decision differs from the paired {:?} text", pair_by.as_deref().unwrap_or("")));
            }
            CaseRecord {
                id: r.extra.get("id").and_then(|v| v.as_str()).map(String::from).unwrap_or_else(|| format!("row{i}")),
                lang: Some(langs[i].clone()),
                passed: reasons.is_empty(),
                reasons,
                detail: serde_json::json!({"text": r.text, "gold": d.gold_intent, "predicted": decision_label(&preds[i]), "score": preds[i].score}),
            }
        })
        .collect();
    Ok(SuiteReport {
        name: suite.name.clone(),
        kind: "intents".into(),
        metrics: metrics_of(&all),
        counts: BTreeMap::from([
            ("rows".into(), rows.len() as u64),
            (
                "out_of_scope_rows".into(),
                decisions.iter().filter(|d| !d.gold_in_scope).count() as u64,
            ),
        ]),
        by_lang,
        confusion: Some(confusion),
        notes,
        cases,
        ..Default::default()
    })
}
