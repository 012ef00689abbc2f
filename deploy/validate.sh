#!/usr/bin/env bash
# validate.sh - checks the deployment files without a Docker engine or a
# Kubernetes cluster:
#   1. the entry point script parses (sh -n);
#   2. docker-compose.yml is valid (docker compose or docker-compose `config -q`,
#      with .env.example);
#   3. every Kubernetes manifest parses and matches the Kubernetes object
#      schemas (npm packages js-yaml and kubernetes-models, installed into a
#      temporary folder: needs node, npm and the npm registry), and every file
#      kustomization.yaml names exists;
#   4. every PIGEON_* variable the files set is one the binaries read;
#   5. yamllint (relaxed rules, 120-character lines) on every YAML file.
# A step whose tool is missing is reported as skipped. Exit status 1 when a
# check fails.
set -euo pipefail

DEPLOY=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(dirname "$DEPLOY")
FAILED=0
WORK=""

say() { printf 'validate: %s\n' "$*"; }
bad() {
    say "FAILED: $*" >&2
    FAILED=1
}

cleanup() { [[ -n $WORK ]] && rm -rf "$WORK"; return 0; }

check_entrypoint() {
    if sh -n "$DEPLOY/docker-entrypoint.sh"; then
        say "docker-entrypoint.sh parses"
    else
        bad "docker-entrypoint.sh does not parse"
    fi
}

check_compose() {
    local compose=()
    if docker compose version >/dev/null 2>&1; then
        compose=(docker compose)
    elif command -v docker-compose >/dev/null; then
        compose=(docker-compose)
    else
        say "docker-compose.yml: skipped (neither docker compose nor docker-compose)"
        return 0
    fi
    if (cd "$DEPLOY" && "${compose[@]}" -f docker-compose.yml --env-file .env.example config -q); then
        say "docker-compose.yml is valid (${compose[*]} config)"
    else
        bad "docker-compose.yml (${compose[*]} config)"
    fi
}

# The node program: parse every document of every manifest and validate it
# against its kind's schema.
write_k8s_checker() {
    cat >"$WORK/check.js" <<'JS'
const fs = require("fs");
const path = require("path");
const yaml = require("js-yaml");
const dir = process.argv[2];
let failed = 0, count = 0;
const groupDir = (apiVersion) => {
  const [group, version] = apiVersion.includes("/") ? apiVersion.split("/") : ["", apiVersion];
  return group === "" ? `kubernetes-models/${version}` : `kubernetes-models/${group}/${version}`;
};
for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".yaml")).sort()) {
  let docs;
  try {
    docs = yaml.loadAll(fs.readFileSync(path.join(dir, file), "utf8"));
  } catch (e) {
    console.error(`${file}: ${e.message}`);
    failed++;
    continue;
  }
  for (const doc of docs.filter((d) => d)) {
    if (doc.kind === "Kustomization") {
      for (const r of doc.resources || [])
        if (!fs.existsSync(path.join(dir, r))) { console.error(`${file}: missing resource ${r}`); failed++; }
      continue;
    }
    count++;
    try {
      const mod = require(groupDir(doc.apiVersion));
      const Kind = mod[doc.kind];
      if (!Kind) throw new Error(`unknown kind ${doc.apiVersion} ${doc.kind}`);
      new Kind(doc).validate();
    } catch (e) {
      console.error(`${file}: ${doc.kind} ${doc.metadata && doc.metadata.name}: ${e.message}`);
      failed++;
    }
  }
}
console.log(`${count} objects checked, ${failed} problems`);
process.exit(failed ? 1 : 0);
JS
}

check_k8s() {
    if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
        say "deploy/k8s: skipped (node and npm are needed)"
        return 0
    fi
    WORK=$(mktemp -d -t pigeon-validate.XXXXXX)
    if ! (cd "$WORK" && npm install --silent --no-audit --no-fund js-yaml@4 kubernetes-models@4 \
        >"$WORK/npm.log" 2>&1); then
        say "deploy/k8s: skipped (npm install failed: $(tail -n 1 "$WORK/npm.log"))"
        return 0
    fi
    write_k8s_checker
    if (cd "$WORK" && node check.js "$DEPLOY/k8s"); then
        say "deploy/k8s: every manifest matches the Kubernetes schemas"
    else
        bad "deploy/k8s manifests"
    fi
}

# YAML style and syntax of every file (yamllint, Debian package yamllint);
# lines may be up to 120 characters.
check_yamllint() {
    if ! command -v yamllint >/dev/null; then
        say "yamllint: skipped (not installed)"
        return 0
    fi
    if yamllint -s -d '{extends: relaxed, rules: {line-length: {max: 120}}}' \
        "$DEPLOY/docker-compose.yml" "$DEPLOY/k8s"; then
        say "yamllint: every YAML file is clean"
    else
        bad "yamllint"
    fi
}

# Every PIGEON_* name set in the deployment files must be read by the C code.
check_variables() {
    local name unknown=()
    while read -r name; do
        grep -rqF "\"$name\"" "$ROOT/services" "$ROOT/gateway" || unknown+=("$name")
    done < <(grep -ohE '\bPIGEON_[A-Z0-9_]+' "$DEPLOY/Dockerfile" "$DEPLOY/docker-compose.yml" \
        "$DEPLOY"/k8s/*.yaml | grep -vE '^PIGEON_(IMAGE|GATEWAY_PUBLISH)$' | sort -u)
    if [[ ${#unknown[@]} -eq 0 ]]; then
        say "every PIGEON_* variable in the deployment files is read by the binaries"
    else
        bad "variables no binary reads: ${unknown[*]}"
    fi
}

main() {
    trap cleanup EXIT
    check_entrypoint
    check_compose
    check_yamllint
    check_k8s
    check_variables
    ((FAILED == 0)) && say "all checks passed"
    return "$FAILED"
}

main "$@"
