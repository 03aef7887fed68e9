#!/bin/sh
# io.weight acts only through bfq. On a host without bfq (ISOBENCH_FAULT=no-bfq
# pretends so here), a configuration with io.weight is "unavailable: ... no
# bfq ..." and the campaign still runs and grades the others. Where the kernel
# has bfq, the campaign's own loop device runs it when asked and the same
# configuration is prepared; a host disk's scheduler is never touched.
. "$TESTS_SRCDIR/lib.sh"
need_root
[ -e /dev/loop-control ] || skip_all "no /dev/loop-control (loop devices)"
[ -x /usr/sbin/mkfs.ext4 ] || [ -x /sbin/mkfs.ext4 ] || command -v mkfs.ext4 >/dev/null ||
	skip_all "no mkfs.ext4 (e2fsprogs)"
"$ISOBENCH" list stressors 2>&1 | grep -q "^disk.randread.*unavailable" &&
	skip_all "disk stressors unavailable (fio)"
cd "$WORK" || exit 1
cat >w.ini <<'INI'
[global]
reps = 2
duration = 0.3
warmup = 0.1
aggressor_warmup = 0.2
disk_device = loop
disk_size = 512M
disk_scheduler = bfq
[config native]
backend = native
[config capped]
backend = container
namespaces = none
capabilities = all
cgroups = capped
[config weight]
backend = container
namespaces = none
capabilities = all
cgroups = fair
io.weight = 1000
[scenario disk]
resource = disk
victim = disk.randread
victim.size_mb = 16
aggressor = disk.seqwrite
aggressor.size_mb = 32
placements = split
INI
# the host's disks' schedulers, before and after: never changed
host_sched() { for f in /sys/block/*/queue/scheduler; do case $f in */loop*) ;; *) echo "$f $(cat "$f")" ;; esac; done; }
before=$(host_sched)

ISOBENCH_FAULT=no-bfq "$ISOBENCH" run w.ini --out nobfq >out.txt 2>err.txt; rc=$?
check "a campaign without bfq exits 0 ($rc)" [ "$rc" = 0 ]
check "it says the loop device cannot run bfq" grep -q "disk_scheduler = bfq: unavailable: the kernel has no bfq" err.txt
check "the io.weight configuration is unavailable: no bfq" grep -q "config weight: unavailable: io.weight: no bfq" err.txt
check "the database records why" [ -n "$(q nobfq "select unavailable_reason from config where name='weight' and available=0 and unavailable_reason like '%no bfq%'")" ]
check "its cell is skipped with the reason" [ "$(q nobfq "select count(*) from cell where config='weight' and status='skipped' and reason like '%no bfq%'")" = 1 ]
for c in native capped; do
	g=$(awk -v c=$c "$CSV_AWK"'F["config"] == c && F["metric"] == "iops" { print F["grade"] }' nobfq/cells.csv)
	check "the $c cell still runs and is graded (grade '$g')" sh -c "[ -n '$g' ] && [ '$g' -ge 0 ] 2>/dev/null"
done
check "the report names the reason" grep -qi "no bfq" nobfq/report.md

if grep -q bfq /sys/block/loop0/queue/scheduler 2>/dev/null && [ -e /sys/fs/cgroup/blkio/blkio.bfq.io_service_bytes -o -e /sys/fs/cgroup/cgroup.controllers ]; then
	"$ISOBENCH" run w.ini --reps 1 --out bfq >/dev/null 2>err2.txt; rc=$?
	check "with bfq the campaign exits 0 ($rc)" [ "$rc" = 0 ]
	check "its loop device ran bfq" [ "$(q bfq "select json_extract(settings_json, '\$.disk.scheduler') from campaign")" = bfq ]
	check "and the io.weight configuration is prepared" [ "$(q bfq "select available from config where name='weight'")" = 1 ]
else
	echo "# this kernel has no bfq: the positive half is not run"
fi
check "no host disk's scheduler changed" [ "$(host_sched)" = "$before" ]
done_testing
