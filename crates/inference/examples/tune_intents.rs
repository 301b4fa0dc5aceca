//! Fine-tunes e5 on an intents JSONL and reports closed-set 1-NN accuracy on another, before and
//! after (a quick check of `embed::tune`; the engine's eval suites are the real measure).
//!
//! `cargo run --release -p frontdesk-inference --example tune_intents -- E5_FILE TRAIN VALID [layers epochs lr]`

use frontdesk_core::EmbedKind;
use frontdesk_inference::embed::{e5::E5Model, tune};
use std::collections::BTreeMap;

fn rows(path: &str) -> Vec<(String, String)> {
    std::fs::read_to_string(path)
        .unwrap()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap();
            let intent = if v["in_scope"].as_bool().unwrap_or(true) {
                v["intent"].as_str().unwrap().to_string()
            } else {
                "out_of_scope".to_string()
            };
            (v["text"].as_str().unwrap().to_string(), intent)
        })
        .collect()
}

fn embed(m: &E5Model, texts: &[String]) -> Vec<Vec<f32>> {
    let mut out = Vec::new();
    for c in texts.chunks(64) {
        let items: Vec<(&str, EmbedKind)> =
            c.iter().map(|t| (t.as_str(), EmbedKind::Query)).collect();
        out.extend(m.embed(&items).unwrap());
    }
    out
}

fn nn_accuracy(train: &[Vec<f32>], tl: &[usize], valid: &[Vec<f32>], vl: &[Option<usize>]) -> f32 {
    let (mut ok, mut n) = (0, 0);
    for (q, l) in valid.iter().zip(vl) {
        let Some(l) = l else { continue };
        let best = train
            .iter()
            .enumerate()
            .max_by(|a, b| {
                frontdesk_core::embed::dot(q, a.1).total_cmp(&frontdesk_core::embed::dot(q, b.1))
            })
            .unwrap()
            .0;
        n += 1;
        ok += usize::from(tl[best] == *l);
    }
    ok as f32 / n as f32
}

fn write(path: &str, v: &[Vec<f32>]) {
    let bytes: Vec<u8> = v.iter().flatten().flat_map(|x| x.to_le_bytes()).collect();
    std::fs::write(path, bytes).unwrap();
}

fn main() {
    let a: Vec<String> = std::env::args().collect();
    let base = E5Model::from_bytes(&std::fs::read(&a[1]).unwrap()).unwrap();
    let every = |k: &str| {
        std::env::var(k)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(1usize)
    };
    let train: Vec<_> = rows(&a[2])
        .into_iter()
        .step_by(every("TUNE_TRAIN_EVERY"))
        .collect();
    let valid: Vec<_> = rows(&a[3])
        .into_iter()
        .step_by(every("TUNE_VALID_EVERY"))
        .collect();
    let mut params = tune::TuneParams::default();
    if a.len() > 6 {
        params.layers = a[4].parse().unwrap();
        params.epochs = a[5].parse().unwrap();
        params.learning_rate = a[6].parse().unwrap();
    }
    if let Some(v) = std::env::var("TUNE_SCALE")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        params.scale = v;
    }
    if let Some(v) = std::env::var("TUNE_LABEL_LR")
        .ok()
        .and_then(|v| v.parse().ok())
    {
        params.label_learning_rate = v;
    }
    println!("{params:?}");
    let mut index = BTreeMap::new();
    let tl: Vec<usize> = train
        .iter()
        .map(|(_, i)| {
            let n = index.len();
            *index.entry(i.clone()).or_insert(n)
        })
        .collect();
    let vl: Vec<Option<usize>> = valid
        .iter()
        .map(|(_, i)| {
            if i == "out_of_scope" {
                None
            } else {
                index.get(i).copied()
            }
        })
        .collect();
    let tt: Vec<String> = train.iter().map(|r| r.0.clone()).collect();
    let vt: Vec<String> = valid.iter().map(|r| r.0.clone()).collect();
    let t0 = std::time::Instant::now();
    let (bt, bv) = (embed(&base, &tt), embed(&base, &vt));
    println!(
        "base embed {:.1}s  1-NN {:.4}",
        t0.elapsed().as_secs_f32(),
        nn_accuracy(&bt, &tl, &bv, &vl)
    );
    let t0 = std::time::Instant::now();
    let (tuned, report) =
        tune::fine_tune(&base, &tt, &tl, index.len(), EmbedKind::Query, params).unwrap();
    println!("tune {:.1}s {report:?}", t0.elapsed().as_secs_f32());
    let (tt2, tv2) = (embed(&tuned, &tt), embed(&tuned, &vt));
    println!("tuned 1-NN {:.4}", nn_accuracy(&tt2, &tl, &tv2, &vl));
    if let Some(dir) = std::env::var_os("TUNE_DUMP") {
        let dir = dir.to_string_lossy();
        write(&format!("{dir}/train.f32"), &tt2);
        write(&format!("{dir}/valid.f32"), &tv2);
        write(&format!("{dir}/train.base.f32"), &bt);
        write(&format!("{dir}/valid.base.f32"), &bv);
    }
}
