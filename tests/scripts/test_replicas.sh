#!/usr/bin/env bash
# test_replicas.sh - `scripts/pigeon up -d --replicas 2` end to end.
#
# Starts two copies of every process with a private cluster in a throwaway
# state folder, checks that both gateways are ready and that `status` lists
# two copies of each process, registers a user through gateway 0 and logs in
# through gateway 1, then runs `down` and checks that nothing is left
# running. Loopback only; every wait has a deadline; whatever happens, the
# EXIT trap stops what was started and removes the folder.
#
# Uses the binaries of build/ (scripts/pigeon test builds them first).
# Prints "test_replicas: passed" and exits 0, or the reason and exits 1.
set -euo pipefail

ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
PIGEON=$ROOT/scripts/pigeon
REPLICAS=2
DEADLINE_S=90            # the whole test, start to `down`
PORT_FIRST=18180         # the gateways' ports are looked for from here up
PORT_LAST=18979

WORK=""                  # throwaway folder: the state folder lives in it
STATE=""
HTTP_PORT=""
PIDS=()                  # the pids `up` wrote, for the checks after `down`

say() { printf 'test_replicas: %s\n' "$*"; }

fail() {
    say "FAILED: $*" >&2
    show_logs
    exit 1
}

# The end of each process log, to see why something did not work.
show_logs() {
    local file
    [[ -n $STATE && -d $STATE/logs ]] || return 0
    for file in "$STATE"/logs/*-[0-9]*.log "$STATE"/logs/postgres.log; do
        [[ -s $file ]] || continue
        printf -- '--- %s ---\n' "$(basename "$file")" >&2
        tail -n 5 "$file" | sed 's/^/    /' >&2
    done
}

# ---------------------------------------------------------------- set-up and clean-up

# True when something listens on TCP port $1.
port_in_use() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v p="$hex" '$4 == "0A" && substr($2, length($2) - 3) == p { found = 1 }
                     END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# Prints the first port p such that p .. p+REPLICAS-1 are all free.
free_port_run() {
    local port k taken
    for ((port = PORT_FIRST; port <= PORT_LAST; port += REPLICAS)); do
        taken=0
        for ((k = 0; k < REPLICAS; k++)); do
            port_in_use $((port + k)) && taken=1
        done
        ((taken)) || {
            echo "$port"
            return 0
        }
    done
    return 1
}

# The state folder must be reachable by the postgres user (scripts/pigeon
# runs the cluster as postgres when we are root): mode 0711 on the folder,
# and /tmp itself is world-searchable.
make_work_dir() {
    WORK=$(mktemp -d /tmp/pigeon-replicas.XXXXXX)
    chmod 711 "$WORK"
    STATE=$WORK/state
}

# Runs on every exit: `down`, then SIGKILL to anything `up` started that is
# still alive, then a stop of the cluster if it still runs, then the folder.
cleanup() {
    local rc=$? pid pg_dir
    trap - EXIT INT TERM
    if [[ -n $STATE && -d $STATE ]]; then
        PIGEON_STATE_DIR=$STATE "$PIGEON" down >/dev/null 2>&1 || true
        for pid in "${PIDS[@]}" $(cat "$STATE"/run/*.pid 2>/dev/null || true); do
            kill -KILL "$pid" 2>/dev/null || true
        done
        pg_dir=$STATE/pg
        [[ -L $pg_dir ]] && pg_dir=$(readlink "$pg_dir")
        # The cluster's postmaster, by the pid it wrote (down stops it; this is for
        # a down that could not).
        pid=$(head -n 1 "$pg_dir/data/postmaster.pid" 2>/dev/null || true)
        [[ $pid =~ ^[0-9]+$ ]] && kill -KILL "$pid" 2>/dev/null || true
        [[ -L $STATE/pg ]] && rm -rf "$pg_dir"
    fi
    [[ -n $WORK ]] && rm -rf "$WORK"
    exit "$rc"
}

# ---------------------------------------------------------------- HTTP

# http METHOD PORT PATH [JSON]: prints "<status> <body>".
http() {
    local method=$1 port=$2 path=$3 body=${4:-} out
    out=$(curl -s --max-time 10 -X "$method" -H 'Content-Type: application/json' \
        ${body:+--data "$body"} -w '\n%{http_code}' "http://127.0.0.1:$port$path" 2>/dev/null) || true
    printf '%s %s\n' "$(tail -n 1 <<<"$out")" "$(sed '$d' <<<"$out")"
}

# ---------------------------------------------------------------- checks

check_gateways_ready() {
    local k code
    for ((k = 0; k < REPLICAS; k++)); do
        code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 \
            "http://127.0.0.1:$((HTTP_PORT + k))/readyz" || true)
        [[ $code == 200 ]] || fail "gateway $k (port $((HTTP_PORT + k))) answered /readyz with $code"
    done
    say "both gateways answer /readyz with 200"
}

check_status() {
    local out name count
    out=$(PIGEON_STATE_DIR=$STATE "$PIGEON" status) || fail "status failed"
    for name in auth relationship router group media gateway; do
        [[ -x $ROOT/build/bin/pigeon-$name ]] || continue
        count=$(grep -cE "^$name-[0-9]+ +running" <<<"$out" || true)
        [[ $count -eq $REPLICAS ]] || {
            printf '%s\n' "$out" >&2
            fail "status lists $count running copies of $name, expected $REPLICAS"
        }
    done
    say "status lists $REPLICAS running copies of every process"
}

# Register through gateway 0, log in through gateway 1: both reach the same
# services and the same database.
check_register_and_login() {
    local user="rep_$$_$RANDOM" reply status
    reply=$(http POST "$HTTP_PORT" /v1/auth/register \
        "{\"username\":\"$user\",\"password\":\"replica-pass-1\",\"nickname\":\"Rep\"}")
    status=${reply%% *}
    [[ $status == 201 ]] || fail "register through gateway 0: $reply"
    reply=$(http POST $((HTTP_PORT + 1)) /v1/auth/login \
        "{\"username\":\"$user\",\"password\":\"replica-pass-1\"}")
    status=${reply%% *}
    [[ $status == 200 ]] || fail "login through gateway 1: $reply"
    [[ $reply == *'"token"'* ]] || fail "login through gateway 1 returned no token: $reply"
    say "registered on gateway 0, logged in on gateway 1"
}

# True when process $1 exists and is not a zombie (a copy that exited is
# reparented to PID 1, which in a container may never reap it).
running() {
    local state
    state=$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null) || return 1
    [[ -n $state && $state != Z ]]
}

# After `down`: no pid `up` recorded runs, no process is left in their
# sessions (each copy runs in its own), and the cluster is stopped.
check_nothing_left() {
    local pid pg_dir member
    for pid in "${PIDS[@]}"; do
        running "$pid" && fail "process $pid ($(tr '\0' ' ' <"/proc/$pid/cmdline")) still runs after down"
        for member in $(pgrep -s "$pid" || true); do
            running "$member" && fail "process $member of session $pid still runs after down"
        done
    done
    pg_dir=$STATE/pg
    [[ -L $pg_dir ]] && pg_dir=$(readlink "$pg_dir")
    if pgrep -f -- "$pg_dir/data" >/dev/null 2>&1; then
        fail "PostgreSQL of $pg_dir still runs after down"
    fi
    say "nothing left running after down"
}

# ---------------------------------------------------------------- main

main() {
    local started=$SECONDS file
    command -v curl >/dev/null || fail "curl not found"
    [[ -x $ROOT/build/bin/pigeon-gateway ]] || fail "build/bin/pigeon-gateway not found: build first"
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    make_work_dir
    HTTP_PORT=$(free_port_run) || fail "no $REPLICAS free ports between $PORT_FIRST and $PORT_LAST"

    say "scripts/pigeon up -d --replicas $REPLICAS (gateways on $HTTP_PORT and $((HTTP_PORT + 1)))"
    if ! PIGEON_STATE_DIR=$STATE PIGEON_HTTP_PORT=$HTTP_PORT timeout "$DEADLINE_S" \
        "$PIGEON" up -d --replicas "$REPLICAS" >"$WORK/up.log" 2>&1; then
        tail -n 30 "$WORK/up.log" >&2
        fail "up -d --replicas $REPLICAS failed"
    fi
    for file in "$STATE"/run/*.pid; do
        [[ -e $file ]] && PIDS+=("$(<"$file")")
    done

    check_gateways_ready
    check_status
    check_register_and_login

    PIGEON_STATE_DIR=$STATE timeout "$DEADLINE_S" "$PIGEON" down >"$WORK/down.log" 2>&1 ||
        fail "down failed: $(tail -n 5 "$WORK/down.log")"
    check_nothing_left
    say "passed in $((SECONDS - started))s"
}

main "$@"
