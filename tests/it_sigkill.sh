#!/bin/sh
# Safety: SIGKILL of `isobench run` mid-trial, then a new start: no tenant,
# state directory or cgroup of the killed run remains, and its finished
# trials are still in its results.db. SIGINT: the run stops cleanly with
# exit 130, keeps its trials, writes its report, leaves nothing.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
cat >long.ini <<'INI'
[global]
reps = 20
duration = 0.6
warmup = 0.1
aggressor_warmup = 0.1
[config native]
backend = native
[scenario hog]
resource = cpu
victim = cpu.compute
aggressor = cpu.hog
placements = shared, split
INI

"$ISOBENCH" run long.ini --out k1 >/dev/null 2>k1.err &
pid=$!
check "first run records trials" wait_trials k1 3
sleep 0.3 # mid-trial: tenants are running now
state=$(ls "$ISOBENCH_STATE_DIR")
tenants=$(awk '{print $1}' "$ISOBENCH_STATE_DIR/$state/tenants" 2>/dev/null)
kill -KILL "$pid"
wait "$pid" 2>/dev/null
before=$(q k1 "select count(*) from trial")
check "tenants were recorded ($(echo $tenants | wc -w))" [ -n "$tenants" ]
sleep 0.2
left=""
for t in $tenants; do alive "$t" && left="$left $t"; done
check "no tenant outlives the killed harness (PR_SET_PDEATHSIG)${left:+: alive$left}" [ -z "$left" ]
check "the killed run's state directory is still there before a new start" [ -d "$ISOBENCH_STATE_DIR/$state" ]

# A new start cleans up what the killed run left.
start_again k2; rc=$?
check "a new start runs (exit $rc)" [ "$rc" = 0 ]
check "and says it removed leftovers" grep -q "removed .* leftovers of earlier campaigns" k2.err
check "the killed run's state directory is gone" [ ! -d "$ISOBENCH_STATE_DIR/$state" ]
check "its cgroups are gone" no_leftovers "$state"
check "its finished trials are kept ($before)" [ "$(q k1 "select count(*) from trial where status='ok'")" -ge 3 ]
check "none lost: still $before" [ "$(q k1 "select count(*) from trial")" = "$before" ]
check "it is marked interrupted" [ "$(q k1 "select status from campaign")" = interrupted ]
check "no stray journal or temp file beside results.db" [ "$(ls k1)" = "results.db" ]
check "its report can still be written" "$ISOBENCH" report k1 --quiet

# SIGINT: a clean stop.
"$ISOBENCH" run long.ini --out i1 >/dev/null 2>i1.err &
pid=$!
wait_trials i1 2
sleep 0.3
state=$(ls "$ISOBENCH_STATE_DIR")
tenants=$(awk '{print $1}' "$ISOBENCH_STATE_DIR/$state/tenants" 2>/dev/null)
kill -INT "$pid"
wait "$pid"; rc=$?
check "SIGINT exits 130 ($rc)" [ "$rc" = 130 ]
check "the interrupted campaign keeps its trials" [ "$(q i1 "select count(*) from trial")" -ge 2 ]
check "and is marked interrupted" [ "$(q i1 "select status from campaign")" = interrupted ]
check "its report is written" [ -s i1/report.md ]
check "nothing left behind after SIGINT" no_leftovers "$state"
left=""
for t in $tenants; do alive "$t" && left="$left $t"; done
check "tenants of the interrupted run were recorded" [ -n "$tenants" ]
check "every tenant of the interrupted run is gone${left:+: alive$left}" [ -z "$left" ]
# A disk campaign killed mid-trial leaves tenant files in its scratch
# directory; the next start removes that directory, and only that one.
if command -v fio >/dev/null; then
	cat >disk.ini <<'INI'
[global]
reps = 10
duration = 1
warmup = 0.1
aggressor_warmup = 0.2
[config native]
backend = native
[scenario d]
resource = disk
victim = disk.randread
victim.size_mb = 16
aggressor = disk.seqwrite
aggressor.size_mb = 32
placements = split
INI
	mkdir sc
	touch sc/users-own-file
	"$ISOBENCH" run disk.ini --scratch "$WORK/sc" --out d1 >/dev/null 2>d1.err &
	pid=$!
	wait_trials d1 1
	sleep 0.5
	kill -KILL "$pid"
	wait "$pid" 2>/dev/null
	check "the killed disk campaign left its scratch directory" [ -n "$(ls -d sc/isobench-* 2>/dev/null)" ]
	"$ISOBENCH" cleanup >/dev/null 2>&1
	check "cleanup removes the campaign's scratch directory" [ -z "$(ls -d sc/isobench-* 2>/dev/null)" ]
	check "and leaves the rest of --scratch alone" [ -e sc/users-own-file ]
fi
done_testing
