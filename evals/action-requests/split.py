# Deterministic dev/test split of all.jsonl.
# An item goes to dev when the first byte of sha256(id as UTF-8) is even, else to test.
import hashlib
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def is_dev(item_id: str) -> bool:
    return hashlib.sha256(item_id.encode("utf-8")).digest()[0] % 2 == 0


def main():
    dev, test = [], []
    with open(os.path.join(HERE, "all.jsonl"), encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            item = json.loads(line)
            (dev if is_dev(item["id"]) else test).append(item)
    for name, items in (("dev.jsonl", dev), ("test.jsonl", test)):
        with open(os.path.join(HERE, name), "w", encoding="utf-8") as f:
            for item in items:
                f.write(json.dumps(item, ensure_ascii=False) + "\n")
    print(f"dev: {len(dev)}  test: {len(test)}")


if __name__ == "__main__":
    main()
