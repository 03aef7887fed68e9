#!/bin/sh
# The harness's own overhead on the victim: cpu.compute under `isobench run`
# (native backend, baseline trials) against the same unit of work in a bare
# loop (bench/bare_compute), both pinned to PU 0, alternated ROUNDS times in
# one run so that the machine's noise hits both. Prints the ratio; goal:
# within 1 %. Use an optimised build (./setup.sh build), not the sanitizer one.
# usage: bench/overhead.sh [ROUNDS] [SECONDS]
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
ISOBENCH=${ISOBENCH:-$top/isobench}
BARE=${BARE:-$top/bench/bare_compute}
rounds=${1:-7}
dur=${2:-2}
[ -x "$ISOBENCH" ] && [ -x "$BARE" ] || { echo "build first: ./setup.sh build" >&2; exit 2; }
if ldd "$ISOBENCH" | grep -q libasan; then
	echo "warning: a sanitizer build; its numbers are not the product's (./setup.sh build)" >&2
fi
work=$(mktemp -d /tmp/isobench-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
export ISOBENCH_STATE_DIR="$work/state"
ratios=""
for r in $(seq "$rounds"); do
	bare=$("$BARE" "$dur" 0 20000 0.5)
	"$ISOBENCH" run "$top/bench/overhead.ini" --duration "$dur" --out "$work/r$r" --no-report >/dev/null 2>"$work/err" ||
		{ cat "$work/err" >&2; exit 1; }
	iso=$(sqlite3 "$work/r$r/results.db" "select json_extract(metrics_json, '\$.ops_per_s') from trial where kind = 'baseline' and status = 'ok'")
	ratio=$(awk -v a="$iso" -v b="$bare" 'BEGIN { printf "%.4f", a / b }')
	printf 'round %d: bare %.1f units/s, under isobench %.1f units/s, ratio %s\n' "$r" "$bare" "$iso" "$ratio"
	ratios="$ratios $ratio"
done
echo "$ratios" | tr ' ' '\n' | grep . | sort -n | awk '
	{ v[NR] = $1 }
	END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "median ratio isobench/bare over %d rounds: %.4f (overhead %+.2f %%; goal: within 1 %%)\n", NR, m, (1 - m) * 100
		exit (m < 0.99)
	}'
