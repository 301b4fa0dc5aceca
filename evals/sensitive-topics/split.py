#!/usr/bin/env python3
"""Check all.jsonl and split it into dev.jsonl / test.jsonl.

Rule: first byte of sha256(id encoded as UTF-8); even -> dev, odd -> test.
Standard library only. Run from anywhere:  python3 split.py
Exits non-zero (and writes nothing) if any check fails.
"""
import hashlib
import json
import re
import sys
import unicodedata
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE / "all.jsonl"
KEYS = {"id", "text", "act", "lang"}
ACTS = {"s": "sensitive", "o": "other"}
LANGS = {"en": "en", "lat": "sr-Latn", "cyr": "sr-Cyrl"}
ID_RE = re.compile(r"^(en|lat|cyr)-([so])-(\d{3})$")
CYR_RE = re.compile(r"[\u0400-\u04FF]")


def norm(text):
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def half(rec_id):
    return "dev" if hashlib.sha256(rec_id.encode("utf-8")).digest()[0] % 2 == 0 else "test"


def main():
    errors, records = [], []
    seen_ids, seen_texts = {}, {}
    with SRC.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                errors.append(f"line {n}: empty line")
                continue
            try:
                rec = json.loads(line)
            except json.JSONDecodeError as e:
                errors.append(f"line {n}: not JSON ({e})")
                continue
            if not isinstance(rec, dict) or set(rec) != KEYS:
                errors.append(f"line {n}: keys must be exactly {sorted(KEYS)}")
                continue
            if not all(isinstance(rec[k], str) for k in KEYS):
                errors.append(f"line {n}: all values must be strings")
                continue
            rid, text, act, lang = rec["id"], rec["text"], rec["act"], rec["lang"]
            m = ID_RE.match(rid)
            if not m:
                errors.append(f"line {n}: bad id {rid!r}")
                continue
            if LANGS[m.group(1)] != lang:
                errors.append(f"line {n}: id {rid} does not match lang {lang!r}")
            if ACTS[m.group(2)] != act:
                errors.append(f"line {n}: id {rid} does not match act {act!r}")
            if not text.strip() or text != text.strip():
                errors.append(f"line {n}: empty text or surrounding whitespace")
            has_cyr = bool(CYR_RE.search(text))
            if lang == "sr-Cyrl" and not has_cyr:
                errors.append(f"line {n}: sr-Cyrl text has no Cyrillic letters")
            if lang != "sr-Cyrl" and has_cyr:
                errors.append(f"line {n}: {lang} text contains Cyrillic letters")
            if rid in seen_ids:
                errors.append(f"line {n}: duplicate id {rid} (first on line {seen_ids[rid]})")
            seen_ids.setdefault(rid, n)
            key = norm(text)
            if key in seen_texts:
                errors.append(f"line {n}: duplicate text (first on line {seen_texts[key]})")
            seen_texts.setdefault(key, n)
            records.append(rec)

    if errors:
        print("\n".join(errors), file=sys.stderr)
        print(f"{len(errors)} error(s); nothing written", file=sys.stderr)
        return 1

    out = {"dev": [], "test": []}
    for rec in records:
        out[half(rec["id"])].append(rec)
    for name, recs in out.items():
        with (HERE / f"{name}.jsonl").open("w", encoding="utf-8", newline="\n") as f:
            for rec in recs:
                f.write(json.dumps(rec, ensure_ascii=False) + "\n")

    print(f"all.jsonl OK: {len(records)} lines, ids unique, texts unique")
    print(f"{'half':<5} {'lang':<8} {'sensitive':>9} {'other':>6} {'total':>6}")
    for name in ("all", "dev", "test"):
        recs = records if name == "all" else out[name]
        c = Counter((r["lang"], r["act"]) for r in recs)
        for lang in ("en", "sr-Latn", "sr-Cyrl"):
            s, o = c[(lang, "sensitive")], c[(lang, "other")]
            print(f"{name:<5} {lang:<8} {s:>9} {o:>6} {s + o:>6}")
        s = sum(v for (_, a), v in c.items() if a == "sensitive")
        print(f"{name:<5} {'total':<8} {s:>9} {len(recs) - s:>6} {len(recs):>6}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
