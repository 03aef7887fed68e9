#!/bin/sh
# The podman backend: `podman run --rootfs` of the agent's root file system, with private
# storage under the campaign's state directory, rootful and rootless (a user the campaign
# creates). Rootful with cgroups = partitioned (a cpuset disjoint from the aggressor's)
# isolates on cpu at shared placement (grade >= 3); explicit limits land in the rootful
# container's cgroup files; rootless runs, and on cgroup v1 the configuration's note and
# report.md say that the declared limits were not applied (the probe sees no CT_CGROUPS);
# the probe sees Podman's namespaces, capability set and seccomp filter in both modes;
# network tenants (Podman's none network) are joined by a veth of the campaign's link-local
# test network and their cells run, rootful and rootless. After the campaign, and after a SIGKILL of the
# harness plus the next start, no container process, conmon, pause process, storage root,
# runroot link, mount, cgroup or user of ours is left. With PATH stripped of podman the
# configuration is "unavailable: reason" and the rest runs.
. "$TESTS_SRCDIR/lib.sh"
need_root
command -v podman >/dev/null && command -v runc >/dev/null ||
	skip_all "podman or runc is not installed (apt-get install podman uidmap)"
command -v useradd >/dev/null && command -v newuidmap >/dev/null ||
	skip_all "useradd or newuidmap is missing (apt-get install passwd uidmap)"
cd "$WORK" || exit 1
# the rootless user reaches its storage under the state directory ($WORK/state): search only
chmod 711 "$WORK"
cat >pm.ini <<'INI'
[global]
reps = 2
duration = 0.5
warmup = 0.2
aggressor_warmup = 0.3
[config pm-part]
backend = podman
cgroups = partitioned
[config pm-lim]
backend = podman
cgroups = none
memory.max = 256M
pids.max = 100
cpu.max = 0.5
seccomp = unconfined
[config pm-rootless]
backend = podman
mode = rootless
memory.max = 256M
pids.max = 100
[scenario cpu-hog]
resource = cpu
victim = cpu.compute
aggressor = cpu.hog
placements = shared
[scenario rr]
resource = network
victim = net.rr
aggressor = net.flood-tcp
placements = shared
INI

# What a campaign's podman configurations leave, if anything: processes naming its state
# (conmon), its runroot links, its storage, mounts, its user and that user's processes.
podman_left() {
	d="$ISOBENCH_STATE_DIR/$1/podman"
	p=$(pgrep -af -- "$d" | grep -v pgrep)
	[ -z "$p" ] || { echo "# process left: $p"; return 1; }
	[ ! -e "$d" ] || { echo "# storage left: $d"; return 1; }
	! ls -d /run/isbp-"$1"-* >/dev/null 2>&1 || { echo "# runroot link left: $(ls -d /run/isbp-"$1"-*)"; return 1; }
	! grep -q -- "$d" /proc/self/mountinfo || { echo "# mount left under $d"; return 1; }
	! getent passwd "isb-$1" >/dev/null || { echo "# user left: isb-$1 ($(pgrep -au "isb-$1"))"; return 1; }
	! grep -q "^isb-$1:" /etc/subuid /etc/subgid || { echo "# subordinate ids left for isb-$1"; return 1; }
	! pgrep -f "isobench-$1" >/dev/null || { echo "# container left: $(pgrep -af "isobench-$1")"; return 1; }
	return 0
}

"$ISOBENCH" run pm.ini --out camp >out.txt 2>err.txt; rc=$?
check "the podman campaign finishes (exit $rc)" [ "$rc" = 0 ]
sed 's/^/# /' out.txt | tail -6
id=$(q camp 'select id from campaign')
note=$(q camp "select cgroup_note from config where name='pm-part'")
echo "# $note"
check "the configuration records Podman's and runc's versions" has_text "$note" 'Podman [0-9].*runc [0-9]'
grade=$(awk "$CSV_AWK"'F["config"] == "pm-part" && F["scenario"] == "cpu-hog" { print F["cell_grade"]; exit }' camp/cells.csv)
check "rootful partitioned (disjoint cpusets) isolates on cpu at shared: grade ${grade:-none} >= 3" \
	[ "${grade:-0}" -ge 3 ]
bad=$(q camp "select count(*) from trial t join cell c on c.id = t.cell_id where c.config = 'pm-part' and (t.probed_leaves <> 'CT_NS,CT_CGROUPS,CT_CAPS,SB_SECCOMP' or t.declared_leaves <> t.probed_leaves)")
check "every rootful victim's probe saw CT_NS,CT_CGROUPS,CT_CAPS,SB_SECCOMP, as declared ($bad differ)" [ "$bad" = 0 ]
sc=$(q camp "select distinct json_extract(probe_json, '\$.Seccomp') || '/' || json_extract(probe_json, '\$.CapEff') from trial t join cell c on c.id = t.cell_id where c.config in ('pm-part', 'pm-rootless')")
check "Podman's seccomp filter and default capability set, rootful and rootless ($sc)" [ "$sc" = "2/00000000800405fb" ]
un=$(q camp "select distinct t.declared_leaves || '/' || t.probed_leaves || '/' || json_extract(probe_json, '\$.Seccomp') from trial t join cell c on c.id = t.cell_id where c.config = 'pm-lim'")
check "seccomp = unconfined: no filter, and no SB_SECCOMP declared or probed ($un)" [ "$un" = "CT_NS,CT_CGROUPS,CT_CAPS/CT_NS,CT_CGROUPS,CT_CAPS/0" ]
lim=$(q camp "select distinct json_extract(probe_json, '\$.limits.memory_max') || ' ' || json_extract(probe_json, '\$.limits.pids_max') || ' ' || json_extract(probe_json, '\$.limits.cpu_max') from trial t join cell c on c.id = t.cell_id where c.config = 'pm-lim'")
check "rootful: memory.max, pids.max and cpu.max land in the container's cgroup files ($lim)" \
	[ "$lim" = "268435456 100 50000 100000" ]
ok=$(q camp "select count(*) from trial t join cell c on c.id = t.cell_id where c.config = 'pm-rootless' and t.status = 'ok'")
check "rootless podman runs its trials ($ok ok)" [ "$ok" -ge 4 ]
rl=$(q camp "select distinct t.probed_leaves from trial t join cell c on c.id = t.cell_id where c.config = 'pm-rootless'")
check "rootless: the probe sees its namespaces, capabilities and seccomp filter ($rl)" [ "$rl" = "CT_NS,CT_CAPS,SB_SECCOMP" ]
rnote=$(q camp "select cgroup_note from config where name='pm-rootless'")
echo "# rootless: $rnote"
if [ -d /sys/fs/cgroup/memory ]; then
	check "rootless on cgroup v1: the note says the declared limits were not applied" \
		has_text "$rnote" 'declared limits were not applied (rootless podman on cgroup v1)'
	check "report.md shows it, and the declared CT_CGROUPS the probe did not see" \
		sh -c "grep '| pm-rootless |' camp/report.md | grep -q 'declared limits were not applied' && grep '| pm-rootless |' camp/report.md | grep -q 'MISMATCH.*declared CT_NS,CT_CGROUPS'"
fi
start=$(q camp "select cast(avg(victim_startup_ns) / 1e6 as int) || ' ' || cast(avg(case when c.config = 'pm-rootless' then victim_startup_ns end) / 1e6 as int) from trial t join cell c on c.id = t.cell_id where c.config like 'pm-%'")
echo "# podman tenant start-up (spawn to ready), all and rootless: $start ms on average"
check "each tenant's start-up time is recorded ($start ms)" [ "${start%% *}" -gt 0 ]
for cf in pm-part pm-rootless; do
	rr=$(q camp "select count(*) from trial t join cell c on c.id = t.cell_id where c.config = '$cf' and c.scenario = 'rr' and t.status = 'ok'")
	check "$cf: a network cell runs, the container joined to the test network ($rr ok trials)" [ "${rr:-0}" -ge 2 ]
done
check "nothing of podman (storage, runroot links, conmon, pause, user) is left after the campaign" podman_left "$id"
check "no cgroup, mount, netns or process of the campaign is left" no_leftovers "$id"

# user = NAME: a user of the suite's (here one this test creates, with subordinate ids): the
# tenants run as it, it is kept, and nothing of podman (its pause process) runs as it after
nu=isbt-$$
trap '[ -n "$KEEP" ] || rm -rf "$WORK"; userdel "$nu" 2>/dev/null' EXIT
useradd --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --user-group "$nu"
cat >named.ini <<INI
[global]
reps = 1
duration = 0.3
warmup = 0.05
aggressor_warmup = 0.05
[config pm-named]
backend = podman
mode = rootless
user = $nu
cgroups = none
[scenario cpu]
resource = cpu
victim = cpu.compute
aggressor = null
placements = shared
INI
"$ISOBENCH" run named.ini --out nm >nm.txt 2>&1; rc=$?
nnote=$(q nm "select cgroup_note from config where name = 'pm-named'")
nok=$(q nm "select count(*) from trial where status = 'ok' and probed_leaves = 'CT_NS,CT_CAPS,SB_SECCOMP' and declared_leaves = probed_leaves")
check "user = $nu: the tenants run as it, leaves as declared (exit $rc, $nok trials)" \
	sh -c "[ $rc = 0 ] && [ $nok -ge 2 ] && printf '%s' '$nnote' | grep -q 'rootless, in a user namespace, as $nu'"
live=$(ps -o stat= -u "$nu" 2>/dev/null | grep -vc Z)
check "the suite's user is kept and runs nothing of ours after the campaign ($live processes)" \
	sh -c "getent passwd $nu >/dev/null && [ $live = 0 ]"
userdel "$nu"

sed 's/^mode = rootless/mode = rootfull/' pm.ini >bad.ini
"$ISOBENCH" run bad.ini --out bad >bad.txt 2>&1; rc=$?
check "a bad mode is refused with file:line (exit $rc: $(head -c 300 bad.txt))" \
	sh -c "[ $rc = 2 ] && grep -q \"bad.ini:[0-9]*: .*mode: 'rootfull' is not rootful or rootless\" bad.txt"

# SIGKILL of the harness while rootful and rootless tenants run, then the next start
cat >kill.ini <<'INI'
[global]
reps = 20
duration = 0.5
warmup = 0.1
aggressor_warmup = 0.1
[config pm-rootless]
backend = podman
mode = rootless
[config pm-rootful]
backend = podman
[scenario cpu]
resource = cpu
victim = cpu.compute
aggressor = cpu.hog
placements = shared
INI
"$ISOBENCH" run kill.ini --out k1 >/dev/null 2>k1.err &
pid=$!
check "the long run records trials" wait_trials k1 2
state=$(ls "$ISOBENCH_STATE_DIR")
check "its user isb-$state exists" getent passwd "isb-$state"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
sleep 0.5
echo "# left by the killed run: $(pgrep -u "isb-$state" 2>/dev/null | wc -l) processes of its user, $(pgrep -f -- "$ISOBENCH_STATE_DIR/$state/podman" | wc -l) conmons, $(grep -c -- "$ISOBENCH_STATE_DIR/$state" /proc/self/mountinfo) mounts, $(ls -d /run/isbp-"$state"-* 2>/dev/null | wc -l) runroot links"
start_again k2; rc=$?
check "a new start runs (exit $rc)" [ "$rc" = 0 ]
check "the killed run's conmons, pause process, storage, runroot links and user are gone" podman_left "$state"
check "no cgroup, mount, netns or process of the killed run remains" no_leftovers "$state"

# PATH without podman
without_tools podman podman
done_testing
