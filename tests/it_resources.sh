#!/bin/sh
# The quick suite on the native backend covers cpu, memory, disk and network:
# every cell graded and cells.csv naming the metric of each; disk reads
# suffer measurably from a sequential writer (p99 completion latency d > 0.2);
# request/response over loopback suffers more beside a TCP flood on the same
# PU than on another one. Shorter windows than the shipped suite, same cells.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
command -v fio >/dev/null || skip_all "fio is not installed (./setup.sh installs it)"
"$ISOBENCH" run quick --reps 4 --duration 1 --out camp >out.txt 2>err.txt; rc=$?
check "quick suite on native exits 0" [ "$rc" = 0 ]
[ "$rc" = 0 ] || sed 's/^/# /' err.txt
cat out.txt | sed 's/^/# /'
for r in cpu memory disk network; do
	rows=$(awk -v r="$r" "$CSV_AWK"'F["resource"] == r && F["cell_grade"] != ""' camp/cells.csv | wc -l)
	check "$r: graded cells in cells.csv ($rows rows)" [ "$rows" -gt 0 ]
done
check "every row of cells.csv names its metric" [ "$(awk "$CSV_AWK"'F["metric"] == ""' camp/cells.csv | wc -l)" = 0 ]
d=$(cell_field camp disk-seqwrite split lat_p99_ns d)
check "disk: randread p99 latency degrades beside seqwrite (d = $d > 0.2)" awk -v d="$d" 'BEGIN { exit !(d != "" && d > 0.2) }'
check "disk: the fio version is recorded with the host" sh -c "sqlite3 camp/results.db 'select host_json from campaign' | grep -q '\"fio\":\"fio-'"
check "disk: the fio job parameters are recorded with each trial" [ "$(q camp "select count(*) from trial t join cell c on c.id = t.cell_id where c.scenario = 'disk-seqwrite' and t.info_json like '%--rw=randread --bs=4k --iodepth=1%'")" -ge 8 ]
check "disk: the aggressor's job parameters too" [ "$(q camp "select count(*) from trial t join cell c on c.id = t.cell_id where c.scenario = 'disk-seqwrite' and t.aggressor_json like '%--rw=write --bs=1024k --iodepth=32%'")" -ge 4 ]
gs=$(cell_field camp net-rr-flood shared tps cell_grade)
gp=$(cell_field camp net-rr-flood split tps cell_grade)
check "network: net.rr grades worse at shared ($gs) than at split ($gp)" [ "${gs:-9}" -lt "${gp:--1}" ]
check "memory: the bomb's achieved resident set is in the report" grep -q 'resident_mb=' camp/report.md
check "nothing is left in the scratch directory" [ ! -e camp/scratch ]
id=$(q camp "select id from campaign")
check "nothing left behind" no_leftovers "$id"
done_testing
