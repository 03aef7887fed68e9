#!/bin/sh
# The campaign's own test network: two namespaces joined by a veth pair with
# link-local addresses, that tenants can talk over; gone after the campaign,
# and gone after a SIGKILL once a new start (or `isobench cleanup`) ran.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
command -v ip >/dev/null || skip_all "no ip (iproute2)"
cat >net.ini <<'INI'
[global]
reps = 3
duration = 1
warmup = 0.1
aggressor_warmup = 0.1
test_network = yes
[config native]
backend = native
[scenario s]
resource = cpu
victim = cpu.compute
aggressor = null
placements = shared
INI
"$ISOBENCH" run net.ini --out camp >/dev/null 2>err.txt &
pid=$!
i=0
while ! grep -q 'test network:' err.txt && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
id=$(sed -n 's/.*campaign \([^:]*\): results.*/\1/p' err.txt)
a=isobench-$id-a
b=isobench-$id-b
check "the campaign's namespaces exist while it runs" sh -c "ip netns list | grep -q '^$a' && ip netns list | grep -q '^$b'"
addr_b=$(ip -n "$b" -4 -o addr show | awk '$2 != "lo" { sub("/.*", "", $4); print $4 }')
check "addresses are link-local ($addr_b)" sh -c "echo '$addr_b' | grep -q '^169\.254\.'"
# A peer in one namespace, a request/response victim in the other.
mkfifo p.in
ip netns exec "$b" "$ISOBENCH_AGENT_BIN" net.peer --role peer --duration 30 --peer "$addr_b" <p.in >p.out &
ppid=$!
exec 3>p.in
port=$(peer_port p.out)
echo go >&3
res=$( (sleep 0.1; echo go; sleep 3) | ip netns exec "$a" "$ISOBENCH_AGENT_BIN" net.rr --duration 0.3 --sample-interval 0 --peer "$addr_b:$port" | tail -1)
check "tenants talk across the test network" sh -c "echo '$res' | grep -q '\"tps\":'"
echo stop >&3
exec 3>&-
wait $ppid
wait $pid; rc=$?
check "the campaign exits 0" [ "$rc" = 0 ]
check "its namespaces are gone" sh -c "! ip netns list | grep -q '$id'"
check "its veth pair is gone" sh -c "! ip -o link | grep -q 'isb'"

# SIGKILL mid-campaign, then a new start cleans up.
"$ISOBENCH" run net.ini --out camp2 >/dev/null 2>err2.txt &
pid=$!
i=0
while ! grep -q 'test network:' err2.txt && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
id=$(sed -n 's/.*campaign \([^:]*\): results.*/\1/p' err2.txt)
kill -KILL $pid
wait $pid 2>/dev/null
check "after SIGKILL the namespaces are still there" sh -c "ip netns list | grep -q '$id'"
"$ISOBENCH" cleanup >/dev/null 2>&1
check "cleanup removes them" sh -c "! ip netns list | grep -q '$id'"
check "and leaves nothing else" no_leftovers "$id"
done_testing
