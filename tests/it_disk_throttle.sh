#!/bin/sh
# The io throttles really hold the aggressor, on the campaign's own loop
# device: with io.wbps = 20M its 1 MiB direct-I/O writes achieve about 20 MB/s
# (never much more; native's aggressor on the same device writes several times
# that), with io.wiops = 400 its 4 KiB random writes about 400 per second. On
# cgroup v1 the configuration's note says that buffered writeback is not
# throttled. Bounds are relative to the cap and to native's aggressor, never
# absolute speeds.
. "$TESTS_SRCDIR/lib.sh"
need_root
[ -e /dev/loop-control ] || skip_all "no /dev/loop-control (loop devices)"
[ -x /usr/sbin/mkfs.ext4 ] || [ -x /sbin/mkfs.ext4 ] || command -v mkfs.ext4 >/dev/null ||
	skip_all "no mkfs.ext4 (e2fsprogs)"
"$ISOBENCH" list stressors 2>&1 | grep -q "^disk.randread.*unavailable" &&
	skip_all "disk stressors unavailable (fio)"
cd "$WORK" || exit 1
cat >t.ini <<'INI'
[global]
reps = 2
duration = 1
warmup = 0.1
aggressor_warmup = 0.3
disk_device = loop
disk_size = 512M
[config native]
backend = native
[config limited]
backend = container
namespaces = none
capabilities = all
cgroups = fair
io.wbps = 20M
io.wiops = 400
[scenario seq]
resource = disk
victim = disk.randread
victim.size_mb = 16
aggressor = disk.seqwrite
aggressor.size_mb = 64
placements = split
[scenario rand]
resource = disk
victim = disk.randread
victim.size_mb = 16
aggressor = disk.randwrite
aggressor.size_mb = 64
placements = split
INI
"$ISOBENCH" run t.ini --out t1 >out.txt 2>err.txt; rc=$?
check "the campaign exits 0 ($rc)" [ "$rc" = 0 ]
# the aggressor's median achieved figure in a config's contended trials of a scenario
agg() { # config scenario metric
	q t1 "select json_extract(t.aggressor_json, '\$.metrics.$3') from trial t join cell c on c.id = t.cell_id
	      where c.config = '$1' and c.scenario = '$2' and t.kind = 'contended' and t.status = 'ok'
	      order by 1" | awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}
lw=$(agg limited seq bytes_per_s)
nw=$(agg native seq bytes_per_s)
li=$(agg limited rand iops)
ni=$(agg native rand iops)
echo "# aggressor writes: native $nw B/s, io.wbps 20M $lw B/s; native $ni IOPS, io.wiops 400 $li IOPS"
cap=20971520
check "io.wbps holds the direct-I/O writer near its cap (<= 1.25x: $lw B/s)" awk -v v="$lw" -v c=$cap 'BEGIN { exit !(v > 0 && v <= 1.25 * c) }'
check "and the writer reaches it (>= 0.5x: it was held, not stalled)" awk -v v="$lw" -v c=$cap 'BEGIN { exit !(v >= 0.5 * c) }'
check "native's writer on the same device writes more than twice the cap ($nw B/s)" awk -v v="$nw" -v c=$cap 'BEGIN { exit !(v > 2 * c) }'
check "io.wiops holds the random writer near its cap (<= 1.25x: $li IOPS)" awk -v v="$li" 'BEGIN { exit !(v > 0 && v <= 1.25 * 400) }'
check "and the random writer reaches it (>= 0.5x)" awk -v v="$li" 'BEGIN { exit !(v >= 0.5 * 400) }'
check "native's random writer does more than twice that ($ni IOPS)" awk -v v="$ni" 'BEGIN { exit !(v > 2 * 400) }'
note=$(q t1 "select cgroup_note from config where name = 'limited'")
case "$note" in
*"cgroup hybrid"* | *"cgroup v1"*)
	check "on cgroup v1 the note says buffered writeback is not throttled" has_text "$note" "buffered writeback is not throttled" ;;
*) echo "# cgroup v2: writeback is throttled too (note: $note)" ;;
esac
check "the limits name the loop device" sh -c "grep -q 'disk: /dev/loop' err.txt"
done_testing
