#!/usr/bin/env python3
"""Split all.jsonl into dev.jsonl and test.jsonl deterministically.

An item goes to dev when the first byte of sha256(id encoded as UTF-8) is even,
otherwise to test. Lines are written in the same order as in all.jsonl.
"""
import hashlib
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def is_dev(item_id: str) -> bool:
    return hashlib.sha256(item_id.encode("utf-8")).digest()[0] % 2 == 0


def main() -> None:
    dev, test = [], []
    with open(HERE / "all.jsonl", encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            item = json.loads(line)
            (dev if is_dev(item["id"]) else test).append(item)
    for name, items in (("dev.jsonl", dev), ("test.jsonl", test)):
        with open(HERE / name, "w", encoding="utf-8") as f:
            for item in items:
                f.write(json.dumps(item, ensure_ascii=False) + "\n")
    print(f"dev: {len(dev)}  test: {len(test)}")


if __name__ == "__main__":
    main()
