#!/usr/bin/env bash
# Report building: a real run of a 200-step runbook whose journal holds about 10,000 entries,
# then the time to build each report format from that journal. Per format, the median of RUNS
# rounds of: drctl's own work in one process (reading and replaying the journal into the report,
# as report.json holds it, then rendering the format), against the target of 300 ms each; and the
# whole `drctl report --format F --output FILE` command, Node's start included, as an operator
# waits for it.
#
# The run is made by drctl itself, so every entry is one the real journal writer wrote: 200 steps
# of the kinds a recovery runbook has, each run as `drctl run --yes --accept-manual` runs them:
#   - commands that print a few lines, some asking for confirmation (prompt.asked/answered),
#     some over their budget (step.over_budget), some failing twice before they succeed (retries:
#     step.process and step.attempt per try);
#   - waits that poll (`until:`) until a counter says the replica caught up (an attempt per poll);
#   - manual steps with a checklist, each item journaled as asked, answered and recorded;
#   - then operators' notes added with `drctl note`.
# STEPS, ITEMS (checklist items per manual step) and POLLS (polls per wait) set its size.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
[ -f dist/drctl.cjs ] || npm run build >/dev/null
STEPS=${STEPS:-200}
ITEMS=${ITEMS:-70}
POLLS=${POLLS:-10}
NOTES=${NOTES:-10}
RUNS=${RUNS:-7}
TARGET_MS=300
bench_workdir

{
  echo 'apiVersion: drctl/v1'
  echo 'kind: Runbook'
  echo 'metadata: { name: bench-report, title: "Restore the orders database (report bench)" }'
  echo 'objectives: { rto: 4h, rpo: 15m }'
  echo 'steps:'
  for ((i = 0; i < STEPS; i++)); do
    case $((i % 5)) in
      4)
        echo "  - id: check-$i"
        echo "    title: Check the service by hand ($i)"
        echo '    manual: |'
        echo '      Go through the checklist on the dashboard:'
        for ((k = 1; k <= ITEMS; k++)); do echo "      - [ ] check $k of step $i: the panel shows green"; done
        ;;
      3)
        echo "  - id: wait-$i"
        echo "    title: Wait for the replica to catch up ($i)"
        echo "    run: |"
        echo "      n=\$(( \$(cat poll-$i 2>/dev/null || echo 0) + 1 )); echo \$n > poll-$i"
        echo "      echo \"replication lag: \$(( $POLLS - n ))s\""
        echo "      [ \$n -ge $POLLS ]"
        echo '    until: { exit_code: 0 }'
        echo '    interval: 10ms'
        echo '    timeout: 10m'
        ;;
      *)
        echo "  - id: step-$i"
        echo "    title: Restore part $i of the orders database"
        echo '    run: |'
        if ((i % 10 == 1)); then
          echo "      n=\$(( \$(cat try-$i 2>/dev/null || echo 0) + 1 )); echo \$n > try-$i"
          echo "      if [ \$n -lt 3 ]; then echo \"pg_restore: error: connection to server lost (try \$n)\" >&2; exit 1; fi"
        fi
        echo "      for t in customers orders order_lines payments; do echo \"restored \$t: $i\"; done"
        if ((i % 10 == 1)); then echo '    retries: 2'; fi
        if ((i % 4 == 0)); then echo '    confirm: true'; fi
        if ((i % 3 == 0)); then echo '    budget: 1ms'; fi
        ;;
    esac
  done
} >"$dir/runbook.yaml"

echo "making the run: $STEPS steps (drctl run --yes --accept-manual)..." >&2
(cd "$dir" && node "$OLDPWD/bin/drctl.cjs" run runbook.yaml --yes --accept-manual --state-dir "$dir/state" >/dev/null 2>&1)
run_id=$(ls "$dir/state/runs")
for ((k = 1; k <= NOTES; k++)); do node bin/drctl.cjs note "$run_id" "note $k: the restore of part $k looked slow on the dashboard" --state-dir "$dir/state" >/dev/null; done
journal="$dir/state/runs/$run_id/journal.jsonl"
entries=$(wc -l <"$journal")
echo "journal: $entries entries, $(du -k "$journal" | cut -f1) KiB, $STEPS steps; $RUNS rounds per format"

# In one process, apart from Node's start: drctl's own sources bundled as scripts/build.mjs bundles them.
timing="dist/.bench-report-timing-$$.mjs"
bench_on_exit 'rm -f "$timing"'
npx esbuild bench/report-timing.ts --bundle --platform=node --format=esm --packages=external --log-level=warning --outfile="$timing"
declare -A wall cpu
while read -r what ms used; do
  wall[$what]=$ms
  cpu[$what]=$used
done < <(node "$timing" "$journal" "$RUNS")

sum() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a + b }'; }
startup=$(median_ms "$RUNS" node bin/drctl.cjs --version)
echo "median of $RUNS rounds, in ms. In drctl: the journal read and replayed into the report, then the format"
echo "rendered, in one process (wall, and processor time, which a busy machine's other load does not"
echo "inflate). Whole command: drctl report --format F --output FILE, Node's start included (alone: ${startup} ms)."
printf '%-10s  %9s  %9s  %13s\n' format "in drctl" "(cpu)" "whole command"
worst=0
for format in json md junit junit-ant html; do
  node bin/drctl.cjs report "$run_id" --format "$format" --output "$dir/report.$format" --state-dir "$dir/state" >/dev/null # warm up, and prove it works
  whole=$(median_ms "$RUNS" node bin/drctl.cjs report "$run_id" --format "$format" --output "$dir/report.$format" --state-dir "$dir/state")
  ms=$(sum "${wall[build]}" "${wall[$format]}")
  used=$(sum "${cpu[build]}" "${cpu[$format]}")
  verdict=$(awk -v m="$ms" -v t="$TARGET_MS" 'BEGIN { print (m < t) ? "under" : "OVER" }')
  printf '%-10s  %9s  %9s  %13s   (%s the %s ms target; file %s KiB)\n' "$format" "$ms" "$used" "$whole" "$verdict" "$TARGET_MS" "$(du -k "$dir/report.$format" | cut -f1)"
  worst=$(awk -v a="$worst" -v b="$ms" 'BEGIN { print (b > a) ? b : a }')
done
echo "slowest format: ${worst} ms in drctl (target < ${TARGET_MS} ms each); of each, reading and replaying the journal: ${wall[build]} ms (cpu ${cpu[build]} ms)"

# ---------------------------------------------------------------------------------------------
# drctl history over 500 past runs (target < 1 s) has a bench of its own: bench/history.sh.
if [ -f bench/history.sh ]; then
  echo
  bash bench/history.sh
fi
