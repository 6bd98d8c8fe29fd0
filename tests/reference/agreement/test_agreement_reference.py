"""Airlock's agreement figures against reference implementations, to 1e-9.

Random ratings (seeded; varying items, annotators, labels, label kinds, prevalence, agreement
and missingness) are written as CSV, run through the command under test (see conftest.py) and
compared with:
  * Krippendorff's alpha: the PyPI `krippendorff` package, nominal / ordinal / interval;
  * Fleiss' kappa: statsmodels' `fleiss_kappa` (on the items Airlock documents it uses);
  * Cohen's kappa: scikit-learn's `cohen_kappa_score`, unweighted, linear and quadratic;
  * percent agreement, per-label specific agreement and one-vs-rest alpha: computed here.
Spans, boxes and polygons are checked against an independent computation here
(collections.Counter, scipy's linear_sum_assignment, and shapely for polygon areas).

AIRLOCK_AGREEMENT_DATASETS sets the number of random datasets (default 400).
"""

import csv
import io
import json
import math
import os
import subprocess
import warnings
from collections import Counter, defaultdict

import krippendorff
import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from shapely.geometry import Polygon
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa

from conftest import SUMMARY, record

TOL = 1e-9
N_DATASETS = int(os.environ.get("AIRLOCK_AGREEMENT_DATASETS", "400"))

TEXT_LABELS = ["neg", "pos", "état", "a,b", 'say "hi"', "Z", "z", "10", "9", "ü-ß", "x y"]
ITEM_FORMS = ["item-{}", "it,em {}", "note «{}»", '"q" {}']
ANNOTATOR_FORMS = ["A{}", 'Dr. "Q" {}', "ann,{}", "注释者{}"]


# ---------------------------------------------------------------------------------------------
# Random datasets


def make_dataset(seed):
    """Returns (rows, kind): rows are (item, annotator, label text) with unique (item, annotator)."""
    rng = np.random.default_rng(seed)
    n_items = int(rng.integers(1, 61))
    n_annotators = int(rng.choice([2, 2, 2, 3, 4, 5, 7]))
    n_labels = int(rng.integers(1, 9))
    kind = str(rng.choice(["text", "int", "float"]))
    design = str(rng.choice(["complete", "missing", "sparse"]))
    p_missing = 0.0 if design != "missing" else float(rng.uniform(0.05, 0.6))
    probs = rng.dirichlet(np.full(n_labels, float(rng.uniform(0.2, 3.0))))
    agree = float(rng.uniform(0.0, 1.0))

    if kind == "text":
        values = list(rng.permutation(TEXT_LABELS)[:n_labels])
        n_labels = len(values)
        probs = probs[:n_labels] / probs[:n_labels].sum()
    elif kind == "int":
        values = sorted(int(v) for v in rng.choice(np.arange(-5, 25), n_labels, replace=False))
    else:
        values = sorted(set(round(float(v), 2) for v in rng.normal(0, 10, n_labels)))
        n_labels = len(values)
        probs = probs[:n_labels] / probs[:n_labels].sum()

    def text_of(v):
        if kind == "int":
            # The same number written three ways: one label at numeric levels, three at nominal.
            return str(rng.choice([str(v), f"{v}.0", f" {v}"]))
        return str(v) if kind == "float" else v

    item_form = ITEM_FORMS[seed % len(ITEM_FORMS)]
    ann_form = ANNOTATOR_FORMS[(seed // 4) % len(ANNOTATOR_FORMS)]
    rows = []
    for i in range(n_items):
        truth = int(rng.choice(n_labels, p=probs))
        if design == "sparse":
            k = int(rng.integers(1, n_annotators + 1))
            raters = set(int(a) for a in rng.choice(n_annotators, k, replace=False))
        else:
            raters = set(range(n_annotators))
        for a in sorted(raters):
            if rng.random() < p_missing:
                continue
            label = truth if rng.random() < agree else int(rng.choice(n_labels, p=probs))
            rows.append((item_form.format(i), ann_form.format(a), text_of(values[label])))
    order = rng.permutation(len(rows))
    return [rows[j] for j in order], kind


def to_csv(rows):
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["item", "annotator", "label"])
    w.writerows(rows)
    return buf.getvalue()


# ---------------------------------------------------------------------------------------------
# Reference computations


def category(text, level):
    """The label identity Airlock uses: trimmed text at nominal level, the number otherwise."""
    return text.strip() if level == "nominal" else float(text)


def by_item(rows, level):
    items = defaultdict(dict)
    for item, annotator, label in rows:
        items[item][annotator] = category(label, level)
    return items


def reliability_matrix(rows, level, codes=None):
    items = by_item(rows, level)
    annotators = sorted({a for _, a, _ in rows})
    item_ids = sorted(items)
    if codes is None:
        labels = sorted({v for ratings in items.values() for v in ratings.values()})
        codes = {v: (v if level != "nominal" else float(k)) for k, v in enumerate(labels)}
    data = np.full((len(annotators), len(item_ids)), np.nan)
    for j, item in enumerate(item_ids):
        for i, a in enumerate(annotators):
            if a in items[item]:
                data[i, j] = codes(items[item][a]) if callable(codes) else codes[items[item][a]]
    return data


def ref_alpha(data, level):
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            v = float(krippendorff.alpha(reliability_data=data, level_of_measurement=level))
    except ValueError:
        return None
    return v if math.isfinite(v) else None


def ref_fleiss(rows, level):
    """statsmodels on the items with the most common rating count (ties: the larger count)."""
    items = by_item(rows, level)
    counts = Counter(len(r) for r in items.values() if len(r) >= 2)
    if not counts:
        return None, 0
    m = max(counts, key=lambda c: (counts[c], c))
    used = [r for r in items.values() if len(r) == m]
    labels = sorted({v for r in used for v in r.values()})
    table = np.array([[list(r.values()).count(c) for c in labels] for r in used])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with np.errstate(all="ignore"):
            v = float(fleiss_kappa(table, method="fleiss"))
    return (v if math.isfinite(v) else None), len(used)


def ref_percent(rows, level):
    items = by_item(rows, level)
    shares = []
    for r in items.values():
        m = len(r)
        if m >= 2:
            c = Counter(r.values())
            shares.append(sum(n * (n - 1) for n in c.values()) / (m * (m - 1)))
    return (sum(shares) / len(shares)) if shares else None


def ref_cohen(rows, level, weights=None):
    annotators = sorted({a for _, a, _ in rows})
    items = by_item(rows, level)
    a, b = annotators
    common = [r for r in items.values() if a in r and b in r]
    if not common:
        return None, 0
    y1 = [r[a] for r in common]
    y2 = [r[b] for r in common]
    if level != "nominal":
        # scikit-learn refuses float targets; ranks keep the numeric order it sorts labels by.
        rank = {v: k for k, v in enumerate(sorted(set(y1 + y2)))}
        y1, y2 = [rank[v] for v in y1], [rank[v] for v in y2]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        v = float(cohen_kappa_score(y1, y2, weights=weights))
    return (v if math.isfinite(v) else None), len(common)


def ref_per_label(rows):
    """Per nominal label: specific agreement and one-vs-rest alpha."""
    items = by_item(rows, "nominal")
    out = {}
    labels = sorted({v for r in items.values() for v in r.values()})
    for c in labels:
        same = sum(n * (n - 1) for r in items.values() if len(r) >= 2 for n in [list(r.values()).count(c)])
        with_c = sum(
            n * (len(r) - 1) for r in items.values() if len(r) >= 2 for n in [list(r.values()).count(c)]
        )
        specific = same / with_c if with_c else None
        binary = reliability_matrix(rows, "nominal", codes=lambda v, c=c: 1.0 if v == c else 0.0)
        out[c] = (specific, ref_alpha(binary, "nominal"))
    return out


# ---------------------------------------------------------------------------------------------
# Running the command under test


def run_report(cmd, tmp_path, text, level):
    path = tmp_path / f"ratings-{level}.csv"
    path.write_text(text, encoding="utf-8")
    proc = subprocess.run(
        cmd + ["--input", str(path), "--level", level, "--format", "json"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def check(metric, rust, reference, context):
    if reference is None:
        assert rust is None, f"{metric}: reference undefined, Airlock gave {rust} ({context})"
        return
    assert rust is not None, f"{metric}: Airlock undefined, reference {reference} ({context})"
    diff = record(metric, rust, reference)
    assert diff <= TOL, f"{metric}: {rust} vs reference {reference} ({context})"


@pytest.mark.parametrize("seed", range(N_DATASETS))
def test_random_dataset_matches_references(seed, report_cmd, tmp_path):
    rows, kind = make_dataset(seed)
    text = to_csv(rows)
    SUMMARY["datasets"] += 1
    levels = ["nominal"] + (["ordinal", "interval"] if kind != "text" else [])
    n_annotators = len({a for _, a, _ in rows})
    for level in levels:
        ctx = f"seed {seed}, level {level}, kind {kind}"
        report = run_report(report_cmd, tmp_path, text, level)
        metrics = report["metrics"]

        data = reliability_matrix(rows, level)
        check(f"krippendorff_alpha[{level}]", report["krippendorff_alpha"], ref_alpha(data, level), ctx)
        pairable = int((np.sum(~np.isnan(data), axis=0) >= 2).sum())
        assert metrics["krippendorff_alpha"]["n_compared"] == pairable, ctx
        assert metrics["krippendorff_alpha"]["n_total"] == data.shape[1], ctx

        fleiss, n_fleiss = ref_fleiss(rows, level)
        check("fleiss_kappa", report["fleiss_kappa"], fleiss, ctx)
        assert metrics["fleiss_kappa"]["n_compared"] == n_fleiss, ctx

        check("percent_agreement", report["percent_agreement"], ref_percent(rows, level), ctx)

        if n_annotators == 2:
            kappa, n_common = ref_cohen(rows, level)
            check("cohen_kappa", report["cohen_kappa"], kappa, ctx)
            assert metrics["cohen_kappa"]["n_compared"] == n_common, ctx
            if level != "nominal":
                for w in ["linear", "quadratic"]:
                    check(f"cohen_kappa[{w}]", metrics["cohen_kappa"][w], ref_cohen(rows, level, w)[0], ctx)
        else:
            assert "cohen_kappa" not in report, ctx

        if level == "nominal":
            ref = ref_per_label(rows)
            got = {entry["label"]: entry for entry in report["per_label"]}
            assert set(got) == set(ref), ctx
            for label, (specific, alpha) in ref.items():
                check("per_label.specific_agreement", got[label]["specific_agreement"], specific, ctx)
                check("per_label.alpha_one_vs_rest", got[label]["alpha_one_vs_rest"], alpha, ctx)


# ---------------------------------------------------------------------------------------------
# Published worked examples, through the command


KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, None, None, None],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, None, 3],
    [None, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, None],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, None],
]


def test_krippendorff_2011_example(report_cmd, tmp_path):
    rows = [
        (f"unit{u}", f"obs{o}", str(v))
        for o, row in enumerate(KRIPPENDORFF_2011)
        for u, v in enumerate(row)
        if v is not None
    ]
    data = np.array([[np.nan if v is None else v for v in row] for row in KRIPPENDORFF_2011], float)
    published = {"nominal": 0.743, "ordinal": 0.815, "interval": 0.849}
    for level, rounded in published.items():
        got = run_report(report_cmd, tmp_path, to_csv(rows), level)["krippendorff_alpha"]
        assert round(got, 3) == rounded, (level, got)
        assert abs(got - ref_alpha(data, level)) <= TOL


def test_fleiss_1971_wikipedia_example(report_cmd, tmp_path):
    table = [
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ]
    rows = []
    for i, counts in enumerate(table):
        rater = 0
        for c, n in enumerate(counts):
            for _ in range(n):
                rows.append((f"s{i}", f"r{rater}", f"cat{c}"))
                rater += 1
    got = run_report(report_cmd, tmp_path, to_csv(rows), "nominal")["fleiss_kappa"]
    assert round(got, 3) == 0.210
    assert abs(got - fleiss_kappa(np.array(table))) <= TOL


def test_sklearn_docstring_example(report_cmd, tmp_path):
    y1 = ["negative", "positive", "negative", "neutral", "positive"]
    y2 = ["negative", "positive", "negative", "neutral", "negative"]
    rows = [(f"i{i}", "A", v) for i, v in enumerate(y1)] + [(f"i{i}", "B", v) for i, v in enumerate(y2)]
    got = run_report(report_cmd, tmp_path, to_csv(rows), "nominal")["cohen_kappa"]
    assert abs(got - 0.6875) <= TOL


# ---------------------------------------------------------------------------------------------
# Bad input through the command: a clear error with the line, never the content


SECRET = "MRN-77812-DOE"


@pytest.mark.parametrize(
    "body, level, expected",
    [
        (f"item,annotator,label\n1,A,x\n{SECRET},A,y\n{SECRET},A,z\n", "nominal", "line 4"),
        (f"item,annotator,label\n1,A,x\n{SECRET},B\n", "nominal", "line 3"),
        (f"item,annotator,label\n1,A,{SECRET}\n", "interval", "line 2"),
        (f"item,annotator,label\n1,,{SECRET}\n", "nominal", "line 2"),
        (f"wrong,header,{SECRET}\n1,A,x\n", "nominal", "header"),
    ],
)
def test_bad_csv_is_refused_without_echoing_it(report_cmd, tmp_path, body, level, expected):
    path = tmp_path / "bad.csv"
    path.write_text(body)
    proc = subprocess.run(
        report_cmd + ["--input", str(path), "--level", level, "--format", "json"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode != 0
    assert expected in proc.stderr.lower()
    assert SECRET not in proc.stderr + proc.stdout


# ---------------------------------------------------------------------------------------------
# Spans and boxes against an independent computation


def ref_spans(reference, candidate, mode):
    labels = sorted({s["label"] for s in reference + candidate})
    matched = 0
    for label in labels:
        r = [s for s in reference if s["label"] == label]
        c = [s for s in candidate if s["label"] == label]
        if mode == "exact":
            matched += sum((Counter((s["start"], s["end"]) for s in r) & Counter((s["start"], s["end"]) for s in c)).values())
        elif r and c:
            adj = np.array([[1.0 if max(x["start"], y["start"]) < min(x["end"], y["end"]) else 0.0 for y in c] for x in r])
            rows, cols = linear_sum_assignment(adj, maximize=True)
            matched += int(adj[rows, cols].sum())
    return matched


def ref_iou(a, b):
    w = min(a["x_max"], b["x_max"]) - max(a["x_min"], b["x_min"])
    h = min(a["y_max"], b["y_max"]) - max(a["y_min"], b["y_min"])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    area = lambda z: (z["x_max"] - z["x_min"]) * (z["y_max"] - z["y_min"])
    return inter / (area(a) + area(b) - inter)


def ref_boxes(reference, candidate, options):
    if not reference or not candidate:
        return 0, 0.0
    w = np.zeros((len(reference), len(candidate)))
    for i, a in enumerate(reference):
        for j, b in enumerate(candidate):
            if options["same_label"] and a["label"] != b["label"]:
                continue
            v = ref_iou(a, b)
            if v >= options["iou_threshold"]:
                w[i, j] = v
    rows, cols = linear_sum_assignment(w, maximize=True)
    picked = w[rows, cols]
    return int((picked > 0).sum()), float(picked.sum())


def test_spans_and_boxes_match_an_independent_computation(geometry_cmd):
    rng = np.random.default_rng(20240611)
    span_cases, box_cases = [], []
    for _ in range(300):
        def spans():
            out = []
            for _ in range(int(rng.integers(0, 25))):
                start = int(rng.integers(0, 200))
                out.append({"start": start, "end": start + int(rng.integers(1, 30)), "label": str(rng.choice(["PER", "LOC", "DATE"]))})
            return out
        reference = spans()
        # The candidate is a perturbed copy plus noise, so that many spans overlap.
        candidate = []
        for s in reference:
            if rng.random() < 0.8:
                start = max(0, s["start"] + int(rng.integers(-3, 4)))
                end = max(start + 1, s["end"] + int(rng.integers(-2, 4)))
                candidate.append({"start": start, "end": end, "label": s["label"] if rng.random() < 0.85 else "LOC"})
        candidate += spans()[: int(rng.integers(0, 5))]
        span_cases.append({"reference": reference, "candidate": candidate, "mode": str(rng.choice(["exact", "overlap"]))})

        def boxes(n):
            out = []
            for _ in range(n):
                x, y = rng.uniform(0, 500, 2)
                w, h = rng.uniform(5, 120, 2)
                out.append({"x_min": float(x), "y_min": float(y), "x_max": float(x + w), "y_max": float(y + h), "label": str(rng.choice(["mass", "cyst"]))})
            return out
        ref_boxes_ = boxes(int(rng.integers(0, 15)))
        cand = []
        for b in ref_boxes_:
            if rng.random() < 0.8:
                d = rng.normal(0, 8, 4)
                cand.append({"x_min": b["x_min"] + d[0], "y_min": b["y_min"] + d[1], "x_max": max(b["x_min"] + d[0], b["x_max"] + d[2]), "y_max": max(b["y_min"] + d[1], b["y_max"] + d[3]), "label": b["label"]})
        cand += boxes(int(rng.integers(0, 4)))
        options = {"iou_threshold": float(rng.choice([0.1, 0.3, 0.5, 0.75])), "same_label": bool(rng.random() < 0.7)}
        box_cases.append({"reference": ref_boxes_, "candidate": cand, "options": options})

    proc = subprocess.run(geometry_cmd, input=json.dumps({"spans": span_cases, "boxes": box_cases}), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)

    for case, got in zip(span_cases, out["spans"]):
        matched = ref_spans(case["reference"], case["candidate"], case["mode"])
        scores = got["scores"]
        assert scores["matched"] == matched, case
        r, c = len(case["reference"]), len(case["candidate"])
        for key, ref in [("precision", matched / c if c else None), ("recall", matched / r if r else None), ("f1", 2 * matched / (r + c) if r + c else None)]:
            check(f"span.{case['mode']}.{key}", scores[key], ref, "spans")
    for case, got in zip(box_cases, out["boxes"]):
        n, total = ref_boxes(case["reference"], case["candidate"], case["options"])
        assert len(got["pairs"]) == n, case
        check("box.total_iou", sum(p["iou"] for p in got["pairs"]), total, "boxes")
        if n:
            check("box.mean_iou", got["mean_iou"], total / n, "boxes")
            for p in got["pairs"]:
                iou = ref_iou(case["reference"][p["reference"]], case["candidate"][p["candidate"]])
                check("box.iou", p["iou"], iou, "boxes")
                check("box.dice", p["dice"], 2 * iou / (1 + iou), "boxes")
        else:
            assert got["mean_iou"] is None


def star_polygon(rng, cx, cy, radius, n):
    """A random simple, usually non-convex polygon: sorted angles with random radii (drawn
    again in the rare case shapely finds it invalid, e.g. a gap of more than half a turn)."""
    while True:
        angles = np.sort(rng.uniform(0, 2 * np.pi, n))
        radii = radius * rng.uniform(0.4, 1.0, n)
        points = [[float(cx + r * np.cos(t)), float(cy + r * np.sin(t))] for t, r in zip(angles, radii)]
        if Polygon(points).is_valid:
            return points


def ref_polygons(reference, candidate, options):
    shapes_r = [Polygon(p["points"]) for p in reference]
    shapes_c = [Polygon(p["points"]) for p in candidate]
    w = np.zeros((len(reference), len(candidate)))
    for i, a in enumerate(shapes_r):
        for j, b in enumerate(shapes_c):
            if options["same_label"] and reference[i]["label"] != candidate[j]["label"]:
                continue
            inter = a.intersection(b).area
            v = inter / (a.area + b.area - inter)
            if v >= options["iou_threshold"]:
                w[i, j] = v
    if not reference or not candidate:
        return 0, 0.0, w
    rows, cols = linear_sum_assignment(w, maximize=True)
    picked = w[rows, cols]
    return int((picked > 0).sum()), float(picked.sum()), w


def test_polygons_match_shapely(geometry_cmd):
    rng = np.random.default_rng(99)
    cases = []
    for _ in range(150):
        reference = []
        for _ in range(int(rng.integers(0, 7))):
            cx, cy = rng.uniform(0, 400, 2)
            reference.append({"points": star_polygon(rng, cx, cy, float(rng.uniform(10, 80)), int(rng.integers(3, 40))), "label": str(rng.choice(["liver", "lesion"]))})
        candidate = []
        for p in reference:
            if rng.random() < 0.85:
                pts = np.array(p["points"])
                centre = pts.mean(axis=0)
                # Shrink or grow about the centre and shift: still simple, overlapping a lot.
                scale = float(rng.uniform(0.7, 1.3))
                moved = (pts - centre) * scale + centre + rng.normal(0, 5, 2)
                candidate.append({"points": moved.tolist(), "label": p["label"]})
        for _ in range(int(rng.integers(0, 3))):
            cx, cy = rng.uniform(0, 400, 2)
            candidate.append({"points": star_polygon(rng, cx, cy, 40.0, int(rng.integers(3, 25))), "label": "liver"})
        options = {"iou_threshold": float(rng.choice([0.1, 0.3, 0.5])), "same_label": bool(rng.random() < 0.7)}
        cases.append({"reference": reference, "candidate": candidate, "options": options})
    for case in cases:
        for p in case["reference"] + case["candidate"]:
            assert Polygon(p["points"]).is_valid, "the generator makes simple polygons only"

    proc = subprocess.run(geometry_cmd, input=json.dumps({"polygons": cases}), capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)["polygons"]
    for case, got in zip(cases, out):
        n, total, w = ref_polygons(case["reference"], case["candidate"], case["options"])
        assert len(got["pairs"]) == n, case
        check("polygon.total_iou", sum(p["iou"] for p in got["pairs"]), total, "polygons")
        for p in got["pairs"]:
            check("polygon.iou", p["iou"], w[p["reference"], p["candidate"]], "polygons")
