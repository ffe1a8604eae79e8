#!/usr/bin/env python3
"""make-tags.py: builds tags.txt, header-parse's TAGS vocabulary, from tags-scheme.txt (written by
hand) and the TAGS the corpus pages link (<a href='/tag/CODE_0.html'>).

usage: make-tags.py [--corpus DIR] [-o tags.txt]

A corpus tag joins the vocabulary when it is a code in form (two or four capitals), is not
two known codes glued together, and at least two pages use it; a one-off is more likely a typo
(POGOV, MOPPS) than a code. Person and free-text tags (JOSEPH, TERRORISM) are never codes.
"""
import argparse, collections, glob, os, re

HERE = os.path.dirname(os.path.abspath(__file__))


def read_scheme(path):
    kinds = {}
    for line in open(path, encoding="utf-8"):
        line = line.split("#", 1)[0].split()
        if not line:
            continue
        kind, codes = line[0], line[1:]
        for c in codes:
            kinds.setdefault(c, kind)
    return kinds


def glued(code, known):
    return any(code[:k] in known and code[k:] in known for k in range(2, len(code) - 1))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corpus", default=os.path.join(HERE, "../../../../shared/corpus/cables"))
    ap.add_argument("-o", "--output", default=os.path.join(HERE, "tags.txt"))
    a = ap.parse_args()

    kinds = read_scheme(os.path.join(HERE, "tags-scheme.txt"))
    pages = sorted(glob.glob(os.path.join(a.corpus, "**", "*.html"), recursive=True))
    uses = collections.Counter()
    for p in pages:
        raw = open(p, encoding="utf-8").read()
        uses.update(set(re.findall(r"href='/tag/([A-Za-z]+)_0\.html'", raw)))
    added = {}
    for code, n in uses.items():
        if code in kinds or n < 2 or not re.fullmatch(r"[A-Z]{2}|[A-Z]{4}", code) or glued(code, kinds):
            continue
        added[code] = "country" if len(code) == 2 else "subject"

    with open(a.output, "w", encoding="utf-8") as f:
        f.write("# tags.txt: the TAGS vocabulary of header-parse: one code a line, a tab, its kind\n"
                "# (subject, program, org, country). Made by make-tags.py from tags-scheme.txt (the State\n"
                "# Department TAGS scheme and FIPS 10-4 country codes, written by hand) and the codes that at\n"
                "# least two of the %d Cablegate corpus pages link as tags (%d of them were not in the\n"
                "# scheme). Do not edit by hand: edit tags-scheme.txt and run make-tags.py again.\n"
                % (len(pages), len(added)))
        for code in sorted(set(kinds) | set(added)):
            f.write("%s\t%s\n" % (code, kinds.get(code) or added[code]))


if __name__ == "__main__":
    main()
