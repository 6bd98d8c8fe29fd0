"""Reference checks of Airlock's DICOM de-identification over real DICOM files.

Runs the crate's example binary (`deid_dicom`) over every fixture fetched by fetch.py,
then checks each output independently of the Rust code:

* it parses with pydicom (every element read) and with dcmtk's `dcmdump`;
* no original value of an attribute the profile alters (Table E.1-1 action other than K,
  private attributes, overlays) survives anywhere in the output bytes, sequences included;
* every UID with action U equals HMAC-SHA256(project key, UID) as a 2.25 UID (an
  independent implementation of the mapping), at the same path, so references inside
  sequences and the file meta stay consistent; studies map one-to-one;
* pixel data is byte-identical and the transfer syntax kept (no cleaning was asked for);
* the de-identification markers are present.

Needs: AIRLOCK_DICOM_FIXTURES (see fetch.py), AIRLOCK_DEID_DICOM_BIN (the built example,
e.g. target/debug/examples/deid_dicom), pydicom, and dcmdump on PATH. With AIRLOCK_CLI set
to the built `airlock` binary, the same checks run on the product command
`airlock deid dicom --key-file K --log L IN OUT` instead (its log starts with a header line
and names a skipped file's reason `reason`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import pathlib
import re
import shutil
import subprocess
import tempfile

import pydicom
import pytest
from pydicom.tag import Tag

ROOT = pathlib.Path(__file__).resolve().parents[3]
FIXTURES = os.environ.get("AIRLOCK_DICOM_FIXTURES")
CLI = os.environ.get("AIRLOCK_CLI")
BINARY = os.environ.get("AIRLOCK_DEID_DICOM_BIN") or CLI
KEY = bytes(range(32))

# Fixtures that must fail with a clear error (broken on purpose, or not images).
EXPECTED_FAILURES = {
    "pydicom/MR_truncated.dcm",          # truncated pixel data
    "pydicom/rtplan_truncated.dcm",      # truncated sequence
    "pydicom/SC_rgb_jpeg.dcm",           # implicit VR data set under an explicit TS (dcmdump fails too)
    "pydicom/UN_sequence.dcm",           # UN of undefined length (CP-246)
    "pydicom/no_meta.dcm",               # starts with a stray byte
    "pydicom/meta_missing_tsyntax.dcm",  # data set of illegal group 0001 only
    "pydicom/empty_charset_LEI.dcm",     # no SOP Class UID
    "pydicom/nested_priv_SQ.dcm",        # no SOP Class UID
    "pydicom-data/emri_small_jpeg_2k_lossless_too_short.dcm",  # truncated
    "pydicom/dicomdirtests/DICOMDIR-empty.dcm",  # DICOMDIRs are refused (offsets)
}

pytestmark = pytest.mark.skipif(
    not FIXTURES or not BINARY,
    reason="set AIRLOCK_DICOM_FIXTURES (tests/reference/dicom/fetch.py) and AIRLOCK_DEID_DICOM_BIN",
)


def table() -> dict[int, str]:
    """Tag -> Basic Profile code, read from the generated Rust table."""
    text = (ROOT / "crates/deid-dicom/src/table.rs").read_text()
    rows = re.findall(r"tag: 0x([0-9A-F]{8}),\s*name: \"[^\"]*\",\s*basic: A::(\w+)", text)
    assert len(rows) > 600, "the table parsed"
    return {int(t, 16): c for t, c in rows}


TABLE = table()


def uid_for(uid: str) -> str:
    """Independent implementation of ProjectKey::uid_for."""
    mac = hmac.new(KEY, digestmod=hashlib.sha256)
    for part in (b"uid", uid.encode()):
        mac.update(len(part).to_bytes(8, "little"))
        mac.update(part)
    b = bytearray(mac.digest()[:16])
    b[6] = (b[6] & 0x0F) | 0x80
    b[8] = (b[8] & 0x3F) | 0x80
    return "2.25." + str(int.from_bytes(b, "big"))


def altered(tag: Tag) -> bool:
    """True when the basic profile must not keep this attribute's original value."""
    if tag.is_private:
        return True
    if 0x6000 <= tag.group <= 0x601E and tag.group % 2 == 0:
        return True
    if 0x5000 <= tag.group <= 0x50FF:
        return True
    return TABLE.get(int(tag), "K") != "K"


def walk(ds, prefix=""):
    """(path, element) for every element, sequences included, with item indices."""
    for elem in ds:
        path = f"{prefix}({elem.tag.group:04X},{elem.tag.element:04X})"
        yield path, elem, ds
        if elem.VR == "SQ" and elem.value is not None:
            for i, item in enumerate(elem.value):
                yield from walk(item, f"{path}[{i}].")


# Airlock's own dummy values (an original equal to one is not a leak).
DUMMIES = {"ANONYMIZED", "19000101", "19000101000000", "000000"}


def phi_values(ds) -> set[bytes]:
    """Original values of altered attributes (text of 4+ characters), as bytes."""
    out: set[bytes] = set()
    for _, elem, _ in walk(ds):
        if elem.VR in ("SQ", "OB", "OW", "OF", "OD", "OL", "OV", "UN") or not altered(elem.tag):
            continue
        values = elem.value if isinstance(elem.value, (list, pydicom.multival.MultiValue)) else [elem.value]
        for v in values:
            s = str(v).strip().strip("\x00")
            if len(s) < 4 or s in DUMMIES:
                continue
            if s.isdigit() and len(s) < 6:
                continue  # short numbers occur by chance in binary values
            out.add(s.encode("latin-1", "ignore"))
    return out


def kept_values(ds) -> set[bytes]:
    """Values of attributes the profile keeps (a PHI candidate equal to one is no leak)."""
    out: set[bytes] = set()
    for _, elem, _ in walk(ds):
        if elem.VR == "SQ" or altered(elem.tag) or elem.VR in ("OB", "OW", "UN"):
            continue
        out.add(str(elem.value).encode("latin-1", "ignore"))
    return out


@pytest.fixture(scope="module")
def run():
    src = pathlib.Path(FIXTURES)
    out = pathlib.Path(tempfile.mkdtemp(prefix="airlock-dicom-"))
    inputs = sorted(p for p in src.rglob("*.dcm"))
    log = out / "log.jsonl"
    if CLI:
        key = out / "project.key"
        key.write_text(KEY.hex())
        subprocess.run([CLI, "deid", "dicom", "--key-file", str(key), "--log", str(log), str(src), str(out / "o")],
                       stdout=subprocess.DEVNULL)
        entries = []
        for line in log.read_text().splitlines():
            e = json.loads(line)
            if e.get("type") == "header":
                continue
            if e.get("type") == "skipped":
                e["error"] = e["reason"]
            entries.append(e)
    else:
        subprocess.run([BINARY, "--key", KEY.hex(), "--log", str(log), str(src), str(out / "o")])
        entries = [json.loads(line) for line in log.read_text().splitlines()]
    # The binary walks the tree sorted by path; MANIFEST.sha256 is not DICOM.
    files = sorted(p for p in src.rglob("*") if p.is_file())
    results = {}
    for path, entry in zip(files, entries):
        rel = path.relative_to(src).as_posix()
        if rel.endswith(".dcm"):
            results[rel] = (path, out / "o" / rel, entry)
    assert len(results) == len(inputs)
    yield results
    shutil.rmtree(out)


def test_expected_files_succeed_and_broken_ones_fail_clearly(run):
    failed = {rel for rel, (_, _, e) in run.items() if "error" in e}
    assert failed == EXPECTED_FAILURES
    for rel in failed:
        msg = run[rel][2]["error"]
        assert msg and "\n" not in msg, "one clear sentence"


def ok_items(run):
    return [(rel, i, o, e) for rel, (i, o, e) in run.items() if "error" not in e]


def test_outputs_parse_with_pydicom_and_dcmdump(run):
    for rel, _, out, _ in ok_items(run):
        ds = pydicom.dcmread(out)
        for _, elem, _ in walk(ds):
            _ = elem.value
        res = subprocess.run(["dcmdump", "-q", str(out)], capture_output=True, text=True)
        assert res.returncode == 0, f"{rel}: dcmdump failed: {res.stderr[:300]}"
        assert "E:" not in res.stderr, f"{rel}: {res.stderr[:300]}"


def test_no_original_phi_value_survives(run):
    checked = 0
    for rel, inp, out, _ in ok_items(run):
        original = pydicom.dcmread(inp, force=True)
        data = out.read_bytes()
        result = pydicom.dcmread(out)
        if "PixelData" in result:
            data = data.replace(result.PixelData, b"")
        kept = kept_values(original)
        for value in phi_values(original):
            checked += 1
            if value in data:
                assert any(value in k for k in kept), f"{rel}: an original value survived"
    assert checked > 1000


def test_uids_are_keyed_consistently_everywhere(run):
    studies: dict[str, set[str]] = {}
    mapped = 0
    for rel, inp, out, _ in ok_items(run):
        original = pydicom.dcmread(inp, force=True)
        result = pydicom.dcmread(out)
        by_path = {p: e for p, e, _ in walk(result)}
        for path, elem, _ in walk(original):
            if elem.VR != "UI" or TABLE.get(int(elem.tag)) not in ("U", "D") or not elem.value:
                continue
            values = elem.value if isinstance(elem.value, pydicom.multival.MultiValue) else [elem.value]
            expect = [uid_for(str(v).strip("\x00 ")) for v in values]
            if path not in by_path:
                # An enclosing sequence was removed or emptied (e.g. X/Z): nothing to map.
                assert "[" in path, f"{rel}: {path} vanished"
                continue
            got = by_path[path].value
            got = list(got) if isinstance(got, pydicom.multival.MultiValue) else [got]
            assert got == expect, f"{rel} {path}"
            mapped += len(values)
        sop = original.get("SOPInstanceUID") or original.file_meta.get("MediaStorageSOPInstanceUID")
        assert result.file_meta.MediaStorageSOPInstanceUID == uid_for(str(sop).strip("\x00 "))
        if "StudyInstanceUID" in original:
            studies.setdefault(str(original.StudyInstanceUID), set()).add(str(result.StudyInstanceUID))
    assert mapped > 300
    assert all(len(v) == 1 for v in studies.values()), "one study, one new UID"
    news = [next(iter(v)) for v in studies.values()]
    assert len(set(news)) == len(news), "different studies stay different"


def test_pixels_and_transfer_syntax_are_unchanged(run):
    compared = 0
    for rel, inp, out, _ in ok_items(run):
        original = pydicom.dcmread(inp, force=True)
        result = pydicom.dcmread(out)
        ts_in = original.file_meta.get("TransferSyntaxUID") if hasattr(original, "file_meta") else None
        if ts_in:
            assert result.file_meta.TransferSyntaxUID == ts_in, rel
        if "PixelData" in original:
            assert result.PixelData == original.PixelData, f"{rel}: pixel data changed"
            compared += 1
    assert compared > 100


def test_markers_and_removals(run):
    for rel, inp, out, entry in ok_items(run):
        result = pydicom.dcmread(out)
        assert result.PatientIdentityRemoved == "YES"
        codes = [i.CodeValue for i in result.DeidentificationMethodCodeSequence]
        assert codes == ["113100"], rel
        assert result.LongitudinalTemporalInformationModified == "REMOVED"
        for _, elem, _ in walk(result):
            assert not elem.tag.is_private, f"{rel}: private attribute kept"
            assert not (0x6000 <= elem.tag.group <= 0x601E), f"{rel}: overlay kept"
        assert entry["profile_edition"] == "2026c"


def coverage(run) -> dict[str, int]:
    counts: dict[str, int] = {}
    for _, inp, _, _ in ok_items(run):
        ds = pydicom.dcmread(inp, force=True)
        ts = str(ds.file_meta.get("TransferSyntaxUID", "none")) if hasattr(ds, "file_meta") else "none"
        counts[ts] = counts.get(ts, 0) + 1
        frames = str(ds.get("NumberOfFrames", "1") or "1")
        if frames.isdigit() and int(frames) > 1:
            counts["multi-frame"] = counts.get("multi-frame", 0) + 1
        if any(e.VR == "SQ" for e in ds):
            counts["sequences"] = counts.get("sequences", 0) + 1
        if any(e.tag.is_private for _, e, _ in walk(ds)):
            counts["private"] = counts.get("private", 0) + 1
    return counts


def test_fixture_coverage(run):
    c = coverage(run)
    print(json.dumps(c, indent=1, sort_keys=True))
    for ts in [
        "1.2.840.10008.1.2",       # implicit VR little endian
        "1.2.840.10008.1.2.1",     # explicit VR little endian
        "1.2.840.10008.1.2.2",     # explicit VR big endian
        "1.2.840.10008.1.2.1.99",  # deflated
        "1.2.840.10008.1.2.4.50",  # JPEG baseline
        "1.2.840.10008.1.2.4.80",  # JPEG-LS lossless
        "1.2.840.10008.1.2.4.90",  # JPEG 2000 lossless
        "1.2.840.10008.1.2.5",     # RLE
        "multi-frame",
        "sequences",
        "private",
    ]:
        assert c.get(ts, 0) > 0, f"no fixture covers {ts}"
