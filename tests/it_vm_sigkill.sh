#!/bin/sh
# Safety of the hypervisor class: SIGKILL of `isobench run` while QEMU
# tenants run ends them (PR_SET_PDEATHSIG) and a new start removes what the
# killed run left (state, cgroups); SIGINT stops cleanly. No QEMU process,
# disk image or cgroup remains.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
need_vm
cat >long.ini <<'INI'
[global]
reps = 20
duration = 1
warmup = 0.1
aggressor_warmup = 0.2
[config tcg]
backend = vm
devices = virtio
cgroups = fair
[scenario disk]
resource = disk
victim = disk.randread
victim.size_mb = 32
aggressor = disk.seqwrite
aggressor.size_mb = 64
placements = split
INI
cgroups_of() { ls -d /sys/fs/cgroup/isobench-"$1" /sys/fs/cgroup/*/isobench-"$1" 2>/dev/null; }
# wait_qemu ID: until a QEMU of campaign ID runs with its disk image (60 s at most)
wait_qemu() {
	i=0
	while [ $i -lt 600 ]; do
		pgrep -f "[q]emu-system.*isobench-$1" >/dev/null && find . -name "vm-$1-*.img" | grep -q . && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

"$ISOBENCH" run long.ini --out k1 >/dev/null 2>k1.err &
pid=$!
sleep 1
state=$(ls "$ISOBENCH_STATE_DIR")
check "a QEMU tenant with its disk image runs" wait_qemu "$state"
check "... in the campaign's cgroups" [ -n "$(cgroups_of "$state")" ]
kill -KILL "$pid"
wait "$pid" 2>/dev/null
sleep 1
check "the harness's death ends its QEMU processes" sh -c "! pgrep -f '[q]emu-system.*isobench-$state' >/dev/null"
start_again k2; rc=$?
check "a new start runs (exit $rc)" [ "$rc" = 0 ]
check "no cgroup, state or process of the killed run remains" no_leftovers "$state"
check "no disk image of the killed run remains" sh -c "! find k1 -name 'vm-*.img' | grep -q ."

"$ISOBENCH" run long.ini --out i1 >/dev/null 2>i1.err &
pid=$!
sleep 1
state=$(ls "$ISOBENCH_STATE_DIR")
check "a QEMU tenant runs when SIGINT comes" wait_qemu "$state"
kill -INT "$pid"
wait "$pid"; rc=$?
check "SIGINT exits 130 ($rc)" [ "$rc" = 130 ]
check "nothing left behind after SIGINT" no_leftovers "$state"
check "no QEMU process or disk image after SIGINT" sh -c "! pgrep -f '[q]emu-system.*isobench-$state' >/dev/null && ! find i1 -name 'vm-*.img' | grep -q ."
done_testing
