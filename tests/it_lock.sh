#!/bin/sh
# One campaign per host: a second run refuses (exit 1) naming the holder's pid and
# campaign, and creates nothing; --allow-concurrent runs anyway and its trials (and the
# holder's that ran beside it) are marked contaminated in the store and the report;
# cleanup during a live campaign, and beside one still starting (its lock held, its owner
# file still empty), removes nothing of it.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
cat >l.ini <<'INI'
[global]
reps = 10
max_reps = 10
duration = 0.3
warmup = 0.05
aggressor_warmup = 0.05
[config native]
backend = native
[scenario hog]
resource = cpu
victim = cpu.compute
aggressor = cpu.hog
placements = shared
INI
sed 's/^reps = 10/reps = 1/; s/^max_reps = 10/max_reps = 1/' l.ini >short.ini

"$ISOBENCH" run l.ini --no-bpf --out a >/dev/null 2>a.err &
apid=$!
wait_trials a 1
aid=$(q a "select id from campaign")
"$ISOBENCH" run short.ini --no-bpf --out b >/dev/null 2>b.err; rc=$?
check "a second run refuses with exit 1 ($rc)" [ "$rc" = 1 ]
check "naming the holder's pid ($apid) and campaign ($aid)" grep -q "another campaign holds this host: pid $apid, campaign $aid" b.err
check "having created nothing" [ ! -e b ]

# cleanup while the campaign runs
"$ISOBENCH" cleanup >cl.out 2>cl.err
check "cleanup beside a live campaign removes nothing of it" [ -d "$ISOBENCH_STATE_DIR/$aid" ]
check "and says so" grep -q "removed 0 leftovers" cl.out

# --allow-concurrent
"$ISOBENCH" run short.ini --no-bpf --allow-concurrent --out c >/dev/null 2>c.err; rc=$?
check "--allow-concurrent runs beside it (exit $rc)" [ "$rc" = 0 ]
n=$(q c "select count(*) from trial")
m=$(q c "select count(*) from trial where json_extract(info_json, '\$.contaminated') is not null")
check "every trial of it is marked contaminated ($m of $n)" [ "$n" -ge 2 -a "$m" = "$n" ]
q c "select value from meta where key = 'concurrent'" >conc.txt
check "its store names the holder ($(cat conc.txt))" grep -q "campaign $aid (pid $apid)" conc.txt
check "its report says so in the campaign section" grep -q "^| contaminated | \*\*yes\*\*: $n trials" c/report.md
check "and per cell" grep -q "^- native / hog / shared: contaminated, $n of $n trials" c/report.md

# a campaign still starting: its lock held, its state directory made, its owner file empty
sid=20260101-000000-7ffffffe
mkdir -p "$ISOBENCH_STATE_DIR/.locks" "$ISOBENCH_STATE_DIR/$sid"
: >"$ISOBENCH_STATE_DIR/$sid/owner"
flock "$ISOBENCH_STATE_DIR/.locks/$sid" sleep 3 &
fpid=$!
sleep 0.3
"$ISOBENCH" cleanup >/dev/null 2>&1
check "cleanup leaves a campaign that is still starting (held lock, empty owner)" [ -f "$ISOBENCH_STATE_DIR/$sid/owner" ]
wait "$fpid"
"$ISOBENCH" cleanup >/dev/null 2>&1
check "and removes it once its lock is free (its holder died)" [ ! -e "$ISOBENCH_STATE_DIR/$sid" ]

wait "$apid"; rc=$?
check "the holder ends normally (exit $rc)" [ "$rc" = 0 ]
check "complete" [ "$(q a "select status from campaign")" = complete ]
ma=$(q a "select count(*) from trial where json_extract(info_json, '\$.contaminated') is not null")
check "the holder's trials that ran beside it are marked too ($ma)" [ "$ma" -ge 1 ]
check "and its report says so" grep -q "^| contaminated | \*\*yes\*\*" a/report.md
"$ISOBENCH" run short.ini --no-bpf --out d >/dev/null 2>d.err; rc=$?
check "the host is free again: a run now goes ahead (exit $rc)" [ "$rc" = 0 ]
check "whose report has no contamination" sh -c '! grep -q contaminated d/report.md'
check "nothing left behind (the state root is empty)" no_leftovers "$aid"
done_testing
