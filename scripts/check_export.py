#!/usr/bin/env python3
"""Checks a `toa export` folder with Hugging Face `datasets`, as a trainer would load it.

    python3 scripts/check_export.py <export dir> [--expect-parquet]

For every exported file (`<format>[.<method>.b<budget>.s<seed>].<jsonl|parquet>`):
  - loads it with `load_dataset("json" | "parquet", data_files=..., split="train")`;
  - asserts TRL conventions:
      sft:  `messages` is a list of {role, content}: a user turn then an assistant turn;
      dpo:  `prompt` a list of user messages, `chosen` / `rejected` lists of assistant messages,
            score_chosen > score_rejected;
      responses / trees: the documented columns are present;
  - JSONL and Parquet of the same table: same row count, same columns, same rows (features may
    differ only where JSON type inference cannot know the type: all-null columns, whole floats).
Then loads every config listed in the folder's README.md (the dataset card's YAML `configs`)
with `load_dataset(<dir>, <config>)`, which is how the Hub loads the folder.

Prints one JSON line per file and a final summary; exits 1 on the first failed assertion.
"""
import json
import os
import re
import sys

from datasets import load_dataset

NAME = re.compile(r"^(sft|dpo|responses|trees)(\.[^/]+)?\.(jsonl|parquet)$")
REQUIRED = {
    "sft": ["messages", "prompt_id", "method", "budget", "seed", "reward"],
    "dpo": ["prompt", "chosen", "rejected", "score_chosen", "score_rejected", "prompt_id", "method", "budget", "seed"],
    "responses": ["prompt_id", "method", "budget", "seed", "response_id", "agent", "kind", "inputs",
                  "parent_id", "order", "reward", "normalized_reward", "rank", "prompt_tokens",
                  "completion_tokens", "text"],
    "trees": ["prompt_id", "method", "budget", "seed", "tree", "best_id"],
}


def fail(msg):
    print(f"check_export: FAIL: {msg}", file=sys.stderr)
    sys.exit(1)


def check(cond, msg):
    if not cond:
        fail(msg)


def is_messages(value, roles, where):
    check(isinstance(value, list) and len(value) == len(roles), f"{where}: expected {len(roles)} messages, got {value!r:.200}")
    for m, role in zip(value, roles):
        check(isinstance(m, dict) and set(m.keys()) == {"role", "content"}, f"{where}: a message must be {{role, content}}, got {m!r:.200}")
        check(m["role"] == role, f"{where}: expected role {role}, got {m['role']}")
        check(isinstance(m["content"], str) and m["content"] != "", f"{where}: empty content")


def check_rows(fmt, ds, name):
    for col in REQUIRED[fmt]:
        check(col in ds.column_names, f"{name}: missing column {col} (has {ds.column_names})")
    check(len(ds) > 0, f"{name}: no rows")
    for i, row in enumerate(ds):
        where = f"{name} row {i}"
        if fmt == "sft":
            is_messages(row["messages"], ["user", "assistant"], where)
        elif fmt == "dpo":
            is_messages(row["prompt"], ["user"], where + " prompt")
            is_messages(row["chosen"], ["assistant"], where + " chosen")
            is_messages(row["rejected"], ["assistant"], where + " rejected")
            check(row["score_chosen"] > row["score_rejected"], f"{where}: score_chosen must exceed score_rejected")
        elif fmt == "responses":
            check(row["kind"] in ("fresh", "refine", "aggregate"), f"{where}: bad kind {row['kind']}")
            check(isinstance(row["inputs"], list), f"{where}: inputs must be a list")
        elif fmt == "trees":
            tree = row["tree"]
            check(isinstance(tree, dict) and isinstance(tree["nodes"], list) and isinstance(tree["edges"], list), f"{where}: tree must have nodes and edges")
            check(tree["nodes"][0]["type"] == "root", f"{where}: first node must be the root")
            check(all(isinstance(e, list) and len(e) == 2 for e in tree["edges"]), f"{where}: edges must be [parent, child] pairs")


def main(argv):
    if len(argv) < 2:
        fail("usage: check_export.py <export dir> [--expect-parquet]")
    folder = os.path.abspath(argv[1])
    expect_parquet = "--expect-parquet" in argv
    files = sorted(f for f in os.listdir(folder) if NAME.match(f))
    check(files, f"no exported files in {folder}")
    loaded = {}
    summary = {"files": 0, "rows": 0, "configs": 0, "parquet": 0}
    for f in files:
        fmt, _, ext = NAME.match(f).groups()
        ds = load_dataset("json" if ext == "jsonl" else "parquet", data_files=os.path.join(folder, f), split="train")
        check_rows(fmt, ds, f)
        loaded[f] = ds
        summary["files"] += 1
        summary["rows"] += len(ds)
        summary["parquet"] += ext == "parquet"
        print(json.dumps({"file": f, "rows": len(ds), "columns": ds.column_names}))
    for f, ds in loaded.items():
        if not f.endswith(".jsonl"):
            continue
        twin = f[: -len(".jsonl")] + ".parquet"
        if twin in loaded:
            other = loaded[twin]
            check(len(ds) == len(other), f"{f} has {len(ds)} rows, {twin} has {len(other)}")
            # Same columns and values. Features may differ only where JSON type inference cannot
            # know the declared type: an all-null column (null), integer-valued floats (int64).
            check(ds.column_names == other.column_names, f"{f} and {twin} differ in columns")
            check(ds.to_list() == other.to_list(), f"{f} and {twin} hold different rows")
        elif expect_parquet:
            fail(f"{twin} is missing")
    card = os.path.join(folder, "README.md")
    check(os.path.exists(card), "README.md (dataset card) is missing")
    text = open(card, encoding="utf-8").read()
    check(text.startswith("---\n"), "README.md must start with a YAML header")
    configs = re.findall(r"^  - config_name: (\S+)$", text.split("\n---\n", 1)[0], flags=re.M)
    check(configs, "README.md lists no configs")
    for name in configs:
        ds = load_dataset(folder, name, split="train")
        fmt = name.split("-", 1)[0]
        check_rows(fmt, ds, f"config {name}")
        summary["configs"] += 1
    print(json.dumps({"ok": True, **summary}))


if __name__ == "__main__":
    main(sys.argv)
