#!/usr/bin/env python3
"""date_layer.py: a Quarry exec stage in Python (standard library only): a `date` layer
for dates written as cables write them.

Forms found (month names in full or abbreviated, Title Case or CAPITALS, an optional
period after an abbreviation, an optional ordinal suffix after a day):
  Nov 4 / November 4, 2009 / NOV. 4TH     month-day, with or without a year
  4 November / 4 Nov 2009                 day-month, with or without a year
  11/04/2009 / 11/4/09                    numeric, month/day/year (US order)
  2009 NOV 04                             year-month-day (cable date lines)
A day that the month does not have (Feb 30, 13/01/2009) is not a date.

Protocol (`quarry inspect exec`): one JSON request per line on stdin, one JSON reply
per line on stdout; offsets count code points, so text[start:end] is the date.
"""
import calendar
import json
import re
import sys

MONTHS = ["January", "February", "March", "April", "May", "June", "July",
          "August", "September", "October", "November", "December"]
NAMES = {}
for number, name in enumerate(MONTHS, 1):
    for form in {name, name[:3], "Sept" if number == 9 else name[:3]}:
        NAMES[form] = number
        NAMES[form.upper()] = number
# longest first, so "November" is not cut to "Nov"
MONTH = "(?:" + "|".join(sorted(NAMES, key=len, reverse=True)) + ")"
DAY = r"(?:[0-3]?\d)(?:st|nd|rd|th|ST|ND|RD|TH)?"

FORMS = [
    ("year-month-day", rf"(?P<y1>\d{{4}})\s+(?P<m1>{MONTH})\.?\s+(?P<d1>{DAY})"),
    ("numeric", r"(?P<m2>[01]?\d)/(?P<d2>[0-3]?\d)/(?P<y2>\d{4}|\d{2})"),
    ("month-day", rf"(?P<m3>{MONTH})\.?\s+(?P<d3>{DAY})(?:,?\s+(?P<y3>\d{{4}}))?"),
    ("day-month", rf"(?P<d4>{DAY})\s+(?P<m4>{MONTH})\.?(?:,?\s+(?P<y4>\d{{4}}))?"),
]
PATTERN = re.compile("|".join(rf"(?P<f{i}>\b{rx}\b)" for i, (_, rx) in enumerate(FORMS)), re.ASCII)


def number(text):
    return int(re.match(r"\d+", text).group())


def find_dates(text):
    spans = []
    for m in PATTERN.finditer(text):
        i = next(k for k in range(len(FORMS)) if m.group(f"f{k}") is not None)
        form = FORMS[i][0]
        g = {key[0]: value for key, value in m.groupdict().items()
             if value is not None and key[0] in "ymd" and key[1:] == str(i + 1)}
        month = int(g["m"]) if form == "numeric" else NAMES[g["m"]]
        day = number(g["d"])
        year = g.get("y")
        if year is not None:
            year = int(year) + (2000 if int(year) < 50 else 1900) if len(year) == 2 else int(year)
        # the longest the month can be (a year unknown: February may have 29 days)
        last = calendar.monthrange(year if year else 2000, month)[1] if 1 <= month <= 12 else 0
        if not 1 <= day <= last:
            continue
        # ISO 8601: 2009-11-04, or --11-04 for a month and day without a year
        iso = f"{year:04d}-{month:02d}-{day:02d}" if year else f"--{month:02d}-{day:02d}"
        spans.append({"layer": "date", "label": "DATE", "start": m.start(), "end": m.end(),
                      "attrs": {"form": form, "year": year, "month": month, "day": day, "iso": iso}})
    return spans


def main():
    for line in sys.stdin.buffer:
        request = json.loads(line)
        reply = {"spans": find_dates(request["text"])}
        sys.stdout.write(json.dumps(reply, separators=(",", ":")) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
