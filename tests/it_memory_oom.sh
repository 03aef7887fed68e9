#!/bin/sh
# memory.bomb at intensity 100 under a small campaign memory ceiling: the
# campaign cgroup's OOM killer fires. Whoever it picks, the harness finishes
# the campaign and writes its report; a victim it kills is recorded as
# OOM-killed (grade 0), a bomb it kills is shown beside the victim's numbers.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
[ -e /sys/fs/cgroup/memory ] || [ -e /sys/fs/cgroup/cgroup.controllers ] || skip_all "no memory cgroup"
cat >oom.ini <<'INI'
[global]
reps = 2
duration = 1
warmup = 0.2
aggressor_warmup = 1
memory_ceiling = 0.03
[config native]
backend = native
[scenario bomb]
resource = memory
victim = memory.working-set
victim.size_mb = 200
aggressor = memory.bomb
intensity = 100
placements = split
INI
"$ISOBENCH" run oom.ini --out camp >out.txt 2>err.txt; rc=$?
check "the campaign finishes (exit $rc)" [ "$rc" = 0 ]
check "and writes its report" [ -s camp/report.md ]
check "4 trials recorded" [ "$(q camp "select count(*) from trial")" = 4 ]
killed_v=$(q camp "select count(*) from trial where status = 'failed' and cause like 'OOM-killed%'")
killed_a=$(q camp "select count(*) from trial where aggressor_json like '%OOM-killed%'")
echo "# victims OOM-killed: $killed_v; bombs OOM-killed: $killed_a"
check "the OOM killer fired in every contended trial" [ $((killed_v + killed_a)) -ge 2 ]
check "every contended trial is a graded victim or one recorded as OOM-killed" [ "$(q camp "select count(*) from trial where kind = 'contended' and not (status = 'ok' or cause like 'OOM-killed%')")" = 0 ]
if [ "$killed_a" -gt 0 ]; then
	check "the report shows the bomb's death beside the victim" grep -q 'aggressor died in' camp/report.md
fi
if [ "$killed_v" -gt 0 ]; then
	check "an OOM-killed victim grades its cell 0" grep -q '\*\*0\*\* none' camp/report.md
fi
check "the bomb never went past the ceiling: the host is fine" [ "$(awk '/MemAvailable/ {print $2}' /proc/meminfo)" -gt 1000000 ]
id=$(q camp "select id from campaign")
check "nothing left behind" no_leftovers "$id"
done_testing
