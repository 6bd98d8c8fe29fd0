#!/usr/bin/env bash
# tests/cli-offline.sh — a CLI journey that needs no network (scripts/no-network runs it inside
# `unshare -n`). Uses $AIRLOCK_BIN (default target/debug/airlock) in a fresh temp directory:
#   init a vault, add a user, list users as JSON, verify the audit chain, export it as JSONL,
#   verify the export, detect a removed event in a tampered copy, refuse an annotator the
#   user list, refuse a wrong passphrase; then a work-package round trip between three vault
#   directories through files only (demo vault as the lead's, two annotator workspaces):
#   contact cards, assign, open, label, return, merge, replay, a changed byte refused, the
#   merged trail verified.
# Stops at the first failing step; prints `cli-offline: N passed, M failed` at the end.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
AIRLOCK_BIN="${AIRLOCK_BIN:-$ROOT/target/debug/airlock}"
[[ -x "$AIRLOCK_BIN" ]] || { echo "cli-offline: $AIRLOCK_BIN not found (cargo build --bin airlock)" >&2; exit 1; }

WORK="$(mktemp -d /tmp/airlock-cli-offline.XXXXXX)"
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

PASSED=0
FAILED=0
STEP=""
OUT="$WORK/out.txt"
ERR="$WORK/err.txt"

ok() { PASSED=$((PASSED + 1)); printf 'ok %d - %s\n' "$PASSED" "$STEP"; }
fail() {
    FAILED=$((FAILED + 1))
    printf 'not ok %d - %s: %s\n' "$((PASSED + FAILED))" "$STEP" "$*"
    printf '  stdout: %s\n' "$(head -c 2000 "$OUT" 2>/dev/null)"
    printf '  stderr: %s\n' "$(head -c 2000 "$ERR" 2>/dev/null)"
    echo "cli-offline: $PASSED passed, $FAILED failed"
    exit 1
}
# run CMD...: run the airlock binary, capturing stdout/stderr; returns its exit code.
run() {
    printf '  $ airlock'; printf ' %q' "$@"; printf '\n'
    local rc=0
    "$AIRLOCK_BIN" "$@" >"$OUT" 2>"$ERR" </dev/null || rc=$?
    return "$rc"
}
expect_ok() { run "$@" || fail "exit code $? (expected 0)"; }

printf '%s\n' 'offline-lead-passphrase-0001' >pw
printf '%s\n' 'offline-annotator-passphrase-02' >pw2
printf '%s\n' 'definitely-the-wrong-passphrase' >badpw
V="$WORK/V"
AS_LEE=(--vault "$V" --user lee --passphrase-file pw)

STEP="init a vault with its first lead"
expect_ok init "$V" --name "Offline Study" --user lee --passphrase-file pw
[[ -f "$V/vault.json" ]] || fail "no $V/vault.json"
ok

STEP="add an annotator"
expect_ok "${AS_LEE[@]}" user add ann --role annotator --new-passphrase-file pw2
ok

STEP="user list --format json contains ann"
expect_ok "${AS_LEE[@]}" user list --format json
python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$OUT" 2>/dev/null || fail "output is not valid JSON"
grep -q '"ann"' "$OUT" || fail "ann is not in the list"
grep -q '"lee"' "$OUT" || fail "lee is not in the list"
ok

STEP="an annotator may not list users (lead and compliance only)"
if run --vault "$V" --user ann --passphrase-file pw2 user list --format json; then
    fail "exit 0: an annotator listed the users"
fi
[[ -s "$ERR" ]] || fail "no message on stderr"
printf '  stderr: %s\n' "$(head -n1 "$ERR")"
ok

STEP="audit verify"
expect_ok "${AS_LEE[@]}" audit verify
ok

STEP="audit export --format jsonl"
expect_ok "${AS_LEE[@]}" audit export --format jsonl --out "$WORK/audit.jsonl"
[[ -s "$WORK/audit.jsonl" ]] || fail "export is empty"
python3 - "$WORK/audit.jsonl" <<'PY' || fail "export is not JSON Lines"
import json, sys
lines = [l for l in open(sys.argv[1]) if l.strip()]
assert len(lines) >= 3, f"only {len(lines)} lines"
for l in lines:
    json.loads(l)
PY
ok

STEP="audit verify of the exported file"
expect_ok audit verify "$WORK/audit.jsonl"
ok

STEP="audit verify detects a removed event in the exported file"
n="$(grep -c . "$WORK/audit.jsonl")"
sed '2d' "$WORK/audit.jsonl" >"$WORK/tampered.jsonl"
[[ "$(grep -c . "$WORK/tampered.jsonl")" -eq $((n - 1)) ]] || fail "could not tamper with the copy"
if run audit verify "$WORK/tampered.jsonl"; then fail "exit 0 on a log with a removed event"; fi
ok

STEP="a wrong passphrase exits non-zero with one line on stderr"
if run --vault "$V" --user lee --passphrase-file badpw user list --format json; then
    fail "exit 0 with a wrong passphrase"
fi
lines="$(grep -c . "$ERR" || true)"
[[ "$lines" -eq 1 ]] || fail "stderr has $lines lines (expected exactly 1)"
grep -q 'offline-lead-passphrase\|definitely-the-wrong' "$ERR" "$OUT" && fail "a passphrase was echoed"
printf '  stderr: %s\n' "$(cat "$ERR")"
ok

# ---- Work packages: three vault directories, files only --------------------------------
printf '%s\n' 'demo-lead-passphrase' >dana.pw
printf '%s\n' 'demo-annotator-passphrase' >avery.pw
printf '%s\n' 'demo-annotator2-passphrase' >jordan.pw
D="$WORK/D"
AS_DANA=(--vault "$D" --user dana.lead --passphrase-file dana.pw)

STEP="the demo vault is the lead's laptop; the lead writes a contact card"
expect_ok demo "$D" --format json
expect_ok "${AS_DANA[@]}" package card --out "$WORK/dana.card.json"
ok

for who in avery jordan; do
    name="$who.annotator"
    AS_ME=(--vault "$WORK/$who.ws" --user "$name" --passphrase-file "$who.pw")

    STEP="$name creates a workspace vault, writes a contact card and trusts the lead's"
    expect_ok package workspace "$WORK/$who.ws" --user "$name" --passphrase-file "$who.pw" --format json
    expect_ok "${AS_ME[@]}" package card --out "$WORK/$who.card.json"
    expect_ok "${AS_ME[@]}" package trust "$WORK/dana.card.json" --format json
    ok

    if [[ "$who" == jordan ]]; then
        STEP="the demo's outstanding package to $name (their old laptop) is revoked first"
        expect_ok "${AS_DANA[@]}" package list --format json
        pkg="$(python3 -c 'import json,sys; print(next(p["id"] for p in json.load(open(sys.argv[1])) if p["status"] == "issued" and p["user_name"] == sys.argv[2]))' "$OUT" "$name")" \
            || fail "the demo has no outstanding package"
        expect_ok "${AS_DANA[@]}" package revoke "$pkg" --reason "Replaced by a new laptop (synthetic)" --format json
        ok
    fi

    STEP="the lead imports $name's card and writes an assignment package"
    expect_ok "${AS_DANA[@]}" package contact "$WORK/$who.card.json" --format json
    expect_ok "${AS_DANA[@]}" package assign --to "$name" --out "$WORK/$who.pkg" --format json
    ok

    STEP="$name opens the package, labels an open item, submits and returns a result"
    expect_ok "${AS_ME[@]}" package open "$WORK/$who.pkg" --format json
    expect_ok "${AS_ME[@]}" annotate queue --format json
    item="$(python3 -c 'import json,sys; q=json.load(open(sys.argv[1])); print(next(e["assignment_id"] for e in q if e["status"] in ("in_progress","assigned")))' "$OUT")" \
        || fail "no open assignment in the workspace"
    expect_ok "${AS_ME[@]}" annotate save "$item" --value '{"spans":[]}' --submit
    expect_ok "${AS_ME[@]}" package return --out "$WORK/$who.result.pkg" --format json
    ok
done

STEP="a changed byte in a result package is refused with one sentence"
cp "$WORK/avery.result.pkg" "$WORK/bad.pkg"
# Flip every bit of byte 300 (setting it to a fixed value changes nothing when it already
# held that value: one package in 256).
python3 -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[300] ^= 0xFF; open(p, "wb").write(b)' "$WORK/bad.pkg"
if run "${AS_DANA[@]}" package merge "$WORK/bad.pkg"; then fail "exit 0 on a changed package"; fi
grep -q 'damaged or was changed' "$ERR" || fail "unexpected message"
ok

STEP="the lead merges both results; merging one again changes nothing"
for who in avery jordan; do
    expect_ok "${AS_DANA[@]}" package merge "$WORK/$who.result.pkg" --format json
    python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert not r["already_merged"] and r["changes"] >= 1 and r["segment_events"] > 0, r' "$OUT" \
        || fail "the merge report is not as expected"
done
expect_ok "${AS_DANA[@]}" package merge "$WORK/avery.result.pkg" --format json
python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["already_merged"]' "$OUT" || fail "a replay changed something"
ok

STEP="the merged audit trail verifies end to end"
expect_ok "${AS_DANA[@]}" audit verify --format json
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["ok"] and r["segments"] == 3, r' "$OUT" \
    || fail "verify is not ok or did not re-walk the demo's and both new workspaces' segments"
ok

STEP="an audit export carries the segments and verifies offline"
expect_ok "${AS_DANA[@]}" audit export --format jsonl --out "$WORK/audit.jsonl"
expect_ok audit verify "$WORK/audit.jsonl" --format json
python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["ok"] and r["segments"] == 3 and r["segment_events"] > 0, r' "$OUT" \
    || fail "the export does not carry the segments"
ok

echo "cli-offline: $PASSED passed, $FAILED failed"
