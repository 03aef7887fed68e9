#!/bin/sh
# Attribution's Must show, shortened: on native cpu at shared placement the
# report names run-queue wait as the channel, with the aggressor as the
# preempter in most samples, while at split the run-queue wait stays near
# baseline; on disk against disk.seqwrite the victim's block I/O latency
# grows and is named. --no-bpf leaves PSI, cgroup statistics and counters
# and says why the kernel probes are missing. Nothing stays mounted.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
cat >att.ini <<'INI'
[global]
reps = 3
duration = 1
warmup = 0.2
aggressor_warmup = 0.3
[config native]
backend = native
[scenario cpu]
resource = cpu
victim = cpu.compute
aggressor = cpu.hog
placements = shared, split
[scenario disk]
resource = disk
victim = disk.randread
victim.size_mb = 64
aggressor = disk.seqwrite
aggressor.size_mb = 256
placements = split
INI
"$ISOBENCH" run att.ini --out camp >out.txt 2>err.txt; rc=$?
sed 's/^/# /' out.txt
check "the campaign finishes (exit $rc)" [ "$rc" = 0 ]
variant=$(q camp "select distinct json_extract(attribution_json, '$.bpf.variant') from trial where status = 'ok'")
echo "# probes: $variant $(q camp "select json_extract(attribution_json, '$.bpf.unavailable') from trial limit 1")"
check "every trial has the kernel probes' summaries ($variant)" sh -c "[ '$variant' = tp_btf ] || [ '$variant' = tracepoint ]"
med() { # med PLACEMENT KIND PATH: the median over the trials of that cpu cell
	q camp "select json_extract(t.attribution_json, '$3') from trial t join cell c on c.id = t.cell_id where c.scenario = '$4' and c.placement = '$1' and t.kind = '$2' and t.status = 'ok' order by 1" |
		awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
sb=$(med shared baseline '$.bpf.runq.wait_ms_per_s' cpu)
sc=$(med shared contended '$.bpf.runq.wait_ms_per_s' cpu)
share=$(med shared contended '$.bpf.runq.aggressor_share' cpu)
pb=$(med split baseline '$.bpf.runq.wait_ms_per_s' cpu)
pc=$(med split contended '$.bpf.runq.wait_ms_per_s' cpu)
echo "# run-queue wait ms/s: shared $sb -> $sc (aggressor share $share), split $pb -> $pc"
check "shared: the victim waits on the run queue a fair share of the time ($sc ms/s in 200..900)" awk "BEGIN { exit !($sc >= 200 && $sc <= 900) }"
check "shared: the aggressor preempted it in most samples ($share)" awk "BEGIN { exit !($share > 0.5) }"
check "split: the run-queue wait stays near baseline ($pb -> $pc ms/s)" awk "BEGIN { exit !($pc < $pb + 50) }"
attribution() { sed -n '/^## Attribution/,/^## Counters/p' camp/report.md | grep "^| native | $1 |"; }
line=$(attribution 'cpu | shared')
echo "# $line"
check "the report names run-queue wait for cpu/shared" has_text "$line" 'run-queue wait +'
check "... and the aggressor as the preempter" has_text "$line" 'the aggressor preempted the victim'
check "... and a neighbour as the source of the loss" has_text "$line" '| neighbour |'
db=$(med split baseline '$.bpf.bio.victim.mean_ns' disk)
dc=$(med split contended '$.bpf.bio.victim.mean_ns' disk)
echo "# victim block I/O mean latency ns: $db -> $dc"
check "disk: the victim's block I/O latency grows from baseline to contended" awk "BEGIN { exit !($dc > 1.5 * $db && $db > 0) }"
line=$(attribution disk)
echo "# $line"
check "the report names the block I/O latency for disk" has_text "$line" 'block I/O latency'
psi=$(q camp "select count(*) from trial where json_extract(attribution_json, '$.psi.cpu.some_ms_per_s') is not null")
check "PSI in every trial ($psi)" [ "$psi" = "$(q camp "select count(*) from trial where status = 'ok'")" ]
ipc=$(q camp "select coalesce(json_extract(attribution_json, '$.perf.ipc.unavailable'), json_extract(attribution_json, '$.perf.ipc')) from trial limit 1")
echo "# IPC: $ipc"
check "the derived counters give IPC or say why it is missing" [ -n "$ipc" ]

cat >one.ini <<'INI'
[global]
reps = 1
duration = 0.5
warmup = 0.1
aggressor_warmup = 0.1
[config native]
backend = native
[scenario cpu]
resource = cpu
victim = cpu.compute
aggressor = cpu.hog
placements = shared
INI
"$ISOBENCH" run one.ini --no-bpf --out nobpf >/dev/null 2>err2.txt; rc=$?
check "--no-bpf runs (exit $rc)" [ "$rc" = 0 ]
check "... and says why the probes are missing" [ "$(q nobpf "select distinct json_extract(attribution_json, '$.bpf.unavailable') from trial")" = "--no-bpf" ]
check "... while PSI is still recorded" [ -n "$(q nobpf "select json_extract(attribution_json, '$.psi.cpu.some_ms_per_s') from trial limit 1")" ]
check "... and the report says why" grep -q 'Kernel probes (eBPF) unavailable: --no-bpf' nobpf/report.md
ISOBENCH_BPF=off "$ISOBENCH" run one.ini --out off >/dev/null 2>err3.txt; rc=$?
check "ISOBENCH_BPF=off runs too and logs why ($rc)" sh -c "[ $rc = 0 ] && grep -q 'eBPF probes unavailable: ISOBENCH_BPF=off' err3.txt"
check "no tracefs or probe left mounted" sh -c "! grep -q tracefs /proc/self/mountinfo || grep -q tracefs /proc/1/mountinfo"
for d in camp nobpf off; do
	check "nothing left behind ($d)" no_leftovers "$(q $d "select id from campaign")"
done
done_testing
