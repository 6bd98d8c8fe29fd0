"""Fixtures for the agreement reference tests: the commands under test and a summary.

The ratings command comes from AIRLOCK_AGREEMENT_CMD, a shell-split command prefix to which
`--input FILE --level LEVEL --format json` is appended (the final CLI is
`airlock agreement`). The span/box command comes from AIRLOCK_AGREEMENT_GEOMETRY_CMD. Either
one, when unset, is the crate's example binary, built here with cargo (honouring
CARGO_TARGET_DIR).
"""

import json
import os
import shlex
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]

# Largest absolute difference seen per figure, and how many comparisons were made.
SUMMARY = {"datasets": 0, "comparisons": 0, "max_abs_diff": {}}


def record(metric, rust, reference):
    """Counts one comparison and keeps the largest difference per metric."""
    diff = abs(rust - reference)
    SUMMARY["comparisons"] += 1
    SUMMARY["max_abs_diff"][metric] = max(SUMMARY["max_abs_diff"].get(metric, 0.0), diff)
    return diff


def _examples_dir():
    target = Path(os.environ.get("CARGO_TARGET_DIR", ROOT / "target"))
    if not target.is_absolute():
        target = ROOT / target
    return target / "debug" / "examples"


_built = False


def _example(name):
    global _built
    if not _built:
        subprocess.run(
            ["cargo", "build", "-q", "-p", "airlock-agreement", "--examples"],
            cwd=ROOT,
            check=True,
        )
        _built = True
    return [str(_examples_dir() / name)]


@pytest.fixture(scope="session")
def report_cmd():
    cmd = os.environ.get("AIRLOCK_AGREEMENT_CMD")
    return shlex.split(cmd) if cmd else _example("agreement_report")


@pytest.fixture(scope="session")
def geometry_cmd():
    cmd = os.environ.get("AIRLOCK_AGREEMENT_GEOMETRY_CMD")
    return shlex.split(cmd) if cmd else _example("agreement_geometry")


def pytest_terminal_summary(terminalreporter):
    if not SUMMARY["comparisons"]:
        return
    terminalreporter.write_line(
        "agreement reference: %d random datasets, %d comparisons, max abs diff %s"
        % (
            SUMMARY["datasets"],
            SUMMARY["comparisons"],
            json.dumps({k: float("%.3g" % v) for k, v in sorted(SUMMARY["max_abs_diff"].items())}),
        )
    )
    out = ROOT / "target" / "reference"
    out.mkdir(parents=True, exist_ok=True)
    (out / "agreement-summary.json").write_text(json.dumps(SUMMARY, indent=2) + "\n")
