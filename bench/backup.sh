#!/usr/bin/env bash
# postgres.backup against the seeds' procedure (`pg_dump | gzip > file`, then `aws s3 cp`), into a
# moto_server bucket, from a throw-away PostgreSQL filled by `pgbench -i` (scale 10 by default:
# `--scale N`). Interleaved rounds (RUNS, default 5) of: drctl's plain-gzip backup with its manifest
# (the default: every table fingerprinted from the dump's data as it streams through drctl), the same with `manifest: false` (the
# dump and its sha256 alone, what the seeds' procedure gives), the seeds' procedure, drctl's
# custom-format backup (`manifest: false`), and `pg_dump -Fc > file` then `aws s3 cp`. Each drctl
# route is a one-step runbook run with `drctl run --yes`, start-up included. Prints the medians, the
# ratios and drctl's peak memory (RSS, from /usr/bin/time -f %M, the highest of all its rounds).
# Targets: drctl no slower than the procedure it replaces (ratio <= 1.0); peak memory under 150 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

RUNS=${RUNS:-5}
bench_scale_args backup 10 "$@"
[ -f dist/drctl.cjs ] || npm run build >/dev/null
bench_need backup moto_server aws /usr/bin/time initdb pg_ctl pgbench pg_dump gzip

bench_workdir
bench_postgres "$SCALE"
bench_moto

# runbook NAME FORMAT MANIFEST: a one-step runbook taking that backup.
runbook() {
  cat >"$dir/$1.yaml" <<EOF
apiVersion: drctl/v1
kind: Runbook
metadata: { name: bench-backup-$1, title: Back up the bench database }
inputs:
  db: { secret: true, env: BENCH_DB_URL }
steps:
  - id: backup
    title: Back up the bench database ($2, manifest $3)
    uses: postgres.backup
    with: { url: "\${{ inputs.db }}", to: "s3://bench/drctl/", format: $2, manifest: $3 }
EOF
}
runbook plain-manifest plain-gzip true
runbook plain plain-gzip false
runbook custom custom false
export BENCH_DB_URL="postgresql://postgres@127.0.0.1:$pg_port/bench"

# drctl ROUTE: one run, its wall time (µs) on stdout and its peak RSS (KiB) appended to $dir/rss-ROUTE.
drctl_round() {
  local start end
  start=$(date +%s%N)
  /usr/bin/time -f %M -a -o "$dir/rss-$1" node bin/drctl.cjs run "$dir/$1.yaml" --yes --state-dir "$dir/state" >"$dir/drctl.log" 2>&1 ||
    { cat "$dir/drctl.log" >&2; exit 1; }
  end=$(date +%s%N)
  echo $(((end - start) / 1000))
}
seeds_plain() { pg_dump | gzip >"$dir/plain.sql.gz" && aws s3 cp --quiet "$dir/plain.sql.gz" s3://bench/cli/plain.sql.gz && rm "$dir/plain.sql.gz"; }
seeds_custom() { pg_dump -Fc >"$dir/custom.dump" && aws s3 cp --quiet "$dir/custom.dump" s3://bench/cli/custom.dump && rm "$dir/custom.dump"; }

# Warm up both routes once (and prove drctl's backup is what it says).
drctl_round plain-manifest >/dev/null
grep -q 'manifest (4 tables' "$dir/drctl.log" || { cat "$dir/drctl.log"; exit 1; }
seeds_plain
rm -f "$dir"/rss-*

for ((i = 0; i < RUNS; i++)); do
  drctl_round plain-manifest >>"$dir/drctl-plain-manifest"
  drctl_round plain >>"$dir/drctl-plain"
  wall_us seeds_plain >>"$dir/seeds-plain"
  drctl_round custom >>"$dir/drctl-custom"
  wall_us seeds_custom >>"$dir/seeds-custom"
done

drctl_manifest=$(median_of_us <"$dir/drctl-plain-manifest")
drctl_plain=$(median_of_us <"$dir/drctl-plain")
seeds_plain_ms=$(median_of_us <"$dir/seeds-plain")
drctl_custom=$(median_of_us <"$dir/drctl-custom")
seeds_custom_ms=$(median_of_us <"$dir/seeds-custom")
peak_of() { grep -hE '^[0-9]+$' "$@" | sort -n | tail -1 | awk '{ printf "%.1f", $1 / 1024 }'; }
object=$(aws s3 ls s3://bench/drctl/ | awk '$4 ~ /\.sql\.gz$/ { print $3; exit }')

echo "database                              pgbench scale $SCALE ($db_size), plain-gzip dump $(awk -v b="$object" 'BEGIN { printf "%.1f", b / 1048576 }') MiB, $RUNS interleaved rounds"
echo "pg_dump | gzip > file; aws s3 cp      median ${seeds_plain_ms} ms"
echo "drctl plain-gzip, manifest: false     median ${drctl_plain} ms  (the whole run: start-up, pg_dump | gzip streamed to S3, sha256)"
echo "  ratio                               $(ratio "$drctl_plain" "$seeds_plain_ms")  (target <= 1.0)"
echo "drctl plain-gzip with its manifest    median ${drctl_manifest} ms  (the same, and every table fingerprinted from the dump as it streams)"
echo "  ratio                               $(ratio "$drctl_manifest" "$seeds_plain_ms")"
echo "pg_dump -Fc > file; aws s3 cp         median ${seeds_custom_ms} ms"
echo "drctl custom, manifest: false         median ${drctl_custom} ms"
echo "  ratio                               $(ratio "$drctl_custom" "$seeds_custom_ms")  (target <= 1.0)"
echo "drctl peak memory (RSS)               $(peak_of "$dir"/rss-*) MiB  (target < 150 MiB): plain-gzip with its manifest $(peak_of "$dir/rss-plain-manifest"), without $(peak_of "$dir/rss-plain"), custom $(peak_of "$dir/rss-custom")"
