#!/usr/bin/env python3
"""Check all.jsonl and split it into dev.jsonl / test.jsonl.

Rule: first byte of sha256(id encoded as UTF-8); even -> dev, odd -> test.
Standard library only.  Usage:
    python3 split.py          # check all.jsonl, (re)write dev.jsonl and test.jsonl, print counts
    python3 split.py --check  # check all.jsonl and verify existing dev/test files, write nothing
"""
import hashlib
import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ALL, DEV, TEST = HERE / "all.jsonl", HERE / "dev.jsonl", HERE / "test.jsonl"
ACTS = {"complaint": "c", "abuse": "a", "other": "o"}
LANGS = {"en": "en", "sr-Latn": "lat", "sr-Cyrl": "cyr"}
ID_RE = re.compile(r"^(en|lat|cyr)-([cao])-(\d{3})$")
CYR_RE = re.compile(r"[\u0400-\u04FF]")
ASCII_LETTER_RE = re.compile(r"[A-Za-z]")


def half(rid: str) -> str:
    return "dev" if hashlib.sha256(rid.encode("utf-8")).digest()[0] % 2 == 0 else "test"


def norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def load(path: Path):
    rows, errors = [], []
    with path.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                errors.append(f"{path.name}:{n}: empty line")
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"{path.name}:{n}: bad JSON: {e}")
                continue
            rows.append((n, obj))
    return rows, errors


def check(rows, errors, name):
    ids, texts = {}, {}
    for n, r in rows:
        where = f"{name}:{n}"
        if not isinstance(r, dict) or set(r) != {"id", "text", "act", "lang"}:
            errors.append(f"{where}: keys must be exactly id, text, act, lang")
            continue
        if not all(isinstance(r[k], str) for k in r):
            errors.append(f"{where}: all values must be strings")
            continue
        rid, text, act, lang = r["id"], r["text"], r["act"], r["lang"]
        if act not in ACTS:
            errors.append(f"{where}: bad act {act!r}")
        if lang not in LANGS:
            errors.append(f"{where}: bad lang {lang!r}")
        m = ID_RE.match(rid)
        if not m:
            errors.append(f"{where}: bad id {rid!r}")
        elif lang in LANGS and act in ACTS and (m.group(1), m.group(2)) != (LANGS[lang], ACTS[act]):
            errors.append(f"{where}: id {rid!r} does not match lang/act {lang}/{act}")
        if not text.strip() or text != text.strip():
            errors.append(f"{where}: empty text or leading/trailing whitespace")
        if lang == "sr-Cyrl" and ASCII_LETTER_RE.search(text):
            errors.append(f"{where}: Latin letters in a sr-Cyrl text")
        if lang in ("en", "sr-Latn") and CYR_RE.search(text):
            errors.append(f"{where}: Cyrillic letters in a {lang} text")
        if rid in ids:
            errors.append(f"{where}: duplicate id {rid!r} (first at line {ids[rid]})")
        ids.setdefault(rid, n)
        key = norm(text)
        if key in texts:
            errors.append(f"{where}: duplicate text (same as line {texts[key]})")
        texts.setdefault(key, n)
    return errors


def table(rows):
    c = Counter((r["lang"], r["act"]) for r in rows)
    lines = ["| lang | complaint | abuse | other | total |", "|---|---:|---:|---:|---:|"]
    for lang in LANGS:
        vals = [c[(lang, a)] for a in ACTS]
        lines.append(f"| {lang} | " + " | ".join(map(str, vals)) + f" | {sum(vals)} |")
    tot = [sum(c[(l, a)] for l in LANGS) for a in ACTS]
    lines.append("| **all** | " + " | ".join(map(str, tot)) + f" | {sum(tot)} |")
    return "\n".join(lines)


def main():
    only_check = "--check" in sys.argv[1:]
    rows, errors = load(ALL)
    errors = check(rows, errors, ALL.name)
    if errors:
        print("\n".join(errors), file=sys.stderr)
        sys.exit(f"{len(errors)} error(s) in {ALL.name}")
    objs = [r for _, r in rows]
    parts = {"dev": [r for r in objs if half(r["id"]) == "dev"],
             "test": [r for r in objs if half(r["id"]) == "test"]}
    if only_check:
        for name, path in (("dev", DEV), ("test", TEST)):
            got, errs = load(path)
            if errs or [r for _, r in got] != parts[name]:
                sys.exit(f"{path.name} does not match the split of {ALL.name}; run split.py")
    else:
        for name, path in (("dev", DEV), ("test", TEST)):
            with path.open("w", encoding="utf-8") as f:
                for r in parts[name]:
                    f.write(json.dumps(r, ensure_ascii=False) + "\n")
    print(f"{ALL.name}: {len(objs)} lines OK (parse, keys, labels, id pattern, script, unique ids, unique texts)")
    for name in ("all", "dev", "test"):
        print(f"\n{name} ({len(objs) if name == 'all' else len(parts[name])})")
        print(table(objs if name == "all" else parts[name]))


if __name__ == "__main__":
    main()
