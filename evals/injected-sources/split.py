#!/usr/bin/env python3
"""Split cases.jsonl into dev.jsonl and test.jsonl.

A case goes to dev when sha256(id)[0] is even, otherwise to test.
The split depends only on the id, so it is stable when cases are added.
"""
import hashlib
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def half(case_id: str) -> str:
    return "dev" if hashlib.sha256(case_id.encode()).digest()[0] % 2 == 0 else "test"


def main() -> int:
    src = os.path.join(HERE, "cases.jsonl")
    out = {"dev": [], "test": []}
    seen = set()
    with open(src, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            case = json.loads(line)  # raises on a malformed line
            cid = case["id"]
            if cid in seen:
                sys.exit(f"duplicate id {cid} on line {n}")
            seen.add(cid)
            out[half(cid)].append(line if line.endswith("\n") else line + "\n")
    for name, lines in out.items():
        with open(os.path.join(HERE, f"{name}.jsonl"), "w", encoding="utf-8") as f:
            f.writelines(lines)
        print(f"{name}: {len(lines)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
