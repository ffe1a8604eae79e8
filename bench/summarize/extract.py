#!/usr/bin/env python3
"""extract.py: the cable body of each corpus page as plain text (the last <pre>, tags out,
character references decoded): the summarize benchmark's input when no pipeline is used."""
import glob
import html
import os
import re
import sys

def main():
    corpus, out = sys.argv[1], sys.argv[2]
    os.makedirs(out, exist_ok=True)
    for path in sorted(glob.glob(os.path.join(corpus, '**', '*.html'), recursive=True)):
        with open(path, encoding='utf-8', errors='replace') as f:
            page = f.read()
        pres = re.findall(r'<pre>(.*?)</pre>', page, re.S)
        if not pres:
            continue
        body = html.unescape(re.sub(r'<[^>]+>', '', pres[-1]))
        name = os.path.splitext(os.path.basename(path))[0] + '.txt'
        with open(os.path.join(out, name), 'w', encoding='utf-8') as f:
            f.write(body)

if __name__ == '__main__':
    main()
