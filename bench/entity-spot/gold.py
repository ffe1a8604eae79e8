#!/usr/bin/env python3
"""gold.py: turns hand-written mention lists (ID.spec) into gold annotation files (ID.json) and checks them.

The annotator reads a cable's text and writes, per distinct mention string, one line of
ID.spec (tab-separated; `#` starts a comment):

    TEXT <TAB> LABEL [<TAB> OCCURRENCES]

- LABEL is PER, LOC, ORG or MISC, or `-` for a string considered and found not to be an
  entity anywhere (so the case check below stops asking about it).
- OCCURRENCES is `*` (the default: every occurrence of TEXT in the text) or a
  comma-separated list that names every occurrence in order, 1-based, each either taken
  (`2`) or skipped on purpose (`!2`, e.g. the pronoun "US" in an all-caps cable).
  A list that does not account for every occurrence is an error.

An occurrence is TEXT exactly (case-sensitive) with no letter or digit just before or
after it. Occurrences inside a longer mention of the spec (`Moscow` in `Moscow Helsinki
Group`) are not counted: longer strings are resolved first. Two mentions that overlap are
an error. A string that is annotated in one case but occurs in another case with no line
of its own (`Moscow` annotated, `MOSCOW` not considered) is an error too.

    gold.py resolve [--texts JSONL] [--gold DIR] [ID...]   # writes DIR/ID.json from DIR/ID.spec
    gold.py text [--texts JSONL] ID                         # prints the text to annotate

The texts are the `text` of each record of the default pipeline before entity-spot:
`quarry run -c configs/cables.ini` with `--set entity-spot.mode=off` once that stage exists
(see bench/entity-spot/README.md). Each ID.json records the SHA-256 of the text it
annotates; score.py refuses a text that differs.
"""

import argparse
import hashlib
import json
import os
import re
import sys

LABELS = {"PER", "LOC", "ORG", "MISC"}
HERE = os.path.dirname(os.path.abspath(__file__))
GOLD = os.path.join(HERE, "..", "..", "tests", "data", "entity-spot", "gold")


def load_texts(path):
    texts = {}
    with open(path, encoding="utf-8") as f:
        for line in f:
            rec = json.loads(line)
            texts[rec["id"]] = rec["text"]
    return texts


def occurrences(text, s):
    """(start, end) offsets (code points) of s in text with no letter or digit on either
    side; a space in s matches any run of white space (a name wrapped at a line end)."""
    pat = re.compile(r"\s+".join(re.escape(w) for w in s.split()))
    out = []
    for m in pat.finditer(text):
        i, j = m.start(), m.end()
        before = text[i - 1] if i > 0 else " "
        after = text[j] if j < len(text) else " "
        if not before.isalnum() and not after.isalnum():
            out.append((i, j))
    return out


def parse_spec(path):
    rows = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            line = line.rstrip("\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            cols = [c.strip() for c in line.split("\t")]
            if len(cols) < 2 or len(cols) > 3 or not cols[0]:
                raise SystemExit(f"{path}:{n}: expected TEXT<TAB>LABEL[<TAB>OCCURRENCES], got {line!r}")
            label = cols[1]
            if label not in LABELS and label != "-":
                raise SystemExit(f"{path}:{n}: label {label!r} is not PER, LOC, ORG, MISC or -")
            occ = cols[2] if len(cols) == 3 and cols[2] else "*"
            if occ != "*" and not re.fullmatch(r"!?\d+(,!?\d+)*", occ):
                raise SystemExit(f"{path}:{n}: occurrences {occ!r}: give * or a list like 1,!2,3")
            rows.append((n, cols[0], label, occ))
    return rows


def resolve(doc_id, text, spec_path):
    rows = parse_spec(spec_path)
    errors = []
    seen = {}
    for n, s, label, occ in rows:
        if s in seen:
            errors.append(f"{spec_path}:{n}: {s!r} already has line {seen[s]}")
        seen[s] = n
    taken = []          # (start, end, text, label)
    covered = [False] * (len(text) + 1)
    # longest strings first, so a shorter string inside a longer mention is not counted
    for n, s, label, occ in sorted(rows, key=lambda r: (-len(r[1]), r[0])):
        found = []
        for i, j in occurrences(text, s):
            if all(covered[i:j]):
                continue            # inside a longer mention
            if any(covered[i:j]):
                errors.append(f"{spec_path}:{n}: {s!r} at {i} overlaps a longer mention")
                continue
            found.append((i, j))
        if not found:
            errors.append(f"{spec_path}:{n}: {s!r} does not occur in the text (outside longer mentions)")
            continue
        if occ == "*":
            picks = [True] * len(found)
        else:
            items = occ.split(",")
            nums = [int(x.lstrip("!")) for x in items]
            if sorted(nums) != list(range(1, len(found) + 1)):
                errors.append(f"{spec_path}:{n}: {s!r} occurs {len(found)} times; the list {occ} "
                              f"must name each of 1..{len(found)} once (!k to skip)")
                continue
            picks = [None] * len(found)
            for x in items:
                picks[int(x.lstrip("!")) - 1] = not x.startswith("!")
        for (i, j), take in zip(found, picks):
            if take and label != "-":
                for k in range(i, j):
                    covered[k] = True
                taken.append((i, j, text[i:j], label))
    # every other-case spelling of an annotated string must be considered too (outside
    # the mentions: MCMULLEN inside RON MCMULLEN is taken already)
    lowered = {s.lower() for _, s, _, _ in rows}
    for n, s, label, occ in rows:
        if label == "-":
            continue
        for m in re.finditer(re.escape(s), text, re.IGNORECASE):
            v = m.group(0)
            if v != s and v not in seen and v.lower() in lowered and not any(covered[m.start():m.end()]):
                b = text[m.start() - 1] if m.start() > 0 else " "
                a = text[m.end()] if m.end() < len(text) else " "
                if not b.isalnum() and not a.isalnum():
                    errors.append(f"{spec_path}:{n}: {s!r} is annotated but {v!r} at {m.start()} "
                                  "has no line: add one (label, or - if it is not an entity)")
                    seen[v] = n
    if errors:
        return None, errors
    taken.sort()
    return {
        "id": doc_id,
        "text_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "text_length": len(text),
        "mentions": [{"start": a, "end": b, "text": s, "label": l} for a, b, s, l in taken],
    }, []


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("command", choices=["resolve", "text"])
    ap.add_argument("ids", nargs="*")
    ap.add_argument("--texts", required=True, help="JSON Lines output of the default pipeline")
    ap.add_argument("--gold", default=GOLD)
    a = ap.parse_intermixed_args()
    texts = load_texts(a.texts)
    if a.command == "text":
        for i in a.ids:
            sys.stdout.write(texts[i])
        return 0
    ids = a.ids or sorted(f[:-5] for f in os.listdir(a.gold) if f.endswith(".spec"))
    failed = 0
    for doc_id in ids:
        if doc_id not in texts:
            print(f"{doc_id}: not in {a.texts}: run the pipeline on its page first", file=sys.stderr)
            failed += 1
            continue
        gold, errors = resolve(doc_id, texts[doc_id], os.path.join(a.gold, doc_id + ".spec"))
        if errors:
            print("\n".join(errors), file=sys.stderr)
            failed += 1
            continue
        with open(os.path.join(a.gold, doc_id + ".json"), "w", encoding="utf-8") as f:
            json.dump(gold, f, ensure_ascii=False, indent=1)
            f.write("\n")
        counts = {}
        for m in gold["mentions"]:
            counts[m["label"]] = counts.get(m["label"], 0) + 1
        print(f"{doc_id}: {len(gold['mentions'])} mentions "
              + " ".join(f"{k} {counts[k]}" for k in sorted(counts)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
