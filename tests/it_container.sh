#!/bin/sh
# The container class's Must show, shortened: native, namespaces only,
# cgroups partitioned only, everything, runc and crun on cpu, memory and
# disk. Every cell grades; at shared placement on cpu the partitioned
# configurations isolate (grade >= 3) while native and namespaces only do
# not (grade <= 2); every victim's probe saw the leaves its configuration
# declared; nothing is left behind.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
# its own suite: the six configurations this test knows, on cpu, memory bandwidth and the
# host's disk (suites/container.ini compares more, on more mechanisms)
cat >ct.ini <<'INI'
[global]
reps = 5
duration = 0.5
warmup = 0.2
aggressor_warmup = 0.3
seed = 20261128
[config native]
backend = native
[config ns-only]
backend = container
namespaces = all
cgroups = none
capabilities = all
[config cgroups-only]
backend = container
namespaces = none
cgroups = partitioned
capabilities = all
[config container-all]
backend = container
namespaces = all
cgroups = partitioned
capabilities = docker
[config runc]
backend = oci
runtime = runc
cgroups = partitioned
[config crun]
backend = oci
runtime = crun
cgroups = partitioned
[scenario cpu-hog]
resource = cpu
victim = cpu.compute
aggressor = cpu.hog
placements = shared
[scenario memory-bandwidth]
resource = memory
victim = memory.working-set
aggressor = memory.bandwidth
placements = split
[scenario disk-seqwrite]
resource = disk
victim = disk.randread
victim.size_mb = 64
aggressor = disk.seqwrite
aggressor.size_mb = 128
placements = split
INI
# cpu with 5 repetitions for the grades; memory and disk with 2 to see every cell grade
"$ISOBENCH" run ct.ini --resources cpu --reps 5 --duration 1 --out camp >out.txt 2>err.txt; rc=$?
check "the cpu campaign finishes (exit $rc)" [ "$rc" = 0 ]
"$ISOBENCH" run ct.ini --resources memory,disk --reps 2 --out camp2 >out2.txt 2>err2.txt; rc=$?
check "the memory and disk campaign finishes (exit $rc)" [ "$rc" = 0 ]
cat out.txt out2.txt | sed 's/^/# /'
for cfg in runc crun; do
	if [ "$(q camp "select available from config where name='$cfg'")" != 1 ]; then
		echo "# $cfg: $(q camp "select unavailable_reason from config where name='$cfg'")"
	fi
done
cells=$(( $(q camp "select count(*) from cell where status='planned'") + $(q camp2 "select count(*) from cell where status='planned'") ))
check "18 cells planned ($cells)" [ "$cells" = 18 ]
ungraded=$(awk "$CSV_AWK"'F["cell_grade"] == "" { print F["config"] "/" F["scenario"] }' camp/cells.csv camp2/cells.csv | sort -u)
check "every cell grades (ungraded: ${ungraded:-none})" [ -z "$ungraded" ]
grade() { awk -v c="$1" -v s="$2" "$CSV_AWK"'F["config"] == c && F["scenario"] == s { print F["cell_grade"]; exit }' camp/cells.csv; }
for cfg in cgroups-only container-all runc crun; do
	g=$(grade "$cfg" cpu-hog)
	check "cpu shared: $cfg partitions the CPUs and isolates (grade $g >= 3)" [ "${g:-0}" -ge 3 ]
done
for cfg in native ns-only; do
	g=$(grade "$cfg" cpu-hog)
	check "cpu shared: $cfg does not isolate CPU time (grade $g <= 2)" [ "${g:-9}" -le 2 ]
done
bad=$(for d in camp camp2; do q $d "select c.config || ': declared ' || t.declared_leaves || ', probed ' || coalesce(t.probed_leaves, 'nothing') from trial t join cell c on c.id = t.cell_id where t.status = 'ok' and coalesce(t.probed_leaves, '?') <> t.declared_leaves limit 3"; done)
check "every victim's probe saw its configuration's leaves (${bad:-all match})" [ -z "$bad" ]
check "the report sets declared beside probed leaves" grep -q '| container-all | container | container | CT_NS,CT_CGROUPS,CT_CAPS | CT_NS,CT_CGROUPS,CT_CAPS | ok |' camp/report.md
check "runc's version is recorded" grep -q 'runc version' camp/report.md
check "crun on this host says what was done to run it" sh -c "q() { sqlite3 camp/results.db \"\$1\"; }; [ -n \"\$(q \"select cgroup_note from config where name='crun'\")\" ]"
check "start-up time of every configuration is in the report" [ "$(sed -n '/## Start-up time/,/## Failed/p' camp/report.md | grep -c ' ms |')" = 6 ]
for d in camp camp2; do
	id=$(q $d "select id from campaign")
	check "nothing left behind ($d)" no_leftovers "$id"
done
done_testing
