#!/bin/sh
# Safety of the container class: SIGKILL of `isobench run` while container,
# runc and crun tenants run, then a new start: no cgroup (in any hierarchy),
# mount, network namespace, bundle, runtime state or process of the killed
# run remains. SIGINT stops cleanly and leaves nothing either.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
cat >long.ini <<'INI'
[global]
reps = 20
duration = 0.6
warmup = 0.1
aggressor_warmup = 0.1
[config ct]
backend = container
namespaces = all
cgroups = partitioned
[config runc]
backend = oci
runtime = runc
cgroups = fair
[config crun]
backend = oci
runtime = crun
cgroups = capped
[scenario hog]
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

# cgroups of a campaign in every hierarchy
cgroups_of() { ls -d /sys/fs/cgroup/isobench-"$1" /sys/fs/cgroup/*/isobench-"$1" 2>/dev/null; }

"$ISOBENCH" run long.ini --out k1 >/dev/null 2>k1.err &
pid=$!
check "first run records trials" wait_trials k1 4
sleep 0.3
state=$(ls "$ISOBENCH_STATE_DIR")
check "the campaign has its cgroups while it runs" [ -n "$(cgroups_of "$state")" ]
kill -KILL "$pid"
wait "$pid" 2>/dev/null
sleep 0.5
echo "# left by the killed run: $(cgroups_of "$state" | wc -l) cgroups, netns: $(ip netns list | grep -c "isobench-$state"), state: $(ls "$ISOBENCH_STATE_DIR/$state" | tr '\n' ' ')"
check "the killed run left its test network behind (hub and tenant namespaces, veths)" sh -c "ip netns list | grep -q 'isobench-$state'"
start_again k2; rc=$?
check "a new start runs (exit $rc)" [ "$rc" = 0 ]
check "the killed run's state directory (bundles, runtime state) is gone" [ ! -d "$ISOBENCH_STATE_DIR/$state" ]
check "no cgroup, mount, netns or process of the killed run remains" no_leftovers "$state"
check "its finished trials are kept" [ "$(q k1 "select count(*) from trial where status='ok'")" -ge 4 ]

"$ISOBENCH" run long.ini --out i1 >/dev/null 2>i1.err &
pid=$!
wait_trials i1 3
sleep 0.3
state=$(ls "$ISOBENCH_STATE_DIR")
kill -INT "$pid"
wait "$pid"; rc=$?
check "SIGINT exits 130 ($rc)" [ "$rc" = 130 ]
check "nothing left behind after SIGINT" no_leftovers "$state"
done_testing
