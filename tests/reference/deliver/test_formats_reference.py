"""Airlock's label export formats against independent readers and a second implementation.

Random inputs (seeded) are written as JSON, run through the command under test (see
conftest.py) and checked:
  * CoNLL BIO: byte-for-byte against a second implementation here of the rules documented
    in crates/deliver/src/formats/conll.rs (tokens are Python `re.findall(r"\\w+|[^\\w\\s]+")`,
    one sentence per line, spans snapped to overlapping tokens, earliest-then-longest wins
    on overlap, B- restart after a line break), the dropped-span list, and IOB2 validity;
  * COCO: loaded with pycocotools; polygon masks rasterised by pycocotools agree with the
    written area; COCOeval of the ground truth against itself gives AP 1.0 for boxes
    (bbox) and for polygons (segm);
  * CSV: read back with Python's csv module (RFC 4180 quoting, CRLF);
  * JSONL: every line parses and carries the input's labels.

AIRLOCK_DELIVER_DATASETS sets the number of random datasets (default 150).
"""

import contextlib
import csv
import io
import json
import math
import os
import random
import re
import subprocess

import pytest
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval

N_DATASETS = int(os.environ.get("AIRLOCK_DELIVER_DATASETS", "150"))

WORDS = ["Patient", "seen", "by", "Dr", "O'Neil's", "naïve", "café_2", "注释", "BP", "120/80",
         "...", "):", "🙂", "x", "Straße", "2026-11-20", "a,b", '"q"', "ID#4471", "_", "ü"]
GAPS = [" ", " ", " ", "  ", "\t", "\n", " \n\n", "\r\n", "\r", "\u00a0"]
LABELS = ["NAME", "DATE", "ID", "LOC", "É-TAG"]
TOKEN = re.compile(r"\w+|[^\w\s]+")


def random_text(rng):
    parts = []
    for _ in range(rng.randint(0, 25)):
        parts.append(rng.choice(WORDS))
        parts.append(rng.choice(GAPS))
    if parts and rng.random() < 0.5:
        parts.pop()
    return rng.choice(["", " ", "\n"]) + "".join(parts)


def random_spans(rng, text):
    spans = []
    n = len(text)
    if n == 0:
        return spans
    for _ in range(rng.randint(0, 8)):
        start = rng.randrange(n)
        end = rng.randint(start + 1, min(n, start + 30))
        spans.append({"start": start, "end": end, "label": rng.choice(LABELS)})
    return spans


def conll_reference(documents):
    """A second implementation of the documented CoNLL rules."""
    out = []
    dropped = []
    for d_index, doc in enumerate(documents, start=1):
        text = doc["text"]
        toks = [(m.start(), m.end()) for m in TOKEN.finditer(text)]
        new_line = [False] * len(toks)
        for k in range(1, len(toks)):
            gap = text[toks[k - 1][1]:toks[k][0]]
            new_line[k] = "\n" in gap or "\r" in gap
        cands = []
        for j, s in enumerate(doc["spans"], start=1):
            cover = [k for k, (a, b) in enumerate(toks) if b > s["start"] and a < s["end"]]
            if not cover:
                dropped.append((d_index, j, "no_token"))
                continue
            cands.append((cover[0], cover[-1], s["label"], j))
        cands.sort(key=lambda c: (c[0], -(c[1] - c[0]), c[2], c[3]))
        tags = ["O"] * len(toks)
        for first, last, label, j in cands:
            if any(t != "O" for t in tags[first:last + 1]):
                dropped.append((d_index, j, "overlap"))
                continue
            for k in range(first, last + 1):
                tags[k] = ("B-" if k == first or new_line[k] else "I-") + label
        out.append("-DOCSTART- %s\n\n" % doc["doc_id"])
        for k, (a, b) in enumerate(toks):
            if new_line[k]:
                out.append("\n")
            out.append("%s %s\n" % (text[a:b], tags[k]))
        if toks:
            out.append("\n")
    return "".join(out), dropped


def check_iob2(conll):
    prev = "O"
    for line in conll.split("\n"):
        if not line or line.startswith("-DOCSTART-"):
            prev = "O"
            continue
        token, tag = line.split(" ")
        assert token and not any(c.isspace() for c in token)
        if tag.startswith("I-"):
            assert prev[2:] == tag[2:] and prev != "O", "I- must continue a span: %r" % line
        prev = tag


def random_polygon(rng, w, h):
    cx, cy = rng.uniform(w * 0.2, w * 0.8), rng.uniform(h * 0.2, h * 0.8)
    n = rng.randint(3, 9)
    angles = sorted(rng.uniform(0, 2 * math.pi) for _ in range(n))
    # Star-shaped around (cx, cy), so simple; keep a minimum spread so it has an area.
    angles = [a + i * 1e-3 for i, a in enumerate(angles)]
    if max(b - a for a, b in zip(angles, angles[1:] + [angles[0] + 2 * math.pi])) > math.pi * 0.9:
        angles = [i * 2 * math.pi / n for i in range(n)]
    r = min(w, h) * 0.18
    return [[round(cx + rng.uniform(0.4, 1) * r * math.cos(a), 1),
             round(cy + rng.uniform(0.4, 1) * r * math.sin(a), 1)] for a in angles]


def polygon_area(pts):
    return abs(sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(pts, pts[1:] + pts[:1]))) / 2


def random_dataset(rng):
    documents = []
    for i in range(rng.randint(1, 6)):
        text = random_text(rng)
        documents.append({"doc_id": "doc-%d" % i, "text": text, "spans": random_spans(rng, text)})
    categories = [["lesion", "finding"], ["device", ""], ["nodule", "finding"]]
    images = []
    for i in range(rng.randint(1, 5)):
        w, h = rng.randint(64, 400), rng.randint(64, 400)
        shapes = []
        for _ in range(rng.randint(0, 5)):
            cat = rng.choice(categories)[0]
            if rng.random() < 0.5:
                x, y = rng.uniform(0, w * 0.6), rng.uniform(0, h * 0.6)
                geom = {"type": "box", "x": round(x, 2), "y": round(y, 2),
                        "width": round(rng.uniform(4, w * 0.4), 2),
                        "height": round(rng.uniform(4, h * 0.4), 2)}
            else:
                geom = {"type": "polygon", "points": random_polygon(rng, w, h)}
            shapes.append({"category": cat, "geometry": geom,
                           "annotator": rng.choice([None, "A1", "A2"]), "gold": rng.random() < 0.5})
        images.append({"item_id": "img-%d" % i, "file_name": "items/img-%d.png" % i,
                       "width": w, "height": h, "shapes": shapes})
    rows = []
    for i in range(rng.randint(0, 8)):
        rows.append({"item_id": "item-%d" % i,
                     "file": rng.choice([None, "items/a,b.txt", "items/x.txt"]),
                     "annotator": rng.choice([None, "A1", 'Dr "Q"']), "gold": rng.random() < 0.5,
                     "label": rng.choice(["pos", "neg", "a,b", 'say "hi"', "line\nbreak", "ü-ß"])})
    records = []
    for d in documents:
        labels = [{"value": dict(kind="span", **s), "annotator": "A1", "gold": False}
                  for s in d["spans"]]
        records.append({"item_id": d["doc_id"], "file": None, "labels": labels})
    for img in images:
        labels = [{"value": {"kind": "shape", "category": s["category"], "geometry": s["geometry"]},
                   "annotator": s["annotator"], "gold": s["gold"]} for s in img["shapes"]]
        records.append({"item_id": img["item_id"], "file": img["file_name"], "labels": labels})
    for r in rows:
        records.append({"item_id": r["item_id"], "file": r["file"],
                        "labels": [{"value": {"kind": "class", "label": r["label"]},
                                    "annotator": r["annotator"], "gold": r["gold"]}]})
    return {"records": records, "documents": documents,
            "coco": {"categories": categories, "images": images}, "rows": rows}


def run(cmd, data, tmp_path):
    inp = tmp_path / "input.json"
    inp.write_text(json.dumps(data))
    out = tmp_path / "out"
    subprocess.run(cmd + [str(inp), str(out)], check=True)
    return out


def check_coco(path, data):
    with contextlib.redirect_stdout(io.StringIO()):
        coco = COCO(str(path))
    images = data["coco"]["images"]
    assert len(coco.getImgIds()) == len(images)
    assert [c["name"] for c in coco.loadCats(coco.getCatIds())] == ["lesion", "device", "nodule"]
    anns = coco.loadAnns(coco.getAnnIds())
    shapes = [s for img in images for s in img["shapes"]]
    assert len(anns) == len(shapes)
    for a, s in zip(anns, shapes):
        img = coco.loadImgs(a["image_id"])[0]
        assert img["item_id"] == images[a["image_id"] - 1]["item_id"]
        assert coco.loadCats(a["category_id"])[0]["name"] == s["category"]
        g = s["geometry"]
        if g["type"] == "box":
            assert a["bbox"] == [g["x"], g["y"], g["width"], g["height"]]
            assert a["segmentation"] == []
            assert math.isclose(a["area"], g["width"] * g["height"], rel_tol=1e-12)
        else:
            pts = g["points"]
            xs, ys = [p[0] for p in pts], [p[1] for p in pts]
            assert a["bbox"] == pytest.approx([min(xs), min(ys), max(xs) - min(xs), max(ys) - min(ys)])
            assert math.isclose(a["area"], polygon_area(pts), rel_tol=1e-9)
            mask = coco.annToMask(a)
            perimeter = sum(math.dist(p, q) for p, q in zip(pts, pts[1:] + pts[:1]))
            assert abs(int(mask.sum()) - a["area"]) <= perimeter + 4, "rasterised area agrees"
        assert a["iscrowd"] == 0
    for iou_type, kind in (("bbox", None), ("segm", "polygon")):
        chosen = [a for a in anns if kind is None or a["attributes"]["shape"] == kind]
        if not chosen:
            continue
        gt = coco
        if kind:
            gt_data = json.loads(path.read_text())
            gt_data["annotations"] = [a for a in gt_data["annotations"]
                                      if a["attributes"]["shape"] == kind]
            with contextlib.redirect_stdout(io.StringIO()):
                gt = COCO()
                gt.dataset = gt_data
                gt.createIndex()
        dets = []
        for a in chosen:
            d = {"image_id": a["image_id"], "category_id": a["category_id"], "score": 1.0}
            if iou_type == "bbox":
                d["bbox"] = a["bbox"]
            else:
                d["segmentation"] = gt.annToRLE(a)
            dets.append(d)
        with contextlib.redirect_stdout(io.StringIO()):
            res = gt.loadRes(dets)
            e = COCOeval(gt, res, iou_type)
            e.evaluate()
            e.accumulate()
            e.summarize()
        assert e.stats[0] == pytest.approx(1.0), "%s AP of the ground truth against itself" % iou_type


def check_csv(path, rows):
    raw = path.read_bytes().decode("utf-8")
    assert raw.endswith("\r\n")
    got = list(csv.reader(io.StringIO(raw, newline="")))
    assert got[0] == ["item_id", "file", "annotator", "gold", "label"]
    want = [[r["item_id"], r["file"] or "", r["annotator"] or "", "true" if r["gold"] else "false",
             r["label"]] for r in rows]
    assert got[1:] == want


def check_jsonl(path, records):
    lines = path.read_text(encoding="utf-8").split("\n")
    assert lines[-1] == ""
    assert len(lines) - 1 == len(records)
    for line, rec in zip(lines, records):
        got = json.loads(line)
        assert list(got) == ["item_id", "file", "labels"]
        assert got["item_id"] == rec["item_id"] and got["file"] == rec["file"]
        assert len(got["labels"]) == len(rec["labels"])
        for g, want in zip(got["labels"], rec["labels"]):
            v = want["value"]
            assert g["annotator"] == want["annotator"] and g["gold"] == want["gold"]
            if v["kind"] == "class":
                assert (g["type"], g["label"]) == ("class", v["label"])
            elif v["kind"] == "span":
                assert (g["type"], g["start"], g["end"], g["label"]) == ("span", v["start"], v["end"], v["label"])
            else:
                geom = v["geometry"]
                assert g["type"] == geom["type"] and g["category"] == v["category"]
                if geom["type"] == "box":
                    assert [g[k] for k in ("x", "y", "width", "height")] == [geom[k] for k in ("x", "y", "width", "height")]
                else:
                    assert g["points"] == geom["points"]


@pytest.mark.parametrize("seed", range(N_DATASETS))
def test_formats_agree_with_references(seed, formats_cmd, tmp_path):
    rng = random.Random(seed)
    data = random_dataset(rng)
    out = run(formats_cmd, data, tmp_path)
    conll = (out / "spans.conll").read_text(encoding="utf-8")
    want, dropped = conll_reference(data["documents"])
    assert conll == want
    check_iob2(conll)
    report = json.loads((out / "report.json").read_text())
    assert [(d["document"], d["span"], d["reason"]) for d in report["conll"]["dropped"]] == dropped
    check_coco(out / "coco.json", data)
    check_csv(out / "classes.csv", data["rows"])
    check_jsonl(out / "labels.jsonl", data["records"])
