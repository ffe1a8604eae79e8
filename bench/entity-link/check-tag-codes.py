#!/usr/bin/env python3
"""check-tag-codes.py: checks the TAGS country codes of the default KB against the corpus.

A cable is nearly always tagged with the code of the country its post is in. For every
corpus cable whose post is a city of plugins/entity-link/data/places.tsv, this takes the
cable's two-letter TAGS and reports whether one of them maps (tag-codes.tsv) to the post's
country, plus the codes seen that the table does not know.

usage: check-tag-codes.py [CORPUS_DIR]   (default ../shared/corpus/cables)
"""
import collections
import glob
import html
import os
import re
import sys

here = os.path.dirname(os.path.abspath(__file__))
data = os.path.join(here, '..', '..', 'plugins', 'entity-link', 'data')
corpus = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, '..', '..', '..', 'shared', 'corpus', 'cables')


def rows(name):
    for line in open(os.path.join(data, name), encoding='utf-8'):
        if line.startswith('#') or not line.strip():
            continue
        yield line.rstrip('\n').split('\t')


codes = {r[0]: r[1] for r in rows('tag-codes.tsv')}
city_country = {}
for r in rows('places.tsv'):
    if len(r) >= 7 and r[5] == 'city' and r[6]:
        city_country[r[0].upper().replace(' ', '').replace('.', '')] = r[6]

agree = total = 0
unknown = collections.Counter()
for path in sorted(glob.glob(os.path.join(corpus, '**', '*.html'), recursive=True)):
    m = re.match(r'\d\d([A-Z]+?)\d+\.html$', os.path.basename(path))
    if not m or m.group(1) not in city_country:
        continue
    text = html.unescape(re.sub(r'<[^>]+>', ' ', open(path, encoding='utf-8', errors='replace').read()))
    t = re.search(r'TAGS:?\s*(.{0,200})', text)
    if not t:
        continue
    tags = set(re.findall(r'\b([A-Z]{2})\b', t.group(1).split('SUBJECT')[0]))
    total += 1
    if any(codes.get(x) == city_country[m.group(1)] for x in tags):
        agree += 1
    else:
        print('no tag for the post country: %s (%s) tags %s' % (os.path.basename(path), city_country[m.group(1)], sorted(tags)))
    unknown.update(x for x in tags if x not in codes)

print('%d of %d cables from a known post carry a TAGS code that maps to the post country (%.1f%%)'
      % (agree, total, 100.0 * agree / max(total, 1)))
print('two-letter TAGS not in tag-codes.tsv (regional and subject codes):', dict(unknown.most_common()))
