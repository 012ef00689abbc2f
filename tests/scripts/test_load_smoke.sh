#!/usr/bin/env bash
# test_load_smoke.sh - a short pigeon-load run of `pairs` and `group` that
# fails on any lost, duplicated or skipped message, never on speed.
#
# Starts a private Pigeon (`scripts/pigeon up -d` in a throwaway state
# folder, free ports, rate limits off as in scripts/bench.sh), runs
# pigeon-load's `pairs` (20 users, closed loop, 3 s) and `group` (20 members,
# 3 senders, closed loop, 3 s), and checks each run's exit status and JSON
# line: it ran (no "error", not "skipped", something sent and acked) and
# lost, duplicated, gaps, not_in_history and sync_failed are all 0. Pushes
# missed but found by the sync, errors and unacked sends are printed, not
# checked (pigeon-load --help, "Exit status"). Then runs `down` and checks
# that nothing is left running. Loopback only; every wait has a deadline;
# whatever happens, the EXIT trap stops what was started and removes the
# folder. About 30 s on 2 cores.
#
# Uses the binaries of build/ (scripts/pigeon test builds them first).
# Prints the JSON lines and "test_load_smoke: passed", and exits 0, or the
# reason and exits 1.
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
PIGEON=$ROOT/scripts/pigeon
LOAD=$ROOT/build/bin/pigeon-load
UP_DEADLINE_S=60   # `up -d` (it waits at most 60 s for /readyz itself)
LOAD_DEADLINE_S=45 # one pigeon-load run: set-up, 3 s of load, drain, sync
DOWN_DEADLINE_S=30
DURATION_S=3       # seconds of load per run
DRAIN_S=10         # at most; a run stops draining once every push came
USERS=20           # pairs: 10 pairs; the group reuses the same users
MEMBERS=20
SENDERS=3
# Ports are looked for below the kernel's range for outgoing connections
# (32768 up), so that no client socket takes one between the check and the bind.
HTTP_PORT_FIRST=18380
HTTP_PORT_LAST=18979
PG_PORT_FIRST=28432
PG_PORT_LAST=28931

HTTP_PORT=""
PG_PORT=""
PROBLEMS=()        # what the runs found wrong, reported together after both
METRICS=()         # --metrics URL for every service's admin port

TEST_NAME=test_load_smoke
# shellcheck source=tests/scripts/lib.sh
. "$ROOT/tests/scripts/lib.sh"


# ---------------------------------------------------------------- one run

# The integer value of "key" in a compact JSON line, or nothing. The line is
# pigeon-load's (jansson, no spaces); grep keeps the test free of jq.
json_int() {
    grep -o "\"$2\":-\{0,1\}[0-9]*" <<<"$1" | head -n 1 | cut -d: -f2
}

# load NAME ARGS...: one pigeon-load run against the private Pigeon; prints
# its JSON line, checks it and the exit status, and adds what is wrong to
# PROBLEMS (returns 1 then).
load() {
    local name=$1 rc=0 line key value found=()
    shift
    say "pigeon-load --scenario $name $*"
    timeout -k 5 "$LOAD_DEADLINE_S" "$LOAD" --url "http://127.0.0.1:$HTTP_PORT" --json \
        --prefix smoke --users-file "$WORK/users.txt" "${METRICS[@]}" --scenario "$name" "$@" \
        >"$WORK/$name.out" 2>"$WORK/$name.err" || rc=$?
    line=$(tail -n 1 "$WORK/$name.out")
    printf '%s\n' "$line"
    [[ -s $WORK/$name.err ]] && sed 's/^/    /' "$WORK/$name.err" >&2
    if ((rc == 124 || rc == 137)); then
        found+=("did not finish in $LOAD_DEADLINE_S s")
    elif [[ $line != "{\"scenario\":\"$name\""* ]]; then
        found+=("no JSON line")
    elif [[ $line == *'"error":'* ]]; then
        found+=("could not run")
    elif [[ $line == *'"skipped":'* ]]; then
        found+=("skipped")
    else
        for key in lost duplicated gaps not_in_history sync_failed; do
            value=$(json_int "$line" "$key")
            [[ -n $value ]] || found+=("no \"$key\"")
            [[ -z $value ]] || ((value == 0)) || found+=("$key $value")
        done
        for key in sent acked; do
            value=$(json_int "$line" "$key")
            [[ -n $value ]] && ((value > 0)) || found+=("$key ${value:-missing}")
        done
    fi
    ((rc == 0)) || found+=("exit status $rc")
    if ((${#found[@]})); then
        PROBLEMS+=("$name: $(printf '%s, ' "${found[@]}" | sed 's/, $//')")
        return 1
    fi
    say "$name: $(json_int "$line" sent) sent, $(json_int "$line" acked) acked," \
        "$(json_int "$line" pushes) pushes ($(json_int "$line" push_missed) missed)," \
        "0 lost, 0 duplicated, 0 gaps"
}

# ---------------------------------------------------------------- checks

# ---------------------------------------------------------------- main

main() {
    local started=$SECONDS admin
    [[ -x $LOAD ]] || fail "build/bin/pigeon-load not found: build first"
    [[ -x $ROOT/build/bin/pigeon-gateway ]] || fail "build/bin/pigeon-gateway not found: build first"
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    make_work_dir
    HTTP_PORT=$(free_port "$HTTP_PORT_FIRST" "$HTTP_PORT_LAST") ||
        fail "no free port between $HTTP_PORT_FIRST and $HTTP_PORT_LAST"
    PG_PORT=$(free_port "$PG_PORT_FIRST" "$PG_PORT_LAST") ||
        fail "no free port between $PG_PORT_FIRST and $PG_PORT_LAST"

    # pigeon-load registers and logs in far faster than any person.
    export PIGEON_RATE_REGISTER_PER_IP=0 PIGEON_RATE_LOGIN_PER_IP=0 PIGEON_RATE_LOGIN_PER_USER=0
    say "scripts/pigeon up -d (gateway on $HTTP_PORT, PostgreSQL on $PG_PORT)"
    if ! PIGEON_STATE_DIR=$STATE PIGEON_HTTP_PORT=$HTTP_PORT PIGEON_PG_PORT=$PG_PORT \
        timeout "$UP_DEADLINE_S" "$PIGEON" up -d >"$WORK/up.log" 2>&1; then
        tail -n 30 "$WORK/up.log" >&2
        fail "up -d failed"
    fi
    read_pids
    # The publishers' /metrics (pigeon_events_dropped_total), as bench.sh reads them.
    while read -r admin; do
        METRICS+=(--metrics "$admin")
    done < <(PIGEON_STATE_DIR=$STATE timeout 10 "$PIGEON" status 2>/dev/null |
        grep -o 'admin http://127\.0\.0\.1:[0-9]*' | cut -d' ' -f2 || true)

    # Both run even when the first finds something: one CI run tells about both.
    load pairs --users "$USERS" --rate 0 --window 1 --duration "$DURATION_S" --drain "$DRAIN_S" || true
    load group --members "$MEMBERS" --senders "$SENDERS" --rate 0 --window 1 \
        --duration "$DURATION_S" --drain "$DRAIN_S" || true
    ((${#PROBLEMS[@]} == 0)) || fail "$(printf '%s; ' "${PROBLEMS[@]}" | sed 's/; $//')"

    PIGEON_STATE_DIR=$STATE timeout "$DOWN_DEADLINE_S" "$PIGEON" down >"$WORK/down.log" 2>&1 ||
        fail "down failed: $(tail -n 5 "$WORK/down.log")"
    check_nothing_left
    say "passed in $((SECONDS - started))s"
}

main "$@"
