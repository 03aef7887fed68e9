#!/bin/sh
# The smoke matrix (issue 13): every stressor that can be a victim runs, briefly, as the victim
# under every backend that runs here (native, container, OCI runc and crun, each sandbox mode,
# gVisor, a TCG VM with virtio), with the null aggressor and baseline trials only
# (contended = no). A failed or error trial fails the
# test naming the stressor and the backend, with its cause: a stressor that cannot run in a
# guest or a container is found here and not by a user. A configuration this host cannot run
# is skipped with its reason (not a failure); so is a cell its backend declines, with the
# backend's reason. About 3 to 4 minutes on 2 CPUs, most of it the VM's boots.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
t0=$(date +%s)

# The victim-capable stressors and their resources, from the binary itself:
# "NAME (RESOURCE; ROLES): help", with "option size_mb" lines under those that size a file or set.
"$ISOBENCH" list stressors >stressors.txt 2>&1 || { not_ok "isobench list stressors"; done_testing; exit 0; }
victims=$(awk '/^[a-z]/ && $2 ~ /^\(/ { r = $3; sub(/^\(/, "", $2); sub(/;$/, "", $2);
	if (r ~ /victim/) print $1 "=" $2 }' stressors.txt)
sized=$(awk '/^[a-z]/ { s = $1 } /^  option size_mb/ { print s }' stressors.txt)
[ -n "$victims" ] || { not_ok "no victim-capable stressor listed"; done_testing; exit 0; }

{
	cat <<'INI'
[global]
reps = 1
duration = 0.2
warmup = 0.05
aggressor_warmup = 0.05
test_network = yes
; baseline trials only: the matrix asks whether each victim runs, and a null aggressor's
; contended trial would double its time (a VM's boots most of all)
contended = no
seed = 13
[config native]
backend = native
[config container]
backend = container
namespaces = docker
cgroups = partitioned
[config runc]
backend = oci
runtime = runc
[config crun]
backend = oci
runtime = crun
[config seccomp]
backend = sandbox
sandbox = seccomp
[config seccomp-notify]
backend = sandbox
sandbox = seccomp-notify
[config ptrace]
backend = sandbox
sandbox = ptrace
[config sud]
backend = sandbox
sandbox = sud
[config gvisor]
backend = gvisor
platform = ptrace
; fio starts in 2 to 4 s under ptrace on 2 busy CPUs: more than the default grace
time_scale = 3
[config vm]
backend = vm
accel = tcg
devices = virtio
time_scale = 2
INI
	for v in $victims; do
		name=${v%%=*} res=${v#*=}
		[ "$res" = any ] && res=cpu # null: runs under any resource
		printf '[scenario %s]\nresource = %s\nvictim = %s\naggressor = null\nplacements = split\n' \
			"$name" "$res" "$name"
		# a small file or working set: the matrix asks "does it run", not "how fast"
		if printf '%s\n' $sized | grep -qx "$name"; then echo "victim.size_mb = 16"; fi
	done
} >smoke.ini

"$ISOBENCH" run smoke.ini --out camp --no-report >out.txt 2>err.txt
rc=$?
t1=$(date +%s)
check "the smoke campaign finishes (exit $rc, $((t1 - t0)) s)" [ "$rc" = 0 ]
[ "$rc" = 0 ] || sed 's/^/# /' err.txt | tail -20

# configurations this host cannot run: skipped with the reason
q camp "select name || ' (' || backend || '): ' || unavailable_reason from config where available = 0" |
	while IFS= read -r l; do echo "# SKIP unavailable here: $l"; done
# cells a backend declines: skipped with the backend's words
q camp "select config || ' / ' || victim || ': ' || coalesce(reason, '') from cell where status = 'skipped'
	and config in (select name from config where available = 1)" |
	while IFS= read -r l; do echo "# SKIP declined: $l"; done

# every victim under every available configuration: each trial ok, else named with its cause
nfail=0
for cfg in $(q camp "select name from config where available = 1 order by rowid"); do
	be=$(q camp "select backend from config where name = '$cfg'")
	for v in $victims; do
		name=${v%%=*}
		st=$(q camp "select c.status from cell c where c.config = '$cfg' and c.victim = '$name'")
		[ "$st" = skipped ] && continue
		bad=$(q camp "select t.kind || ' ' || t.status || ': ' || coalesce(t.cause, '') from trial t
			join cell c on c.id = t.cell_id where c.config = '$cfg' and c.victim = '$name'
			and t.status <> 'ok' limit 1")
		n=$(q camp "select count(*) from trial t join cell c on c.id = t.cell_id
			where c.config = '$cfg' and c.victim = '$name' and t.status = 'ok'")
		if [ -z "$bad" ] && [ "$n" -ge 1 ]; then
			ok "$name runs as victim under $cfg ($be)"
		else
			nfail=$((nfail + 1))
			not_ok "$name runs as victim under $cfg ($be): ${bad:-no trial ran}"
		fi
	done
done
echo "# smoke matrix: $nfail failed, $((t1 - t0)) s"
check "nothing of the campaign is left" no_leftovers "$(q camp 'select id from campaign')"
done_testing
