#!/usr/bin/env python3
"""Validate the Hotel Dunavski Cvet evaluation set (stdlib only).

Checks
  * kb/*.md: YAML front matter (id, title, url, lang, tags, type), id == hotel/<file stem>,
    lang == en, type in {page, faq}, exactly one faq page, body 250-700 words,
    FAQ pages use '## Question?' headings.
  * questions.jsonl: required keys and types, ids unique and sequential (hotel-001 ...),
    lang/style values, every doc_id and page is a page id, page is in doc_ids,
    answerable rows have a non-empty `contains` and every alternative of every
    `contains` entry ("a|b") occurs in the text of at least one of the row's doc_ids pages;
    unanswerable rows have contains == [].
  * Informational: answerable rows whose complete `contains` list is also satisfied by a
    page that is NOT in doc_ids (possible missing doc_id; review by hand).

Matching is case-insensitive, with diacritics folded and numbers normalised
(thousands separators dropped, decimal comma -> point).

Usage: python3 tools/build.py [--quiet]     exit code 0 = pass, 1 = errors
"""
import collections
import json
import os
import re
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KB = os.path.join(ROOT, "kb")
QFILE = os.path.join(ROOT, "questions.jsonl")

REQ_FM = ["id", "title", "url", "lang", "tags", "type"]
REQ_Q = {
    "id": str, "question": str, "answer": str, "doc_ids": list, "page": str,
    "lang": str, "contains": list, "answerable": bool, "style": str,
}
LANGS = {"en", "sr-Latn", "sr-Cyrl"}
STYLES = {"plain", "informal", "typo", "two-part"}


def fold(text):
    """Lower-case, fold diacritics and normalise numbers and a few symbols."""
    t = text.lower()
    t = t.replace("đ", "dj").replace("ђ", "дј")
    t = unicodedata.normalize("NFKD", t)
    t = "".join(c for c in t if not unicodedata.combining(c))
    t = (t.replace("\u00a0", " ").replace("\u202f", " ")
          .replace("–", "-").replace("—", "-").replace("−", "-").replace("×", "x"))
    # thousands separators: 10,400 / 10.400 -> 10400 (repeat for 1,000,000)
    prev = None
    while prev != t:
        prev = t
        t = re.sub(r"(?<![\d.,])(\d{1,3})[,.](\d{3})(?![\d])", r"\1\2", t)
    # decimal comma -> point
    t = re.sub(r"(\d),(\d)", r"\1.\2", t)
    t = re.sub(r"\s+", " ", t)
    return t


def bounded(needle, folded_text):
    """True if fold(needle) occurs in folded_text not glued to other letters/digits."""
    n = fold(needle).strip()
    return re.search(r"(?<![0-9a-z\u0400-\u04ff])" + re.escape(n) + r"(?![0-9a-z\u0400-\u04ff])",
                     folded_text) is not None


def parse_page(path):
    with open(path, encoding="utf-8") as fh:
        raw = fh.read()
    errors = []
    if not raw.startswith("---\n"):
        return None, ["no front matter"]
    end = raw.find("\n---\n", 4)
    if end < 0:
        return None, ["unterminated front matter"]
    fm_text, body = raw[4:end], raw[end + 5:]
    fm = {}
    for line in fm_text.splitlines():
        if not line.strip():
            continue
        m = re.match(r"^([A-Za-z_]+):\s*(.*)$", line)
        if not m:
            errors.append("bad front matter line: %r" % line)
            continue
        key, val = m.group(1), m.group(2).strip()
        if val.startswith("[") and val.endswith("]"):
            val = [v.strip() for v in val[1:-1].split(",") if v.strip()]
        fm[key] = val
    for k in REQ_FM:
        if k not in fm:
            errors.append("missing front matter key %s" % k)
    return {"fm": fm, "body": body, "raw": raw}, errors


def main():
    quiet = "--quiet" in sys.argv
    errors, infos = [], []

    # ---------------------------------------------------------------- pages
    pages = {}
    n_tables = 0
    for name in sorted(os.listdir(KB)):
        if not name.endswith(".md"):
            continue
        path = os.path.join(KB, name)
        page, errs = parse_page(path)
        errors += ["kb/%s: %s" % (name, e) for e in errs]
        if page is None:
            continue
        fm, body = page["fm"], page["body"]
        stem = name[:-3]
        pid = fm.get("id")
        if pid != "hotel/" + stem:
            errors.append("kb/%s: id %r should be hotel/%s" % (name, pid, stem))
        if fm.get("lang") != "en":
            errors.append("kb/%s: lang must be en" % name)
        if fm.get("type") not in ("page", "faq"):
            errors.append("kb/%s: type must be page or faq" % name)
        if not isinstance(fm.get("tags"), list) or not fm.get("tags"):
            errors.append("kb/%s: tags must be a non-empty [list]" % name)
        if not str(fm.get("url", "")).startswith("https://dunavskicvet.example/"):
            errors.append("kb/%s: url should be on dunavskicvet.example" % name)
        first = next((l for l in body.splitlines() if l.strip()), "")
        if first != "# " + fm.get("title", ""):
            errors.append("kb/%s: body should start with '# %s'" % (name, fm.get("title")))
        words = len(re.findall(r"\S+", body))
        if not 250 <= words <= 700:
            errors.append("kb/%s: body has %d words (want 250-700)" % (name, words))
        tables = len(re.findall(r"^\|[-| :]+\|\s*$", body, flags=re.M))
        n_tables += tables
        if fm.get("type") == "faq":
            heads = re.findall(r"^## (.+)$", body, flags=re.M)
            bad = [h for h in heads if not h.rstrip().endswith("?")]
            if bad:
                errors.append("kb/%s: FAQ headings without '?': %s" % (name, bad))
            page["faq_questions"] = len(heads)
        page["words"] = words
        page["tables"] = tables
        page["folded"] = fold(page["raw"])
        pages[pid] = page
    faqs = [p for p, v in pages.items() if v["fm"].get("type") == "faq"]
    if len(faqs) != 1:
        errors.append("expected exactly one faq page, found %s" % faqs)
    if n_tables < 2:
        errors.append("expected at least two Markdown tables, found %d" % n_tables)

    # ------------------------------------------------------------ questions
    rows = []
    with open(QFILE, encoding="utf-8") as fh:
        for ln, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                rows.append((ln, json.loads(line)))
            except json.JSONDecodeError as e:
                errors.append("questions.jsonl:%d: bad JSON: %s" % (ln, e))

    seen = set()
    missing_text = []
    for i, (ln, r) in enumerate(rows, 1):
        where = "questions.jsonl:%d (%s)" % (ln, r.get("id"))
        for k, typ in REQ_Q.items():
            if k not in r:
                errors.append("%s: missing key %s" % (where, k))
            elif not isinstance(r[k], typ):
                errors.append("%s: %s should be %s" % (where, k, typ.__name__))
        extra = set(r) - set(REQ_Q)
        if extra:
            errors.append("%s: unexpected keys %s" % (where, sorted(extra)))
        if any(k not in r or not isinstance(r[k], REQ_Q[k]) for k in REQ_Q):
            continue
        if r["id"] in seen:
            errors.append("%s: duplicate id" % where)
        seen.add(r["id"])
        if r["id"] != "hotel-%03d" % i:
            errors.append("%s: id out of order, expected hotel-%03d" % (where, i))
        if r["lang"] not in LANGS:
            errors.append("%s: bad lang %r" % (where, r["lang"]))
        if r["style"] not in STYLES:
            errors.append("%s: bad style %r" % (where, r["style"]))
        if not r["question"].strip() or not r["answer"].strip():
            errors.append("%s: empty question or answer" % where)
        if not r["doc_ids"]:
            errors.append("%s: empty doc_ids" % where)
        if len(set(r["doc_ids"])) != len(r["doc_ids"]):
            errors.append("%s: duplicate doc_ids" % where)
        for d in r["doc_ids"] + [r["page"]]:
            if d not in pages:
                errors.append("%s: unknown page id %r" % (where, d))
        if r["page"] not in r["doc_ids"]:
            errors.append("%s: page %r not in doc_ids" % (where, r["page"]))
        if r["lang"] == "sr-Cyrl" and not re.search(r"[\u0400-\u04FF]", r["question"]):
            errors.append("%s: sr-Cyrl question without Cyrillic" % where)
        if r["lang"] != "sr-Cyrl" and re.search(r"[\u0400-\u04FF]", r["question"]):
            errors.append("%s: Cyrillic in a %s question" % (where, r["lang"]))
        if not r["answerable"]:
            if r["contains"]:
                errors.append("%s: unanswerable row must have contains == []" % where)
            continue
        if not r["contains"]:
            errors.append("%s: answerable row with empty contains" % where)
            continue
        texts = [pages[d]["folded"] for d in r["doc_ids"] if d in pages]
        for group in r["contains"]:
            if not isinstance(group, str) or not group.strip():
                errors.append("%s: bad contains entry %r" % (where, group))
                continue
            for alt in group.split("|"):
                if not alt.strip():
                    errors.append("%s: empty alternative in %r" % (where, group))
                elif not any(fold(alt) in t for t in texts):
                    missing_text.append("%s: %r not found in %s" % (where, alt, r["doc_ids"]))
        # informational: another page satisfies all contains groups (token-bounded match;
        # short bare numbers such as "15" or "4" are too generic and are ignored)
        groups = [[a for a in g.split("|") if not re.fullmatch(r"[\d.,%€]{1,4}", a.strip())]
                  for g in r["contains"]]
        groups = [g for g in groups if g]
        if not groups:
            continue
        for pid, p in pages.items():
            if pid in r["doc_ids"]:
                continue
            if all(any(bounded(a, p["folded"]) for a in g) for g in groups):
                infos.append("%s: all contains also found in %s (doc_ids %s)"
                             % (r["id"], pid, r["doc_ids"]))
    errors += missing_text

    # ---------------------------------------------------------------- report
    print("pages: %d (faq: %s), tables: %d" % (len(pages), ", ".join(faqs), n_tables))
    for pid, p in sorted(pages.items()):
        extra = " faq-questions=%d" % p["faq_questions"] if "faq_questions" in p else ""
        print("  %-28s %4d words  tables=%d%s" % (pid, p["words"], p["tables"], extra))
    qs = [r for _, r in rows]
    n = len(qs)
    print("questions: %d" % n)

    def show(title, key):
        c = collections.Counter(key(r) for r in qs)
        print("  by %s: %s" % (title, ", ".join(
            "%s=%d (%.0f%%)" % (k, v, 100.0 * v / max(n, 1)) for k, v in sorted(c.items(), key=str))))
    show("lang", lambda r: r.get("lang"))
    show("style", lambda r: r.get("style"))
    show("answerable", lambda r: r.get("answerable"))
    c = collections.Counter(r.get("page") for r in qs)
    print("  by page:")
    for pid in sorted(pages):
        un = sum(1 for r in qs if r.get("page") == pid and r.get("answerable") is False)
        print("    %-28s %3d  (unanswerable %d)" % (pid, c.get(pid, 0), un))
    lu = collections.Counter((r.get("lang"), r.get("answerable")) for r in qs)
    print("  unanswerable by lang: %s" % ", ".join(
        "%s=%d" % (l, lu.get((l, False), 0)) for l in sorted(LANGS)))
    ls = collections.Counter((r.get("lang"), r.get("style")) for r in qs)
    print("  lang x style: " + "; ".join(
        "%s: %s" % (l, " ".join("%s=%d" % (s, ls.get((l, s), 0)) for s in sorted(STYLES)))
        for l in sorted(LANGS)))
    if infos and not quiet:
        print("info (%d): possible missing doc_ids, review by hand:" % len(infos))
        for m in infos:
            print("  " + m)
    if errors:
        print("ERRORS (%d):" % len(errors))
        for e in errors:
            print("  " + e)
        return 1
    print("OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
