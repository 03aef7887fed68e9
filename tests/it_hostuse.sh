#!/bin/sh
# Each tenant's use seen from the host (attribution_json.host, issue 13): a CPU-bound victim
# pinned to one CPU uses at most the window's wall time, and its CPU time from /proc agrees
# with the task-clock counter's; O_DIRECT reads reach the block layer (the host sees at least the bytes fio reports
# after its ramp); the disk aggressor's writes are its own at the block layer; a native tenant's
# network says why it cannot be told apart; a container's stream is seen on its link, at least
# the bytes it reports; a baseline has no aggressor. Bounds are physical, not timings.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
cat >hu.ini <<'INI'
[global]
reps = 1
duration = 0.5
warmup = 0.1
aggressor_warmup = 0.2
test_network = yes
[config native]
backend = native
[config container]
backend = container
namespaces = docker
[scenario cpu]
resource = cpu
victim = cpu.compute
aggressor = null
placements = split
[scenario disk]
resource = disk
victim = disk.randread
victim.size_mb = 32
aggressor = disk.seqwrite
aggressor.size_mb = 64
placements = split
[scenario net]
resource = network
victim = net.stream
aggressor = null
placements = split
INI
"$ISOBENCH" run hu.ini --out camp --no-report >out.txt 2>err.txt; rc=$?
check "the campaign finishes (exit $rc)" [ "$rc" = 0 ]
# v CONFIG SCENARIO KIND JSONPATH: one trial's value
v() { q camp "select json_extract(t.$5, '$4') from trial t join cell c on c.id = t.cell_id
	where c.config = '$1' and c.scenario = '$2' and t.kind = '$3' and t.status = 'ok'"; }
a() { v "$1" "$2" "$3" "$4" attribution_json; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }

cpu=$(a native cpu baseline '$.host.victim.cpu_s') win=$(a native cpu baseline '$.window_s')
tc=$(awk -v r="$(a native cpu baseline '$.perf.task_clock_ns_per_s')" -v w="$win" 'BEGIN { print r * w / 1e9 }')
echo "# cpu.compute: $cpu CPU s from /proc, $tc s of task clock, over a window of $win s"
check "a busy victim pinned to one CPU used at most the window ($cpu <= $win + 0.02)" le "$cpu" "$(awk -v w="$win" 'BEGIN { print w + 0.02 }')"
# two counts of the same CPU time: /proc's clock ticks (10 ms) against the task-clock counter
near() { awk -v a="$1" -v b="$2" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= 0.03 + 0.1 * b) }'; }
check "... and what the task clock counted ($cpu ~ $tc, within a tick or 10 %)" near "$cpu" "$tc"

fio=$(v native disk baseline '$.read_bytes' info_json) blk=$(a native disk baseline '$.host.victim.blk_read_bytes')
src=$(a native disk baseline '$.host.victim.blk_source')
echo "# disk.randread: fio read $fio bytes after its ramp, the host saw $blk at the block layer ($src)"
if [ "$src" = bpf ]; then
	check "O_DIRECT reads reach the block layer: host $blk >= fio $fio" le "$fio" "$blk"
	aw=$(a native disk contended '$.host.aggressor.blk_write_bytes') ar=$(a native disk contended '$.host.aggressor.blk_read_bytes')
	echo "# disk.seqwrite beside it: $aw bytes written, $ar read at the block layer in the window"
	agg_ok() { le 1048576 "$aw" && le "$ar" "$aw"; }
	check "the aggressor's direct writes are its own ($aw > 1 MiB, more than its reads $ar)" agg_ok
else
	echo "# block probe unavailable: $(a native disk baseline '$.host.victim.blk_read_bytes.unavailable')"
fi
check "a baseline has no aggressor" has_text "$(a native disk baseline '$.host.aggressor.unavailable')" 'no aggressor'
check "a native tenant's network says why it is not measured" has_text "$(a native net baseline '$.host.victim.net_tx_bytes.unavailable')" "host's network namespace"

bps=$(v container net baseline '$.bytes_per_s' metrics_json) tx=$(a container net baseline '$.host.victim.net_tx_bytes')
echo "# container net.stream: $bps B/s reported, $tx bytes sent on its link in the window"
check "its link carried at least what it reports for 0.5 s ($tx >= 0.9 x $bps x 0.5)" le "$(awk -v b="$bps" 'BEGIN { print 0.9 * b * 0.5 }')" "$tx"
check "nothing of the campaign is left" no_leftovers "$(q camp 'select id from campaign')"
done_testing
