#!/bin/sh
# A VM's disk is throttled where its I/O leaves the guest: io.wbps on a vm
# configuration becomes QEMU's drive throttling (throttling.bps-write), and
# the guest's direct-I/O writer achieves about the cap, never much more;
# iothread = yes gives the disk an I/O thread of its own. The VM's image lives
# on the campaign's own loop device.
. "$TESTS_SRCDIR/lib.sh"
need_root
need_vm
[ -e /dev/loop-control ] || skip_all "no /dev/loop-control (loop devices)"
[ -x /usr/sbin/mkfs.ext4 ] || [ -x /sbin/mkfs.ext4 ] || command -v mkfs.ext4 >/dev/null ||
	skip_all "no mkfs.ext4 (e2fsprogs)"
cd "$WORK" || exit 1
cat >v.ini <<'INI'
[global]
reps = 1
duration = 1
warmup = 0.2
aggressor_warmup = 0.5
disk_device = loop
disk_size = 2G
[config vm]
backend = vm
io.wbps = 20M
iothread = yes
[scenario disk]
resource = disk
victim = disk.randread
victim.size_mb = 16
aggressor = disk.seqwrite
aggressor.size_mb = 64
placements = split
INI
"$ISOBENCH" run v.ini --out v1 >out.txt 2>err.txt; rc=$?
check "the campaign exits 0 ($rc)" [ "$rc" = 0 ]
note=$(q v1 "select cgroup_note from config where name = 'vm'")
check "the note names QEMU's drive throttling and the I/O thread" sh -c "echo '$note' | grep -q 'bps-write=20971520 (QEMU drive throttling) iothread'"
w=$(q v1 "select json_extract(aggressor_json, '\$.metrics.bytes_per_s') from trial where kind = 'contended' and status = 'ok'")
echo "# the guest's writer: $w B/s against a cap of 20 MiB/s"
check "the guest's direct-I/O writer is held near the cap (<= 1.25x)" awk -v v="$w" 'BEGIN { exit !(v > 0 && v <= 1.25 * 20971520) }'
check "and reaches it (>= 0.5x: held, not stalled)" awk -v v="$w" 'BEGIN { exit !(v >= 0.5 * 20971520) }'
check "the VM's image was on the loop device" grep -q "disk: /dev/loop" err.txt
done_testing
