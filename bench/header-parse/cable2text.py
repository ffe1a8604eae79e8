#!/usr/bin/env python3
"""cable2text.py: a stand-in for html-strip: a WikiLeaks cable page -> its two <pre> blocks as plain text, plus the meta table as JSON."""
import html, json, re, sys

def page_text(raw):
    pres = re.findall(r'<pre>(.*?)</pre>', raw, re.S)
    parts = []
    for p in pres:
        p = re.sub(r'<[^>]*>', '', p)
        parts.append(html.unescape(p))
    return '\n\n'.join(parts) + '\n'

def page_meta(raw):
    m = re.search(r"<table class='cable'>(.*?)</table>", raw, re.S)
    if not m:
        return None
    cells = [html.unescape(re.sub(r'<[^>]*>', '', c)).strip()
             for c in re.findall(r'<td>(.*?)</td>', m.group(1), re.S)]
    if len(cells) < 5:
        return None
    return {"reference_id": cells[0], "created": cells[1], "released": cells[2],
            "classification": cells[3], "origin": cells[4]}

if __name__ == '__main__':
    raw = open(sys.argv[1], encoding='utf-8').read()
    if len(sys.argv) > 2 and sys.argv[2] == '--meta':
        print(json.dumps(page_meta(raw)))
    else:
        sys.stdout.write(page_text(raw))
