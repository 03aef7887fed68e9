#!/bin/sh
# The hypervisor class's Must show, shortened: native beside QEMU/TCG VMs
# with virtio and with emulated devices on cpu, memory and disk. Every cell
# grades; every victim's probe inside its guest saw the hypervisor leaves its
# configuration declared; boot time is the VMs' start-up time in the report;
# accel = kvm either runs (its guests probe KVM) or says why not (the probe's reason, or
# QEMU's words); the guest image is cached by
# content (a second build reuses it, a changed agent rebuilds it); no QEMU
# process, disk image or cgroup remains.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
need_vm

# the cache: built, found again, rebuilt for another agent (own cache, the host's kernels)
mkdir -p cache
ln -s "${ISOBENCH_CACHE:-/var/cache/isobench}/kernel" cache/kernel
cp "$(dirname "$ISOBENCH")/isobench-agent" agent
img() { ISOBENCH_CACHE=$WORK/cache ISOBENCH_AGENT=$WORK/agent "$ISOBENCH" probe 2>&1 | sed -n 's/^  guest image *//p'; }
first=$(img)
second=$(img)
echo "# first: $first"
echo "# second: $second"
check "the first probe builds the guest image" has_text "$first" ' built '
check "a second probe finds it in the cache" has_text "$second" ' cached '
h1=$(echo "$first" | cut -d' ' -f1)
check "... the same image ($h1)" [ "$h1" = "$(echo "$second" | cut -d' ' -f1)" ]
printf 'x' >>agent
third=$(img)
echo "# after the agent changed: $third"
h3=$(echo "$third" | cut -d' ' -f1)
check "a changed agent rebuilds it ($h3)" has_text "$third $([ "$h3" != "$h1" ] && echo new)" ' built .* new$'

cat >vm.ini <<'INI'
[global]
reps = 1
duration = 1
warmup = 0.2
aggressor_warmup = 0.5
[config native]
backend = native
[config tcg-virtio]
backend = vm
accel = tcg
devices = virtio
time_scale = 2
[config tcg-emulated]
backend = vm
accel = tcg
devices = emulated
time_scale = 2
[config kvm]
backend = vm
accel = kvm
[scenario cpu]
resource = cpu
victim = cpu.compute
aggressor = cpu.hog
placements = shared
[scenario memory]
resource = memory
victim = memory.working-set
victim.size_mb = 64
aggressor = memory.bandwidth
placements = split
[scenario disk]
resource = disk
victim = disk.randread
victim.size_mb = 64
aggressor = disk.seqwrite
aggressor.size_mb = 128
placements = split
INI
"$ISOBENCH" run vm.ini --out camp >out.txt 2>err.txt; rc=$?
sed 's/^/# /' out.txt
grep -e '^vm:' -e 'config kvm' err.txt | sed 's/^/# /'
check "the campaign finishes (exit $rc)" [ "$rc" = 0 ]
leaves() { q camp "select group_concat(distinct coalesce(t.probed_leaves, '?')) from trial t join cell c on c.id = t.cell_id where c.config = '$1' and t.status = 'ok'"; }
# accel = kvm: it runs where /dev/kvm creates a VM and the guest boots; else the reason is
# the probe's for /dev/kvm, or QEMU's or the guest console's words
devkvm=$("$ISOBENCH" probe 2>&1 | sed -n 's|^  /dev/kvm *||p')
echo "# probe: /dev/kvm $devkvm"
kvm=$(q camp "select available from config where name='kvm'")
# says_why REASON: QEMU failed or the guest did not boot, with QEMU's or the console's words
says_why() {
	printf '%s\n' "$1" | grep -Eq 'accel = kvm: /dev/kvm creates a VM, but (QEMU failed to run the guest|the guest did not boot within [0-9]+ s) \((qemu|console): ' &&
		! printf '%s\n' "$1" | grep -Eq '(qemu|console): nothing; (qemu|console): nothing\)'
}
if [ "$kvm" = 1 ]; then
	check "accel = kvm runs on this host, where the probe says /dev/kvm creates a VM" has_text "$devkvm" '^creates a VM'
	check "kvm's guests probe HV_TYPE1,HV_PARA,HV_HWA ($(leaves kvm))" [ "$(leaves kvm)" = HV_TYPE1,HV_PARA,HV_HWA ]
	n=9
else
	reason=$(q camp "select unavailable_reason from config where name='kvm'")
	if has_text "$devkvm" '^creates a VM'; then
		check "accel = kvm is unavailable: the guest did not run, in QEMU's or the console's words ($reason)" says_why "$reason"
	else
		check "accel = kvm is unavailable for the probe's reason ($reason)" sh -c 'printf "%s\n" "$1" | grep -qF "accel = kvm: $2"' _ "$reason" "${devkvm#unavailable: }"
	fi
	n=6
	# a campaign of nothing but KVM cannot run a cell here: it fails, and says why
	sed -n '1,/^aggressor_warmup/p' vm.ini >kvm.ini
	printf '[config kvm]\nbackend = vm\naccel = kvm\n[scenario cpu]\nresource = cpu\nvictim = cpu.compute\naggressor = cpu.hog\nplacements = shared\n' >>kvm.ini
	"$ISOBENCH" run kvm.ini --out kvmonly >/dev/null 2>kvm.err; rc=$?
	check "a KVM-only campaign exits 1 here ($rc)" [ "$rc" = 1 ]
	check "... naming why KVM cannot run" grep -q 'config kvm: unavailable: accel = kvm' kvm.err
fi
# Under TCG a guest's disk victim reads a fraction of native's IOPS and its STREAM aggressor
# moves a few % of native's bytes (CPU-bound in the emulator): such a cell is set apart as
# "not demonstrated: weak victim / weak aggressor", never ranked as isolation.
graded=$(awk "$CSV_AWK"'F["cell_grade"] != "" || F["verdict"] ~ /^not demonstrated: weak (victim|aggressor)/ { print F["config"] "/" F["scenario"] }' camp/cells.csv | sort -u | grep -c -v '^native/')
check "every VM cell grades or is set apart as not demonstrated ($graded of $n)" [ "$graded" = "$n" ]
awk "$CSV_AWK"'F["verdict"] != "" { print "# " F["config"] "/" F["scenario"] ": " F["verdict"] }' camp/cells.csv | sort -u
check "every native cell grades" [ "$(awk "$CSV_AWK"'F["config"] == "native" && F["cell_grade"] != "" { print F["scenario"] }' camp/cells.csv | sort -u | wc -l)" = 3 ]
check "tcg-virtio's guests probe HV_TYPE2,HV_FULL,HV_PARA ($(leaves tcg-virtio))" [ "$(leaves tcg-virtio)" = HV_TYPE2,HV_FULL,HV_PARA ]
check "tcg-emulated's guests probe HV_TYPE2,HV_FULL ($(leaves tcg-emulated))" [ "$(leaves tcg-emulated)" = HV_TYPE2,HV_FULL ]
vendor=$(q camp "select distinct json_extract(probe_json, '$.hypervisor_vendor') from trial t join cell c on c.id = t.cell_id where c.config like 'tcg-%' and t.status = 'ok'")
check "the guests' CPUID says TCG ($vendor)" [ "$vendor" = TCGTCGTCGTCG ]
check "the report sets declared beside probed leaves" grep -q '| tcg-emulated | vm | hypervisor | HV_TYPE2,HV_FULL | HV_TYPE2,HV_FULL | ok |' camp/report.md
boot=$(sed -n 's/^| tcg-virtio | vm | \([0-9.]*\) ms |.*/\1/p' camp/report.md)
check "boot time is the VMs' start-up time in the report ($boot ms, more than native's)" sh -c "[ -n '$boot' ] && awk 'BEGIN { exit !($boot > 500) }'"
# the victim's vCPU ran through its window (2.4 s; QEMU's main thread alone is nearly idle):
# its thread is counted (at least a fifth of the window, whatever else the machine runs)
tc=$(q camp "select cast(max(json_extract(t.counters_json, '$.task_clock_ns.value')) as int) from trial t join cell c on c.id = t.cell_id where c.config = 'tcg-virtio' and c.scenario = 'cpu' and t.kind = 'baseline'")
check "the counters watched the victim's vCPU thread (task clock $tc ns >= 0.5 s)" [ "${tc:-0}" -ge 500000000 ]
check "the guest image came from the cache or was built once" [ "$(grep -c 'guest image .* built' err.txt)" -le 1 ]
id=$(q camp "select id from campaign")
check "no QEMU process remains" sh -c "! pgrep -f '[q]emu-system.*isobench-$id' >/dev/null"
check "no disk image remains" sh -c "! find camp -name 'vm-*.img' | grep -q ."
check "nothing left behind" no_leftovers "$id"
done_testing
