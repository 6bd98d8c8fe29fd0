"""Fixtures for the delivery-format reference tests.

The command under test comes from AIRLOCK_DELIVER_FORMATS_CMD, a shell-split command prefix
to which `INPUT.json OUT_DIR` is appended. When unset it is crates/deliver's example binary
`deliver_formats`, built here with cargo (honouring CARGO_TARGET_DIR).
"""

import os
import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]


def _example(name):
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    if not target.is_absolute():
        target = ROOT / target
    subprocess.run(
        ["cargo", "build", "-q", "-p", "airlock-deliver", "--example", name],
        cwd=ROOT,
        check=True,
    )
    return [str(target / "debug" / "examples" / name)]


@pytest.fixture(scope="session")
def formats_cmd():
    cmd = os.environ.get("AIRLOCK_DELIVER_FORMATS_CMD")
    return shlex.split(cmd) if cmd else _example("deliver_formats")
