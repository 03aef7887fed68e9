#!/bin/sh
# The probe inside container tenants reports exactly the leaves each
# configuration switched on: every namespace alone (the others shared with
# the host), cgroups alone, capabilities dropped to none and to Docker's
# set, and the same through runc.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
{
	printf '[global]\nreps = 1\nduration = 0.2\nwarmup = 0.05\naggressor_warmup = 0.05\n'
	for ns in cgroup ipc mount net pid time user uts; do
		printf '[config ns-%s]\nbackend = container\nnamespaces = %s\ncgroups = none\ncapabilities = all\n' "$ns" "$ns"
	done
	printf '[config cgroups]\nbackend = container\nnamespaces = none\ncgroups = capped\ncapabilities = all\n'
	printf '[config caps-none]\nbackend = container\nnamespaces = none\ncgroups = none\ncapabilities = none\n'
	printf '[config caps-docker]\nbackend = container\nnamespaces = none\ncgroups = none\ncapabilities = docker\n'
	printf '[config caps-two]\nbackend = container\nnamespaces = none\ncgroups = none\ncapabilities = CAP_KILL,CAP_CHOWN\n'
	printf '[config runc]\nbackend = oci\nruntime = runc\nnamespaces = mount,pid\ncgroups = fair\ncapabilities = none\n'
	printf '[scenario s]\nresource = cpu\nvictim = cpu.compute\naggressor = null\nplacement = shared\n'
} >probe.ini
"$ISOBENCH" run probe.ini --out camp >out.txt 2>err.txt; rc=$?
check "the campaign finishes (exit $rc)" [ "$rc" = 0 ]
# json of the victim's probe of a configuration
pj() { q camp "select json_extract(t.probe_json, '\$.$2') from trial t join cell c on c.id = t.cell_id where c.config = '$1' and t.kind = 'baseline'"; }
for ns in cgroup ipc mount net pid time user uts; do
	want=$ns
	[ "$ns" = mount ] && want=mnt
	got=$(pj "ns-$ns" own_namespaces)
	check "namespaces = $ns: the probe sees only its own $want namespace ($got)" [ "$got" = "[\"$want\"]" ]
	check "namespaces = $ns: probed leaves CT_NS only" [ "$(pj "ns-$ns" leaves)" = CT_NS ]
done
check "cgroups only: no namespace of its own" [ "$(pj cgroups own_namespaces)" = "[]" ]
check "cgroups only: the probe sees its cpu quota ($(pj cgroups limits.cpu_max))" [ -n "$(pj cgroups limits.cpu_max)" ]
check "cgroups only: and its memory limit" [ -n "$(pj cgroups limits.memory_max)" ]
check "cgroups only: probed leaves CT_CGROUPS only" [ "$(pj cgroups leaves)" = CT_CGROUPS ]
check "capabilities = none: empty bounding set" [ "$(pj caps-none CapBnd)" = 0000000000000000 ]
check "capabilities = none: empty effective set" [ "$(pj caps-none CapEff)" = 0000000000000000 ]
check "capabilities = docker: Docker's 14 ($(pj caps-docker CapBnd))" [ "$(pj caps-docker CapBnd)" = 00000000a80425fb ]
check "capabilities = CAP_KILL,CAP_CHOWN: bits 0 and 5" [ "$(pj caps-two CapEff)" = 0000000000000021 ]
check "capabilities only: probed leaves CT_CAPS only" [ "$(pj caps-docker leaves)" = CT_CAPS ]
got=$(pj runc own_namespaces)
check "runc: mount and pid namespaces of its own ($got)" [ "$got" = '["mnt","pid"]' ]
check "runc: no capability left" [ "$(pj runc CapBnd)" = 0000000000000000 ]
check "runc: probed leaves as declared" [ "$(pj runc leaves)" = CT_NS,CT_CGROUPS,CT_CAPS ]
check "the report flags no mismatch" sh -c '! grep -q MISMATCH camp/report.md'
id=$(q camp "select id from campaign")
check "nothing left behind" no_leftovers "$id"
done_testing
