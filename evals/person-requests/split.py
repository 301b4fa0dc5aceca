#!/usr/bin/env python3
"""Split all.jsonl into dev.jsonl and test.jsonl.

Rule: first byte of sha256(id encoded as UTF-8); even -> dev, odd -> test.
Line order of all.jsonl is preserved in both halves. Standard library only.
Also validates the file (JSON per line, unique ids, allowed labels) and
prints counts per half, language and act.
"""
import hashlib
import json
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ACTS = {"person", "other"}
LANGS = {"en", "sr-Latn", "sr-Cyrl"}


def main() -> int:
    rows, seen = [], set()
    with open(HERE / "all.jsonl", encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            r = json.loads(line)
            assert set(r) == {"id", "text", "act", "lang"}, (n, r)
            assert r["act"] in ACTS and r["lang"] in LANGS, (n, r)
            assert r["id"] not in seen, f"duplicate id {r['id']}"
            assert r["text"].strip(), (n, r)
            seen.add(r["id"])
            rows.append(r)

    halves = {"dev": [], "test": []}
    for r in rows:
        b = hashlib.sha256(r["id"].encode("utf-8")).digest()[0]
        halves["dev" if b % 2 == 0 else "test"].append(r)

    for name, items in halves.items():
        with open(HERE / f"{name}.jsonl", "w", encoding="utf-8") as f:
            for r in items:
                f.write(json.dumps(r, ensure_ascii=False) + "\n")

    print(f"all: {len(rows)}")
    for name in ("all", "dev", "test"):
        items = rows if name == "all" else halves[name]
        c = Counter((r["lang"], r["act"]) for r in items)
        cells = ", ".join(
            f"{lang}/{act}={c[(lang, act)]}"
            for lang in ("en", "sr-Latn", "sr-Cyrl")
            for act in ("person", "other")
        )
        print(f"{name} ({len(items)}): {cells}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
