#!/usr/bin/env bash
# Startup cost: `drctl validate runbooks/` against a bare `node -e 0`, median of 10 runs each.
# The two take turns, run by run, so that a machine slowing down or speeding up while the
# benchmark runs weighs on both alike. Target: ratio at most 2.0.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
[ -f dist/drctl.cjs ] || npm run build >/dev/null
RUNS=${RUNS:-10}
node bin/drctl.cjs validate runbooks/ >/dev/null # warm the file cache
drctl_us=() bare_us=()
for ((i = 0; i < RUNS; i++)); do
  drctl_us+=("$(wall_us node bin/drctl.cjs validate runbooks/)")
  bare_us+=("$(wall_us node -e 0)")
done
drctl=$(printf '%s\n' "${drctl_us[@]}" | median_of_us)
bare=$(printf '%s\n' "${bare_us[@]}" | median_of_us)
help=$(median_ms "$RUNS" node bin/drctl.cjs --help)
echo "drctl validate runbooks/  median ${drctl} ms ($(ls runbooks/*.yaml | wc -l) runbooks)"
echo "drctl --help              median ${help} ms"
echo "node -e 0                 median ${bare} ms"
echo "ratio validate / node     $(ratio "$drctl" "$bare")  (target <= 2.0)"
