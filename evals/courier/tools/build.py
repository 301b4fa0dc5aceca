import json, re, hashlib, sys, os, collections
sys.path.insert(0, os.path.dirname(__file__))
from questions_src import R
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

CYR = dict(zip("абвгдежзијклмнопрстћуфхцчшђљњџ",
  ["a","b","v","g","d","e","z","z","i","j","k","l","m","n","o","p","r","s","t","c","u","f","h","c","c","s","dj","lj","nj","dz"]))
LAT = {"č":"c","ć":"c","ž":"z","š":"s","đ":"dj","–":"-","—":"-","×":"x","\u00a0":" ","„":'"',"“":'"',"”":'"'}
def fold(t):
    t = t.lower()
    out = []
    for ch in t:
        out.append(CYR.get(ch, LAT.get(ch, ch)))
    return re.sub(r"\s+", " ", "".join(out))

pages = {}
for fn in sorted(os.listdir(f"{ROOT}/kb")):
    txt = open(f"{ROOT}/kb/{fn}", encoding="utf-8").read()
    fm = txt.split("---")[1]
    meta = dict(l.split(": ", 1) for l in fm.strip().splitlines())
    assert meta["id"] == "courier/" + fn[:-3], fn
    pages[fn[:-3]] = {"lang": meta["lang"].split()[0], "text": fold(txt)}

rows, counters, errors = [], collections.Counter(), []
prefix = {"en": "en", "sr-Latn": "srlatn", "sr-Cyrl": "srcyrl"}
for lang, slug, style, q, a, c in R:
    assert slug in pages, slug
    assert lang in prefix and style in {"plain","informal","typo","two-part"}
    counters[lang] += 1
    answerable = a is not None
    row = {"id": f"courier-{lang}-{counters[lang]:03d}", "question": q,
           "answer": a if answerable else "Not in the help centre.",
           "doc_ids": [f"courier/{slug}"], "page": f"courier/{slug}", "lang": lang,
           "contains": c if answerable else [], "answerable": answerable, "style": style}
    if answerable:
        if not c: errors.append((row["id"], "empty contains"))
        if style == "two-part" and len(c) < 2: errors.append((row["id"], "two-part needs >=2 contains"))
        for item in c:
            alts = [x for x in item.split("|")]
            if not any(fold(x) in pages[slug]["text"] for x in alts if x.strip()):
                errors.append((row["id"], f"no alternative of {item!r} in page {slug}"))
    # mixed-script words in question/answer
    for w in re.findall(r"\w+", q + " " + row["answer"]):
        if re.search("[a-zA-Z]", w) and re.search("[\u0400-\u04FF]", w):
            errors.append((row["id"], f"mixed-script word {w!r}"))
    if lang == "sr-Cyrl" and not re.search("[\u0400-\u04FF]", q): errors.append((row["id"], "Cyrl q without Cyrillic"))
    if lang == "sr-Latn" and re.search("[\u0400-\u04FF]", q): errors.append((row["id"], "Latn q with Cyrillic"))
    rows.append(row)

ids = [r["id"] for r in rows]
assert len(ids) == len(set(ids))
for e in errors: print("ERROR", *e)

def write(path, rs):
    with open(path, "w", encoding="utf-8") as f:
        for r in rs: f.write(json.dumps(r, ensure_ascii=False) + "\n")
write(f"{ROOT}/questions.jsonl", rows)
dev = [r for r in rows if hashlib.sha256(r["page"].encode()).digest()[0] % 2 == 0]
test = [r for r in rows if hashlib.sha256(r["page"].encode()).digest()[0] % 2 != 0]
write(f"{ROOT}/questions_dev.jsonl", dev); write(f"{ROOT}/questions_test.jsonl", test)

# re-parse every line
for p in ("questions.jsonl", "questions_dev.jsonl", "questions_test.jsonl"):
    n = sum(1 for l in open(f"{ROOT}/{p}", encoding="utf-8") if json.loads(l))
    print(p, n, "lines parse OK")

C = collections.Counter
print("total", len(rows), dict(C(r["lang"] for r in rows)), "unanswerable", sum(not r["answerable"] for r in rows))
print("styles", dict(C(r["style"] for r in rows)))
for name, rs in (("dev", dev), ("test", test)):
    print(name, len(rs), f"{len(rs)/len(rows):.1%}", dict(C((r["lang"], r["answerable"]) for r in sorted(rs, key=lambda r: (r["lang"], r["answerable"])))))
print("per page:")
for slug in pages:
    rs = [r for r in rows if r["page"] == "courier/" + slug]
    half = "dev" if hashlib.sha256(("courier/" + slug).encode()).digest()[0] % 2 == 0 else "test"
    print(f"  {slug:24s} {pages[slug]['lang']:8s} {half:5s} n={len(rs):3d}", dict(C(r["lang"] for r in rs)), "unans", sum(not r["answerable"] for r in rs))
