#!/bin/sh
# A container tenant with its own mount and user namespaces runs when the agent's
# directory holds the campaign itself (./isobench beside campaigns/<id>/, the default),
# with the campaign's loop-device disk mounted below it: a user namespace locks that
# mount, and the tenant's root must not bind the whole directory over it (EINVAL).
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
mkdir bin
cp "$ISOBENCH_AGENT_BIN" bin/isobench-agent
cat >rootfs.ini <<'INI'
[global]
reps = 1
duration = 0.3
warmup = 0.05
aggressor_warmup = 0.05
disk_device = loop
disk_size = 256M
[config ns-all]
backend = container
namespaces = all
cgroups = none
capabilities = all
[scenario cpu]
resource = cpu
victim = cpu.compute
aggressor = null
placements = shared
[scenario disk]
resource = disk
victim = disk.randread
victim.size_mb = 8
aggressor = null
placements = shared
INI
ISOBENCH_AGENT_BIN="$WORK/bin/isobench-agent" "$ISOBENCH" run rootfs.ini --out bin/camp \
	>out.txt 2>err.txt
rc=$?
check "the campaign finishes (exit $rc)" [ "$rc" = 0 ]
loop=$(q bin/camp "select json_extract(settings_json, '\$.disk.loop') from campaign")
check "its disk was a loop device mounted below the agent's directory ($loop)" \
	has_text "$loop" '^/dev/loop'
bad=$(q bin/camp "select count(*) from trial where status <> 'ok'")
check "every trial of the user-namespace tenant ran ($bad not ok: $(q bin/camp "select cause from trial where status <> 'ok' limit 1"))" \
	[ "$bad" = 0 ]
check "both cells ran trials" [ "$(q bin/camp "select count(distinct cell_id) from trial where status = 'ok'")" = 2 ]
check "nothing left behind" no_leftovers "$(q bin/camp 'select id from campaign')"
done_testing
