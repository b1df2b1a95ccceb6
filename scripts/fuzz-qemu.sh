#!/usr/bin/env bash
# The differential campaigns of issue 16 against QEMU (docs/fuzzing.md): generated scenarios on the
# reference model and on QEMU 7.2 (the system qemu-system-aarch64, stage 1 only) and, when
# scripts/install-qemu.sh --backports has unpacked it, QEMU 10.x (.qemu/10, nested).
#
#   bash scripts/fuzz-qemu.sh [--seed S] [--count N] [--shards K] [--out DIR] [--resume]
#                             [--minimise-budget B] [--together] [--time-limit MIN] [--two-way]
#                             [--area A]... [--only 7|10]
#
# Each version's campaign is split into K shards run side by side (one QEMU each at a time), then
# merged (`fuzz merge`): DIR/qemu-<version>/merged/report.md is the report, minimised/ the
# scenarios, timings.json and rates.txt the rates. Each campaign draws from the generator areas
# the QEMU's part can run, each area drawing only what the part has (`fuzz` derives both from the
# ID registers and capabilities: a stage-1-only QEMU 7.x runs s1, ste, cd, cmdq, caching and httu
# with stage-1, abort and bypass streams; docs/fuzzing.md); --area A (repeatable) names areas
# instead. --only V runs only the QEMU whose version starts with V (7, 10.0). --together runs the
# versions at the same time instead of one after the other. --two-way gives each shard a second
# runner working from the other end (--reverse, each --also-done the other's directory; merged like
# shards). --time-limit stops starting scenarios after MIN minutes (then minimise and report).
# --resume continues interrupted or time-limited campaigns. Exit status: 0 when every campaign ran
# (new deviation classes are results, listed in the reports, not failures).
set -euo pipefail
cd "$(dirname "$0")/.."
seed=1
count=5000
shards=1
out=fuzz
resume=()
budget=120
together=0
twoway=0
limit=()
areas=()
only=
while [ $# -gt 0 ]; do
  case "$1" in
    --seed) seed=$2; shift 2 ;;
    --count) count=$2; shift 2 ;;
    --shards) shards=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    --resume) resume=(--resume); shift ;;
    --minimise-budget) budget=$2; shift 2 ;;
    --together) together=1; shift ;;
    --two-way) twoway=1; shift ;;
    --time-limit) limit=(--time-limit "$2"); shift 2 ;;
    --area) areas+=(--area "$2"); shift 2 ;;
    --only) only=$2; shift 2 ;;
    *) echo "fuzz-qemu.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done

cli=(node --import tsx src/cli/main.ts)
# the compiled CLI only when no source file is newer than it (a stale dist/ would run old code)
if [ -f dist/src/cli/main.js ] && [ -z "$(find src -newer dist/src/cli/main.js -print -quit)" ]; then cli=(node dist/src/cli/main.js); fi

binaries=()
if command -v qemu-system-aarch64 >/dev/null 2>&1; then binaries+=("$(command -v qemu-system-aarch64)"); fi
if [ -x .qemu/10/usr/bin/qemu-system-aarch64 ]; then binaries+=(.qemu/10/usr/bin/qemu-system-aarch64); fi
if [ ${#binaries[@]} -eq 0 ]; then
  echo "fuzz-qemu.sh: no QEMU found; install it with scripts/install-qemu.sh [--backports]" >&2
  exit 1
fi

campaign() {
  local bin=$1 version dir status=0 pids=() i p
  version=$("$bin" --version | sed -n 's/^QEMU emulator version \([0-9]*\.[0-9]*\).*/\1/p')
  dir="$out/qemu-$version"
  case "$version" in "$only"*) ;; *) echo "== QEMU $version ($bin): skipped (--only $only)"; return 0 ;; esac
  mkdir -p "$dir"
  echo "== QEMU $version ($bin): seed $seed, $count scenarios ${areas[*]:-(the areas its part runs)}, $shards shard(s) -> $dir"
  for i in $(seq 1 "$shards"); do
    local common=(fuzz --target "qemu=$bin" --seed "$seed" --count "$count" "${areas[@]}" --shard "$i/$shards" "${limit[@]}")
    if [ "$twoway" = 1 ]; then
      # the reverse runner reuses the known classes the forward one found (same target, same file)
      mkdir -p "$dir/shard-$i-rev"
      [ -f "$dir/shard-$i/known.json" ] && [ ! -f "$dir/shard-$i-rev/known.json" ] && cp "$dir/shard-$i/known.json" "$dir/shard-$i-rev/"
      nice "${cli[@]}" "${common[@]}" --reverse --also-done "$dir/shard-$i" --minimise-budget 0 --out "$dir/shard-$i-rev" --resume \
        >"$dir/shard-$i-rev.out" 2>"$dir/shard-$i-rev.log" &
      pids+=($!)
      common+=(--also-done "$dir/shard-$i-rev")
    fi
    nice "${cli[@]}" "${common[@]}" --minimise-budget "$budget" --out "$dir/shard-$i" "${resume[@]}" >"$dir/shard-$i.out" 2>"$dir/shard-$i.log" &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || status=$?; done
  # exit 1 = new classes found (a result); 2 = the campaign could not run
  if [ "$status" -ge 2 ]; then
    echo "fuzz-qemu.sh: a shard of QEMU $version failed; see $dir/shard-*.log" >&2
    return 1
  fi
  rm -rf "$dir/merged"
  "${cli[@]}" fuzz merge --out "$dir/merged" "$dir"/shard-*/ >"$dir/merge.out" 2>"$dir/merge.log" || true
  node -e '
    const t = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const s = (ms) => (ms / 1000).toFixed(1);
    const busy = t.referenceMs + t.targetStartMs + t.targetRunMs, pct = (x) => ((100 * x) / busy).toFixed(0);
    console.log(`rates: ${t.scenarios} scenarios in ${s(t.wallMs)} s of shard wall time (summed over shards) = ${(t.scenarios / (t.wallMs / 1000)).toFixed(2)} scenarios/s per shard; ` +
      `of the time in scenarios: reference model ${pct(t.referenceMs)}%, QEMU start-up and quit ${pct(t.targetStartMs)}%, QEMU run ${pct(t.targetRunMs)}%; ` +
      `minimising ${t.minimiseClasses} classes: ${t.minimiseTests} candidates in ${s(t.minimiseMs)} s`);
  ' "$dir/merged/timings.json" | tee "$dir/merged/rates.txt"
  sed -n '1,/^### /p' "$dir/merged/report.md" | sed '$d'
}

failed=0
if [ "$together" = 1 ]; then
  pids=()
  for bin in "${binaries[@]}"; do campaign "$bin" & pids+=($!); done
  for p in "${pids[@]}"; do wait "$p" || failed=1; done
else
  for bin in "${binaries[@]}"; do campaign "$bin" || failed=1; done
fi
exit $failed
