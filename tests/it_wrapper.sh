#!/bin/sh
# The wrapper backend (any runtime by command template) with the examples of
# suites/wrapper.ini: bubblewrap and Charliecloud run short cpu, disk and network scenarios; the
# probe inside each finds the namespaces the tool really makes (bwrap
# --unshare-all: all of its own, no capability left; ch-run: a user and a mount
# namespace, the host's network) and they match what the example declares. A
# template with an unknown placeholder is refused with file:line; with the tool
# gone from PATH the configuration is "unavailable: <tool>: not found in PATH" and
# the rest of the campaign runs; after a SIGKILL of the harness no wrapped tenant
# lives on and the next start leaves nothing.
. "$TESTS_SRCDIR/lib.sh"
need_root
command -v bwrap >/dev/null || skip_all "bwrap not installed (setup.sh installs bubblewrap)"
command -v ch-run >/dev/null || skip_all "ch-run not installed (setup.sh installs charliecloud-runtime)"
cd "$WORK" || exit 1

# The shipped examples' [config] sections, as they are, with a short global and scenario.
cat >w.ini <<'INI'
[global]
reps = 1
duration = 0.3
warmup = 0.05
aggressor_warmup = 0.05
INI
sed -n '/^\[config /,/^\[scenario /p' "$ISOBENCH_SUITES/wrapper.ini" | sed '$d' >>w.ini
cat >>w.ini <<'INI'
[scenario cpu]
resource = cpu
victim = cpu.compute
aggressor = cpu.hog
placements = shared
[scenario disk]
resource = disk
victim = disk.randread
victim.size_mb = 8
aggressor = null
placements = shared
[scenario net]
resource = network
victim = net.stream
aggressor = null
placements = shared
INI
check "the suite has the bwrap and charliecloud examples" \
	[ "$(grep -c '^backend = wrapper' w.ini)" = 2 ]

"$ISOBENCH" run w.ini --out c1 >out.txt 2>err.txt
rc=$?
check "the campaign finishes (exit $rc)" [ "$rc" = 0 ]
id=$(q c1 'select id from campaign')
# bwrap: cpu and disk (its network cell is skipped: network = own); ch-run: all three
for cf in bwrap:4 charliecloud:6; do
	n=${cf#*:}
	cf=${cf%%:*}
	avail=$(q c1 "select available || ' ' || coalesce(unavailable_reason, '') from config where name = '$cf'")
	check "$cf is available ($avail)" [ "$avail" = "1 " ]
	ok=$(q c1 "select count(*) from trial t join cell c on c.id = t.cell_id where c.config = '$cf' and t.status = 'ok'")
	check "$cf ran its trials, its files in the scratch directory ($ok ok: $(q c1 "select t.cause from trial t join cell c on c.id = t.cell_id where c.config = '$cf' and t.status <> 'ok' limit 1"))" \
		[ "$ok" = "$n" ]
done
check "bwrap's network cell is skipped: its tenant has a network namespace of its own" \
	grep -q '^- bwrap / net / shared: wrapper: net.stream: the wrapped tenant has a network namespace of its own (network = own)' c1/report.md
mb=$(q c1 "select cast(json_extract(t.metrics_json, '\$.bytes_per_s') / 1e6 as int) from trial t join cell c on c.id = t.cell_id where c.config = 'charliecloud' and c.scenario = 'net' limit 1")
check "ch-run (network = host): net.stream reaches its peer on loopback (${mb} MB/s)" [ "${mb:-0}" -gt 0 ]
ns() { q c1 "select distinct json_extract(t.probe_json, '\$.own_namespaces') from trial t join cell c on c.id = t.cell_id where c.config = '$1'"; }
leaves() { q c1 "select distinct t.probed_leaves from trial t join cell c on c.id = t.cell_id where c.config = '$1'"; }
declared() { q c1 "select declared_leaves from config where name = '$1'"; }
bw=$(ns bwrap)
check "bwrap --unshare-all: the probe finds cgroup, ipc, mnt, net, pid, user and uts namespaces ($bw)" \
	[ "$bw" = '["cgroup","ipc","mnt","net","pid","user","uts"]' ]
check "bwrap --cap-drop ALL: the probe finds CT_NS,CT_CAPS ($(leaves bwrap)), as declared ($(declared bwrap))" \
	[ "$(leaves bwrap)" = CT_NS,CT_CAPS ] && [ "$(declared bwrap)" = CT_NS,CT_CAPS ]
ch=$(ns charliecloud)
check "ch-run: a mount and a user namespace only, no network namespace ($ch)" [ "$ch" = '["mnt","user"]' ]
check "ch-run: the probe finds CT_NS ($(leaves charliecloud)), as declared ($(declared charliecloud))" \
	[ "$(leaves charliecloud)" = CT_NS ] && [ "$(declared charliecloud)" = CT_NS ]
check "the report shows each wrapper's class and agreeing leaves" \
	grep -q '^| bwrap | wrapper | container | CT_NS,CT_CAPS | CT_NS,CT_CAPS | ok |' c1/report.md
check "the report: charliecloud too" \
	grep -q '^| charliecloud | wrapper | container | CT_NS | CT_NS | ok |' c1/report.md
check "a start-up time per wrapped tenant ($(q c1 "select min(victim_startup_ns) from trial t join cell c on c.id = t.cell_id where c.config = 'bwrap'") ns)" \
	[ "$(q c1 "select count(*) from trial where victim_startup_ns > 0")" = 16 ]
check "nothing left behind (the image skeleton included)" no_leftovers "$id"

# A template with an unknown placeholder is refused before anything runs, with file:line.
cat >bad.ini <<'INI'
[global]
reps = 1
[config w]
backend = wrapper
command = bwrap --ro-bind / / {agent} --scratch={scrach}
[scenario cpu]
resource = cpu
victim = cpu.compute
aggressor = null
INI
"$ISOBENCH" run bad.ini --out bad >out.txt 2>err.txt
rc=$?
check "an unknown placeholder: exit 2 ($rc)" [ "$rc" = 2 ]
check "it names file:line, the key and the placeholder ($(cat err.txt))" \
	grep -q "bad.ini:5: .*command: .*unknown placeholder '{scrach}'" err.txt
check "and nothing ran" [ ! -e bad/results.db ]

# Quoting: a quoted word stays one word, {{ is a literal brace, and the template reaches no
# shell but the one it names: sh runs the agent only if its $0 came through whole.
cat >quote.ini <<'INI'
[global]
reps = 1
duration = 0.2
warmup = 0.05
aggressor_warmup = 0.05
[config quoted]
backend = wrapper
command = sh -c 'test "$0" = "{{a b} c" && exec "$@"' "{{a b} c" {agent}
class = native
[scenario cpu]
resource = cpu
victim = cpu.compute
aggressor = null
placements = shared
INI
"$ISOBENCH" run quote.ini --out cq >out.txt 2>err.txt
rc=$?
check "a quoted template runs (exit $rc)" [ "$rc" = 0 ]
check "its trials are ok ($(q cq "select coalesce(cause, status) from trial limit 1"))" \
	[ "$(q cq "select count(*) from trial where status = 'ok'")" = 2 ]
check "the report's class is the configuration's (native)" \
	grep -q '^| quoted | wrapper | native | none | none | ok |' cq/report.md
check "nothing left behind" no_leftovers "$(q cq 'select id from campaign')"

# Without the tools in PATH: "unavailable: <tool>: not found in PATH", native still runs.
mkdir path
for f in /usr/bin/*; do
	case ${f##*/} in bwrap | ch-run) ;; *) ln -s "$f" "path/${f##*/}" ;; esac
done
PATH="$WORK/path:/usr/sbin" "$ISOBENCH" run w.ini --out c2 >out.txt 2>err.txt
rc=$?
check "without the tools the campaign still finishes (exit $rc)" [ "$rc" = 0 ]
for t in bwrap:bwrap charliecloud:ch-run; do
	why=$(q c2 "select unavailable_reason from config where name = '${t%%:*}'")
	check "${t%%:*}: $why" [ "$why" = "unavailable: ${t#*:}: not found in PATH" ]
done
check "native ran its trials" \
	[ "$(q c2 "select count(*) from trial t join cell c on c.id = t.cell_id where c.config = 'native' and t.status = 'ok'")" = 6 ]
check "no trial of an unavailable wrapper" \
	[ "$(q c2 "select count(*) from trial t join cell c on c.id = t.cell_id where c.config <> 'native'")" = 0 ]
check "nothing left behind" no_leftovers "$(q c2 'select id from campaign')"

# SIGKILL of the harness while wrapped tenants run: none lives on, the next start sweeps.
sed -e 's/^reps = 1/reps = 20/' -e 's/^duration = 0.3/duration = 1/' \
	-e '/^\[config native\]/,/^$/d' w.ini >k.ini
"$ISOBENCH" run k.ini --out k1 >/dev/null 2>k1.err &
pid=$!
check "the long run records trials" wait_trials k1 1
sleep 0.5
state=$(ls "$ISOBENCH_STATE_DIR")
# the tenants' command lines name the campaign's scratch directory (bwrap's, ch-run's, the agent's)
running=$(pgrep -f "$WORK/k1/" | wc -l)
kill -KILL "$pid"
wait "$pid" 2>/dev/null
sleep 0.3
check "wrapped tenants were running when the harness was killed ($running processes)" [ "$running" -gt 0 ]
none_left() { ! pgrep -f "$WORK/k1/" >/dev/null; }
check "no wrapped tenant outlives the killed harness ($(pgrep -af "$WORK/k1/" | head -3))" none_left
start_again k2
rc=$?
check "a new start runs (exit $rc)" [ "$rc" = 0 ]
check "the killed campaign left nothing" no_leftovers "$state"
done_testing
