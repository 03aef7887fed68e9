#!/bin/sh
# memory.bomb in a container with a memory limit: the bomb is OOM-killed in
# its own cgroup, the victim (in its own, beside it) never is, and it grades
# as it does without an aggressor.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
cat >oom.ini <<'INI'
[global]
reps = 3
duration = 0.8
warmup = 0.2
aggressor_warmup = 1
[config ct]
backend = container
cgroups = none
memory.max = 400M
[scenario bomb]
resource = memory
victim = memory.working-set
victim.size_mb = 128
aggressor = memory.bomb
intensity = 100
placements = split
INI
"$ISOBENCH" run oom.ini --out camp >out.txt 2>err.txt; rc=$?
check "the campaign finishes (exit $rc)" [ "$rc" = 0 ]
sed 's/^/# /' out.txt
killed=$(q camp "select count(*) from trial where kind = 'contended' and aggressor_json like '%OOM-killed (its own cgroup%'")
check "the bomb was OOM-killed in its own cgroup in every contended trial ($killed of 3)" [ "$killed" = 3 ]
check "no victim failed" [ "$(q camp "select count(*) from trial where status <> 'ok'")" = 0 ]
g=$(awk -F, 'NR > 1 { print $12; exit }' camp/cells.csv)
check "the victim grades as without an aggressor (grade $g >= 3)" [ "${g:-0}" -ge 3 ]
check "the report shows the bomb's death" grep -q 'aggressor died in' camp/report.md
id=$(q camp "select id from campaign")
check "nothing left behind" no_leftovers "$id"
done_testing
