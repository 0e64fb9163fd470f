#!/usr/bin/env bash
# drctl history over many past runs: target under 1 s (the whole command, Node's start included).
#
# A few real drills of a 20-step runbook are made with `drctl run --drill --yes`; their run
# folders (journal and report.json) are then copied to RUNS_KEPT past runs, a day apart, each
# under a run id of its own and with its steps' times scattered, as a state dir of two years of
# daily drills would hold. Every 50th copy loses its report.json, so those runs are rebuilt from
# their journals as drctl does for a run whose report is missing. Then, the median of ROUNDS runs
# of: drctl history, drctl history --json, drctl history --overdue.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
[ -f dist/drctl.cjs ] || npm run build >/dev/null
RUNS_KEPT=${RUNS_KEPT:-500}
DRILLS=${DRILLS:-3}
ROUNDS=${ROUNDS:-7}
TARGET_MS=1000
bench_workdir

{
  echo 'apiVersion: drctl/v1'
  echo 'kind: Runbook'
  echo 'metadata: { name: bench-history, title: "Restore the orders database (history bench)" }'
  echo 'objectives: { rto: 1h, rpo: 15m, drill_every: 1d }'
  echo 'steps:'
  for ((i = 0; i < 20; i++)); do
    echo "  - id: step-$i"
    echo "    title: Restore part $i"
    echo "    run: echo restored part $i"
    echo "    budget: $((i + 1))m"
  done
} >"$dir/bench-history.yaml"

echo "making $DRILLS drills of a 20-step runbook, copied to $RUNS_KEPT past runs..." >&2
for ((i = 0; i < DRILLS; i++)); do
  node bin/drctl.cjs run "$dir/bench-history.yaml" --drill --yes --state-dir "$dir/made" >/dev/null 2>&1
done
node - "$dir/made/runs" "$dir/state/runs" "$RUNS_KEPT" <<'EOF'
const fs = require('node:fs');
const path = require('node:path');
const [from, to, count] = process.argv.slice(2);
const sources = fs.readdirSync(from).sort();
const start = Date.parse('2024-01-01T03:00:00Z');
const ISO = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/g;
for (let i = 0; i < Number(count); i++) {
  const source = sources[i % sources.length];
  const journalText = fs.readFileSync(path.join(from, source, 'journal.jsonl'), 'utf8');
  // Every time in the copy moves by as much as its start does: a day apart, from 2024-01-01.
  const shift = start + i * 86_400_000 - Date.parse(JSON.parse(journalText.split('\n')[0]).t);
  const moved = (text) => text.replace(ISO, (t) => new Date(Date.parse(t) + shift).toISOString());
  const stamp = new Date(start + i * 86_400_000).toISOString().replace(/[-:]/g, '').replace(/\.\d+/, '');
  const id = `bench-history-${stamp}-${(i % 65536).toString(16).padStart(4, '0')}`;
  fs.mkdirSync(path.join(to, id), { recursive: true });
  fs.writeFileSync(path.join(to, id, 'journal.jsonl'), moved(journalText.replaceAll(source, id)));
  if (i % 50 === 49) continue;
  const report = JSON.parse(moved(fs.readFileSync(path.join(from, source, 'report.json'), 'utf8').replaceAll(source, id)));
  // Steps' times scattered between 20 s and 2 min, as real ones are.
  for (const step of report.steps) step.duration_s = 20 + ((i * 7919 + Number(step.id.slice(5)) * 31) % 100);
  report.elapsed_s = report.steps.reduce((sum, step) => sum + step.duration_s, 0);
  report.rto.elapsed_s = report.elapsed_s;
  fs.writeFileSync(path.join(to, id, 'report.json'), JSON.stringify(report, null, 2));
}
EOF
mkdir "$dir/runbooks" && cp "$dir/bench-history.yaml" "$dir/runbooks/"
runs=$(ls "$dir/state/runs" | wc -l)
kept=$(ls "$dir"/state/runs/*/report.json | wc -l)
echo "drctl history over $runs past runs ($kept with report.json, $((runs - kept)) rebuilt from their journals); median of $ROUNDS rounds"
node bin/drctl.cjs history --state-dir "$dir/state" >/dev/null # warm the file cache, and prove it works
# cpu_ms CMD...: the processor time (user + system) of one run of CMD, in ms: what a busy machine's other load does not inflate.
cpu_ms() {
  local t
  t=$( { TIMEFORMAT='%3U %3S'; time "$@" >/dev/null 2>&1; } 2>&1 )
  awk '{ printf "%.0f\n", ($1 + $2) * 1000 }' <<<"$t"
}
printf '%-44s %11s  %s\n' "" "wall (median)" "cpu (median)"
worst=0
for args in "" "--json" "--overdue --dir $dir/runbooks"; do
  # --overdue exits 3 when a runbook is due: the time is what counts here.
  ms=$(median_ms "$ROUNDS" node bin/drctl.cjs history $args --state-dir "$dir/state")
  cpu=$(for ((r = 0; r < ROUNDS; r++)); do cpu_ms node bin/drctl.cjs history $args --state-dir "$dir/state" || true; done | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
  verdict=$(awk -v m="$ms" -v t="$TARGET_MS" 'BEGIN { print (m < t) ? "under" : "OVER" }')
  printf '%-44s %8s ms  %8s ms  (%s the %s ms target)\n' "drctl history $(echo "$args" | sed "s#$dir/##")" "$ms" "$cpu" "$verdict" "$TARGET_MS"
  worst=$(awk -v a="$worst" -v b="$ms" 'BEGIN { print (b > a) ? b : a }')
done
startup=$(median_ms "$ROUNDS" node bin/drctl.cjs --version)
echo "slowest: ${worst} ms (target < ${TARGET_MS} ms; Node's start and drctl's load alone: ${startup} ms)"
