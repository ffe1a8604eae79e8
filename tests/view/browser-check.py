#!/usr/bin/env python3
"""browser-check.py: `quarry view` pages as a browser renders them.

Runs the default pipeline on the seed page and on a hostile record, renders the page with
`quarry view`, loads it in headless Chromium, and reads the rendered DOM (--dump-dom):
every entity span of the records must be one <mark> whose text is the span's text (cut
here by code points from the record, not by the program), the hostile record's markup
must show as text (no element, no script run), and the page must fetch nothing. Takes a
screenshot and prints its path.

usage: tests/view/browser-check.py BUILD SHARED OUTDIR
  BUILD   the build tree (quarry, plugins/)   SHARED  ../shared (the seed)
  OUTDIR  where the page, the DOM and the screenshot go
"""
import html.parser
import json
import os
import shutil
import subprocess
import sys


class Marks(html.parser.HTMLParser):
    """Collects the text of every <mark> (nested marks: each gets its whole text)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open = []      # marks being read: [id, text parts]
        self.marks = []     # (id, text) in document order of their start
        self.scripts = 0
        self.bolds = 0
        self.title = ''
        self.in_title = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'mark' and (a.get('id') or '').startswith('m'):
            entry = [a['id'], []]
            self.marks.append(entry)
            self.open.append(entry)
        elif tag == 'script':
            self.scripts += 1
        elif tag == 'b':
            self.bolds += 1
        elif tag == 'title':
            self.in_title = True

    def handle_endtag(self, tag):
        if tag == 'mark' and self.open:
            self.open.pop()
        elif tag == 'title':
            self.in_title = False

    def handle_data(self, data):
        for entry in self.open:
            entry[1].append(data)
        if self.in_title:
            self.title += data


def fail(msg):
    print('browser-check: FAIL: ' + msg, file=sys.stderr)
    sys.exit(1)


def main():
    if len(sys.argv) != 4:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    build, shared, outdir = sys.argv[1:]
    os.makedirs(outdir, exist_ok=True)
    quarry = os.path.join(build, 'quarry')
    seed = os.path.join(shared, 'seed', '09MOSCOW2734-tagged.html')
    src = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    env = dict(os.environ,
               QUARRY_PLUGIN_PATH=os.path.join(build, 'plugins'),
               QUARRY_CONFIG_DIR=os.path.join(src, 'configs'),
               QUARRY_ENTITY_LINK_KB=os.path.join(build, 'plugins', 'entity-link', 'kb.sqlite'),
               QUARRY_ENTITY_SPOT_DATA=os.path.join(src, 'plugins', 'entity-spot', 'data'),
               QUARRY_HEADER_PARSE_DATA=os.path.join(src, 'plugins', 'header-parse', 'data'))
    records = os.path.join(outdir, 'records.jsonl')
    subprocess.run([quarry, 'run', '-q', '-o', records, seed], env=env, check=True)

    # a hostile record: markup, quotes and a script in the text and in every string the
    # page shows (id, label, attributes, header fields)
    evil = '<script>document.title="pwned"</script><b>bold</b> & "q" \'a\' Ωmega <img src=x onerror=alert(1)>'
    text = 'Pre ' + evil + ' post é ' + evil
    rec = {'id': 'evil<script>x</script>', 'text': text,
           'fields': {'header': {'subject': evil}},
           'spans': [{'layer': 'entity', 'label': 'PER"><b>', 'start': 4, 'end': 4 + len(evil),
                      'attrs': {'spotted_by': evil}},
                     {'layer': 'entity', 'label': 'LOC', 'start': text.index('post'), 'end': text.index('post') + 6}],
           'entities': [], 'summary': None, 'diagnostics': [{'level': 'info', 'stage': 'x', 'code': 'c', 'message': evil}]}
    with open(records, 'a', encoding='utf-8') as f:
        f.write(json.dumps(rec, ensure_ascii=False) + '\n')

    page = os.path.join(outdir, 'view.html')
    subprocess.run([quarry, 'view', '-o', page, '--layers', 'entity,paragraph,sentence', records], check=True)

    chromium = shutil.which('chromium') or shutil.which('chromium-browser')
    if chromium is None:
        fail('chromium is not installed (apt-get install chromium)')
    flags = [chromium, '--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars',
             '--disable-dev-shm-usage', '--no-first-run', '--window-size=1400,1000']
    url = 'file://' + os.path.abspath(page)
    dom = subprocess.run(flags + ['--dump-dom', url], check=True, capture_output=True, timeout=120).stdout.decode('utf-8')
    with open(os.path.join(outdir, 'view.dom.html'), 'w', encoding='utf-8') as f:
        f.write(dom)
    shot = os.path.join(outdir, 'view.png')
    subprocess.run(flags + ['--screenshot=' + shot, url], check=True, capture_output=True, timeout=120)

    parser = Marks()
    parser.feed(dom)
    if parser.title.startswith('pwned') or 'pwned' in parser.title:
        fail('a record ran a script')
    if parser.bolds != 0:
        fail('a record made a <b> element')
    if parser.scripts != 1:
        fail('%d script elements in the page, expected the page\'s own one' % parser.scripts)
    if 'onerror' in dom.split('<main>')[0]:
        fail('markup from a record in the head')

    # the oracle: each record's entity spans, cut by code points, in start order; the
    # page numbers the marks of record R as mR-K in the same order
    got = {mid: ''.join(parts) for mid, parts in parser.marks}
    checked = 0
    with open(records, encoding='utf-8') as f:
        for r, line in enumerate(f):
            rec = json.loads(line)
            spans = sorted((s for s in rec['spans'] if s['layer'] == 'entity' and s['end'] > s['start']),
                           key=lambda s: (s['start'], -s['end']))
            for k, s in enumerate(spans):
                mid = 'm%d-%d' % (r, k)
                want = rec['text'][s['start']:s['end']]
                if got.get(mid) != want:
                    fail('record %s mention %d: the page shows %r, the span is %r' % (rec['id'], k, got.get(mid), want))
                checked += 1
    if checked != len(got):
        fail('%d marks on the page, %d entity spans in the records' % (len(got), checked))
    if checked < 150:
        fail('only %d mentions checked: the seed has 171 tags' % checked)
    print('browser-check: ok: %d mentions, each one <mark> with its span\'s text; hostile record inert; '
          'screenshot %s' % (checked, shot))


if __name__ == '__main__':
    main()
