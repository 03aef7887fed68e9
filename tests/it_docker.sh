#!/bin/sh
# The docker backend: a private dockerd per campaign, an image imported from the agent,
# `docker run` per tenant. With cgroups = partitioned (a cpuset disjoint from the
# aggressor's) the victim isolates on cpu at shared placement (grade >= 3); the probe
# sees the leaves Docker declares (namespaces, its cgroup, Docker's capability set, its
# default seccomp filter); explicit limits land in the container's cgroup files; network
# tenants (Docker's none network) are joined by a veth of the campaign's link-local test
# network and their cells run. After the campaign, and after a SIGKILL of the
# harness plus the next start, no dockerd, containerd, shim, container process, data
# root, mount or cgroup of ours is left. With PATH stripped of docker and dockerd, the
# configuration is "unavailable: reason" and the rest runs.
. "$TESTS_SRCDIR/lib.sh"
need_root
command -v dockerd >/dev/null && command -v docker >/dev/null ||
	skip_all "docker.io is not installed (apt-get install docker.io)"
cd "$WORK" || exit 1
cat >dk.ini <<'INI'
[global]
reps = 3
duration = 0.5
warmup = 0.2
aggressor_warmup = 0.3
[config docker-part]
backend = docker
cgroups = partitioned
[config docker-lim]
backend = docker
cgroups = none
memory.max = 256M
pids.max = 100
cpu.max = 0.5
seccomp = unconfined
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

# What a campaign's private dockerd leaves, if anything: its processes (dockerd,
# containerd, shims name its directory), its data root, mounts under it.
docker_left() {
	d="$ISOBENCH_STATE_DIR/$1/docker"
	p=$(pgrep -af -- "$d" | grep -v pgrep)
	[ -z "$p" ] || { echo "# process left: $p"; return 1; }
	[ ! -e "$d" ] || { echo "# data root left: $d"; return 1; }
	! grep -q -- "$d" /proc/self/mountinfo || { echo "# mount left under $d"; return 1; }
	! pgrep -f "isobench-$1" >/dev/null || { echo "# container left: $(pgrep -af "isobench-$1")"; return 1; }
	return 0
}

"$ISOBENCH" run dk.ini --out camp >out.txt 2>err.txt; rc=$?
check "the docker campaign finishes (exit $rc)" [ "$rc" = 0 ]
sed 's/^/# /' out.txt | tail -4
id=$(q camp 'select id from campaign')
note=$(q camp "select cgroup_note from config where name='docker-part'")
echo "# $note"
check "the configuration records Docker's and containerd's versions" \
	has_text "$note" 'Docker [0-9].*containerd [0-9]'
grade=$(awk "$CSV_AWK"'F["config"] == "docker-part" && F["scenario"] == "cpu-hog" { print F["cell_grade"]; exit }' camp/cells.csv)
check "partitioned (disjoint cpusets) isolates on cpu at shared: grade ${grade:-none} >= 3" \
	[ "${grade:-0}" -ge 3 ]
bad=$(q camp "select count(*) from trial t join cell c on c.id = t.cell_id where c.config = 'docker-part' and (t.probed_leaves <> 'CT_NS,CT_CGROUPS,CT_CAPS,SB_SECCOMP' or t.declared_leaves <> t.probed_leaves)")
check "every docker victim's probe saw CT_NS,CT_CGROUPS,CT_CAPS,SB_SECCOMP, as declared ($bad differ)" [ "$bad" = 0 ]
un=$(q camp "select distinct t.declared_leaves || '/' || t.probed_leaves || '/' || json_extract(probe_json, '\$.Seccomp') from trial t join cell c on c.id = t.cell_id where c.config = 'docker-lim'")
check "seccomp = unconfined: no filter, and no SB_SECCOMP declared or probed ($un)" [ "$un" = "CT_NS,CT_CGROUPS,CT_CAPS/CT_NS,CT_CGROUPS,CT_CAPS/0" ]
sc=$(q camp "select distinct json_extract(probe_json, '\$.Seccomp') || '/' || json_extract(probe_json, '\$.CapEff') from trial t join cell c on c.id = t.cell_id where c.config = 'docker-part'")
check "Docker's default seccomp filter and capability set are in force ($sc)" [ "$sc" = "2/00000000a80425fb" ]
vcpus=$(q camp "select distinct json_extract(probe_json, '\$.limits.cpuset') from trial t join cell c on c.id = t.cell_id where c.config = 'docker-part'")
check "the victim's container cpuset is one half of the CPUs ($vcpus)" [ "$(echo "$vcpus" | wc -l)" = 1 ] && [ -n "$vcpus" ]
lim=$(q camp "select distinct json_extract(probe_json, '\$.limits.memory_max') || ' ' || json_extract(probe_json, '\$.limits.pids_max') || ' ' || json_extract(probe_json, '\$.limits.cpu_max') from trial t join cell c on c.id = t.cell_id where c.config = 'docker-lim'")
check "memory.max, pids.max and cpu.max land in the container's cgroup files ($lim)" \
	[ "$lim" = "268435456 100 50000 100000" ]
start=$(q camp "select cast(avg(victim_startup_ns) / 1e6 as int) from trial t join cell c on c.id = t.cell_id where c.config like 'docker%'")
echo "# docker tenant start-up (spawn to ready): $start ms on average"
check "each tenant's start-up time is recorded ($start ms)" [ "${start:-0}" -gt 0 ]
rr=$(q camp "select count(*) from trial t join cell c on c.id = t.cell_id where c.config = 'docker-part' and c.scenario = 'rr' and t.status = 'ok'")
check "a network cell runs: the containers join the campaign's test network ($rr ok trials)" [ "${rr:-0}" -ge 4 ]
rrg=$(awk "$CSV_AWK"'F["config"] == "docker-part" && F["scenario"] == "rr" { print F["cell_grade"]; exit }' camp/cells.csv)
check "... and is graded (${rrg:-none})" [ -n "$rrg" ]
check "nothing of the private dockerd is left after the campaign" docker_left "$id"
check "no cgroup, mount, netns or process of the campaign is left" no_leftovers "$id"

sed 's/^seccomp = unconfined/seccomp = maybe/' dk.ini >bad.ini
"$ISOBENCH" run bad.ini --out bad >bad.txt 2>&1; rc=$?
check "a bad seccomp value is refused with file:line (exit $rc: $(cat bad.txt))" \
	sh -c "[ $rc = 2 ] && grep -q \"bad.ini:[0-9]*: .*seccomp: 'maybe' is not default or unconfined\" bad.txt"

# SIGKILL of the harness while docker tenants run, then the next start
"$ISOBENCH" run dk.ini --reps 20 --resources cpu --out k1 >/dev/null 2>k1.err &
pid=$!
check "the long run records trials" wait_trials k1 2
state=$(ls "$ISOBENCH_STATE_DIR")
dockerd_runs() { pgrep -f -- "$ISOBENCH_STATE_DIR/$1/docker" >/dev/null; }
check "its private dockerd runs" dockerd_runs "$state"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
sleep 0.5
echo "# left by the killed run: $(pgrep -f -- "$ISOBENCH_STATE_DIR/$state/docker" | wc -l) dockerd/containerd/shim processes, $(grep -c -- "$ISOBENCH_STATE_DIR/$state" /proc/self/mountinfo) mounts"
start_again k2; rc=$?
check "a new start runs (exit $rc)" [ "$rc" = 0 ]
check "the killed run's dockerd, containerd, shims, containers, mounts and data root are gone" docker_left "$state"
check "no cgroup, mount, netns or process of the killed run remains" no_leftovers "$state"

# socket = PATH: a daemon the suite names (here one this test starts in its own
# directory, standing for the host's): only our image and containers go on it and leave it
hd=$(mktemp -d /tmp/isb-hd.XXXXXX)
dockerd --data-root "$hd/data" --exec-root "$hd/exec" -H "unix://$hd/sock" --pidfile "$hd/pid" \
	--bridge=none --iptables=false --ip6tables=false --ip-masq=false >"$hd/log" 2>&1 &
hdpid=$!
i=0
while [ ! -S "$hd/sock" ] && [ $i -lt 150 ]; do sleep 0.1; i=$((i + 1)); done
ours() { docker -H "unix://$hd/sock" ps -aq --filter name=isobench-; docker -H "unix://$hd/sock" images -q 'isobench-*'; }
cat >named.ini <<INI
[global]
reps = 20
duration = 0.3
warmup = 0.05
aggressor_warmup = 0.05
[config docker-named]
backend = docker
socket = $hd/sock
[scenario cpu]
resource = cpu
victim = cpu.compute
aggressor = cpu.hog
placements = shared
INI
"$ISOBENCH" run named.ini --reps 1 --out nm >nm.txt 2>&1; rc=$?
check "a campaign on the named daemon runs its trials (exit $rc)" \
	[ "$(q nm "select count(*) from trial where status = 'ok'")" -ge 2 ]
check "it leaves no container or image of ours on that daemon ($(ours | wc -l) left)" [ -z "$(ours)" ]
"$ISOBENCH" run named.ini --out nk >/dev/null 2>nk.err &
pid=$!
check "a long run on the named daemon records trials" wait_trials nk 2
kill -KILL "$pid"
wait "$pid" 2>/dev/null
echo "# left on the named daemon by the killed run: $(ours | wc -l) containers and images"
start_again k3 >/dev/null
check "after the next start none of ours is left on the named daemon ($(ours | tr '\n' ' '))" [ -z "$(ours)" ]
check "the named daemon itself still runs" kill -0 "$hdpid"
kill -TERM "$hdpid"
wait "$hdpid" 2>/dev/null
rm -rf "$hd"

# PATH without docker and dockerd
without_tools docker docker dockerd
done_testing
