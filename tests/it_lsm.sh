#!/bin/sh
# The LSM sandbox leaf (backends/lsm.c): lsm = landlock on the container and sandbox
# backends confines each tenant (the probe's open of / is refused from inside, the probed
# leaves hold SB_LSM, the same tenant without lsm may open it); lsm = bpf is unavailable
# with the kernel's own words where it refuses lsm/ programs, and the rest runs; nothing
# is left, not a BPF program either.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
abi=$(python3 -c 'import ctypes; print(ctypes.CDLL(None).syscall(444, None, 0, 1))' 2>/dev/null)
cat >lsm.ini <<'INI'
[global]
reps = 1
duration = 0.3
warmup = 0.05
aggressor_warmup = 0.05
[config plain]
backend = container
[config landlock]
backend = container
lsm = landlock
[config sb-landlock]
backend = sandbox
sandbox = seccomp
lsm = landlock
[config bpf]
backend = container
lsm = bpf
[scenario io]
resource = syscall
victim = sys.io
aggressor = cpu.hog
placements = shared
INI
"$ISOBENCH" run lsm.ini --out camp >out.txt 2>err.txt
rc=$?
check "the campaign finishes (exit $rc)" [ "$rc" = 0 ]
pj() { q camp "select json_extract(t.probe_json, '\$.$2') from trial t join cell c on c.id = t.cell_id where c.config = '$1' and t.kind = '${3:-baseline}'"; }
cfg() { q camp "select $2 from config where name = '$1'"; }
if [ "${abi:-0}" -ge 1 ] 2>/dev/null; then
	for c in landlock sb-landlock; do
		check "$c: the victim ran ($(q camp "select t.status from trial t join cell c on c.id = t.cell_id where c.config = '$c' and t.kind = 'baseline'"))" \
			[ "$(q camp "select count(*) from trial t join cell c on c.id = t.cell_id where c.config = '$c' and t.status = 'ok'")" -ge 2 ]
		check "$c: the forbidden open from inside is denied ($(pj $c lsm_check))" [ "$(pj $c lsm_check)" = "open /: Permission denied" ]
		check "$c: and under the aggressor too" [ "$(pj $c lsm_check contended)" = "open /: Permission denied" ]
		check "$c: probed leaves hold SB_LSM ($(pj $c leaves))" has_text "$(pj $c leaves)" SB_LSM
		check "$c: declared SB_LSM" has_text "$(cfg $c declared_leaves)" SB_LSM
		check "$c: the note names the Landlock ABI $abi" has_text "$(cfg $c cgroup_note)" "landlock ABI $abi:"
	done
	check "without lsm the same open is allowed ($(pj plain lsm_check))" [ "$(pj plain lsm_check)" = "open /: allowed" ]
	check "without lsm no SB_LSM ($(pj plain leaves))" sh -c "! echo '$(pj plain leaves)' | grep -q SB_LSM"
	check "the report's leaves agree" sh -c '! grep -q MISMATCH camp/report.md'
else
	check "no Landlock here: lsm = landlock is unavailable with its reason" \
		has_text "$(cfg landlock unavailable_reason)" "unavailable: lsm = landlock: "
fi
# BPF-LSM: where bpftool says the kernel has no lsm program type, the load probe's refusal
why=$(cfg bpf unavailable_reason)
check "lsm = bpf is unavailable ($why)" has_text "$why" "^unavailable: lsm = bpf: "
if command -v bpftool >/dev/null && bpftool feature probe kernel 2>/dev/null | grep -q "program_type lsm is NOT available"; then
	check "with the kernel's refusal of the load" has_text "$why" "load of lsm[.s]*/[a-z_]* refused: Operation not permitted"
fi
check "the bpf configuration has no trial" [ "$(q camp "select count(*) from trial t join cell c on c.id = t.cell_id where c.config = 'bpf'")" = 0 ]
check "no BPF-LSM program left loaded" sh -c '! command -v bpftool >/dev/null || ! bpftool prog show 2>/dev/null | grep -q isb_lsm'
# a campaign of nothing but BPF-LSM cannot run a cell where the kernel refuses it: it fails,
# and says why
if has_text "$why" "^unavailable: "; then
	sed -n '1,/^aggressor_warmup/p' lsm.ini >bpf.ini
	printf '[config bpf]\nbackend = container\nlsm = bpf\n[scenario io]\nresource = syscall\nvictim = sys.io\naggressor = null\nplacements = shared\n' >>bpf.ini
	"$ISOBENCH" run bpf.ini --out bpfonly >/dev/null 2>bpf.err
	rc=$?
	check "a BPF-LSM-only campaign exits 1 here ($rc)" [ "$rc" = 1 ]
	check "... naming why BPF-LSM cannot run" grep -q 'config bpf: unavailable: lsm = bpf: ' bpf.err
fi
id=$(q camp "select id from campaign")
check "nothing left behind" no_leftovers "$id"
done_testing
