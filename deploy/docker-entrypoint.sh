#!/bin/sh
# pigeon-entrypoint - starts one Pigeon process in a container.
#
#   pigeon-entrypoint gateway|auth|relationship|router|group|media [args]
#   pigeon-entrypoint migrate      every service's migrations, then exit
#   pigeon-entrypoint <command>    anything else runs as given (a shell, ...)
#
# Several containers may share one service name (docker compose --scale), so
# each copy advertises its own IP address in the registry unless
# PIGEON_ADVERTISE_HOST is set (Kubernetes sets it to the pod IP).
set -eu

SERVICES="auth relationship router group media"

advertise_own_address() {
    if [ -z "${PIGEON_ADVERTISE_HOST:-}" ]; then
        PIGEON_ADVERTISE_HOST=$(hostname -i | awk '{ print $1 }')
        [ -n "$PIGEON_ADVERTISE_HOST" ] || {
            echo "pigeon-entrypoint: could not determine this container's IP address; set PIGEON_ADVERTISE_HOST" >&2
            exit 1
        }
        export PIGEON_ADVERTISE_HOST
    fi
}

# Each service's migrations under its advisory lock; safe to run while other
# copies start (they migrate at start too and find nothing left to do).
migrate_all() {
    for service in $SERVICES; do
        "/usr/local/bin/pigeon-$service" --migrate
    done
}

command=${1:-gateway}
[ $# -gt 0 ] && shift
case $command in
    migrate)
        migrate_all
        ;;
    gateway | auth | relationship | router | group | media)
        advertise_own_address
        exec "/usr/local/bin/pigeon-$command" "$@"
        ;;
    *)
        exec "$command" "$@"
        ;;
esac
