#!/bin/sh
# Cache ways and memory bandwidth per tenant (llc.ways, mb.percent) through
# resctrl. On a host without resctrl (this test machine) a configuration
# that asks for them is "unavailable: no resctrl on this host (reason)"
# while the native one in the same campaign runs, and the report ranks no
# memory-bandwidth cell but says that no mechanism here can isolate memory
# bandwidth. Then the same keys against a directory tree that looks like
# resctrl (ISOBENCH_RESCTRL_ROOT): each tenant's group gets its side's
# schemata (disjoint L3 masks, MB on the granularity) and its pid, and no
# group is left after the campaign; a dead campaign's group is swept.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1

cat >rdt.ini <<'INI'
[global]
reps = 1
max_reps = 1
duration = 0.3
warmup = 0.05
aggressor_warmup = 0.05
[config native]
backend = native
[config ct-llc]
backend = container
cgroups = none
llc.ways = 2
mb.percent = 35
[scenario hog]
resource = cpu
victim = cpu.compute
aggressor = null
placements = shared
INI

if [ -d /sys/fs/resctrl/info ]; then
	echo "# this host has resctrl: the no-resctrl half is skipped"
else
	{
		cat rdt.ini
		printf '[scenario bw]\nresource = memory\nvictim = memory.working-set\naggressor = memory.bandwidth\nplacements = shared\n'
	} >host.ini
	"$ISOBENCH" run host.ini --out host >out.txt 2>err.txt
	rc=$?
	check "the campaign finishes (exit $rc)" [ "$rc" = 0 ]
	why=$(q host "select unavailable_reason from config where name = 'ct-llc'")
	echo "# ct-llc: $why"
	check "llc.ways here: unavailable: no resctrl on this host, with the reason" \
		has_text "$why" '^unavailable: no resctrl on this host (.\{20,\})'
	check "the native configuration in the same campaign runs" \
		[ "$(q host "select count(*) from trial t join cell c on c.id = t.cell_id where c.config = 'native' and t.status = 'ok'")" -ge 2 ]
	check "the cells of the unavailable configuration are skipped" \
		[ "$(q host "select count(*) from cell where config = 'ct-llc' and status != 'skipped'")" = 0 ]
	avail=$(q host "select json_extract(host_json, '\$.resctrl.available') from campaign")
	reason=$(q host "select json_extract(host_json, '\$.resctrl.reason') from campaign")
	check "the host JSON records resctrl unavailable ($avail) and why ($reason)" \
		sh -c "[ '$avail' = 0 ] && [ -n '$reason' ]"
	check "the report says no mechanism here can isolate memory bandwidth" \
		grep -q 'no mechanism on this host can isolate memory bandwidth (no resctrl: ' host/report.md
	check "... and ranks no memory-bandwidth cell (graded: $(q host "select count(*) from cell where config = 'native' and scenario = 'bw' and status != 'skipped'"))" \
		sh -c "[ -s host/report.md ] && ! sed -n '/^## Ranking/,/^## Metrics/p' host/report.md | grep -q '^| memory | [0-9]* | native | bw/'"
	check "... while the cpu cell is ranked" \
		sh -c "sed -n '/^## Ranking/,/^## Metrics/p' host/report.md | grep -q '^| cpu | 1 | native | hog/'"
	id=$(q host "select id from campaign")
	check "nothing left behind" no_leftovers "$id"
fi

# A tree that looks like an Intel host's resctrl: 11 ways on two caches, MB by tens.
R=$WORK/resctrl
mkdir -p "$R/info/L3" "$R/info/MB"
echo 7ff >"$R/info/L3/cbm_mask"
echo 1 >"$R/info/L3/min_cbm_bits"
echo 16 >"$R/info/L3/num_closids"
echo 10 >"$R/info/MB/bandwidth_gran"
echo 10 >"$R/info/MB/min_bandwidth"
echo 8 >"$R/info/MB/num_closids"
printf '    L3:0=7ff;1=7ff\n    MB:0=100;1=100\n' >"$R/schemata"
: >"$R/tasks"
# a group of a campaign whose harness is gone (pid 1 is no isobench): the sweep removes it
mkdir "$R/isobench-20200101-000000-1-victim-1"
mkdir "$R/someone-else"
{
	sed 's/^duration = .*/duration = 0.6/' rdt.ini
	# an OCI runtime's container inherits the group its runtime joined before exec
	printf '[config runc-llc]\nbackend = oci\nruntime = runc\ncgroups = none\nllc.ways = 1\n'
} >fake.ini
ISOBENCH_RESCTRL_ROOT=$R "$ISOBENCH" run fake.ini --out fake >out2.txt 2>err2.txt &
pid=$!
: >seen.txt
# the groups live while their tenants run: record what they hold
while kill -0 $pid 2>/dev/null; do
	for d in "$R"/isobench-*; do
		[ -f "$d/tasks" ] && [ -s "$d/tasks" ] || continue
		echo "$(basename "$d") $(tr '\n' '|' <"$d/schemata") $(head -n1 "$d/tasks")" >>seen.txt
	done
	sleep 0.02
done
wait $pid
rc=$?
check "the campaign on the resctrl tree finishes (exit $rc)" [ "$rc" = 0 ]
note=$(q fake "select cgroup_note from config where name = 'ct-llc'")
echo "# ct-llc note: $note"
check "the configuration's note declares the ways and the bandwidth" \
	has_text "$note" 'resctrl L3 2 of 11 ways: victim 3, aggressor 600; resctrl MB 40 %'
check "its trials ran" \
	[ "$(q fake "select count(*) from trial t join cell c on c.id = t.cell_id where c.config = 'ct-llc' and t.status = 'ok'")" -ge 2 ]
sort -u seen.txt | sed 's/^/# seen: /'
check "a victim's group: the low 2 ways of both caches, MB 40, and a pid" \
	grep -Eq -- '-victim-[0-9]+ L3:0=3;1=3\|MB:0=40;1=40\| [0-9]+$' seen.txt
check "an aggressor's group: the high 2 ways, MB 40, and a pid" \
	grep -Eq -- '-aggressor-[0-9]+ L3:0=600;1=600\|MB:0=40;1=40\| [0-9]+$' seen.txt
if command -v runc >/dev/null; then
	n=$(q fake "select count(*) from trial t join cell c on c.id = t.cell_id where c.config = 'runc-llc' and t.status = 'ok'")
	check "runc: its trials ran ($n)" [ "$n" -ge 2 ]
	check "runc: the victim's container in a group of the lowest way" \
		grep -Eq -- '-victim-[0-9]+ L3:0=1;1=1\| [0-9]+$' seen.txt
	check "runc: the aggressor's in one of the highest way" \
		grep -Eq -- '-aggressor-[0-9]+ L3:0=400;1=400\| [0-9]+$' seen.txt
fi
check "no isobench group is left, the dead campaign's swept, others kept" \
	sh -c "[ -z \"\$(ls '$R' | grep isobench-)\" ] && [ -d '$R/someone-else' ] && [ -f '$R/schemata' ]"
check "the host JSON of that campaign says resctrl is available" \
	[ "$(q fake "select json_extract(host_json, '\$.resctrl.available') from campaign")" = 1 ]
check "... so its report says nothing about a missing mechanism" \
	sh -c "! grep -q 'no mechanism on this host' fake/report.md"
id=$(q fake "select id from campaign")
check "nothing left behind" no_leftovers "$id"
done_testing
