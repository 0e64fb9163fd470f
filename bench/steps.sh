#!/usr/bin/env bash
# Per-step overhead: a runbook of 200 trivial steps run with --yes (journal flushed at every
# transition) against a bash script running the same 200 commands, each in its own `bash -c`.
# Prints both medians, the ratio and drctl's overhead per step. Target: under 10 ms per step.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
[ -f dist/drctl.cjs ] || npm run build >/dev/null
STEPS=${STEPS:-200}
RUNS=${RUNS:-5}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
{
  echo 'apiVersion: drctl/v1'
  echo 'kind: Runbook'
  echo 'metadata: { name: bench-steps, title: Trivial steps }'
  echo 'objectives: { rto: 1h, rpo: 15m }'
  echo 'steps:'
  for ((i = 0; i < STEPS; i++)); do
    echo "  - { id: step-$i, title: Step $i, run: 'true', budget: 1s }"
  done
} >"$dir/steps.yaml"
{
  echo '#!/usr/bin/env bash'
  for ((i = 0; i < STEPS; i++)); do echo "bash -e -o pipefail -c 'true'"; done
} >"$dir/steps.sh"
node bin/drctl.cjs run "$dir/steps.yaml" --yes --state-dir "$dir/state" >/dev/null 2>&1 # warm up, and prove it runs
drctl=$(median_ms "$RUNS" node bin/drctl.cjs run "$dir/steps.yaml" --yes --state-dir "$dir/state")
plain=$(median_ms "$RUNS" bash "$dir/steps.sh")
events=$(wc -l <"$(ls -d "$dir"/state/runs/*/ | head -1)journal.jsonl")
echo "drctl run --yes, $STEPS steps   median ${drctl} ms  ($events journal events per run: written at every transition, synced to disk at step boundaries)"
echo "bash, $STEPS x bash -c          median ${plain} ms"
echo "ratio                          $(ratio "$drctl" "$plain")"
echo "overhead per step              $(awk -v a="$drctl" -v b="$plain" -v n="$STEPS" 'BEGIN { printf "%.2f", (a - b) / n }') ms  (target < 10 ms)"
