# Validates all.jsonl / dev.jsonl / test.jsonl and prints count tables (Markdown).
import collections
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
LABELS = [
    "order_status", "cancel_order", "return_items", "exchange_items",
    "modify_order_items", "change_payment_method", "change_order_address",
    "change_default_address", "place_order", "recommend_product", "none",
]
LANGS = ["en", "sr-Latn", "sr-Cyrl"]
KEYS = {"id", "text", "action", "lang"}


def load(name):
    items = []
    with open(os.path.join(HERE, name), encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            item = json.loads(line)  # raises on a bad line
            assert set(item) == KEYS, (name, n, item)
            assert item["action"] in LABELS, (name, n, item["action"])
            assert item["lang"] in LANGS, (name, n, item["lang"])
            assert isinstance(item["text"], str) and item["text"].strip(), (name, n)
            items.append(item)
    return items


def table(items):
    c = collections.Counter((i["action"], i["lang"]) for i in items)
    out = ["| label | en | sr-Latn | sr-Cyrl | total |", "|---|---:|---:|---:|---:|"]
    for lab in LABELS:
        row = [c[(lab, lg)] for lg in LANGS]
        out.append(f"| `{lab}` | " + " | ".join(map(str, row)) + f" | {sum(row)} |")
    tot = [sum(c[(lab, lg)] for lab in LABELS) for lg in LANGS]
    out.append("| **total** | " + " | ".join(map(str, tot)) + f" | {sum(tot)} |")
    return "\n".join(out)


def main():
    all_items = load("all.jsonl")
    ids = [i["id"] for i in all_items]
    texts = [i["text"] for i in all_items]
    assert len(ids) == len(set(ids)), "duplicate ids"
    dup_texts = [t for t, k in collections.Counter(t.strip().lower() for t in texts).items() if k > 1]
    assert not dup_texts, dup_texts
    dev, test = load("dev.jsonl"), load("test.jsonl")
    assert sorted(ids) == sorted(i["id"] for i in dev + test), "split does not cover all"
    assert not ({i["id"] for i in dev} & {i["id"] for i in test}), "dev/test overlap"
    print("validation OK", file=sys.stderr)
    for name, items in (("all.jsonl", all_items), ("dev.jsonl", dev), ("test.jsonl", test)):
        print(f"### {name} ({len(items)})\n\n{table(items)}\n")


if __name__ == "__main__":
    main()
