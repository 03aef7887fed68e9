#!/bin/sh
# The command line as a user meets it: help, lists, probe, exit codes, and
# a malformed suite that is refused with file:line before anything runs.
. "$TESTS_SRCDIR/lib.sh"
cd "$WORK" || exit 1

"$ISOBENCH" --help >help.txt; rc=$?
check "isobench --help exits 0 and lists the commands" sh -c "[ $rc = 0 ] && grep -q 'run \[SUITE\]' help.txt"
"$ISOBENCH" frobnicate 2>err.txt; rc=$?
check "unknown command exits 2" [ "$rc" = 2 ]
check "unknown command is named" grep -q "unknown command 'frobnicate'" err.txt
for c in run report list probe cleanup; do
	check "isobench $c --help exits 0" sh -c "'$ISOBENCH' $c --help | grep -q usage"
done
check "--version" sh -c "'$ISOBENCH' --version | grep -q '^isobench '"
"$ISOBENCH" list stressors >stressors.txt
for s in cpu.compute cpu.hog null; do
	check "list stressors shows $s" grep -q "^$s " stressors.txt
done
check "list stressors documents units and direction" grep -q "metric ops_per_s .*higher is better, graded" stressors.txt
check "list backends shows native and null" sh -c "'$ISOBENCH' list backends | grep -q '^native' && '$ISOBENCH' list backends | grep -q '^null'"
check "list suites shows quick" sh -c "'$ISOBENCH' list suites | grep -q '^quick'"
"$ISOBENCH" list nothing 2>/dev/null; check "list of an unknown thing exits 2" [ $? = 2 ]
"$ISOBENCH" probe >probe.txt; rc=$?
check "probe exits 0" [ "$rc" = 0 ]
check "probe tells placements and counters" sh -c "grep -q '^placements:' probe.txt && grep -q 'task_clock_ns' probe.txt"
check "probe gives a reason for every unavailable thing" sh -c "! grep -q 'unavailable: *\$' probe.txt"

cat >bad.ini <<'INI'
[global]
reps = 3
[config native]
backend = native
[scenario s]
resource = cpu
victim = cpu.compute
aggressor = cpu.hog
intensity = 150
INI
"$ISOBENCH" run bad.ini --out camp 2>err.txt; rc=$?
check "a malformed suite exits 2" [ "$rc" = 2 ]
check "the error names file:line and the value" grep -q "bad.ini:9: intensity: '150' is not a number in \[0, 100\]" err.txt
check "nothing ran: no campaign directory" [ ! -e camp ]
"$ISOBENCH" run /nonexistent/suite.ini 2>err.txt; rc=$?
check "a missing suite exits 2" [ "$rc" = 2 ]
"$ISOBENCH" run --reps many 2>err.txt; rc=$?
check "a bad --reps exits 2" [ "$rc" = 2 ]
check "--reps error names the value" grep -q "'many'" err.txt
"$ISOBENCH" run --backends xen 2>err.txt; rc=$?
check "an unknown backend exits 2 and is named" sh -c "[ $rc = 2 ] && grep -q \"unknown backend 'xen'\" err.txt"
"$ISOBENCH" report "$WORK/none" 2>err.txt; rc=$?
check "report of a missing directory exits 2" [ "$rc" = 2 ]
check "cleanup with nothing to do exits 0" sh -c "'$ISOBENCH' cleanup | grep -q 'removed 0'"
done_testing
