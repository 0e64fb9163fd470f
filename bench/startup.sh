#!/usr/bin/env bash
# Startup cost: `drctl validate runbooks/` against a bare `node -e 0`, median of 10 runs each.
# Target: ratio at most 2.0.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
[ -f dist/drctl.cjs ] || npm run build >/dev/null
RUNS=${RUNS:-10}
node bin/drctl.cjs validate runbooks/ >/dev/null # warm the file cache
drctl=$(median_ms "$RUNS" node bin/drctl.cjs validate runbooks/)
bare=$(median_ms "$RUNS" node -e 0)
help=$(median_ms "$RUNS" node bin/drctl.cjs --help)
echo "drctl validate runbooks/  median ${drctl} ms ($(ls runbooks/*.yaml | wc -l) runbooks)"
echo "drctl --help              median ${help} ms"
echo "node -e 0                 median ${bare} ms"
echo "ratio validate / node     $(ratio "$drctl" "$bare")  (target <= 2.0)"
