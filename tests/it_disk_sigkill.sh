#!/bin/sh
# Safety of the campaign's own disk (disk_device = loop): SIGKILL of `isobench
# run` while its disk tenants run, then a new start: the loop device is
# detached, its mount and image are gone, and the scheduler the campaign set
# on it is back to what it was. Without the state directory, `isobench
# cleanup` still finds it by its image's name. A complete run and a SIGINT
# leave nothing either.
. "$TESTS_SRCDIR/lib.sh"
need_root
command -v losetup >/dev/null || [ -x /usr/sbin/losetup ] || [ -x /sbin/losetup ] ||
	skip_all "no losetup (util-linux)"
[ -x /usr/sbin/mkfs.ext4 ] || [ -x /sbin/mkfs.ext4 ] || command -v mkfs.ext4 >/dev/null ||
	skip_all "no mkfs.ext4 (e2fsprogs)"
[ -e /dev/loop-control ] || skip_all "no /dev/loop-control (loop devices)"
"$ISOBENCH" list stressors 2>&1 | grep -q "^disk.randread.*unavailable" &&
	skip_all "disk stressors unavailable (fio)"
cd "$WORK" || exit 1
sched=keep
grep -q bfq /sys/block/loop0/queue/scheduler 2>/dev/null && sched=bfq
cat >long.ini <<INI
[global]
reps = 20
duration = 0.5
warmup = 0.1
aggressor_warmup = 0.1
disk_device = loop
disk_size = 512M
disk_scheduler = $sched
[config native]
backend = native
[config ct]
backend = container
namespaces = all
cgroups = fair
[scenario disk]
resource = disk
victim = disk.randread
victim.size_mb = 16
aggressor = disk.seqwrite
aggressor.size_mb = 32
placements = shared
INI

# loop_of IMAGE: the loop device whose backing file is IMAGE, or nothing
loop_of() {
	for b in /sys/block/loop*/loop/backing_file; do
		[ -e "$b" ] || continue
		case "$(cat "$b")" in "$1" | "$1 (deleted)") echo "/dev/$(basename "$(dirname "$(dirname "$b")")")" ;; esac
	done
}
mounted() { grep -q " $1 " /proc/self/mountinfo; }
sched_of() { sed -n 's/.*\[\(.*\)\].*/\1/p' "/sys/block/$(basename "$1")/queue/scheduler"; }

"$ISOBENCH" run long.ini --out k1 >/dev/null 2>k1.err &
pid=$!
check "first run records trials" wait_trials k1 2
state=$(ls "$ISOBENCH_STATE_DIR")
image=$(cat "$ISOBENCH_STATE_DIR/$state/disk_image" 2>/dev/null)
mnt=$(cat "$ISOBENCH_STATE_DIR/$state/disk_mnt" 2>/dev/null)
dev=$(cat "$ISOBENCH_STATE_DIR/$state/disk_loop" 2>/dev/null)
orig=$(cat "$ISOBENCH_STATE_DIR/$state/disk_sched" 2>/dev/null)
echo "# disk: $dev over $image on $mnt (scheduler $sched, was ${orig:-unchanged})"
check "the state directory notes the image, loop device and mount point" [ -n "$image" -a -n "$dev" -a -n "$mnt" ]
check "the loop device is attached to the campaign's image" [ "$(loop_of "$image")" = "$dev" ]
check "its file system is mounted under the scratch directory" mounted "$mnt"
check "direct I/O is on" [ "$(cat "/sys/block/$(basename "$dev")/loop/dio")" = 1 ]
[ "$sched" = bfq ] && check "it runs bfq, as asked" [ "$(sched_of "$dev")" = bfq ]
kill -KILL "$pid"
wait "$pid" 2>/dev/null
sleep 0.5
check "the killed run left its mount behind" mounted "$mnt"
start_again k2; rc=$?
check "a new start runs (exit $rc)" [ "$rc" = 0 ]
check "the killed run's loop device is detached" [ -z "$(loop_of "$image")" ]
check "its mount is gone" sh -c "! grep -q ' $mnt ' /proc/self/mountinfo"
check "its image is gone" [ ! -e "$image" ]
[ -n "$orig" ] && check "the loop device's scheduler is back to $orig" [ "$(sched_of "$dev")" = "$orig" ]
check "nothing else of the killed run remains" no_leftovers "$state"

# Without its state directory (removed by hand), the loop device is still found by its
# image's name, whose campaign's harness is gone, and removed with its mount.
"$ISOBENCH" run long.ini --out o1 >/dev/null 2>o1.err &
pid=$!
wait_trials o1 1
state=$(ls "$ISOBENCH_STATE_DIR")
image=$(cat "$ISOBENCH_STATE_DIR/$state/disk_image" 2>/dev/null)
mnt=$(cat "$ISOBENCH_STATE_DIR/$state/disk_mnt" 2>/dev/null)
dev=$(cat "$ISOBENCH_STATE_DIR/$state/disk_loop" 2>/dev/null)
orig=$(cat "$ISOBENCH_STATE_DIR/$state/disk_sched" 2>/dev/null)
kill -KILL "$pid"
wait "$pid" 2>/dev/null
sleep 0.5
rm -rf "${ISOBENCH_STATE_DIR:?}/$state"
check "an orphan loop device is there before the cleanup" [ -n "$(loop_of "$image")" ]
"$ISOBENCH" -v cleanup >/dev/null 2>o2.err
check "cleanup says it removed the loop device" grep -q "removed the loop device of campaign $state" o2.err
check "the orphan loop device is detached and unmounted" sh -c "[ -z \"\$(grep -l '$image' /sys/block/loop*/loop/backing_file 2>/dev/null)\" ] && ! grep -q ' $mnt ' /proc/self/mountinfo"
[ -n "$orig" ] && check "its scheduler is back to $orig (kept on the image)" [ "$(sched_of "$dev")" = "$orig" ]

# A run to its end, and a SIGINT: each removes its own disk.
sed -e 's/^reps = 20/reps = 1/' long.ini >one.ini
"$ISOBENCH" run one.ini --out c1 >/dev/null 2>c1.err; rc=$?
check "a complete run exits 0 ($rc)" [ "$rc" = 0 ]
check "its settings record the disk and its loop device" sh -c "sqlite3 c1/results.db \"select json_extract(settings_json, '\$.disk.loop') from campaign\" | grep -q '^/dev/loop'"
check "its disk cells ran on the loop device" grep -q "disk: /dev/loop" c1.err
check "no loop device over a file of this test remains" sh -c "! cat /sys/block/loop*/loop/backing_file 2>/dev/null | grep -q '$WORK'"
"$ISOBENCH" run long.ini --out i1 >/dev/null 2>i1.err &
pid=$!
wait_trials i1 1
state=$(ls "$ISOBENCH_STATE_DIR")
image=$(cat "$ISOBENCH_STATE_DIR/$state/disk_image" 2>/dev/null)
mnt=$(cat "$ISOBENCH_STATE_DIR/$state/disk_mnt" 2>/dev/null)
dev=$(cat "$ISOBENCH_STATE_DIR/$state/disk_loop" 2>/dev/null)
orig=$(cat "$ISOBENCH_STATE_DIR/$state/disk_sched" 2>/dev/null)
kill -INT "$pid"
wait "$pid"; rc=$?
check "SIGINT exits 130 ($rc)" [ "$rc" = 130 ]
check "after SIGINT its loop device is detached and unmounted" sh -c "[ -z \"\$(grep -l '$image' /sys/block/loop*/loop/backing_file 2>/dev/null)\" ] && ! grep -q ' $mnt ' /proc/self/mountinfo"
[ -n "$orig" ] && check "after SIGINT the loop device's scheduler is back to $orig" [ "$(sched_of "$dev")" = "$orig" ]
check "nothing left behind after SIGINT" no_leftovers "$state"
done_testing
