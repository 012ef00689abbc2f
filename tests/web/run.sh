#!/usr/bin/env bash
# tests/web/run.sh - the web client's browser tests: Debian's Chromium,
# driven by playwright-core under Node's test runner, against a throwaway
# Pigeon (its own state folder, PostgreSQL port and HTTP port) that is
# stopped again whatever happens.
#
# Exit status: 0 all passed, 1 a failure, 77 skipped (no Chromium and it
# cannot be installed). The last line says "web tests: N passed, M failed".
# PIGEON_WEB_SHOTS=<folder> keeps the screenshots there; otherwise they are
# in the temporary folder, which is removed after a success and kept (its
# path printed) after a failure.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
CHROMIUM=/usr/bin/chromium
TEST_TIMEOUT_S=240 # the whole browser run; it takes well under a minute

say() { printf 'web tests: %s\n' "$*"; }

# apt-get as root, or through sudo when that needs no password.
apt_install() {
    local sudo=()
    if ((EUID != 0)); then
        sudo -n true 2>/dev/null || return 1
        sudo=(sudo -n)
    fi
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" \
        >/dev/null 2>&1 ||
        { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q >/dev/null 2>&1 &&
            "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" \
                >/dev/null 2>&1; }
}

if [[ ! -x $CHROMIUM ]]; then
    say "installing Debian's chromium"
    if ! apt_install chromium || [[ ! -x $CHROMIUM ]]; then
        say "skipped: $CHROMIUM is missing and could not be installed"
        exit 77
    fi
fi
# Node.js: the machine's own node/npm when present, else Debian's.
if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    say "installing Debian's nodejs and npm"
    apt_install nodejs npm || { say "skipped: no node/npm and they could not be installed"; exit 77; }
fi
# A CJK font, so that screenshots show Chinese (the page itself needs none).
if ! fc-list 2>/dev/null | grep -qi 'wenquanyi\|noto sans cjk'; then
    apt_install fonts-wqy-microhei || say "no CJK font: Chinese in screenshots shows as boxes"
fi

cd "$HERE"
if [[ ! -d node_modules/playwright-core ]] || [[ package-lock.json -nt node_modules/.package-lock.json ]]; then
    say "npm ci (playwright-core from the lock file; it downloads no browser)"
    npm ci --no-audit --no-fund --loglevel=error
fi

TMP=$(mktemp -d -t pigeon-web.XXXXXX)
# The postgres user must reach the state folder, so that the cluster lives
# (and is removed) in here rather than in /var/tmp.
chmod 711 "$TMP"
SHOTS=${PIGEON_WEB_SHOTS:-$TMP/shots}
mkdir -p "$SHOTS"
HTTP_PORT=$(node -e "const s=require('net').createServer();s.listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
export PIGEON_STATE_DIR=$TMP/state PIGEON_HTTP_PORT=$HTTP_PORT
# Three browser users register and log in from one address within seconds.
export PIGEON_RATE_REGISTER_PER_IP=1000 PIGEON_RATE_LOGIN_PER_IP=1000 PIGEON_RATE_LOGIN_PER_USER=1000

STATUS=1
finish() {
    trap - EXIT INT TERM
    "$ROOT/scripts/pigeon" down >"$TMP/down.log" 2>&1 || cat "$TMP/down.log" >&2
    if ((STATUS == 0)); then
        rm -rf "$TMP"
    else
        rm -rf "$TMP/state/pg" "$TMP/chromium"
        say "kept $TMP (logs: state/logs, screenshots: shots)"
    fi
}
trap finish EXIT
trap 'exit 130' INT TERM

say "starting a throwaway Pigeon on 127.0.0.1:$HTTP_PORT"
if ! timeout 300 "$ROOT/scripts/pigeon" up -d >"$TMP/up.log" 2>&1; then
    tail -n 30 "$TMP/up.log" >&2
    say "0 passed, 1 failed (Pigeon did not start)"
    exit 1
fi

mkdir -p "$TMP/chromium"
OUT=$TMP/node-test.out
set +e
# TMPDIR: Playwright makes each browser's fresh --user-data-dir in there.
TMPDIR=$TMP/chromium PIGEON_WEB_URL=http://127.0.0.1:$HTTP_PORT PIGEON_WEB_SHOTS=$SHOTS \
    timeout "$TEST_TIMEOUT_S" node --test --test-reporter=spec --test-timeout=200000 "$HERE"/*.test.js 2>&1 |
    tee "$OUT"
STATUS=${PIPESTATUS[0]}
set -e
passed=$(grep -Eo '^ℹ pass [0-9]+' "$OUT" | awk '{ print $3 }' || true)
failed=$(grep -Eo '^ℹ fail [0-9]+' "$OUT" | awk '{ print $3 }' || true)
if [[ -z $passed ]]; then
    passed=0 failed=1
    STATUS=1
    say "the test run did not finish (timeout ${TEST_TIMEOUT_S}s?)"
fi
say "screenshots: $SHOTS"
say "$passed passed, $failed failed"
exit "$STATUS"
