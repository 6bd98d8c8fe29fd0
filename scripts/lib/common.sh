# shellcheck shell=bash
# Shared helpers for the Airlock scripts. Source it; do not execute it.

# Repository root (this file lives in scripts/lib/).
AIRLOCK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export AIRLOCK_ROOT

# Cargo-installed tools (tauri-driver, cargo-deny) live here.
export PATH="${CARGO_HOME:-$HOME/.cargo}/bin:$PATH"

# Plain logs in CI: no ANSI colours from cargo, npm, vitest, svelte-check.
if [[ -n "${CI:-}" ]]; then
    export CARGO_TERM_COLOR=never NO_COLOR=1 FORCE_COLOR=0 npm_config_color=false
fi

# say MESSAGE...: one line of progress on stderr, prefixed with the script's name.
say() {
    printf '[%s] %s\n' "${AIRLOCK_SCRIPT:-$(basename "$0")}" "$*" >&2
}

die() {
    say "ERROR: $*"
    exit 1
}

# target_dir: absolute cargo target directory (CARGO_TARGET_DIR may be relative to the repo root).
target_dir() {
    local t="${CARGO_TARGET_DIR:-target}"
    [[ "$t" == /* ]] || t="$AIRLOCK_ROOT/$t"
    printf '%s\n' "$t"
}

# desktop_binary: absolute path of the debug (or release with AIRLOCK_RELEASE=1) desktop binary.
desktop_binary() {
    local profile=debug
    [[ "${AIRLOCK_RELEASE:-0}" == 1 ]] && profile=release
    printf '%s/%s/airlock-desktop\n' "$(target_dir)" "$profile"
}

# build_desktop: build the UI bundle, then the Tauri desktop binary (tauri's build needs ui/dist).
build_desktop() {
    local release=()
    [[ "${AIRLOCK_RELEASE:-0}" == 1 ]] && release=(--release)
    say "building the UI (npm run build in ui/)"
    (cd "$AIRLOCK_ROOT/ui" && npm run build)
    say "building the desktop app (cargo build -p airlock-desktop${release[*]:+ ${release[*]}})"
    (cd "$AIRLOCK_ROOT" && cargo build -p airlock-desktop "${release[@]}")
}

# netns_available: true when `unshare -n` (a new network namespace with only loopback) works.
# AIRLOCK_NO_UNSHARE=1 pretends it does not (to debug with the host network).
netns_available() {
    [[ "${AIRLOCK_NO_UNSHARE:-0}" != 1 ]] || return 1
    command -v unshare >/dev/null 2>&1 && unshare -n true >/dev/null 2>&1
}

# wait_for_port HOST PORT SECONDS: wait until a TCP connect succeeds.
wait_for_port() {
    local host="$1" port="$2" secs="$3" i
    for ((i = 0; i < secs * 10; i++)); do
        if (exec 3<>"/dev/tcp/$host/$port") 2>/dev/null; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}
