#!/bin/sh
# memory.bomb in a container with a memory limit: the bomb is OOM-killed in
# its own cgroup, the victim (in its own, beside it) never is, and it grades
# as it does without an aggressor.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
cat >oom.ini <<'INI'
[global]
reps = 5
duration = 1
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
[scenario alone]
resource = memory
victim = memory.working-set
victim.size_mb = 128
aggressor = null
placements = split
INI
"$ISOBENCH" run oom.ini --out camp >out.txt 2>err.txt; rc=$?
check "the campaign finishes (exit $rc)" [ "$rc" = 0 ]
sed 's/^/# /' out.txt
killed=$(q camp "select count(*) from trial t join cell c on c.id = t.cell_id where c.scenario = 'bomb' and kind = 'contended' and aggressor_json like '%OOM-killed (its own cgroup%'")
nc=$(q camp "select count(*) from trial t join cell c on c.id = t.cell_id where c.scenario = 'bomb' and kind = 'contended'")
check "the bomb was OOM-killed in its own cgroup in every contended trial ($killed of $nc, 5 to 10 pairs)" sh -c "[ $killed = $nc ] && [ $nc -ge 5 ]"
check "no victim failed" [ "$(q camp "select count(*) from trial where status <> 'ok'")" = 0 ]
# the victim beside the bomb against the same victim beside nothing (an A/A cell)
g=$(awk "$CSV_AWK"'F["scenario"] == "bomb" { print F["cell_grade"]; exit }' camp/cells.csv)
a=$(awk "$CSV_AWK"'F["scenario"] == "alone" { print F["cell_grade"]; exit }' camp/cells.csv)
check "the victim grades as it does without an aggressor (grade $g, alone $a, within one)" [ "${g:-0}" -ge $(( ${a:-4} - 1 )) ]
check "the report shows the bomb's death" grep -q 'aggressor died in' camp/report.md
id=$(q camp "select id from campaign")
check "nothing left behind" no_leftovers "$id"
done_testing
