#!/usr/bin/env bash
# postgres.restore against the seeds' procedure and against the ingest floor, from a moto_server
# bucket into a throw-away PostgreSQL. The database is made by `pgbench -i` (scale 100 by default:
# `--scale N`), backed up once in plain-gzip (`pg_dump | gzip`) and custom (`pg_dump -Fc`) format
# and uploaded with its sha256 as metadata (as postgres.backup stores it). Then, in interleaved
# rounds (RUNS, default 5), each route restores into a fresh empty database:
#   seeds         `aws s3 cp` to a file, `gunzip` the file, `psql < file`
#   drctl plain   postgres.restore of the plain-gzip object (a one-step runbook, `drctl run --yes`:
#                 start-up included): S3 streamed through gunzip and the guard into one psql transaction
#   drctl custom  postgres.restore of the custom object: ranged parallel download, then pg_restore -j
#   database-loss the shipped runbook, the whole run (`drctl run database-loss --yes --accept-manual`)
#                 with a recording kubectl first on PATH (as the tests have it) and a local health
#                 endpoint: it finds the plain-gzip object and streams it with postgres.restore
#   floor plain   `psql -1 < plain.sql` from an uncompressed file already on disk
#   floor custom  `pg_restore -j <cores>` from a file already on disk
# Prints the medians, each route's ratio to the floor of its format, and drctl's peak memory (RSS,
# from /usr/bin/time -f %M: the highest of all rounds, and per route).
# Targets: postgres.restore within 1.10x of the floor for both formats; database-loss at most
# 1.20x the plain floor and faster than the seeds' procedure in every round (printed round by
# round); peak memory under 150 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh

RUNS=${RUNS:-5}
bench_scale_args restore 100 "$@"
[ -f dist/drctl.cjs ] || npm run build >/dev/null
bench_need restore moto_server aws /usr/bin/time initdb pg_ctl pgbench pg_dump pg_restore psql gzip gunzip
JOBS=$(nproc)

bench_workdir
bench_postgres "$SCALE"
bench_moto

# The backups: on disk for the floor, in the bucket (sha256 as metadata) for the other routes.
echo "backing it up: pg_dump | gzip, pg_dump -Fc" >&2
pg_dump -d bench >"$dir/plain.sql"
gzip -c "$dir/plain.sql" >"$dir/plain.sql.gz"
pg_dump -d bench -Fc -f "$dir/dump.custom"
for file in plain.sql.gz dump.custom; do
  aws s3 cp --quiet --metadata "sha256=$(sha256sum "$dir/$file" | cut -d' ' -f1)" "$dir/$file" "s3://bench/pg/$file"
done

for format in plain custom; do
  object=plain.sql.gz
  [ "$format" = custom ] && object=dump.custom
  cat >"$dir/restore-$format.yaml" <<EOF
apiVersion: drctl/v1
kind: Runbook
metadata: { name: bench-restore-$format, title: Restore the bench database }
inputs:
  db: { secret: true, env: BENCH_DB_URL }
steps:
  - id: restore
    title: Restore the bench database ($format)
    uses: postgres.restore
    with: { url: "\${{ inputs.db }}", from: "s3://bench/pg/$object" }
EOF
done

# database-loss's world: a recording kubectl (every call appended to a file; the context it is
# asked for; a table for a `get`), an application health endpoint answering 200, and the inputs.
mkdir "$dir/kbin"
cat >"$dir/kbin/kubectl" <<KUBECTL
#!/bin/sh
printf '%s\n' "\$*" >>"$dir/kubectl-calls"
case "\$*" in
  "config current-context"*) echo bench-context ;;
  *get*) echo "NAME READY STATUS" ;;
esac
exit 0
KUBECTL
chmod 755 "$dir/kbin/kubectl"
node -e 'require("http").createServer((q, s) => { s.writeHead(q.url === "/health" ? 200 : 404); s.end("ok"); }).listen(0, "127.0.0.1", function () { console.log(this.address().port); })' >"$dir/health.port" &
health_pid=$!
bench_on_exit 'kill "$health_pid" 2>/dev/null; wait "$health_pid" 2>/dev/null'
for _ in $(seq 100); do [ -s "$dir/health.port" ] && break; sleep 0.1; done
cat >"$dir/database-loss.yaml" <<INPUTS
kube_context: bench-context
namespace: shop
app_deployments: backend worker
backup_bucket: bench
backup_prefix: pg/
health_url: http://127.0.0.1:$(cat "$dir/health.port")/health
poll_interval: 500ms
INPUTS

# Each restore goes into a database of its own, made empty just before (not timed) and dropped after.
target=restored
fresh() {
  psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $target" -c "CREATE DATABASE $target"
  export BENCH_DB_URL="postgresql://postgres@127.0.0.1:$pg_port/$target"
}
# The data restored must be the data backed up: the rows of each pgbench table.
check_restored() {
  local want got
  want=$(psql -X -At -d bench -c "SELECT (SELECT count(*) FROM pgbench_accounts) || '/' || (SELECT sum(abalance) FROM pgbench_accounts) || '/' || (SELECT count(*) FROM pgbench_branches)")
  got=$(psql -X -At -d "$target" -c "SELECT (SELECT count(*) FROM pgbench_accounts) || '/' || (SELECT sum(abalance) FROM pgbench_accounts) || '/' || (SELECT count(*) FROM pgbench_branches)")
  [ "$want" = "$got" ] || { echo "$1: restored $got, backed up $want" >&2; exit 1; }
}

# drctl FORMAT: one run, its wall time (µs) on stdout and its peak RSS (KiB) appended to $dir/rss-FORMAT.
drctl_round() {
  local start end
  start=$(date +%s%N)
  /usr/bin/time -f %M -a -o "$dir/rss-$1" node bin/drctl.cjs run "$dir/restore-$1.yaml" --yes --state-dir "$dir/state" >"$dir/drctl.log" 2>&1 ||
    { cat "$dir/drctl.log" >&2; exit 1; }
  end=$(date +%s%N)
  echo $(((end - start) / 1000))
}
# database-loss: the whole run into the fresh database (DATABASE_URL), its wall time (µs) on stdout.
database_loss() {
  local start end
  start=$(date +%s%N)
  PATH="$dir/kbin:$PATH" DATABASE_URL="$BENCH_DB_URL" /usr/bin/time -f %M -a -o "$dir/rss-database-loss" \
    node bin/drctl.cjs run database-loss --yes --accept-manual --inputs-file "$dir/database-loss.yaml" --state-dir "$dir/state" \
    >"$dir/database-loss.log" 2>&1 || { cat "$dir/database-loss.log" >&2; exit 1; }
  end=$(date +%s%N)
  echo $(((end - start) / 1000))
}
seeds() {
  rm -f "$dir/seeds.sql.gz" "$dir/seeds.sql"
  aws s3 cp --quiet s3://bench/pg/plain.sql.gz "$dir/seeds.sql.gz" && gunzip "$dir/seeds.sql.gz" &&
    psql -X -q -d "$target" <"$dir/seeds.sql" && rm -f "$dir/seeds.sql"
}
floor_plain() { psql -X -q -1 -v ON_ERROR_STOP=1 -d "$target" <"$dir/plain.sql"; }
floor_custom() { pg_restore -j "$JOBS" -d "$target" "$dir/dump.custom"; }
# timed NAME CMD...: a fresh database, one timed run of CMD appended to $dir/NAME, the data checked.
timed() {
  local name=$1
  shift
  fresh
  "$@" >>"$dir/$name"
  check_restored "$name"
}

# Warm up every route once (and prove each restores the data).
echo "warming up" >&2
timed warm drctl_round plain
grep -q 'sha256 verified' "$dir/drctl.log" || { cat "$dir/drctl.log"; echo "drctl did not verify the sha256" >&2; exit 1; }
timed warm drctl_round custom
timed warm database_loss
grep -q 'plain-gzip.*sha256 verified' "$dir/database-loss.log" ||
  { cat "$dir/database-loss.log"; echo "database-loss did not stream and verify the backup" >&2; exit 1; }
timed warm wall_us seeds
timed warm wall_us floor_plain
timed warm wall_us floor_custom
rm -f "$dir"/rss-*

for ((i = 1; i <= RUNS; i++)); do
  echo "round $i of $RUNS" >&2
  timed seeds wall_us seeds
  timed drctl-plain drctl_round plain
  timed floor-plain wall_us floor_plain
  timed drctl-custom drctl_round custom
  timed floor-custom wall_us floor_custom
  timed database-loss database_loss
done

seeds_ms=$(median_of_us <"$dir/seeds")
drctl_plain=$(median_of_us <"$dir/drctl-plain")
floor_plain_ms=$(median_of_us <"$dir/floor-plain")
drctl_custom=$(median_of_us <"$dir/drctl-custom")
floor_custom_ms=$(median_of_us <"$dir/floor-custom")
dl_ms=$(median_of_us <"$dir/database-loss")
peak_of() { grep -hE '^[0-9]+$' "$@" | sort -n | tail -1 | awk '{ printf "%.1f", $1 / 1024 }'; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }

echo "database                        pgbench scale $SCALE ($db_size): plain dump $(mib "$(stat -c %s "$dir/plain.sql")") MiB, gzipped $(mib "$(stat -c %s "$dir/plain.sql.gz")") MiB, custom $(mib "$(stat -c %s "$dir/dump.custom")") MiB; $RUNS interleaved rounds, $JOBS cores"
echo "seeds: aws s3 cp, gunzip, psql   median ${seeds_ms} ms   $(ratio "$seeds_ms" "$floor_plain_ms")x the plain floor"
echo "drctl postgres.restore plain     median ${drctl_plain} ms   $(ratio "$drctl_plain" "$floor_plain_ms")x the plain floor  (target <= 1.10)"
echo "floor: psql -1 < plain.sql       median ${floor_plain_ms} ms"
echo "drctl postgres.restore custom    median ${drctl_custom} ms   $(ratio "$drctl_custom" "$floor_custom_ms")x the custom floor  (target <= 1.10)"
echo "floor: pg_restore -j $JOBS (file)     median ${floor_custom_ms} ms"
echo "drctl database-loss (whole run)  median ${dl_ms} ms   $(ratio "$dl_ms" "$floor_plain_ms")x the plain floor  (target <= 1.20), $(ratio "$dl_ms" "$seeds_ms")x the seeds' procedure"
# Round by round: database-loss against the plain floor and the seeds' procedure of the same round.
paste "$dir/database-loss" "$dir/floor-plain" "$dir/seeds" | awk '
  { dl = $1 / 1000; fl = $2 / 1000; sd = $3 / 1000
    printf "  round %d: database-loss %.1f ms, %.2fx the plain floor (%.1f ms), %.2fx the seeds (%.1f ms): %s\n", NR, dl, dl / fl, fl, dl / sd, sd, (dl < sd ? "faster" : "NOT faster") }'
echo "drctl peak memory (RSS)          $(peak_of "$dir"/rss-*) MiB  (target < 150 MiB): postgres.restore plain $(peak_of "$dir/rss-plain"), custom $(peak_of "$dir/rss-custom"), database-loss $(peak_of "$dir/rss-database-loss")"
