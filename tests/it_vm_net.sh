#!/bin/sh
# VMs on the campaign's test network: a TCP request/response victim against
# TCP streams, every VM (and its peer) on a tap bridged into the test
# network, with virtio-net and with e1000. The cells grade, the victims
# talked to their peers' guest addresses, and no network namespace, tap,
# veth or QEMU process remains.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
need_vm
cat >net.ini <<'INI'
[global]
reps = 1
duration = 1
warmup = 0.2
aggressor_warmup = 0.5
[config tcg-virtio]
backend = vm
devices = virtio
time_scale = 2
[config tcg-emulated]
backend = vm
devices = emulated
time_scale = 2
[scenario rr]
resource = network
victim = net.rr
aggressor = net.flood-tcp
placements = split
INI
"$ISOBENCH" run net.ini --out camp >out.txt 2>err.txt; rc=$?
sed 's/^/# /' out.txt
grep -e 'failed' -e 'error' err.txt | head -5 | sed 's/^/# /'
check "the campaign finishes (exit $rc)" [ "$rc" = 0 ]
graded=$(awk "$CSV_AWK"'F["cell_grade"] != "" { print F["config"] }' camp/cells.csv | sort -u | wc -l)
check "both network cells grade ($graded of 2)" [ "$graded" = 2 ]
ok_trials=$(q camp "select count(*) from trial where status = 'ok'")
check "every trial ran ($ok_trials of 4)" [ "$ok_trials" = 4 ]
peer=$(q camp "select distinct json_extract(info_json, '$.peer') from trial where status = 'ok' limit 1")
echo "# a victim's peer: $peer"
check "the victims talked to a guest on the test network ($peer)" sh -c "echo '$peer' | grep -q '^169\.254\.'"
tps=$(q camp "select min(json_extract(metrics_json, '$.tps')) from trial where status = 'ok'")
check "request/response went through ($tps transactions/s)" awk "BEGIN { exit !($tps > 0) }"
id=$(q camp "select id from campaign")
check "no QEMU process remains" sh -c "! pgrep -f '[q]emu-system.*isobench-$id' >/dev/null"
check "no network namespace, tap, veth or cgroup remains" no_leftovers "$id"
done_testing
