#!/usr/bin/env bash
# bench-media-upload.sh - the memory bound of uploads, measured.
#
# Against a running Pigeon on this machine (loopback only), registers a
# user, then runs ROUNDS rounds of N concurrent uploads of a 9 MiB valid
# JPEG (tests/fixtures/media/image.jpg padded after its end marker) with
# curl, and prints the answers and the peak resident memory (VmHWM, from
# /proc/<pid>/status) of pigeon-media and pigeon-gateway before and after.
# VmHWM is the high-water mark since each process started: run it against
# freshly started processes for a clean number.
#
#   scripts/bench-media-upload.sh [N] [ROUNDS]
#
# Environment: PIGEON_URL (default http://127.0.0.1:8080; must be loopback),
# MEDIA_PID / GATEWAY_PID (default: the only process of that name).
set -euo pipefail

N=${1:-16}
ROUNDS=${2:-3}
URL=${PIGEON_URL:-http://127.0.0.1:8080}
HERE=$(cd "$(dirname "$0")" && pwd)
FIXTURE="$HERE/../tests/fixtures/media/image.jpg"

die() { echo "bench-media-upload: $*" >&2; exit 1; }

[[ $N =~ ^[0-9]+$ && $N -ge 1 && $N -le 256 ]] || die "N must be 1..256"
[[ $ROUNDS =~ ^[0-9]+$ && $ROUNDS -ge 1 && $ROUNDS -le 20 ]] || die "ROUNDS must be 1..20"
[[ $URL =~ ^http://(127\.0\.0\.1|localhost|\[::1\])(:[0-9]+)?$ ]] || die "PIGEON_URL must be loopback"
command -v curl >/dev/null || die "curl is needed"

pid_of() {
    local pids
    pids=$(pgrep -x "$1" || true)
    [[ -n $pids && $(wc -w <<<"$pids") -eq 1 ]] || die "set ${2}: not exactly one $1 process"
    echo "$pids"
}
MEDIA_PID=${MEDIA_PID:-$(pid_of pigeon-media MEDIA_PID)}
GATEWAY_PID=${GATEWAY_PID:-$(pid_of pigeon-gateway GATEWAY_PID)}

hwm() { awk '/^VmHWM:/ {print $2 " kB"}' "/proc/$1/status"; }
rss() { awk '/^VmRSS:/ {print $2 " kB"}' "/proc/$1/status"; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 9 MiB: the fixture, then filler after its end marker (the probe reads
# headers only, decoders stop at EOI).
size=$((9 * 1024 * 1024))
cp "$FIXTURE" "$work/big.jpg"
head -c $((size - $(stat -c %s "$FIXTURE"))) /dev/urandom >>"$work/big.jpg"

name="bench$RANDOM$RANDOM"
token=$(curl -sS --max-time 30 -H 'Content-Type: application/json' \
    -d "{\"username\":\"$name\",\"password\":\"bench-password-$RANDOM\",\"nickname\":\"bench\"}" \
    "$URL/v1/auth/register" | sed -n 's/.*"token":"\([^"]*\)".*/\1/p')
[[ -n $token ]] || die "could not register a user at $URL"

# The gateway finds pigeon-media through the registry within seconds of its
# start: wait (bounded) until a small upload goes through.
for ((try = 0; try < 100; try++)); do
    code=$(curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -H "Authorization: Bearer $token" \
        --data-binary "@$FIXTURE" "$URL/v1/media" || true)
    [[ $code == 201 ]] && break
    sleep 0.1
done
[[ $code == 201 ]] || die "pigeon-media does not take uploads (last answer $code)"

echo "before: pigeon-media VmHWM $(hwm "$MEDIA_PID") VmRSS $(rss "$MEDIA_PID"); pigeon-gateway VmHWM $(hwm "$GATEWAY_PID") VmRSS $(rss "$GATEWAY_PID")"
declare -A answers=()
for ((round = 1; round <= ROUNDS; round++)); do
    start=$(date +%s.%N)
    for ((i = 0; i < N; i++)); do
        curl -sS --max-time 120 -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $token" \
            -H 'Content-Type: image/jpeg' --data-binary "@$work/big.jpg" "$URL/v1/media" \
            >"$work/status.$i" 2>/dev/null &
    done
    wait
    end=$(date +%s.%N)
    for ((i = 0; i < N; i++)); do
        code=$(cat "$work/status.$i")
        answers[$code]=$((${answers[$code]:-0} + 1))
    done
    printf 'round %d: %d uploads of 9 MiB in %.2f s\n' "$round" "$N" "$(echo "$end - $start" | bc)"
done
for code in "${!answers[@]}"; do echo "  HTTP $code: ${answers[$code]}"; done
echo "after:  pigeon-media VmHWM $(hwm "$MEDIA_PID") VmRSS $(rss "$MEDIA_PID"); pigeon-gateway VmHWM $(hwm "$GATEWAY_PID") VmRSS $(rss "$GATEWAY_PID")"
