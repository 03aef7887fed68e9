#!/bin/sh
# The shaped link's qdiscs, classes, bridges and veths live only in the
# campaign's two namespaces: after a SIGKILL mid-trial they are still there,
# and the next start removes them all.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
command -v ip >/dev/null || skip_all "no ip (iproute2)"
command -v tc >/dev/null || skip_all "no tc (iproute2)"
cat >long.ini <<'INI'
[global]
reps = 20
duration = 1
warmup = 0.2
aggressor_warmup = 0.2
link_rate = 100M
[config capped]
backend = container
namespaces = net
cgroups = none
capabilities = all
net.rate = 40M
[scenario bw]
resource = network
victim = net.stream
aggressor = net.flood-tcp
aggressor.max_mbit = 200
placements = split
INI
"$ISOBENCH" run long.ini --out k1 >/dev/null 2>k1.err &
pid=$!
check "the campaign records trials" wait_trials k1 2
id=$(sed -n 's/.*campaign \([^:]*\): results.*/\1/p' k1.err)
a=isobench-$id-a
dev=$(ip -n "$a" -o link show type veth 2>/dev/null | sed -n 's/^[0-9]*: \(isb[0-9a-f]*a\)@.*/\1/p' | head -1)
# mid-trial: a tenant's class exists while its trial runs
i=0
while [ $i -lt 50 ] && ! tc -n "$a" class show dev "$dev" 2>/dev/null | grep -q 'rate 40Mbit'; do
	sleep 0.1
	i=$((i + 1))
done
check "the link's htb root is on $dev" sh -c "tc -n '$a' qdisc show dev '$dev' | grep -q 'qdisc htb 1: root'"
check "a tenant's class (40Mbit) exists mid-trial" sh -c "tc -n '$a' class show dev '$dev' | grep -q 'rate 40Mbit'"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
check "after SIGKILL the link's namespaces are still there" sh -c "ip netns list | grep -q '$a'"
start_again k2; rc=$?
check "a new start runs (exit $rc)" [ "$rc" = 0 ]
check "and says it removed leftovers" grep -q "removed .* leftovers of earlier campaigns" k2.err
check "the link's namespaces, qdiscs and tenants' namespaces are gone" sh -c "! ip netns list | grep -q '$id'"
check "no veth or bridge of it remains in the host" sh -c "! ip -o link | grep -q ': isb'"
check "nothing else is left" no_leftovers "$id"
done_testing
