#!/bin/sh
# The cost of recording: the victim's throughput with every recording on
# (eBPF probes, PSI, cgroup statistics, counters) against the same campaign
# run with --no-bpf, alternated ROUNDS times in one run so that the
# machine's noise hits both. cpu.compute, net.rr and disk.randread alone.
# Prints the median ratio per victim; goal: at most 2 % overhead.
# Use an optimised build (./setup.sh build), as root.
# usage: bench/recording.sh [ROUNDS] [SECONDS]
set -eu
. "$(dirname "$0")/lib.sh"
rounds=${1:-5}
dur=${2:-2}
bench_need_build
bench_workdir bench
export ISOBENCH_STATE_DIR="$work/state"

run() { # run DIR [--no-bpf]: the median victim throughput of each scenario, "scenario value" lines
	"$ISOBENCH" run "$top/bench/recording.ini" --duration "$dur" --out "$1" --no-report ${2:-} >/dev/null 2>"$work/err" ||
		{ cat "$work/err" >&2; exit 1; }
	sqlite3 "$1/results.db" "select c.scenario, coalesce(json_extract(t.metrics_json, '\$.ops_per_s'), json_extract(t.metrics_json, '\$.iops'), json_extract(t.metrics_json, '\$.tps')) from trial t join cell c on c.id = t.cell_id where t.status = 'ok' order by c.scenario"
}

: >"$work/ratios"
for r in $(seq "$rounds"); do
	if [ $((r % 2)) = 1 ]; then
		run "$work/on$r" >"$work/on"
		run "$work/off$r" --no-bpf >"$work/off"
	else
		run "$work/off$r" --no-bpf >"$work/off"
		run "$work/on$r" >"$work/on"
	fi
	# per scenario: the mean of its trials with recording over the mean without
	awk -F'|' -v r="$r" '
		FNR == NR { off[$1] += $2; noff[$1]++; next }
		{ on[$1] += $2; non[$1]++ }
		END { for (s in on) if (noff[s] && off[s] > 0) printf "%s %.4f\n", s, (on[s] / non[s]) / (off[s] / noff[s]) }' \
		"$work/off" "$work/on" | sort | tee -a "$work/ratios" | sed "s/^/round $r: /"
done
att=$(sqlite3 "$work/on1/results.db" "select coalesce(json_extract(attribution_json, '\$.bpf.variant'), '') || coalesce(json_extract(attribution_json, '\$.bpf.unavailable'), '') from trial limit 1")
echo "probes: $att"
sort "$work/ratios" | awk '
	{ v[$1, ++n[$1]] = $2 }
	END {
		bad = 0
		for (s in n) {
			c = n[s]
			# insertion sort of this scenario ratios
			for (i = 1; i <= c; i++) a[i] = v[s, i]
			for (i = 2; i <= c; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) { t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
			m = (c % 2) ? a[(c + 1) / 2] : (a[c / 2] + a[c / 2 + 1]) / 2
			printf "median ratio recording/--no-bpf for %-9s over %d rounds: %.4f (overhead %.2f %%; goal: at most 2 %%)\n", s, c, m, (m < 1 ? (1 - m) * 100 : 0)
			if (m < 0.98) bad = 1
		}
		exit bad
	}'
