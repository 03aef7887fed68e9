#!/bin/sh
# The shaped link (link_rate): a victim's stream alone stays below the link's
# rate, and a tenant with net.rate is held to its class, whatever this
# machine's speed (the shaper, not the CPU, bounds them). Without HTB
# (ISOBENCH_FAULT=no-htb) the configuration that needs a class is
# "unavailable: reason", the link is shaped by TBF, and the rest runs.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
command -v ip >/dev/null || skip_all "no ip (iproute2)"
command -v tc >/dev/null || skip_all "no tc (iproute2)"
cat >link.ini <<'INI'
[global]
reps = 1
duration = 0.6
warmup = 0.2
aggressor_warmup = 0.3
link_rate = 100M
[config native]
backend = native
[config capped]
backend = container
namespaces = net
cgroups = none
capabilities = all
net.rate = 30M
[config fair]
backend = container
namespaces = net
cgroups = fair
capabilities = all
[scenario bw]
resource = network
victim = net.stream
aggressor = net.flood-tcp
aggressor.max_mbit = 300
placements = split
[scenario cpu]
resource = cpu
victim = cpu.compute
aggressor = null
placements = shared
INI
"$ISOBENCH" run link.ini --out l1 >/dev/null 2>l1.err; rc=$?
check "a link campaign runs (exit $rc)" [ "$rc" = 0 ]
check "it says it built the link with htb" grep -q "link 100Mbit/s (htb)" l1.err
# Mbit/s of a trial: config kind metric(victim|aggressor)
mbit() {
	path='$.bytes_per_s'
	[ "$3" = aggressor ] && path='$.metrics.bytes_per_s'
	col=metrics_json
	[ "$3" = aggressor ] && col=aggressor_json
	q l1 "select cast(json_extract(t.$col, '$path') * 8 / 1e6 as int) from trial t join cell c
	      on c.id = t.cell_id where c.config = '$1' and c.scenario = 'bw' and t.kind = '$2'"
}
nb=$(mbit native baseline victim)
check "native victim alone: ${nb:-?} Mbit/s, at most 1.1 x the 100M link" [ "${nb:-999}" -le 110 ]
check "and it moved data (${nb:-?} > 0)" [ "${nb:-0}" -gt 0 ]
cv=$(mbit capped contended victim)
ca=$(mbit capped contended aggressor)
# counted at the sender: what still sits in its socket buffer at the window's end counts too
check "net.rate = 30M holds the victim to its class (${cv:-?} <= 39)" [ "${cv:-999}" -le 39 ]
check "net.rate = 30M holds the flood to its class (${ca:-?} <= 39)" [ "${ca:-999}" -le 39 ]
check "the flood still fills its class (${ca:-?} >= 15)" [ "${ca:-0}" -ge 15 ]
# the report's attribution names the network channels (or the link) for native's cell
if ! grep -q "Kernel probes (eBPF) unavailable" l1/report.md; then
	row=$(grep '^| native | bw |' l1/report.md)
	check "the attribution of native's network cell names the network channels or the link" has_text "$row" "network: "
fi
note=$(q l1 "select cgroup_note from config where name = 'native'")
check "native's note says its tenants joined the campaign's namespace" has_text "$note" "joined the campaign's network namespace"
note=$(q l1 "select cgroup_note from config where name = 'capped'")
check "the capped config's note names its class" has_text "$note" "rate=ceil=30Mbit (net.rate)"
note=$(q l1 "select cgroup_note from config where name = 'fair'")
check "fair gives each tenant half the link, borrowing up to all of it" has_text "$note" "rate=50Mbit ceil=100Mbit (cgroups policy)"
fc=$(mbit fair contended victim)
check "fair: the victim beside the flood stays within the link (${fc:-?} <= 110)" [ "${fc:-999}" -le 110 ]
check "nothing left behind" no_leftovers "$(sed -n 's/.*campaign \([^:]*\): results.*/\1/p' l1.err)"

# No HTB: the net.rate configuration is unavailable with the reason, the rest runs.
ISOBENCH_FAULT=no-htb "$ISOBENCH" run link.ini --out l2 >/dev/null 2>l2.err; rc=$?
check "without htb the campaign still runs (exit $rc)" [ "$rc" = 0 ]
check "the link falls back to tbf" grep -q "link 100Mbit/s (tbf)" l2.err
why=$(q l2 "select unavailable_reason from config where name = 'capped'")
check "the net.rate configuration is unavailable: $why" has_text "$why" "^unavailable: net.rate needs a class on the shaped link: no htb"
check "its cells are skipped with the reason" [ "$(q l2 "select count(*) from cell where config = 'capped' and status = 'skipped' and reason like '%no htb%'")" = 2 ]
check "fair's network cell is skipped: its classes need htb" [ "$(q l2 "select count(*) from cell where config = 'fair' and scenario = 'bw' and status = 'skipped' and reason like 'per-tenant link classes%no htb%'")" = 1 ]
check "native's network cell ran through the link" [ "$(q l2 "select count(*) from trial t join cell c on c.id = t.cell_id where c.config = 'native' and c.scenario = 'bw' and t.status = 'ok'")" = 2 ]
nb=$( (cd l2 && sqlite3 results.db "select cast(json_extract(t.metrics_json, '$.bytes_per_s') * 8 / 1e6 as int) from trial t join cell c on c.id = t.cell_id where c.config = 'native' and c.scenario = 'bw' and t.kind = 'baseline'"))
check "tbf bounds native's victim too (${nb:-?} <= 110)" [ "${nb:-999}" -le 110 ]
check "nothing left behind" no_leftovers "$(sed -n 's/.*campaign \([^:]*\): results.*/\1/p' l2.err)"
done_testing
