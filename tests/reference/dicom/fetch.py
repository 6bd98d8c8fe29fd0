#!/usr/bin/env python3
"""Fetch real DICOM test files from PyPI into a directory (default: target/dicom-fixtures).

Nothing is committed: the files come from pinned wheels/sdists through `pip download`:

* pydicom 3.0.2 (MIT): pydicom/data/test_files/*.dcm (and the zipped MR in zipMR.gz
  is skipped);
* pydicom-data 1.0.0 (MIT): data_store/data/*.dcm (larger and compressed files);
* deid-data 0.0.20 (MIT): deid_data/data/**/*.dcm (ultrasound, cookies, CT).

Usage: python3 tests/reference/dicom/fetch.py [DEST]
Then:  export AIRLOCK_DICOM_FIXTURES=DEST
"""

from __future__ import annotations

import hashlib
import pathlib
import subprocess
import sys
import tarfile
import tempfile
import zipfile

PACKAGES = [
    ("pydicom", "3.0.2", "pydicom/data/test_files/"),
    ("pydicom-data", "1.0.0", "data_store/data/"),
    ("deid-data", "0.0.20", "deid_data/data/"),
]


def main() -> None:
    root = pathlib.Path(__file__).resolve().parents[3]
    dest = pathlib.Path(sys.argv[1]) if len(sys.argv) > 1 else root / "target" / "dicom-fixtures"
    marker = dest / "MANIFEST.sha256"
    if marker.exists():
        print(f"{dest}: already fetched ({len(marker.read_text().splitlines())} files)")
        return
    dest.mkdir(parents=True, exist_ok=True)
    lines = []
    with tempfile.TemporaryDirectory() as d:
        tmp = pathlib.Path(d)
        for name, version, prefix in PACKAGES:
            out = tmp / name
            subprocess.run(
                [sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                 "-d", str(out), f"{name}=={version}"],
                check=True,
            )
            archive = next(out.iterdir())
            if archive.suffix == ".whl":
                with zipfile.ZipFile(archive) as z:
                    members = [(m, z.read(m)) for m in z.namelist()]
            else:
                with tarfile.open(archive) as t:
                    members = [
                        (m.name.split("/", 1)[1], t.extractfile(m).read())
                        for m in t.getmembers() if m.isfile() and "/" in m.name
                    ]
            for member, data in members:
                if not member.startswith(prefix) or not member.endswith(".dcm"):
                    continue
                rel = pathlib.Path(name) / member[len(prefix):]
                target = dest / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                lines.append(f"{hashlib.sha256(data).hexdigest()}  {rel}")
    marker.write_text("\n".join(sorted(lines)) + "\n")
    print(f"{dest}: {len(lines)} DICOM files")


if __name__ == "__main__":
    main()
