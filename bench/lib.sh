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
