#!/usr/bin/env python3
"""score.py: precision, recall and F1 of the pipeline's entity mentions against hand-made gold.

Two checks:

1. The gold cables (tests/data/entity-spot/gold/ID.json, made with gold.py): the default
   pipeline is run on each cable's page from the corpus (or its output is read with
   --output) and the `entity` spans of each record are compared with the gold mentions,
   per label and overall (micro-averaged over all documents), two ways:
   - exact: the same start, end (code points of `text`) and label;
   - text: per document, the multiset of (mention text, label), white space collapsed;
     a predicted mention counts as many times as the gold has it.
2. The seed: the raw page of cable 09MOSCOW2734 through the default pipeline, scored
   against the seed's own 171 `[TYPE text ]` tags (per-document multiset of (text, label):
   the seed is tokenized differently, so both sides are compared with white space removed
   and a final possessive 's dropped).

    bench/entity-spot/score.py                          # from the build tree (the repo root)
    bench/entity-spot/score.py --build BUILD --shared ../shared
    bench/entity-spot/score.py --output run.jsonl       # score an existing output
    bench/entity-spot/score.py --json                   # the numbers as JSON too
    bench/entity-spot/score.py --errors                 # list each document's misses

Exit status: 0 when scored, 1 when something could not be run or read (a gold text that no
longer matches the pipeline's text is such an error: re-annotate, see gold/README.md).
"""

import argparse
import collections
import hashlib
import html
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, "..", ".."))
LABELS = ("PER", "LOC", "ORG", "MISC")
SEED_ID = "09MOSCOW2734"


def fail(msg):
    print(f"score.py: {msg}", file=sys.stderr)
    sys.exit(1)


def find_pages(corpus, ids):
    want, found = set(ids), {}
    for root, dirs, files in os.walk(corpus):
        dirs.sort()
        for f in sorted(files):
            stem, ext = os.path.splitext(f)
            if stem in want and ext in (".html", ".htm"):
                found[stem] = os.path.join(root, f)
    missing = want - set(found)
    if missing:
        fail(f"no page in {corpus} for {', '.join(sorted(missing))}: give --shared or --corpus")
    return [found[i] for i in ids]


def run_pipeline(args, pages):
    quarry = os.path.join(args.build, "quarry")
    if not os.access(quarry, os.X_OK):
        fail(f"{quarry} is not built: run make, or give --build or --output")
    env = dict(os.environ)
    env["QUARRY_PLUGIN_PATH"] = os.path.join(args.build, "plugins")
    kb = os.path.join(args.build, "plugins", "entity-link", "kb.sqlite")
    if os.path.exists(kb):
        env["QUARRY_ENTITY_LINK_KB"] = kb
    # entity-spot's data files (cue lists, common words) live in the source tree
    data = os.path.join(SRC, "plugins", "entity-spot", "data")
    if not env.get("QUARRY_ENTITY_SPOT_DATA") and os.path.isdir(data):
        env["QUARRY_ENTITY_SPOT_DATA"] = data
    cmd = [quarry, "run", "-q", "-j", "1", "-c", args.config] + \
        [x for s in args.set for x in ("--set", s)] + pages
    p = subprocess.run(cmd, env=env, capture_output=True)
    if p.returncode != 0:
        fail(f"{' '.join(cmd[:6])} ... exited with {p.returncode}:\n{p.stderr.decode(errors='replace')}")
    return [json.loads(l) for l in p.stdout.decode("utf-8").splitlines() if l.strip()]


def predicted(rec):
    text = rec["text"]
    out = []
    for s in rec.get("spans", []):
        if s.get("layer") == "entity" and s.get("label") in LABELS:
            out.append((s["start"], s["end"], text[s["start"]:s["end"]], s["label"]))
    return out


def norm_ws(s):
    return " ".join(s.split())


class Tally:
    def __init__(self):
        self.tp = collections.Counter()
        self.gold = collections.Counter()
        self.pred = collections.Counter()

    def add(self, gold_items, pred_items, label_of):
        g, p = collections.Counter(gold_items), collections.Counter(pred_items)
        for item, n in g.items():
            self.gold[label_of(item)] += n
        for item, n in p.items():
            self.pred[label_of(item)] += n
        for item, n in (g & p).items():
            self.tp[label_of(item)] += n

    def row(self, label=None):
        if label is None:
            tp, g, p = sum(self.tp.values()), sum(self.gold.values()), sum(self.pred.values())
        else:
            tp, g, p = self.tp[label], self.gold[label], self.pred[label]
        prec = tp / p if p else 0.0
        rec = tp / g if g else 0.0
        f1 = 2 * prec * rec / (prec + rec) if prec + rec else 0.0
        return {"gold": g, "predicted": p, "correct": tp,
                "precision": round(prec, 4), "recall": round(rec, 4), "f1": round(f1, 4)}

    def table(self):
        rows = {l: self.row(l) for l in LABELS}
        rows["all"] = self.row()
        return rows


def print_table(title, rows):
    print(title)
    print(f"  {'label':<5} {'gold':>5} {'pred':>5} {'ok':>5} {'P':>6} {'R':>6} {'F1':>6}")
    for l, r in rows.items():
        print(f"  {l:<5} {r['gold']:>5} {r['predicted']:>5} {r['correct']:>5} "
              f"{r['precision']:>6.3f} {r['recall']:>6.3f} {r['f1']:>6.3f}")


def seed_key(s):
    """The seed is tokenized (`Middle East Peace Process ( MEPP`, `Miliband’s`): compare
    without white space and without a final possessive."""
    s = re.sub(r"\s+", "", s)
    return re.sub(r"['\u2019]s$", "", s)


def seed_tags(path):
    raw = html.unescape(re.sub(r"<[^>]+>", "", open(path, encoding="utf-8").read()))
    return [(seed_key(t), l) for l, t in re.findall(r"\[(PER|LOC|ORG|MISC) (.*?) \]", raw, re.S)]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--build", default=os.getcwd(), help="build tree with quarry and plugins/ (default: .)")
    ap.add_argument("--shared", default=os.environ.get("QUARRY_SHARED_DIR", os.path.join(SRC, "..", "shared")))
    ap.add_argument("--corpus", help="folder of cable pages (default: SHARED/corpus/cables)")
    ap.add_argument("--config", default=os.path.join(SRC, "configs", "cables.ini"))
    ap.add_argument("--set", action="append", default=[], metavar="STAGE.KEY=VALUE",
                    help="passed to quarry run")
    ap.add_argument("--gold", default=os.path.join(SRC, "tests", "data", "entity-spot", "gold"))
    ap.add_argument("--output", help="read this pipeline output (JSON Lines) instead of running quarry")
    ap.add_argument("--no-seed", action="store_true", help="skip the seed check")
    ap.add_argument("--json", action="store_true", help="print the numbers as JSON at the end")
    ap.add_argument("--errors", action="store_true", help="list misses and false alarms per document")
    ap.add_argument("--per-doc", action="store_true", help="P/R/F1 of each document (text measure)")
    args = ap.parse_args()
    corpus = args.corpus or os.path.join(args.shared, "corpus", "cables")

    golds = {}
    for f in sorted(os.listdir(args.gold)):
        if f.endswith(".json"):
            g = json.load(open(os.path.join(args.gold, f), encoding="utf-8"))
            golds[g["id"]] = g
    if not golds:
        fail(f"no gold files (*.json) in {args.gold}")
    ids = sorted(golds)
    want_seed = not args.no_seed

    if args.output:
        recs = [json.loads(l) for l in open(args.output, encoding="utf-8") if l.strip()]
    else:
        pages = find_pages(corpus, ids + ([SEED_ID] if want_seed and SEED_ID not in golds else []))
        recs = run_pipeline(args, pages)
    by_id = {r["id"]: r for r in recs}

    exact, text = Tally(), Tally()
    per_doc = {}
    spotted_by = collections.Counter()
    for doc_id in ids:
        g = golds[doc_id]
        rec = by_id.get(doc_id)
        if rec is None:
            fail(f"{doc_id}: not in the pipeline output")
        t = rec["text"]
        if hashlib.sha256(t.encode("utf-8")).hexdigest() != g["text_sha256"]:
            fail(f"{doc_id}: the pipeline's text differs from the text the gold was made on "
                 f"({len(t)} vs {g['text_length']} code points): an earlier stage changed; "
                 "re-resolve the gold (tests/data/entity-spot/gold/README.md)")
        gm = [(m["start"], m["end"], m["text"], m["label"]) for m in g["mentions"]]
        pm = predicted(rec)
        for s in rec.get("spans", []):
            if s.get("layer") == "entity":
                spotted_by[(s.get("attrs") or {}).get("spotted_by", "(none)")] += 1
        g_exact, p_exact = [(a, b, l) for a, b, _, l in gm], [(a, b, l) for a, b, _, l in pm]
        g_text, p_text = [(norm_ws(s), l) for _, _, s, l in gm], [(norm_ws(s), l) for _, _, s, l in pm]
        exact.add(g_exact, p_exact, lambda x: x[2])
        text.add(g_text, p_text, lambda x: x[1])
        one = Tally()
        one.add(g_text, p_text, lambda x: x[1])
        per_doc[doc_id] = one.row()
        if args.errors:
            gs, ps = collections.Counter(g_exact), collections.Counter(p_exact)
            miss = sorted((gs - ps).elements())
            extra = sorted((ps - gs).elements())
            print(f"== {doc_id}: {len(miss)} missed, {len(extra)} false alarms (exact)")
            for a, b, l in miss:
                print(f"  - {l:<4} {t[a:b]!r} @{a}")
            for a, b, l in extra:
                print(f"  + {l:<4} {t[a:b]!r} @{a}")

    total = sum(len(golds[i]["mentions"]) for i in ids)
    print(f"gold: {len(ids)} cables, {total} mentions; predicted spans by spotted_by: "
          + ", ".join(f"{k} {n}" for k, n in sorted(spotted_by.items())))
    results = {"documents": len(ids), "exact": exact.table(), "text": text.table()}
    print_table("exact offsets and label:", results["exact"])
    print_table("per-document (text, label) multiset:", results["text"])
    if args.per_doc:
        print("per document (text, label):")
        for doc_id, r in per_doc.items():
            print(f"  {doc_id:<18} {r['gold']:>5} {r['predicted']:>5} {r['correct']:>5} "
                  f"{r['precision']:>6.3f} {r['recall']:>6.3f} {r['f1']:>6.3f}")
        results["documents_detail"] = per_doc

    if want_seed:
        rec = by_id.get(SEED_ID)
        seed_path = os.path.join(args.shared, "seed", SEED_ID + "-tagged.html")
        if rec is None:
            fail(f"{SEED_ID}: not in the pipeline output (needed for the seed check; --no-seed skips it)")
        if not os.path.exists(seed_path):
            fail(f"{seed_path}: not found: give --shared")
        gold_items = seed_tags(seed_path)
        pred_items = [(seed_key(s), l) for _, _, s, l in predicted(rec)]
        st = Tally()
        st.add(gold_items, pred_items, lambda x: x[1])
        results["seed"] = st.table()
        print_table(f"seed check: raw page {SEED_ID} vs the seed's {len(gold_items)} tags "
                    "((text, label) multiset):", results["seed"])
        if args.errors:
            g, p = collections.Counter(gold_items), collections.Counter(pred_items)
            print("  missed: " + ", ".join(f"{l} {t}" + (f" x{n}" if n > 1 else "") for (t, l), n in sorted((g - p).items())))
            print("  false alarms: " + ", ".join(f"{l} {t}" + (f" x{n}" if n > 1 else "") for (t, l), n in sorted((p - g).items())))

    if args.json:
        print(json.dumps(results, indent=1, sort_keys=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
