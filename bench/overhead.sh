#!/bin/sh
# The harness's own overhead on the victim: cpu.compute under `isobench run`
# (native backend, baseline trials, pinned to PU 0 by placement) against the
# very same agent binary run bare (`taskset -c 0 isobench agent cpu.compute`,
# fed "go" by a pipe: no harness, no cgroup, no counters, no neighbour).
# Same code, same CPU, alternated ROUNDS times in one run so that the
# machine's noise hits both. Prints the ratio; goal: overhead within 1 %.
# Use an optimised build (./setup.sh build), not the sanitizer one.
# usage: bench/overhead.sh [ROUNDS] [SECONDS]
set -eu
. "$(dirname "$0")/lib.sh"
rounds=${1:-7}
dur=${2:-2}
bench_need_build
bench_workdir bench
export ISOBENCH_STATE_DIR="$work/state"

bare_run() {
	(sleep 0.1; echo go; sleep $((${dur%.*} + 3))) |
		taskset -c 0 "$ISOBENCH" agent cpu.compute --duration "$dur" --warmup 0.5 --sample-interval 0 |
		sed -n 's/.*"ops_per_s":\([0-9.e+]*\).*/\1/p'
}

ratios=""
for r in $(seq "$rounds"); do
	# Alternate which goes first, so an order effect cancels out.
	[ $((r % 2)) = 1 ] && bare=$(bare_run)
	"$ISOBENCH" run "$top/bench/overhead.ini" --duration "$dur" --out "$work/r$r" --no-report >/dev/null 2>"$work/err" ||
		{ cat "$work/err" >&2; exit 1; }
	[ $((r % 2)) = 0 ] && bare=$(bare_run)
	iso=$(sqlite3 "$work/r$r/results.db" "select json_extract(metrics_json, '\$.ops_per_s') from trial where kind = 'baseline' and status = 'ok'")
	ratio=$(awk -v a="$iso" -v b="$bare" 'BEGIN { printf "%.4f", a / b }')
	printf 'round %d: bare %.1f units/s, under isobench %.1f units/s, ratio %s\n' "$r" "$bare" "$iso" "$ratio"
	ratios="$ratios $ratio"
done
echo "$ratios" | tr ' ' '\n' | grep . | sort -n | awk '
	{ v[NR] = $1 }
	END {
		m = (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
		printf "median ratio isobench/bare over %d rounds: %.4f (harness overhead on the victim %.2f %%; goal: at most 1 %%)\n", NR, m, (m < 1 ? (1 - m) * 100 : 0)
		exit (m < 0.99)
	}'
