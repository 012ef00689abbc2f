# lib.sh - what the script tests share (sourced, never run: scripts/pigeon
# test runs tests/scripts/test_*.sh only).
#
# A test sets TEST_NAME, ROOT and PIGEON, keeps its throwaway folder in WORK,
# the state folder of its private Pigeon in STATE and the pids `up` wrote in
# PIDS, then sources this file. Set DOWN_DEADLINE_S to bound `down` in the
# EXIT trap (default 60).

WORK=""   # throwaway folder: the state folder lives in it
STATE=""
PIDS=()   # the pids `up` wrote, for the checks after `down`

say() { printf '%s: %s\n' "$TEST_NAME" "$*"; }

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

# ---------------------------------------------------------------- ports

# True when a TCP socket in any state (listening, connected, closing) has
# local port $1: none of them lets the port be bound.
port_taken() {
    local hex
    hex=$(printf '%04X' "$1")
    awk -v p="$hex" '{ n = split($2, a, ":"); if (a[n] == p) found = 1 }
                     END { exit !found }' /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

# free_port FIRST LAST [COUNT]: prints the first port p of FIRST..LAST such
# that p .. p+COUNT-1 (default 1) are all free.
free_port() {
    local port k taken count=${3:-1}
    for ((port = $1; port + count - 1 <= $2; port += count)); do
        taken=0
        for ((k = 0; k < count; k++)); do
            port_taken $((port + k)) && taken=1
        done
        ((taken)) || {
            echo "$port"
            return 0
        }
    done
    return 1
}

# ---------------------------------------------------------------- set-up and clean-up

# The state folder must be reachable by the postgres user (scripts/pigeon
# runs the cluster as postgres when we are root): mode 0711 on the folder,
# and /tmp itself is world-searchable.
make_work_dir() {
    WORK=$(mktemp -d "/tmp/pigeon-$TEST_NAME.XXXXXX")
    chmod 711 "$WORK"
    STATE=$WORK/state
}

# The pids `up` wrote, into PIDS.
read_pids() {
    local file
    for file in "$STATE"/run/*.pid; do
        [[ -e $file ]] && PIDS+=("$(<"$file")")
    done
    return 0
}

# Runs on every exit: `down`, then SIGKILL to anything `up` started that is
# still alive, then a stop of the cluster if it still runs, then the folder.
cleanup() {
    local rc=$? pid pg_dir
    trap - EXIT INT TERM
    if [[ -n $STATE && -d $STATE ]]; then
        PIGEON_STATE_DIR=$STATE timeout "${DOWN_DEADLINE_S:-60}" "$PIGEON" down >/dev/null 2>&1 ||
            true
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

# ---------------------------------------------------------------- checks

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
