#!/bin/bash
# Calibration of isobench's aggressors against the tools people use today.
# For each resource the same victim, pinned to PU 0, runs alone (baseline),
# beside isobench's aggressor and beside the peer tool, both placed alike
# (PU 0 for cpu and network, PU 1 for the others), alternated REPS times in
# one run. It prints each degradation d = 1 - contended/baseline of the
# victim's throughput and the ratio d(isobench) / d(peer): at least 1.0 means
# isobench's aggressor is as potent as the peer. Also the memory-bandwidth
# aggressor's own bandwidth against stress-ng --stream's.
# Needs stress-ng, fio and iperf3 (Debian packages) and 2 PUs; run as root.
# usage: bench/calibrate.sh [REPS] [SECONDS]; CALIBRATE_ONLY="cpu disk" runs only those
set -u
. "$(dirname "$0")/lib.sh"
reps=${1:-3}
dur=${2:-2}
for t in stress-ng fio iperf3 taskset; do
	command -v $t >/dev/null || { echo "calibrate: $t is not installed (apt-get install $t)" >&2; exit 2; }
done
[ "$(nproc)" -ge 2 ] || { echo "calibrate: needs 2 PUs" >&2; exit 2; }
bench_workdir calibrate
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
agg_time=$(awk -v d="$dur" 'BEGIN { print d + 2 }')

# victim STRESSOR METRIC ARGS...: the victim's metric for one window on PU 0
victim() {
	local s=$1 m=$2
	shift 2
	(sleep 0.1; echo go; sleep "$agg_time") |
		taskset -c 0 "$ISOBENCH" agent "$s" --duration "$dur" --warmup 0.3 --sample-interval 0 --scratch "$work" "$@" 2>/dev/null |
		sed -n "s/.*\"$m\":\([-0-9.e+]*\).*/\1/p"
}
# isb_aggressor CPU STRESSOR ARGS...: in the background for the victim's window
isb_aggressor() {
	local cpu=$1 s=$2
	shift 2
	( (sleep 0.1; echo go; sleep "$agg_time") |
		taskset -c "$cpu" "$ISOBENCH" agent "$s" --role aggressor --duration 60 --scratch "$work" "$@" >"$work/agg.out" 2>/dev/null) &
	agg=$!
	sleep 0.6
}
# peer_aggressor CMD...: a peer tool in the background, bounded by its own timeout
peer_aggressor() {
	timeout "$((${agg_time%.*} + 5))" "$@" >/dev/null 2>&1 &
	agg=$!
	sleep 0.6
}
median() { tr ' ' '\n' | grep . | sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
dval() { awk -v b="$1" -v c="$2" 'BEGIN { d = (b > 0) ? 1 - c / b : 0; if (d < 0) d = 0; printf "%.3f", d }'; }

# calibrate NAME VICTIM METRIC "VICTIM ARGS" "ISOBENCH AGGRESSOR (cpu stressor args)" "PEER COMMAND"
calibrate() {
	local name=$1 v=$2 m=$3 vargs=$4 isb=$5 peer=$6 base="" with_isb="" with_peer=""
	case " ${CALIBRATE_ONLY:-$name} " in *" $name "*) ;; *) return ;; esac
	for r in $(seq "$reps"); do
		base="$base $(victim "$v" "$m" $vargs)"
		isb_aggressor $isb
		with_isb="$with_isb $(victim "$v" "$m" $vargs)"
		wait $agg
		peer_aggressor $peer
		with_peer="$with_peer $(victim "$v" "$m" $vargs)"
		kill $agg 2>/dev/null
		wait $agg 2>/dev/null
	done
	local b c p di dp
	b=$(echo "$base" | median)
	c=$(echo "$with_isb" | median)
	p=$(echo "$with_peer" | median)
	di=$(dval "$b" "$c")
	dp=$(dval "$b" "$p")
	printf '%-16s %-20s d(isobench) %s  d(peer) %s  ratio %s   [%s: baseline %.4g, isobench %.4g, peer %.4g]\n' \
		"$name" "$(echo "$peer" | awk '{ print $4, $5 }')" "$di" "$dp" \
		"$(awk -v a="$di" -v b="$dp" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print (a > 0 ? "inf" : "n/a (neither degrades)") }')" \
		"$m" "$b" "$c" "$p"
}

echo "isobench calibration: $reps rounds of ${dur} s windows; victim on PU 0"
calibrate cpu cpu.compute ops_per_s "" "0 cpu.hog --opt threads=1" "taskset -c 0 stress-ng --cpu 1 --timeout 60"
calibrate memory-bandwidth memory.working-set accesses_per_s "--opt size_mb=256" "1 memory.bandwidth --opt threads=1" "taskset -c 1 stress-ng --stream 1 --timeout 60"
calibrate memory-capacity memory.working-set accesses_per_s "--opt size_mb=256" "1 memory.bomb --opt cap_mb=2048" "taskset -c 1 stress-ng --vm 1 --vm-bytes 2g --timeout 60"
calibrate cache memory.working-set accesses_per_s "--opt size_mb=16" "1 cache.thrash" "taskset -c 1 stress-ng --cache 1 --timeout 60"
calibrate pids pids.spawn spawns_per_s "" "1 pids.forkbomb" "taskset -c 1 stress-ng --fork 1 --timeout 60"
calibrate disk disk.randread iops "--opt size_mb=128" "1 disk.seqwrite --opt size_mb=256" \
	"taskset -c 1 fio --name=peer --filename=$work/peer.dat --size=256M --rw=write --bs=1M --iodepth=32 --direct=1 --ioengine=libaio --time_based=1 --runtime=60"

# Network: one net.peer serves the victim and isobench's flood; iperf3 brings its own server.
mkfifo "$work/peer.in"
taskset -c 0 "$ISOBENCH" agent net.peer --role peer --duration 600 <"$work/peer.in" >"$work/peer.out" 2>/dev/null &
pids="$pids $!"
exec 3>"$work/peer.in"
for i in $(seq 50); do grep -q '"port"' "$work/peer.out" && break; sleep 0.1; done
port=$(sed -n 's/.*"port":"\([0-9]*\)".*/\1/p' "$work/peer.out")
echo go >&3
taskset -c 0 iperf3 -s -p 5299 -B 127.0.0.1 >/dev/null 2>&1 &
pids="$pids $!"
sleep 0.3
calibrate network net.rr tps "--peer 127.0.0.1:$port" "0 net.flood-tcp --peer 127.0.0.1:$port" "taskset -c 0 iperf3 -c 127.0.0.1 -p 5299 -t 60"
exec 3>&-

# The bandwidth each memory aggressor achieves on its own, on PU 1.
isb_bw=$( (sleep 0.1; echo go; sleep 4) | taskset -c 1 "$ISOBENCH" agent memory.bandwidth --role aggressor --duration 3 --opt threads=1 2>/dev/null |
	sed -n 's/.*"bytes_per_s":\([0-9.e+]*\).*/\1/p')
sng=$(timeout 20 stress-ng --stream 1 --taskset 1 --timeout 5 --metrics 2>&1 | awk '/memory read rate/ { r = $5 } /memory write rate/ { w = $5 } END { print (r + w) * 1e6 }')
printf 'memory.bandwidth achieves %.2f GB/s, stress-ng --stream %.2f GB/s (read + write) on one PU: ratio %s\n' \
	"$(awk -v x="$isb_bw" 'BEGIN { print x / 1e9 }')" "$(awk -v x="$sng" 'BEGIN { print x / 1e9 }')" \
	"$(awk -v a="$isb_bw" -v b="$sng" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "n/a" }')"
