#!/usr/bin/env bash
# test_deploy.sh - the deployment files validate without a Docker engine or a
# cluster: compose config, yamllint, Kubernetes schemas, PIGEON_* variables
# (deploy/validate.sh does the work).
set -euo pipefail
ROOT=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
exec bash "$ROOT/deploy/validate.sh"
