#!/usr/bin/env python3
"""scripted.py: a test co-process whose reply depends on the document id (test-exec.c).

Offsets come from Python's own string functions on the text it was sent, so the test
checks Quarry's code-point arithmetic against an independent one.
"""
import json
import sys


def word(text, w, layer="word", label="W"):
    i = text.index(w)
    return {"layer": layer, "label": label, "start": i, "end": i + len(w), "attrs": {"word": w}}


def reply(req):
    doc_id, text = req["id"], req["text"]
    kind = doc_id.split("-")[0]
    if kind == "span":        # every word of the request's 'find' list
        return {"spans": [word(text, w) for w in ("Москва", "Lavrov")], "id": doc_id}
    if kind == "edit":        # a span, then an edit before it: the span must move
        return {"spans": [word(text, "Lavrov")],
                "edits": [{"start": text.index("é"), "end": text.index("é") + 1, "text": "e\u0301 (accent)"}]}
    if kind == "fields":
        return {"fields": {"probe": {"chars": len(text), "seen": sorted(req["fields"])}},
                "diagnostics": [{"level": "warning", "code": "probe-note", "message": "seen",
                                 "start": text.index("Lavrov")}]}
    if kind == "echo":        # the spans it was sent, as a new layer
        return {"spans": [{"layer": "word", "label": s["label"], "start": s["start"], "end": s["end"],
                           "attrs": {"from": s["layer"], "text": text[s["start"]:s["end"]]}}
                          for s in req["spans"]]}
    # bad replies, each with a good span first: none of it may be applied
    good = word(text, "Lavrov")
    if kind == "pastend":
        return {"spans": [good, {"layer": "word", "start": 0, "end": len(text) + 1}]}
    if kind == "undeclared":
        return {"spans": [good], "fields": {"other": {"x": 1}}}
    if kind == "badlayer":
        return {"spans": [good, {"layer": "sentence", "start": 0, "end": 1}]}
    if kind == "overlap":
        return {"spans": [good], "edits": [{"start": 0, "end": 4, "text": "a"}, {"start": 2, "end": 6, "text": "b"}]}
    if kind == "typo":
        return {"spans": [good], "span": []}
    if kind == "wrongid":
        return {"spans": [good], "id": "someone-else"}
    if kind == "notjson":
        return None
    return {}


for raw in sys.stdin.buffer:
    r = reply(json.loads(raw))
    sys.stdout.write("{\"spans\": [" if r is None else json.dumps(r) + "\n")
    if r is None:
        sys.stdout.write("\n")
    sys.stdout.flush()
