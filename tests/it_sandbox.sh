#!/bin/sh
# The sandbox class: native, seccomp, seccomp-notify, ptrace, SUD and gVisor
# (ptrace) on the syscall victim. The measured overhead order holds
# (native ~ seccomp < SUD < ptrace; gVisor at least 10x native), each
# probe reports its leaf, the report sets overhead beside isolation, an
# aggressor the sandbox slows down is flagged by its achieved pressure, and
# nothing is left behind.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
gv=""
command -v runsc >/dev/null && gv='[config gvisor]
backend = gvisor
platform = ptrace'
cat >sb.ini <<INI
[global]
reps = 3
duration = 0.4
warmup = 0.1
aggressor_warmup = 0.3
[config native]
backend = native
[config seccomp]
backend = sandbox
sandbox = seccomp
[config notify]
backend = sandbox
sandbox = seccomp-notify
[config ptrace]
backend = sandbox
sandbox = ptrace
[config sud]
backend = sandbox
sandbox = sud
$gv
[scenario getpid]
resource = syscall
victim = sys.getpid
aggressor = null
placements = shared
[scenario flood]
resource = cpu
victim = cpu.compute
aggressor = net.flood-udp
placements = shared
INI
"$ISOBENCH" run sb.ini --out camp >out.txt 2>err.txt; rc=$?
check "the campaign finishes (exit $rc)" [ "$rc" = 0 ]
sed 's/^/# /' out.txt
ns() { q camp "select json_extract(t.metrics_json, '\$.ns_per_call') from trial t join cell c on c.id = t.cell_id where c.config = '$1' and c.scenario = 'getpid' and t.kind = 'baseline' and t.status = 'ok' order by 1 limit 1 offset 1"; }
n=$(ns native) s=$(ns seccomp) u=$(ns sud) p=$(ns ptrace) f=$(ns notify)
echo "# ns per getpid (median of 3 baselines): native $n, seccomp $s, notify $f, sud $u, ptrace $p"
lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 < b + 0) }'; }
check "seccomp costs less than twice native ($s vs $n)" lt "$s" "$(awk -v n="$n" 'BEGIN { print 2 * n }')"
check "seccomp < sud ($s < $u)" lt "$s" "$u"
check "sud < ptrace ($u < $p)" lt "$u" "$p"
check "native < notify ($n < $f)" lt "$n" "$f"
if [ -n "$gv" ]; then
	g=$(ns gvisor)
	check "gVisor (ptrace) costs at least 10x native ($g vs $n)" lt "$(awk -v n="$n" 'BEGIN { print 10 * n }')" "$g"
	check "the probe inside gVisor sees gVisor's signature" [ "$(q camp "select count(*) from trial t join cell c on c.id = t.cell_id where c.config = 'gvisor' and json_extract(t.probe_json, '\$.gvisor')")" -gt 0 ]
fi
pj() { q camp "select json_extract(t.probe_json, '\$.$2') from trial t join cell c on c.id = t.cell_id where c.config = '$1' and t.status = 'ok' limit 1"; }
check "seccomp: the probe sees a filter (Seccomp $(pj seccomp Seccomp), $(pj seccomp Seccomp_filters) filter)" [ "$(pj seccomp Seccomp)" = 2 ]
check "seccomp-notify: the probe sees a filter" [ "$(pj notify Seccomp)" = 2 ]
check "ptrace: the probe sees its tracer (TracerPid $(pj ptrace TracerPid))" [ "$(pj ptrace TracerPid)" -gt 0 ]
check "sud: the probe sees dispatch armed ($(pj sud sud), $(pj sud sud_dispatched) calls)" [ "$(pj sud sud)" = armed ]
check "native: no sandbox leaf" [ -z "$(pj native leaves)" ]
for cfg in seccomp notify ptrace sud; do
	check "$cfg: probed leaves as declared ($(pj $cfg leaves))" [ "$(pj $cfg leaves)" = "$(q camp "select declared_leaves from config where name = '$cfg'")" ]
done
check "the report flags no mismatch" sh -c '! grep -q MISMATCH camp/report.md'
check "the report sets overhead beside isolation" grep -q '^| ptrace | getpid | shared | ns_per_call |' camp/report.md
check "the UDP flood the tracer slows down is flagged as a weak aggressor" grep -q '^| ptrace | sandbox | cpu | flood .*weak aggressor' camp/report.md
id=$(q camp "select id from campaign")
check "nothing left behind" no_leftovers "$id"
done_testing
