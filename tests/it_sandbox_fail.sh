#!/bin/sh
# The sandbox class's failure paths: runsc missing, a gVisor platform this
# runsc does not have, a seccomp filter that does not load. Each is a clear
# "unavailable: reason" for its configuration, and the campaign goes on
# with the others.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
cat >f.ini <<'INI'
[global]
reps = 1
duration = 0.2
warmup = 0.05
aggressor_warmup = 0.05
[config native]
backend = native
[config seccomp]
backend = sandbox
sandbox = seccomp
[config gvisor]
backend = gvisor
[config gv-systrap]
backend = gvisor
platform = systrap
[scenario getpid]
resource = syscall
victim = sys.getpid
aggressor = null
placements = shared
INI
reason() { q "$1" "select unavailable_reason from config where name = '$2'"; }
# runsc missing: a PATH without it
PATH=/usr/sbin:/sbin "$ISOBENCH" run f.ini --out nopath >out1.txt 2>err1.txt; rc=$?
check "without runsc the campaign still runs (exit $rc)" [ "$rc" = 0 ]
check "gvisor: $(reason nopath gvisor)" sh -c "echo '$(reason nopath gvisor)' | grep -q 'unavailable: runsc is not installed (apt-get install runsc)'"
check "its cells are skipped with that reason" grep -q 'gvisor .*skipped: config gvisor unavailable: runsc is not installed' out1.txt
check "the others ran" [ "$(q nopath "select count(*) from trial where status = 'ok'")" = 4 ]
# a filter that fails to load
ISOBENCH_FAULT=seccomp-load "$ISOBENCH" run f.ini --out nofilter >out2.txt 2>err2.txt; rc=$?
check "with a failing filter the campaign still runs (exit $rc)" [ "$rc" = 0 ]
check "seccomp: $(reason nofilter seccomp)" sh -c "echo '$(reason nofilter seccomp)' | grep -q 'unavailable: sandbox = seccomp: the seccomp filter does not load here'"
check "native still ran" [ "$(q nofilter "select count(*) from trial t join cell c on c.id = t.cell_id where c.config = 'native' and t.status = 'ok'")" = 2 ]
if command -v runsc >/dev/null; then
	check "gv-systrap: $(reason nofilter gv-systrap)" sh -c "echo '$(reason nofilter gv-systrap)' | grep -q 'unavailable: runsc --platform=systrap .*cannot start a sandbox here'"
	check "gvisor (ptrace) ran beside it" [ "$(q nofilter "select count(*) from trial t join cell c on c.id = t.cell_id where c.config = 'gvisor' and t.status = 'ok'")" = 2 ]
fi
for d in nopath nofilter; do
	id=$(q $d "select id from campaign")
	check "nothing left behind ($d)" no_leftovers "$id"
done
done_testing
