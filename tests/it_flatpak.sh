#!/bin/sh
# The flatpak backend: a runtime and an app built from the agent, installed into a private
# installation under the campaign's state (copied from the cache when a campaign built the
# same before), `flatpak run` per tenant. A cpu campaign grades every cell; the probe sees
# what Flatpak gives (its mount, pid and ipc namespaces and its seccomp filter, and as root
# the whole capability set: CT_NS,SB_SECCOMP, as declared); network = host keeps the host's
# network namespace (a network cell runs), network = none gets one of its own (and its
# network cells are skipped with the reason); a cgroup key is refused by name. After the
# campaign, after a SIGKILL of the harness plus the next start, and after a next start
# that finds a tenant still running, none of these is left: the campaign's flatpak
# directory (installation, home), a bwrap or agent process of the test's campaigns,
# anything of ours in the host's installations (/var/lib/flatpak, ~/.local/share/flatpak)
# or in ~/.var/app, and no cgroup, mount, netns or process (no_leftovers). mode = user runs
# the tenants as a user the campaign creates (and user = NAME as the suite's): a user
# namespace and no capabilities (CT_NS,CT_CAPS,SB_SECCOMP, probed as declared, CapEff 0), its
# disk cells skipped with the reason (the scratch directory is root's); afterwards, and after a
# SIGKILL plus the next start, no process of that user and no user it created is left, and
# the named user is kept. With PATH stripped of flatpak, the configuration is "unavailable:
# reason" and a native configuration still runs.
. "$TESTS_SRCDIR/lib.sh"
need_root
command -v flatpak >/dev/null || skip_all "flatpak is not installed (apt-get install flatpak)"
cd "$WORK" || exit 1
# a user-mode tenant reaches its copy of the installation under the state directory
# ($WORK/state): search only
chmod 711 "$WORK"
# a cache of the test's own: the first campaign builds the installation, later ones copy it
export ISOBENCH_CACHE="$WORK/cache"
cat >fp.ini <<'INI'
[global]
reps = 2
duration = 0.5
warmup = 0.2
aggressor_warmup = 0.3
[config flatpak]
backend = flatpak
[config flatpak-nonet]
backend = flatpak
network = none
[scenario cpu-hog]
resource = cpu
victim = cpu.compute
aggressor = cpu.hog
placements = shared
[scenario net]
resource = network
victim = net.stream
aggressor = null
placements = shared
INI

# What the host's own installations and homes hold of ours (nothing, ever).
host_ours() {
	find /var/lib/flatpak "$HOME/.local/share/flatpak" "$HOME/.var/app" -maxdepth 4 \
		-name 'org.isobench.*' 2>/dev/null
}
before=$(host_ours)

# What a campaign's flatpak tenants leave, if anything: its flatpak directory, bwrap and
# agent processes of this test (their command lines hold the test's scratch directory),
# the host's installations.
flatpak_left() {
	d="$ISOBENCH_STATE_DIR/$1/flatpak"
	[ ! -e "$d" ] || { echo "# flatpak directory left: $d"; return 1; }
	p=$(pgrep -af -- "isobench-agent .*--scratch=$WORK/")
	[ -z "$p" ] || { echo "# process left: $p"; return 1; }
	[ "$(host_ours)" = "$before" ] || { echo "# in the host's installations: $(host_ours)"; return 1; }
	return 0
}

"$ISOBENCH" run fp.ini --out camp >out.txt 2>err.txt; rc=$?
check "the flatpak campaign finishes (exit $rc)" [ "$rc" = 0 ]
sed 's/^/# /' out.txt | tail -4
id=$(q camp 'select id from campaign')
note=$(q camp "select cgroup_note from config where name='flatpak'")
echo "# $note"
check "the configuration records the Flatpak version" has_text "$note" 'Flatpak [0-9][0-9.]*;'
check "the first campaign builds the runtime and app" has_text "$note" 'app built in'
check "and stores the installation in the cache ($(ls cache/flatpak 2>/dev/null))" \
	[ "$(ls cache/flatpak 2>/dev/null | grep -c '^[0-9a-f]\{16\}$')" = 1 ]
grades=$(awk "$CSV_AWK"'F["scenario"] == "cpu-hog" && F["cell_grade"] != "" { print F["config"] }' camp/cells.csv | sort -u | tr '\n' ' ')
check "the cpu campaign grades every cell ($grades)" [ "$grades" = "flatpak flatpak-nonet " ]
bad=$(q camp "select count(*) from trial t join cell c on c.id = t.cell_id where c.config like 'flatpak%' and (t.probed_leaves <> 'CT_NS,SB_SECCOMP' or t.declared_leaves <> t.probed_leaves)")
n=$(q camp "select count(*) from trial t join cell c on c.id = t.cell_id where c.config like 'flatpak%' and t.probed_leaves is not null")
check "every flatpak victim's probe saw CT_NS,SB_SECCOMP, as declared ($bad of $n differ)" \
	sh -c "[ $bad = 0 ] && [ $n -ge 4 ]"
sc=$(q camp "select distinct json_extract(probe_json, '\$.Seccomp') || '/' || json_extract(probe_json, '\$.own_namespaces') from trial t join cell c on c.id = t.cell_id where c.config = 'flatpak' and probe_json is not null")
check "Flatpak's seccomp filter and its ipc, mount and pid namespaces, the host's network ($sc)" \
	[ "$sc" = '2/["ipc","mnt","pid"]' ]
own=$(q camp "select distinct json_extract(probe_json, '\$.own_namespaces') from trial t join cell c on c.id = t.cell_id where c.config = 'flatpak-nonet' and probe_json is not null")
check "network = none: a network namespace of its own ($own)" [ "$own" = '["ipc","mnt","net","pid"]' ]
hostcap=$(sed -n 's/^CapEff:[[:space:]]*//p' /proc/self/status)
caps=$(q camp "select distinct json_extract(probe_json, '\$.CapEff') from trial t join cell c on c.id = t.cell_id where c.config like 'flatpak%' and probe_json is not null")
check "run as root, the tenant keeps root's whole capability set ($caps = $hostcap)" [ "$caps" = "$hostcap" ]
start=$(q camp "select cast(avg(victim_startup_ns) / 1e6 as int) from trial t join cell c on c.id = t.cell_id where c.config like 'flatpak%'")
echo "# flatpak tenant start-up (spawn to ready): $start ms on average"
check "each tenant's start-up time is recorded ($start ms)" [ "${start:-0}" -gt 0 ]
net=$(q camp "select count(*) from trial t join cell c on c.id = t.cell_id where c.config = 'flatpak' and c.scenario = 'net' and t.status = 'ok'")
check "network = host: the network cell's trials ran ($net ok)" [ "$net" -ge 2 ]
why=$(q camp "select reason from cell where config = 'flatpak-nonet' and scenario = 'net'")
check "network = none: the network cell is skipped with the reason ($why)" has_text "$why" 'network = none'
check "nothing of the campaign's Flatpak is left after the campaign" flatpak_left "$id"
check "no cgroup, mount, netns or process of the campaign is left" no_leftovers "$id"

# mode = user: the campaign's own user (isb-<id>) and a named one (made here, with the
# subordinate ids useradd gives), a cpu cell each and a disk cell that is skipped
nu=isbt-$$
trap '[ -n "$KEEP" ] || rm -rf "$WORK"; userdel "$nu" 2>/dev/null' EXIT
useradd --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin --user-group "$nu"
cat >user.ini <<INI
[global]
reps = 2
duration = 0.5
warmup = 0.2
aggressor_warmup = 0.3
[config fp-user]
backend = flatpak
mode = user
[config fp-named]
backend = flatpak
user = $nu
[scenario cpu-hog]
resource = cpu
victim = cpu.compute
aggressor = cpu.hog
placements = shared
[scenario disk]
resource = disk
victim = disk.randread
aggressor = null
placements = shared
INI
# What a user-mode campaign leaves beside flatpak_left: its user, a process of it.
user_left() {
	! getent passwd "isb-$1" >/dev/null || { echo "# user left: isb-$1"; return 1; }
	[ -z "$(pgrep -u "isb-$1" 2>/dev/null)" ] || { echo "# process of isb-$1 left"; return 1; }
	return 0
}
"$ISOBENCH" run user.ini --out uc >uc.txt 2>uc.err; rc=$?
check "the user-mode campaign finishes (exit $rc)" [ "$rc" = 0 ]
sed 's/^/# /' uc.txt | tail -4
uid=$(q uc 'select id from campaign')
unote=$(q uc "select cgroup_note from config where name = 'fp-user'")
echo "# $unote"
check "mode = user: the note names the campaign's user" \
	has_text "$unote" "mode=user, run as isb-$uid (created by the campaign), no capabilities"
check "user = $nu: the note names it" \
	has_text "$(q uc "select cgroup_note from config where name = 'fp-named'")" "run as $nu, no"
grades=$(awk "$CSV_AWK"'F["scenario"] == "cpu-hog" && F["cell_grade"] != "" { print F["config"] }' uc/cells.csv | sort -u | tr '\n' ' ')
check "both user-mode cpu cells are graded ($grades)" [ "$grades" = "fp-named fp-user " ]
bad=$(q uc "select count(*) from trial t join cell c on c.id = t.cell_id where t.probed_leaves <> 'CT_NS,CT_CAPS,SB_SECCOMP' or t.declared_leaves <> t.probed_leaves")
n=$(q uc "select count(*) from trial t join cell c on c.id = t.cell_id where t.probed_leaves is not null")
check "every user-mode victim's probe saw CT_NS,CT_CAPS,SB_SECCOMP, as declared ($bad of $n differ)" \
	sh -c "[ $bad = 0 ] && [ $n -ge 4 ]"
caps=$(q uc "select distinct json_extract(probe_json, '\$.CapEff') || '/' || json_extract(probe_json, '\$.Seccomp') || '/' || json_extract(probe_json, '\$.own_namespaces') from trial where probe_json is not null")
check "no capabilities, Flatpak's seccomp filter, bwrap's user namespace ($caps)" \
	[ "$caps" = '0000000000000000/2/["ipc","mnt","pid","user"]' ]
start=$(q uc "select cast(avg(victim_startup_ns) / 1e6 as int) from trial")
echo "# user-mode flatpak tenant start-up (spawn to ready): $start ms on average"
why=$(q uc "select reason from cell where config = 'fp-user' and scenario = 'disk'")
nd=$(q uc "select count(*) from cell where scenario = 'disk' and reason like '%mode = user: user % cannot reach the scratch directory%'")
check "the disk cells are skipped with the reason ($nd: $why)" [ "$nd" = 2 ]
check "nothing of the user-mode campaign's Flatpak is left" flatpak_left "$uid"
check "no user it created, no process of it is left" user_left "$uid"
live=$(ps -o stat= -u "$nu" 2>/dev/null | grep -vc Z)
check "the suite's user $nu is kept and runs nothing of ours ($live processes)" \
	sh -c "getent passwd $nu >/dev/null && [ $live = 0 ]"
check "no cgroup, mount, netns or process of the user-mode campaign is left" no_leftovers "$uid"

sed 's/^network = none/memory.max = 256M/' fp.ini >bad.ini
"$ISOBENCH" run bad.ini --out bad >bad.txt 2>&1; rc=$?
check "a cgroup key is refused with file:line and its name (exit $rc: $(cat bad.txt))" \
	sh -c "[ $rc = 2 ] && grep -q \"bad.ini:[0-9]*: .*'memory.max' is a cgroup key\" bad.txt"

# SIGKILL of the harness while flatpak tenants run, then the next start
printf '[config flatpak-user]\nbackend = flatpak\nmode = user\n' | cat fp.ini - >kill.ini
"$ISOBENCH" run kill.ini --reps 20 --resources cpu --out k1 >/dev/null 2>k1.err &
pid=$!
check "the long run records trials" wait_trials k1 2
i=0
while [ "$(q k1 "select count(*) from trial t join cell c on c.id = t.cell_id where c.config = 'flatpak-user'" 2>/dev/null || echo 0)" -lt 1 ] && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
state=$(ls "$ISOBENCH_STATE_DIR")
check "its user-mode tenants run as the campaign's user ($(ls -d "$ISOBENCH_STATE_DIR/$state"/flatpak/user-* 2>/dev/null))" \
	sh -c "getent passwd isb-$state >/dev/null && [ -d $ISOBENCH_STATE_DIR/$state/flatpak/user-\$(id -u isb-$state)/inst ]"
check "its private installation exists" [ -d "$ISOBENCH_STATE_DIR/$state/flatpak/inst" ]
note=$(q k1 "select cgroup_note from config where name='flatpak'")
check "the next campaign copies the installation from the cache ($(echo "$note" | grep -o 'app [a-z ]* in [0-9.]* s'))" \
	has_text "$note" 'copied from the cache'
kill -KILL "$pid"
wait "$pid" 2>/dev/null
sleep 0.5
echo "# left by the killed run: $(pgrep -f -- "isobench-agent .*--scratch=$WORK/" | wc -l) bwrap/agent processes, $(ls "$ISOBENCH_STATE_DIR/$state/flatpak" | tr '\n' ' ')"
start_again k2; rc=$?
check "a new start runs (exit $rc)" [ "$rc" = 0 ]
check "the killed run's Flatpak directory, bwrap and agent processes are gone" flatpak_left "$state"
check "the killed run's user and its processes are gone" user_left "$state"
check "no cgroup, mount, netns or process of the killed run remains" no_leftovers "$state"

# A tenant that outlived its harness (as if --die-with-parent had failed): the next start's
# sweep finds it by the ISOBENCH_FLATPAK=<dir> in its environment, kills it and the bwraps
# above it by pid, and removes the directory.
f="$ISOBENCH_STATE_DIR/20261202-000000-1/flatpak"
mkdir -p "$f/home" "$f/run" && cp -a cache/flatpak/*/inst "$f/inst" && mkfifo in
FLATPAK_USER_DIR="$f/inst" HOME="$f/home" XDG_RUNTIME_DIR="$f/run" flatpak run --user \
	--env=ISOBENCH_FLATPAK="$f" org.isobench.Agent null --role=aggressor --duration=60 \
	--scratch="$WORK/orphan" <in >/dev/null 2>&1 &
orphan=$!
exec 9>in
i=0
while [ "$(pgrep -f -- "isobench-agent .*--scratch=$WORK/" | wc -l)" -lt 3 ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
echo "# the outliving tenant: $(pgrep -f -- "isobench-agent .*--scratch=$WORK/" | wc -l) bwrap/agent processes"
start_again k3; rc=$?
exec 9>&-
wait "$orphan" 2>/dev/null
check "a new start runs (exit $rc)" [ "$rc" = 0 ]
check "the sweep killed the outliving agent and its bwraps and removed its directory" flatpak_left 20261202-000000-1
check "the cache holds one entry, no half-copied one ($(ls cache/flatpak | tr '\n' ' '))" \
	[ "$(ls cache/flatpak | wc -l)" = 1 ]

# PATH without flatpak
without_tools flatpak flatpak
done_testing
