#!/bin/sh
# Every stressor through the agent, as a tenant runs it: its metrics are
# produced, with sane units and ranges, and its bounds hold (the bomb never
# exceeds its cap, the fork bomb its cap, a flood its rate cap).
. "$TESTS_SRCDIR/lib.sh"
AGENT=${ISOBENCH_AGENT_BIN:?}
cd "$WORK" || exit 1
mkdir scratch

# victim STRESSOR ARGS...: run a victim for 0.6 s; its result line in $res
victim() {
	s=$1
	shift
	res=$( (sleep 0.2; echo go; sleep 8) | timeout 20 "$AGENT" "$s" --duration 0.6 --warmup 0.1 --sample-interval 0.2 --scratch "$WORK/scratch" "$@" | tail -1)
}
# aggressor STRESSOR ARGS...: run an aggressor for 0.8 s, then "stop"
aggressor() {
	s=$1
	shift
	res=$( (sleep 0.3; echo go; sleep 0.8; echo stop; sleep 5) | timeout 30 "$AGENT" "$s" --role aggressor --duration 30 --scratch "$WORK/scratch" "$@" | tail -1)
}
# m NAME: a metric of $res
m() { echo "$res" | sed -n "s/.*\"$1\":\([-0-9.e+]*\).*/\1/p"; }
# between VALUE LO HI
between() { awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v != "" && v >= lo && v <= hi) }'; }

victim cpu.compute
check "cpu.compute: ops_per_s $(m ops_per_s) in [1e3, 1e8]" between "$(m ops_per_s)" 1e3 1e8
check "cpu.compute: p50 <= p99 <= p99.9 latency" awk -v a="$(m lat_p50_ns)" -v b="$(m lat_p99_ns)" -v c="$(m lat_p999_ns)" 'BEGIN { exit !(a > 0 && a <= b && b <= c) }'

victim memory.working-set --opt size_mb=32
check "memory.working-set: accesses_per_s $(m accesses_per_s) in [1e5, 1e10]" between "$(m accesses_per_s)" 1e5 1e10
check "memory.working-set: faults counted ($(m minor_faults) minor, $(m major_faults) major)" between "$(m major_faults)" 0 1e9
check "memory.working-set: holds its set ($(m resident_mb) MiB)" between "$(m resident_mb)" 32 32

aggressor memory.bomb --intensity 50 --opt cap_mb=256 --opt chunk_mb=16
check "memory.bomb: resident $(m resident_mb) MiB never above its cap (50 % of 256)" between "$(m resident_mb)" 16 128
check "memory.bomb: reports the cap it grew to ($(m cap_mb))" between "$(m cap_mb)" 127.9 128.1

aggressor memory.bandwidth --opt array_mb=16
check "memory.bandwidth: bytes_per_s $(m bytes_per_s) in [1e8, 1e12]" between "$(m bytes_per_s)" 1e8 1e12

aggressor cache.thrash
check "cache.thrash: steps_per_s $(m steps_per_s) in [1e5, 1e10]" between "$(m steps_per_s)" 1e5 1e10
check "cache.thrash: set is twice the LLC or the 64 MiB fallback ($(m set_kb) KiB, LLC $(m llc_kb))" awk -v s="$(m set_kb)" -v l="$(m llc_kb)" 'BEGIN { exit !((l > 0 && s == 2 * l) || (l == 0 && s == 65536)) }'

victim pids.spawn
check "pids.spawn: spawns_per_s $(m spawns_per_s) in [10, 1e6]" between "$(m spawns_per_s)" 10 1e6
aggressor pids.forkbomb --intensity 50 --opt cap=40 --opt child_ms=20
check "pids.forkbomb: at most its cap of live children ($(m live_max) of 20)" between "$(m live_max)" 1 20
check "pids.forkbomb: forks_per_s $(m forks_per_s) > 0" between "$(m forks_per_s)" 1 1e7
check "pids.forkbomb: no child outlives it" sh -c "! pgrep -f '[p]ids.forkbomb' >/dev/null"

if command -v fio >/dev/null; then
	victim disk.randread --opt size_mb=16
	check "disk.randread: iops $(m iops) in [10, 1e7]" between "$(m iops)" 10 1e7
	check "disk.randread: completion latency p50 <= p99" awk -v a="$(m lat_p50_ns)" -v b="$(m lat_p99_ns)" 'BEGIN { exit !(a > 0 && a <= b) }'
	check "disk.randread: the fio version and job are in the result" sh -c "echo '$res' | grep -q '\"fio\":\"fio-' && echo '$res' | grep -q '\"fio_job\":\"[^\"]*--rw=randread --bs=4k --iodepth=1'"
	check "disk.randread: and the bytes it read after its ramp" sh -c "echo '$res' | grep -q '\"read_bytes\":\"[1-9]'"
	aggressor disk.seqwrite --opt size_mb=32
	check "disk.seqwrite: bytes_per_s $(m bytes_per_s) in [1e6, 1e11]" between "$(m bytes_per_s)" 1e6 1e11
	check "disk stressors leave no file behind" [ -z "$(ls scratch)" ]
	"$AGENT" disk.randread </dev/null >d.txt 2>/dev/null
	check "disk.randread without a scratch directory says why" grep -q 'needs a scratch directory' d.txt
else
	echo "# fio not installed: disk stressors skipped"
fi
ISOBENCH_FIO=/nonexistent/fio "$AGENT" disk.randread --scratch "$WORK/scratch" </dev/null >d.txt 2>/dev/null; rc=$?
check "without fio, disk stressors are unavailable with the reason (exit $rc)" sh -c "[ $rc = 2 ] && grep -q 'unavailable: fio not found at /nonexistent/fio' d.txt"

# The network stressors against a peer on loopback.
mkfifo peer.in
"$AGENT" net.peer --role peer --duration 60 <peer.in >peer.out &
peer=$!
exec 3>peer.in
port=$(peer_port peer.out)
echo go >&3
check "net.peer says its port in ready ($port)" between "$port" 1 65535
victim net.rr --peer "127.0.0.1:$port"
check "net.rr: tps $(m tps) in [100, 1e7]" between "$(m tps)" 100 1e7
check "net.rr: round trip p50 <= p99" awk -v a="$(m lat_p50_ns)" -v b="$(m lat_p99_ns)" 'BEGIN { exit !(a > 0 && a <= b) }'
victim net.stream --peer "127.0.0.1:$port"
check "net.stream: bytes_per_s $(m bytes_per_s) in [1e6, 1e12]" between "$(m bytes_per_s)" 1e6 1e12
aggressor net.flood-tcp --peer "127.0.0.1:$port" --opt max_mbit=80 --opt streams=2
check "net.flood-tcp stays under its rate cap: $(m bytes_per_s) B/s <= 10e6 (80 Mbit/s)" between "$(m bytes_per_s)" 1e5 11e6
aggressor net.flood-udp --peer "127.0.0.1:$port" --opt max_mbit=40
check "net.flood-udp stays under its rate cap: $(m bytes_per_s) B/s <= 5e6 (40 Mbit/s)" between "$(m bytes_per_s)" 1e5 5.5e6
check "net.flood-udp: packets_per_s $(m packets_per_s) > 0" between "$(m packets_per_s)" 1 1e8
echo stop >&3
exec 3>&-
wait $peer
check "net.peer counted what it received" grep -q '"bytes_in":[1-9]' peer.out
victim net.rr --peer 127.0.0.1:1
check "net.rr with no peer listening fails with the reason" sh -c "echo '$res' | grep -q 'connect to 127.0.0.1:1'"
done_testing
