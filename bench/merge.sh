#!/bin/sh
# Merge and report at site scale: 64 node stores of 1 600 trials each (102 400 in all),
# made by replaying a real store with seeded noise, merged (with the report) at 8, 16, 32
# and 64 nodes on one CPU (taskset -c 0). Prints wall time and peak memory (/usr/bin/time -v)
# per size, and the CPU seconds it used (user + system: on a shared machine the wall time
# also counts the others' load on CPU 0); goal at 64 nodes: at most 30 s and 1 GiB.
#
# The real store: a short campaign of merge.ini run here (as root; eBPF attribution on
# where the host allows, so each trial's JSON is as large as a real campaign's), or SRC.
# Its 5 cells are replayed as 10 configurations (50 cells) and its 2 repetitions as 16:
# 50 cells x 16 pairs x 2 = 1 600 trials a node. Each replayed trial's victim metrics are
# scaled by a seeded factor (within ±5 %, from the trial, copy and node), and node 7's
# contended trials of one configuration's cpu cells replay their baselines (an aggressor
# that did nothing there, d near 0): an outlier the report must flag, and only it.
# usage: bench/merge.sh [SRC_DIR]
set -eu
. "$(dirname "$0")/lib.sh"
bench_need_build
command -v sqlite3 >/dev/null || { echo "needs the sqlite3 shell" >&2; exit 2; }
[ -x /usr/bin/time ] || { echo "needs GNU time (/usr/bin/time)" >&2; exit 2; }
bench_workdir merge
[ -z "${KEEP:-}" ] || { trap - EXIT; echo "work directory kept: $work"; } # KEEP=1: for profiling
export ISOBENCH_STATE_DIR="$work/state"
src=${1:-}
if [ -z "$src" ]; then
	src=$work/src
	"$ISOBENCH" run "$top/bench/merge.ini" --out "$src" --no-report >/dev/null 2>"$work/err" ||
		{ cat "$work/err" >&2; exit 1; }
fi
nodes_max=64
configs=10 # copies of each configuration
reps=8     # copies of each repetition

# noise EXPR_SEED: a factor within [0.95, 1.05) from an integer expression
noise() { echo "(1 + ((abs($1) % 1000003) / 1000003.0 - 0.5) * 0.1)"; }
# scaled SEED: metrics_json with every number scaled by noise(SEED)
scaled() {
	echo "CASE WHEN metrics_json IS NULL THEN NULL ELSE (SELECT json_group_object(key,
	CASE WHEN type IN ('integer', 'real') THEN value * $(noise "$1") ELSE value END)
	FROM json_each(metrics_json)) END"
}

cp "$src/results.db" "$work/template.db"
sqlite3 "$work/template.db" <<SQL
PRAGMA foreign_keys = OFF;
CREATE TEMP TABLE k(k INTEGER);
WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < $configs)
INSERT INTO k SELECT i FROM s;
CREATE TEMP TABLE r(r INTEGER);
WITH RECURSIVE s(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM s WHERE i < $reps - 1)
INSERT INTO r SELECT i FROM s;
CREATE TEMP TABLE oc AS SELECT * FROM config;
CREATE TEMP TABLE ocell AS SELECT * FROM cell;
CREATE TEMP TABLE otrial AS SELECT * FROM trial;
DELETE FROM trial; DELETE FROM cell; DELETE FROM config;
INSERT INTO config SELECT name || '-' || k, backend, class, options_json, declared_leaves,
	cgroup_note, available, unavailable_reason FROM oc, k;
INSERT INTO cell(config, backend, resource, scenario, placement, resolved_placement, victim,
	aggressor, intensity, victim_opts, aggressor_opts, victim_cpus, aggressor_cpus,
	grade_metrics, status, reason)
	SELECT config || '-' || k, backend, resource, scenario, placement, resolved_placement,
	victim, aggressor, intensity, victim_opts, aggressor_opts, victim_cpus, aggressor_cpus,
	grade_metrics, status, reason FROM ocell, k ORDER BY k, ocell.id;
CREATE TEMP TABLE nrep AS SELECT max(rep) + 1 AS n FROM otrial;
INSERT INTO trial(cell_id, kind, rep, seq, status, cause, started_ns, wall_s,
	victim_startup_ns, aggressor_startup_ns, metrics_json, samples_json, counters_json,
	aggressor_json, info_json, declared_leaves, probed_leaves, probe_json, attribution_json)
	SELECT nc.id, t.kind, t.rep + r.r * nrep.n, ROW_NUMBER() OVER (ORDER BY k.k, r.r, t.seq),
	t.status, t.cause, t.started_ns, t.wall_s, t.victim_startup_ns, t.aggressor_startup_ns,
	$(scaled "t.id * 1103515245 + k.k * 12345 + r.r * 2654435761") AS metrics_json,
	t.samples_json, t.counters_json, t.aggressor_json, t.info_json, t.declared_leaves,
	t.probed_leaves, t.probe_json, t.attribution_json
	FROM otrial t JOIN ocell c ON c.id = t.cell_id, k, r, nrep
	JOIN cell nc ON nc.config = c.config || '-' || k.k AND nc.scenario = c.scenario
	AND nc.placement = c.placement;
SQL
per_node=$(sqlite3 "$work/template.db" 'SELECT count(*) FROM trial')
cells=$(sqlite3 "$work/template.db" "SELECT count(*) FROM cell WHERE status = 'planned'")
size=$(du -k "$work/template.db" | cut -f1)
echo "node store: $cells planned cells, $per_node trials, $((size / 1024)) MiB (from $(sqlite3 "$src/results.db" 'SELECT count(*) FROM trial') real trials)"

i=1
while [ $i -le $nodes_max ]; do
	mkdir "$work/n$i"
	cp "$work/template.db" "$work/n$i/results.db"
	outlier=""
	[ $i = 7 ] && outlier="UPDATE trial SET metrics_json = (SELECT b.metrics_json FROM trial b
		WHERE b.cell_id = trial.cell_id AND b.rep = trial.rep AND b.kind = 'baseline')
		WHERE kind = 'contended' AND cell_id IN
		(SELECT id FROM cell WHERE config LIKE '%-1' AND resource = 'cpu');"
	sqlite3 "$work/n$i/results.db" "UPDATE campaign SET id = id || '-n$i',
		host_json = json_set(host_json, '\$.hostname', 'node$i'); $outlier
		UPDATE trial SET metrics_json = $(scaled "id * 2246822519 + $i * 3266489917");"
	i=$((i + 1))
done

printf '%6s %8s %10s %10s %12s %s\n' nodes trials "wall (s)" "CPU (s)" "max RSS MiB" "outliers flagged"
for n in ${SIZES:-8 16 32 64}; do
	args=""
	i=1
	while [ $i -le "$n" ]; do args="$args $work/n$i"; i=$((i + 1)); done
	# shellcheck disable=SC2086
	taskset -c 0 /usr/bin/time -v "$ISOBENCH" merge "$work/m$n" $args >"$work/out$n" 2>"$work/time$n" ||
		{ cat "$work/time$n" >&2; exit 1; }
	wall=$(sed -n 's/.*Elapsed (wall clock) time (h:mm:ss or m:ss): //p' "$work/time$n" |
		awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
	rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$work/time$n")
	cpu=$(sed -n 's/.*\(User\|System\) time (seconds): //p' "$work/time$n" | awk '{ s += $1 } END { print s }')
	flagged=$(grep -c '^outlier node' "$work/out$n" || true)
	printf '%6d %8d %10.2f %10.2f %12.0f %s\n' "$n" "$(sqlite3 "$work/m$n/results.db" 'SELECT count(*) FROM trial')" \
		"$wall" "$cpu" "$((rss / 1024))" "$flagged ($(sed -n 's/^outlier node \([^:]*\):.*/\1/p' "$work/out$n" | sort -u | tr '\n' ' '))"
	rm -rf "$work/m$n"
done
