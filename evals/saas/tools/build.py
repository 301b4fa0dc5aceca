#!/usr/bin/env python3
"""Validate the Ledgerly (saas) evaluation set and print counts.

Usage:  python3 tools/build.py            (from evals/saas or anywhere)

Checks
  * kb/*.md: YAML front matter with id/title/url/lang/tags/type, id == saas/<file slug>,
    lang == en, type in {page, faq} with exactly one faq, body 250-700 words.
  * questions.jsonl: every row has the required keys with the right types, ids are unique
    and run saas-001, saas-002, ... in order, lang/style are known values, every doc_id and
    page is a page id in kb/, page is one of doc_ids, answerable rows have a non-empty
    contains list and unanswerable rows an empty one.
  * every alternative of every `contains` string ("a|b") of an answerable row occurs in the
    text of at least one of the row's doc_ids pages (case, diacritics, decimal comma/point
    and thousands separators folded).
Exits with status 1 if anything fails. Standard library only.
"""
import collections
import json
import os
import re
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KB = os.path.join(ROOT, "kb")
QUESTIONS = os.path.join(ROOT, "questions.jsonl")

REQUIRED = {
    "id": str, "question": str, "answer": str, "doc_ids": list, "page": str,
    "lang": str, "contains": list, "answerable": bool, "style": str,
}
LANGS = ("en", "sr-Latn", "sr-Cyrl")
STYLES = ("plain", "informal", "typo", "two-part")
FRONT_KEYS = ("id", "title", "url", "lang", "tags", "type")


def norm(text):
    """Fold case, diacritics, thousands separators and decimal commas."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c))
    text = text.casefold()
    # thousands separators: 5,000 / 5.000 / 5 000 -> 5000
    text = re.sub(r"(?<=\d)[,.\u00a0\u202f ](?=\d{3}(?!\d))", "", text)
    # decimal comma -> point
    text = re.sub(r"(?<=\d),(?=\d)", ".", text)
    return text


def parse_page(path):
    with open(path, encoding="utf-8") as fh:
        raw = fh.read()
    m = re.match(r"---\n(.*?)\n---\n(.*)\Z", raw, re.S)
    if not m:
        return None, None, raw
    meta = {}
    for line in m.group(1).splitlines():
        if ":" in line:
            key, val = line.split(":", 1)
            meta[key.strip()] = val.strip()
    return meta, m.group(2), raw


def main():
    errors = []
    pages = {}          # id -> normalised full text (front matter excluded)
    page_types = {}
    words = {}
    for name in sorted(os.listdir(KB)):
        if not name.endswith(".md"):
            continue
        path = os.path.join(KB, name)
        meta, body, _ = parse_page(path)
        if meta is None:
            errors.append(f"{name}: no YAML front matter")
            continue
        for key in FRONT_KEYS:
            if key not in meta:
                errors.append(f"{name}: front matter lacks '{key}'")
        slug = name[:-3]
        pid = meta.get("id", "")
        if pid != f"saas/{slug}":
            errors.append(f"{name}: id '{pid}' should be 'saas/{slug}'")
        if meta.get("lang") != "en":
            errors.append(f"{name}: lang should be en")
        if meta.get("type") not in ("page", "faq"):
            errors.append(f"{name}: type should be page or faq")
        if not re.match(r"\[.*\]$", meta.get("tags", "")):
            errors.append(f"{name}: tags should be a [list]")
        if not body.lstrip().startswith("# "):
            errors.append(f"{name}: body should start with '# Title'")
        n = len(re.findall(r"\S+", body))
        words[pid] = n
        if not 250 <= n <= 700:
            errors.append(f"{name}: {n} words, expected 250-700")
        pages[pid] = norm(body + "\n" + meta.get("title", ""))
        page_types[pid] = meta.get("type")
    faqs = [p for p, t in page_types.items() if t == "faq"]
    if len(faqs) != 1:
        errors.append(f"expected exactly one faq page, found {faqs}")

    rows = []
    with open(QUESTIONS, encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rows.append((lineno, json.loads(line)))
            except json.JSONDecodeError as exc:
                errors.append(f"line {lineno}: bad JSON: {exc}")

    seen = set()
    missing = []
    for idx, (lineno, row) in enumerate(rows, 1):
        rid = row.get("id", f"line {lineno}")
        for key, typ in REQUIRED.items():
            if key not in row:
                errors.append(f"{rid}: missing key '{key}'")
            elif not isinstance(row[key], typ):
                errors.append(f"{rid}: '{key}' should be {typ.__name__}")
        extra = set(row) - set(REQUIRED)
        if extra:
            errors.append(f"{rid}: unexpected keys {sorted(extra)}")
        if rid in seen:
            errors.append(f"{rid}: duplicate id")
        seen.add(rid)
        if rid != f"saas-{idx:03d}":
            errors.append(f"{rid}: expected id saas-{idx:03d}")
        if row.get("lang") not in LANGS:
            errors.append(f"{rid}: unknown lang {row.get('lang')!r}")
        if row.get("style") not in STYLES:
            errors.append(f"{rid}: unknown style {row.get('style')!r}")
        for key in ("question", "answer"):
            if not str(row.get(key, "")).strip():
                errors.append(f"{rid}: empty {key}")
        doc_ids = row.get("doc_ids") or []
        if not doc_ids:
            errors.append(f"{rid}: empty doc_ids")
        for d in doc_ids:
            if d not in pages:
                errors.append(f"{rid}: doc_id {d!r} is not a page")
        if len(set(doc_ids)) != len(doc_ids):
            errors.append(f"{rid}: repeated doc_id")
        if row.get("page") not in pages:
            errors.append(f"{rid}: page {row.get('page')!r} is not a page")
        elif row.get("page") not in doc_ids:
            errors.append(f"{rid}: page not among doc_ids")
        contains = row.get("contains") or []
        if row.get("answerable") is True:
            if not contains:
                errors.append(f"{rid}: answerable row with empty contains")
            texts = [pages[d] for d in doc_ids if d in pages]
            for item in contains:
                for alt in str(item).split("|"):
                    if not alt.strip():
                        errors.append(f"{rid}: empty alternative in {item!r}")
                    elif not any(norm(alt) in t for t in texts):
                        missing.append(f"{rid}: {alt!r} not found in {doc_ids}")
        elif row.get("answerable") is False and contains:
            errors.append(f"{rid}: unanswerable row must have contains []")

    for m in missing:
        print("NOT IN PAGES:", m)
    errors.extend(missing)

    total = len(rows)

    def show(title, counter):
        print(f"\n{title}:")
        for key, n in sorted(counter.items(), key=lambda kv: (-kv[1], str(kv[0]))):
            print(f"  {str(key):28s} {n:4d}  ({100.0 * n / total:4.1f}%)")

    data = [r for _, r in rows]
    print(f"pages: {len(pages)}  (words: min {min(words.values())}, max {max(words.values())})")
    print(f"questions: {total}")
    show("by lang", collections.Counter(r.get("lang") for r in data))
    show("by style", collections.Counter(r.get("style") for r in data))
    show("by answerable", collections.Counter(r.get("answerable") for r in data))
    show("by page", collections.Counter(r.get("page") for r in data))
    show("unanswerable by lang", collections.Counter(r.get("lang") for r in data if r.get("answerable") is False))
    show("style x lang", collections.Counter(f"{r.get('lang')}/{r.get('style')}" for r in data))

    if errors:
        print(f"\nFAILED: {len(errors)} problem(s)")
        for e in errors:
            print("  " + e)
        return 1
    print("\nOK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
