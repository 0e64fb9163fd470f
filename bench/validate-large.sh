#!/usr/bin/env bash
# Validation of a generated 1,000-step runbook through the CLI, median of 5 runs.
# Target: under 0.5 s.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
[ -f dist/drctl.cjs ] || npm run build >/dev/null
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
node bench/generate-runbook.mjs 1000 >"$dir/big.yaml"
node bin/drctl.cjs validate "$dir/big.yaml" >/dev/null # must be valid
ms=$(median_ms 5 node bin/drctl.cjs validate "$dir/big.yaml")
echo "drctl validate of a 1000-step runbook ($(wc -c <"$dir/big.yaml") bytes)  median ${ms} ms  (target < 500 ms)"
