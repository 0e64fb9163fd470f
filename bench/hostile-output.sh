#!/usr/bin/env bash
# Output of any shape costs drctl time and memory in proportion to its size, never more: a step
# printing 10 MB and 100 MB without a newline, and 2 million short lines, each run by a one-step
# runbook (`drctl run --yes`, the output shown on stderr, sent to /dev/null here) and by bash alone
# with its output piped to /dev/null. Median of RUNS each; drctl's peak memory is the highest of
# its runs (RSS, from /usr/bin/time -f %M).
# Targets: drctl under 2x the command alone plus 1 s; peak memory under 150 MiB whatever the size.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
[ -f dist/drctl.cjs ] || npm run build >/dev/null
command -v /usr/bin/time >/dev/null || { echo "bench/hostile-output.sh needs /usr/bin/time" >&2; exit 2; }
RUNS=${RUNS:-3}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# name|command
cases=(
  "10 MB, no newline|head -c 10000000 /dev/zero | tr '\\0' x"
  "100 MB, no newline|head -c 100000000 /dev/zero | tr '\\0' x"
  "2,000,000 short lines|seq 2000000"
)

# seconds_and_kib CMD...: one run of CMD (output discarded), "wall_seconds peak_rss_kib".
seconds_and_kib() {
  /usr/bin/time -f '%e %M' -o "$dir/time" "$@" >/dev/null 2>&1 || true
  cat "$dir/time"
}

median() { sort -n | awk '{ a[NR] = $1 } END { print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }

printf '%-24s %12s %12s %8s %14s %10s\n' OUTPUT 'drctl s' 'alone s' ratio 'target s' 'peak MiB'
for entry in "${cases[@]}"; do
  name=${entry%%|*}
  cmd=${entry#*|}
  runbook="$dir/hostile.yaml"
  cat >"$runbook" <<EOF
apiVersion: drctl/v1
kind: Runbook
metadata: { name: bench-hostile-output, title: Hostile output }
steps:
  - id: print
    title: Print a lot
    run: |
      $cmd
EOF
  node bin/drctl.cjs run "$runbook" --yes --state-dir "$dir/state" >/dev/null 2>&1 || { echo "drctl run failed for: $name" >&2; exit 1; }
  drctl_s=() alone_s=() peak_kib=0
  for ((i = 0; i < RUNS; i++)); do
    read -r s kib < <(seconds_and_kib node bin/drctl.cjs run "$runbook" --yes --state-dir "$dir/state")
    drctl_s+=("$s")
    ((kib > peak_kib)) && peak_kib=$kib
    read -r s _ < <(seconds_and_kib bash -e -o pipefail -c "$cmd")
    alone_s+=("$s")
  done
  drctl=$(printf '%s\n' "${drctl_s[@]}" | median)
  alone=$(printf '%s\n' "${alone_s[@]}" | median)
  target=$(awk -v a="$alone" 'BEGIN { printf "%.2f", 2 * a + 1 }')
  printf '%-24s %12s %12s %8s %14s %10s\n' "$name" "$drctl" "$alone" "$(ratio "$drctl" "$(awk -v a="$alone" 'BEGIN { print (a > 0 ? a : 0.01) }')")" "< $target" "$((peak_kib / 1024))"
done
echo "targets: drctl under 2x the command alone + 1 s; peak memory under 150 MiB"
