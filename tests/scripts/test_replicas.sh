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

HTTP_PORT=""

TEST_NAME=test_replicas
# shellcheck source=tests/scripts/lib.sh
. "$ROOT/tests/scripts/lib.sh"

# ---------------------------------------------------------------- HTTP

# http METHOD PORT PATH [JSON [TOKEN]]: prints "<status> <body>".
http() {
    local method=$1 port=$2 path=$3 body=${4:-} token=${5:-} out
    out=$(curl -s --max-time 10 -X "$method" -H 'Content-Type: application/json' \
        ${token:+-H "Authorization: Bearer $token"} \
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

# Right after `up -d`, a call that crosses services (gateway -> relationship
# -> auth) works: every process has read the registry with every copy in it
# (it used to answer 503 "service \"auth\" is unavailable" for up to a
# second when relationship had read it before auth registered).
check_cross_service_call() {
    local a="repa_$$_$RANDOM" b="repb_$$_$RANDOM" reply token id
    reply=$(http POST "$HTTP_PORT" /v1/auth/register \
        "{\"username\":\"$a\",\"password\":\"replica-pass-1\",\"nickname\":\"A\"}")
    token=$(sed -n 's/.*"token":"\([^"]*\)".*/\1/p' <<<"${reply#* }")
    [[ ${reply%% *} == 201 && -n $token ]] || fail "register $a: $reply"
    reply=$(http POST "$HTTP_PORT" /v1/auth/register \
        "{\"username\":\"$b\",\"password\":\"replica-pass-1\",\"nickname\":\"B\"}")
    id=$(sed -n 's/.*"user":{"id":\([0-9]*\).*/\1/p' <<<"${reply#* }")
    [[ ${reply%% *} == 201 && -n $id ]] || fail "register $b: $reply"
    reply=$(http POST $((HTTP_PORT + 1)) /v1/contacts "{\"user_id\":$id,\"mode\":\"one_way\"}" "$token")
    [[ ${reply%% *} == 201 ]] || fail "a one_way contact through gateway 1 right after up: $reply"
    say "a contact added through gateway 1 (gateway -> relationship -> auth)"
}

# ---------------------------------------------------------------- main

main() {
    local started=$SECONDS
    command -v curl >/dev/null || fail "curl not found"
    [[ -x $ROOT/build/bin/pigeon-gateway ]] || fail "build/bin/pigeon-gateway not found: build first"
    trap cleanup EXIT
    trap 'exit 130' INT TERM
    make_work_dir
    HTTP_PORT=$(free_port "$PORT_FIRST" "$PORT_LAST" "$REPLICAS") || fail "no $REPLICAS free ports between $PORT_FIRST and $PORT_LAST"

    say "scripts/pigeon up -d --replicas $REPLICAS (gateways on $HTTP_PORT and $((HTTP_PORT + 1)))"
    if ! PIGEON_STATE_DIR=$STATE PIGEON_HTTP_PORT=$HTTP_PORT timeout "$DEADLINE_S" \
        "$PIGEON" up -d --replicas "$REPLICAS" >"$WORK/up.log" 2>&1; then
        tail -n 30 "$WORK/up.log" >&2
        fail "up -d --replicas $REPLICAS failed"
    fi
    read_pids

    check_gateways_ready
    check_cross_service_call
    check_status
    check_register_and_login

    PIGEON_STATE_DIR=$STATE timeout "$DEADLINE_S" "$PIGEON" down >"$WORK/down.log" 2>&1 ||
        fail "down failed: $(tail -n 5 "$WORK/down.log")"
    check_nothing_left
    say "passed in $((SECONDS - started))s"
}

main "$@"
