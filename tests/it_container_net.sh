#!/bin/sh
# Container tenants with network namespaces of their own run the network
# stressors between each other through the campaign's test network: each
# gets a veth into the hub's bridge and a link-local address; the peer is
# reached there, not over the host's loopback. Nothing remains afterwards.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
command -v ip >/dev/null || skip_all "no ip (iproute2)"
cat >net.ini <<'INI'
[global]
reps = 1
duration = 0.4
warmup = 0.1
aggressor_warmup = 0.2
[config ct]
backend = container
namespaces = all
cgroups = fair
[config runc]
backend = oci
runtime = runc
cgroups = fair
[scenario rr]
resource = network
victim = net.rr
aggressor = net.flood-tcp
placements = shared
INI
"$ISOBENCH" run net.ini --out camp >out.txt 2>err.txt; rc=$?
check "the campaign finishes (exit $rc)" [ "$rc" = 0 ]
check "it built the test network itself" grep -q "test network:" err.txt
check "every trial ran ($(q camp "select group_concat(cause) from trial where status <> 'ok'"))" [ "$(q camp "select count(*) from trial where status = 'ok'")" = 4 ]
for cfg in ct runc; do
	own=$(q camp "select json_extract(t.probe_json, '\$.own_namespaces') from trial t join cell c on c.id = t.cell_id where c.config = '$cfg' limit 1")
	check "$cfg: the victim has its own network namespace ($own)" sh -c "echo '$own' | grep -q '\"net\"'"
done
check "net.rr measured transactions in every trial" [ "$(q camp "select count(*) from trial where json_extract(metrics_json, '\$.tps') > 0")" = 4 ]
id=$(q camp "select id from campaign")
check "no tenant namespace, veth or bridge remains" sh -c "! ip netns list | grep -q 'isobench-$id' && ! ip link | grep -q 'isb'"
check "nothing left behind" no_leftovers "$id"
done_testing
