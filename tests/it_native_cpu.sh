#!/bin/sh
# The Must show of the spine, on the real native backend: the quick suite
# restricted to native and cpu finishes in under 3 minutes; at "shared" the
# victim gets the scheduler's fair share of one PU (d in 0.35-0.65), at
# "split" it is barely touched (d < 0.10), and the grades say the same.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
t0=$(date +%s)
"$ISOBENCH" run --backends native --resources cpu --out camp >out.txt 2>err.txt; rc=$?
t1=$(date +%s)
check "quick suite (native, cpu) exits 0" [ "$rc" = 0 ]
[ "$rc" = 0 ] || sed 's/^/# /' err.txt
check "it took under 3 minutes ($((t1 - t0)) s)" [ $((t1 - t0)) -lt 180 ]
d_shared=$(cell_field camp cpu-hog shared ops_per_s d)
d_split=$(cell_field camp cpu-hog split ops_per_s d)
g_shared=$(cell_field camp cpu-hog shared ops_per_s cell_grade)
g_split=$(cell_field camp cpu-hog split ops_per_s cell_grade)
echo "# shared: d=$d_shared grade=$g_shared; split: d=$d_split grade=$g_split"
check "shared: d of ops/s in [0.35, 0.65] ($d_shared)" awk -v d="$d_shared" 'BEGIN { exit !(d >= 0.35 && d <= 0.65) }'
check "split: d of ops/s under 0.10 ($d_split)" awk -v d="$d_split" 'BEGIN { exit !(d != "" && d < 0.10) }'
check "shared grades severe or moderate ($g_shared)" sh -c "[ '$g_shared' = 1 ] || [ '$g_shared' = 2 ]"
# the grade is checked against shared's, and d above carries the physical bound
check "split grades better than shared ($g_split > $g_shared)" [ "${g_split:-0}" -gt "${g_shared:-4}" ]
n=$(q camp "select count(*) from trial")
check "every trial ok: 5 to 10 pairs of 2 cells ($n trials)" sh -c "[ $n -ge 20 ] && [ $n -le 40 ] && [ $n = $(q camp "select count(*) from trial where status='ok'") ]"
check "the aggressor's achieved pressure is recorded" [ "$(q camp "select count(*) from trial where kind='contended' and aggressor_json like '%cpus_used%'")" = $((n / 2)) ]
check "software counters counted" [ "$(q camp "select count(*) from trial where counters_json like '%\"task_clock_ns\":{\"value\"%'")" = "$n" ]
q camp "select counters_json from trial limit 1" >counters.txt
check "cycles are counted or say why, never a silent zero" grep -Eq '"cycles":\{"(value|unavailable)"' counters.txt
check "start-up time recorded for every victim" [ "$(q camp "select count(*) from trial where victim_startup_ns > 0")" = "$n" ]
check "trial order is interleaved, not blocked" [ "$(q camp "select count(*) from trial a join trial b on b.seq = a.seq + 1 where a.kind <> b.kind")" -ge 3 ]
check "victims ran pinned to their placement" [ "$(q camp "select victim_cpus || '/' || aggressor_cpus from cell where placement='shared'")" = "0/0" ]
check "report shows the grades" grep -q '^| native | native | cpu | cpu-hog | shared | \*\*[12]\*\*' camp/report.md
id=$(q camp "select id from campaign")
check "nothing left behind" no_leftovers "$id"
done_testing
