#!/usr/bin/env bash
# The DICOM de-identification checks over real files, as CI runs them:
#   1. fetch the fixtures from PyPI into target/dicom-fixtures (once; see fetch.py),
#   2. cargo test -p airlock-deid-dicom with AIRLOCK_DICOM_FIXTURES set (Rust checks,
#      OCR with tesseract, pixel cleaning across codecs, hostile input),
#   3. pytest test_deid_dicom.py: every output parsed by pydicom and dcmdump, PHI leak
#      check, independent keyed-UID check, pixel identity, coverage per transfer syntax.
# Needs: apt dcmtk tesseract-ocr tesseract-ocr-eng imagemagick fonts-dejavu-core cmake;
# python3 with tests/reference/dicom/requirements.txt (a venv under target/ is made).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$root/target}
export AIRLOCK_DICOM_FIXTURES=${AIRLOCK_DICOM_FIXTURES:-$root/target/dicom-fixtures}
venv=$root/target/dicom-venv
req=$root/tests/reference/dicom/requirements.txt

if [[ ! -x $venv/bin/python ]]; then
    python3 -m venv "$venv"
fi
want=$(sha256sum "$req" | cut -d' ' -f1)
if [[ $(cat "$venv/.requirements.sha256" 2>/dev/null || true) != "$want" ]]; then
    "$venv/bin/python" -m pip install -q -r "$req"
    echo "$want" >"$venv/.requirements.sha256"
fi

"$venv/bin/python" "$root/tests/reference/dicom/fetch.py" "$AIRLOCK_DICOM_FIXTURES"
cargo test -p airlock-deid-dicom
cargo test -p airlock-deid-image --test ocr
cargo build -q -p airlock-deid-dicom --example deid_dicom
AIRLOCK_DEID_DICOM_BIN=$CARGO_TARGET_DIR/debug/examples/deid_dicom \
    "$venv/bin/python" -m pytest -q -p no:cacheprovider -W ignore::UserWarning \
    "$root/tests/reference/dicom/test_deid_dicom.py"
