#!/bin/sh
# The cost of the Landlock sandbox (lsm = landlock) on system calls: sys.io's ns per call
# in the same container with and without the ruleset, interleaved in one campaign
# (bench/landlock.ini) so the machine's noise hits both. Prints, per scenario, the
# median ns per call of each and their ratio: with no open per round Landlock is never
# consulted (ratio ~1); with opens it decides on every path walk.
# usage: bench/landlock.sh [REPS] [SECONDS]
set -eu
. "$(dirname "$0")/lib.sh"
reps=${1:-5}
dur=${2:-2}
bench_need_build
bench_workdir landlock
export ISOBENCH_STATE_DIR="$work/state"
"$ISOBENCH" run "$top/bench/landlock.ini" --reps "$reps" --max-reps "$reps" --duration "$dur" \
	--out "$work/camp" --no-report >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
med() {
	sqlite3 "$work/camp/results.db" "select json_extract(t.metrics_json, '\$.ns_per_call') from trial t
		join cell c on c.id = t.cell_id where c.config = '$1' and c.scenario = '$2'
		and t.status = 'ok' order by 1" | awk '{ v[NR] = $1 } END {
		if (!NR) { print "nan"; exit }
		print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
for sc in io-no-open io-opens; do
	p=$(med plain "$sc")
	l=$(med landlock "$sc")
	awk -v p="$p" -v l="$l" -v sc="$sc" 'BEGIN {
		printf "%-11s plain %8.0f ns/call, landlock %8.0f ns/call, ratio landlock/plain %.3f\n", sc, p, l, l / p }'
done
