#!/usr/bin/env bash
# backup.download against `aws s3 cp`: one 256 MiB random object in a moto_server bucket,
# downloaded by a one-step runbook (`drctl run --yes`) and by the aws CLI, median of 3 each.
# Prints both medians, the ratio and drctl's peak memory (RSS, from /usr/bin/time -f %M).
# Targets: drctl no slower than aws s3 cp (ratio <= 1.0); peak memory under 150 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/lib.sh
[ -f dist/drctl.cjs ] || npm run build >/dev/null
RUNS=${RUNS:-3}
SIZE_MIB=${SIZE_MIB:-256}
for tool in moto_server aws /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "bench/download.sh needs $tool" >&2; exit 2; }
done

bench_workdir
bench_moto

dd if=/dev/urandom of="$dir/backup.bin" bs=1M count="$SIZE_MIB" status=none
want=$(sha256sum "$dir/backup.bin" | cut -d' ' -f1)
# With the sha256 metadata backup.upload would set, so drctl verifies the whole file as it would in a restore.
aws s3 cp --quiet --metadata "sha256=$want" "$dir/backup.bin" s3://bench/pg/backup.bin
rm "$dir/backup.bin"

cat >"$dir/download.yaml" <<EOF
apiVersion: drctl/v1
kind: Runbook
metadata: { name: bench-download, title: Download a backup }
steps:
  - id: fetch
    title: Download the backup
    uses: backup.download
    with: { uri: "s3://bench/pg/backup.bin", to: "$dir/drctl.bin", keep: true }
EOF
drctl() { node bin/drctl.cjs run "$dir/download.yaml" --yes --state-dir "$dir/state"; }
cli() { aws s3 cp --quiet s3://bench/pg/backup.bin "$dir/cli.bin"; }

# Warm up, and prove both work (and agree on the bytes).
drctl >"$dir/warm.log" 2>&1 || { cat "$dir/warm.log"; exit 1; }
grep -q 'size and sha256 verified' "$dir/warm.log" || { cat "$dir/warm.log"; echo "drctl did not verify the sha256" >&2; exit 1; }
cli
got=$(sha256sum "$dir/drctl.bin" | cut -d' ' -f1)
[ "$got" = "$want" ] && [ "$(sha256sum "$dir/cli.bin" | cut -d' ' -f1)" = "$want" ] || { echo "downloaded bytes differ from the upload" >&2; exit 1; }

drctl_ms=$(median_ms "$RUNS" drctl)
cli_ms=$(median_ms "$RUNS" cli)
/usr/bin/time -f %M -o "$dir/rss" node bin/drctl.cjs run "$dir/download.yaml" --yes --state-dir "$dir/state" >/dev/null 2>&1
peak_kib=$(tail -1 "$dir/rss")

echo "object                        ${SIZE_MIB} MiB of random bytes in moto_server, sha256 ${want:0:16}..."
echo "drctl backup.download         median ${drctl_ms} ms  (streamed, size and sha256 verified; the whole run, start-up included)"
echo "aws s3 cp                     median ${cli_ms} ms"
echo "ratio drctl / aws s3 cp       $(ratio "$drctl_ms" "$cli_ms")  (target <= 1.0)"
echo "drctl peak memory (RSS)       $(awk -v k="$peak_kib" 'BEGIN { printf "%.1f", k / 1024 }') MiB  (target < 150 MiB)"
