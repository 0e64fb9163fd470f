# Shared helpers for the benchmark scripts: wall-clock medians of whole commands.

# wall_us CMD...: one run of CMD (output discarded), its wall time in microseconds.
wall_us() {
  local start end
  start=$(date +%s%N)
  "$@" >/dev/null 2>&1
  end=$(date +%s%N)
  echo $(((end - start) / 1000))
}

# median_of_us: the median of the microsecond figures on stdin, in ms.
median_of_us() {
  sort -n | awk '{ a[NR] = $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.1f\n", m / 1000 }'
}

# median_ms RUNS CMD...: run CMD RUNS times, print the median wall time in ms.
median_ms() {
  local runs=$1; shift
  for ((i = 0; i < runs; i++)); do wall_us "$@"; done | median_of_us
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f\n", a / b }'; }

# ---------------------------------------------------------------------------------------------
# Servers for the benches: a throw-away PostgreSQL and moto_server, stopped and removed on exit.

# bench_scale_args NAME DEFAULT ARGS...: parse `--scale N` into SCALE (usage error for anything else).
bench_scale_args() {
  local name=$1
  SCALE=$2
  shift 2
  while [ $# -gt 0 ]; do
    case "$1" in
      --scale) SCALE=${2:?--scale needs a number}; shift 2 ;;
      --scale=*) SCALE=${1#--scale=}; shift ;;
      *) echo "usage: bench/$name.sh [--scale N]   (scale $SCALE and RUNS=${RUNS:-5} rounds by default)" >&2; exit 2 ;;
    esac
  done
}

# bench_need NAME TOOL...: exit 2 naming the first tool that is missing (PostgreSQL's own folder on PATH first).
bench_need() {
  local name=$1 tool bindir
  shift
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)
  if [ -n "$bindir" ]; then export PATH="$bindir:$PATH"; fi
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "bench/$name.sh needs $tool" >&2; exit 2; }
  done
}

# PostgreSQL refuses to run as root: as root, its commands run as the postgres user.
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
free_port() { node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }

# bench_workdir: make $dir, a temporary folder; on exit, what bench_on_exit registered runs, newest
# first, then the folder goes.
BENCH_ON_EXIT=()
bench_on_exit() { BENCH_ON_EXIT=("$1" "${BENCH_ON_EXIT[@]}"); }
bench_workdir() {
  dir=$(mktemp -d)
  trap 'for action in "${BENCH_ON_EXIT[@]}"; do eval "$action" || true; done; rm -rf "$dir"' EXIT
  trap 'exit 130' INT TERM
}

# bench_postgres SCALE: a PostgreSQL in $dir/pg on a free loopback port (pg_port), a database
# `bench` filled by `pgbench -i -s SCALE` (its size in db_size), and PG* variables pointing at it.
bench_postgres() {
  mkdir "$dir/pg"
  if [ "$(id -u)" = 0 ]; then chmod 711 "$dir"; chown postgres "$dir/pg"; chmod 700 "$dir/pg"; fi
  pg_port=$(free_port)
  as_pg initdb -D "$dir/pg/data" -U postgres --auth=trust --no-sync -E UTF8 --locale=C >/dev/null
  as_pg pg_ctl -D "$dir/pg/data" -l "$dir/pg/log" -w -t 60 -o "-p $pg_port -k $dir/pg -c listen_addresses=127.0.0.1" start >/dev/null
  bench_on_exit 'as_pg pg_ctl -D "$dir/pg/data" -m immediate -w stop >/dev/null 2>&1'
  export PGHOST=127.0.0.1 PGPORT=$pg_port PGUSER=postgres PGDATABASE=bench
  psql -X -q -d postgres -c 'CREATE DATABASE bench'
  echo "generating the database: pgbench -i -s $1" >&2
  pgbench -i -q -s "$1" >/dev/null 2>&1
  db_size=$(psql -X -At -c "SELECT pg_size_pretty(pg_database_size('bench'))")
}

# bench_moto: moto_server on a free loopback port, the AWS variables pointing at it, bucket `bench`.
bench_moto() {
  local port
  port=$(free_port)
  moto_server -H 127.0.0.1 -p "$port" >"$dir/moto.log" 2>&1 &
  moto_pid=$!
  bench_on_exit 'kill "$moto_pid" 2>/dev/null; wait "$moto_pid" 2>/dev/null'
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_ACCESS_KEY_ID=bench AWS_SECRET_ACCESS_KEY=bench \
    AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1 AWS_EC2_METADATA_DISABLED=true \
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED=true NO_COLOR=1
  for _ in $(seq 100); do curl -fs "$AWS_ENDPOINT_URL/moto-api/" >/dev/null && break; sleep 0.1; done
  aws s3 mb s3://bench >/dev/null
}
