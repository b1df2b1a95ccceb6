#!/usr/bin/env bash
# The differential campaigns of issue 16 against QEMU (docs/fuzzing.md): generated scenarios on the
# reference model and on QEMU 7.2 (the system qemu-system-aarch64, stage 1 only) and, when
# scripts/install-qemu.sh --backports has unpacked it, QEMU 10.x (.qemu/10, nested).
#
#   bash scripts/fuzz-qemu.sh [--seed S] [--count N] [--shards K] [--out DIR] [--resume]
#
# Each version's campaign is split into K shards run side by side (one QEMU each at a time), then
# merged (`fuzz merge`): DIR/qemu-<version>/merged/report.md is the report, minimised/ the
# scenarios, timings.json the rates. --resume continues interrupted campaigns. Exit status: 0 when
# every campaign ran (new deviation classes are results, listed in the reports, not failures).
set -euo pipefail
cd "$(dirname "$0")/.."
seed=1
count=5000
shards=1
out=fuzz
resume=()
while [ $# -gt 0 ]; do
  case "$1" in
    --seed) seed=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --shards) shards=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --resume) resume=(--resume); shift ;;
    *) echo "fuzz-qemu.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

cli=(node --import tsx src/cli/main.ts)
[ -f dist/src/cli/main.js ] && [ dist/src/cli/main.js -nt src/cli/fuzz.ts ] && cli=(node dist/src/cli/main.js)

binaries=()
if command -v qemu-system-aarch64 >/dev/null 2>&1; then binaries+=("$(command -v qemu-system-aarch64)"); fi
if [ -x .qemu/10/usr/bin/qemu-system-aarch64 ]; then binaries+=(.qemu/10/usr/bin/qemu-system-aarch64); fi
if [ ${#binaries[@]} -eq 0 ]; then
  echo "fuzz-qemu.sh: no QEMU found; install it with scripts/install-qemu.sh [--backports]" >&2
  exit 1
fi

for bin in "${binaries[@]}"; do
  version=$("$bin" --version | sed -n 's/^QEMU emulator version \([0-9]*\.[0-9]*\).*/\1/p')
  dir="$out/qemu-$version"
  mkdir -p "$dir"
  echo "== QEMU $version ($bin): seed $seed, $count scenarios, $shards shard(s) -> $dir"
  pids=()
  for i in $(seq 1 "$shards"); do
    nice "${cli[@]}" fuzz --target "qemu=$bin" --seed "$seed" --count "$count" --shard "$i/$shards" \
      --out "$dir/shard-$i" "${resume[@]}" >"$dir/shard-$i.out" 2>"$dir/shard-$i.log" &
    pids+=($!)
  done
  status=0
  for p in "${pids[@]}"; do wait "$p" || status=$?; done
  # exit 1 = new classes found (a result); 2 = the campaign could not run
  if [ "$status" -ge 2 ]; then
    echo "fuzz-qemu.sh: a shard of QEMU $version failed; see $dir/shard-*.log" >&2
    exit 1
  fi
  rm -rf "$dir/merged"
  "${cli[@]}" fuzz merge --out "$dir/merged" "$dir"/shard-*/ >/dev/null || true
  node -e '
    const t = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const s = (ms) => (ms / 1000).toFixed(1);
    const run = t.wallMs, pct = (x) => ((100 * x) / (t.referenceMs + t.targetStartMs + t.targetRunMs)).toFixed(0);
    console.log(`rates: ${t.scenarios} scenarios in ${s(run)} s of shard wall time = ${(t.scenarios / (run / 1000)).toFixed(1)} scenarios/s per shard; ` +
      `reference ${pct(t.referenceMs)}%, QEMU start-up ${pct(t.targetStartMs)}%, QEMU run ${pct(t.targetRunMs)}%; ` +
      `minimising ${t.minimiseClasses} classes: ${t.minimiseTests} candidates in ${s(t.minimiseMs)} s`);
  ' "$dir/merged/timings.json" | tee "$dir/merged/rates.txt"
  sed -n '1,/^### /p' "$dir/merged/report.md" | sed '$d'
done
