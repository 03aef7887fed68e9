#!/bin/sh
# suites/seed.ini, the taxonomy's technologies: it parses; with PATH stripped of every
# tool it needs (docker, dockerd, podman, flatpak, bwrap, ch-run, runsc, qemu) each of those
# configurations is "unavailable: reason" and the rest (native, the Landlock sandbox) runs,
# and report.md still has a row for every seed technology, with its reason; BPF-LSM is
# unavailable with the kernel's refusal where the kernel refuses lsm/ programs. Then the
# engines of the seed (Docker, Podman rootful and rootless, Flatpak, Landlock) run one short
# cpu cell each, and after the campaign, and after a SIGKILL of the harness plus the next
# start, this test lists what isobench could leave and finds none of it: a container,
# image, storage, network or volume of its engines, a private dockerd, a Flatpak
# installation, a user it created, a BPF program, and the usual cgroups, mounts, netns and
# processes.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
SEED="$TESTS_SRCDIR/../suites/seed.ini"
# rootless podman reaches its storage under the state directory: search only
chmod 711 "$WORK"

# What a campaign could leave of the seed's engines (one line each, none: nothing printed).
seed_left() {
	id=$1
	d="$ISOBENCH_STATE_DIR/$id"
	pgrep -af -- "$d" | grep -v pgrep | sed 's/^/process naming its state: /'
	[ ! -e "$d" ] || echo "state directory: $d"
	ls -d /run/isbp-"$id"-* 2>/dev/null | sed 's/^/podman runroot link: /'
	getent passwd "isb-$id" | sed 's/^/user: /'
	grep "^isb-$id:" /etc/subuid 2>/dev/null | sed 's/^/subordinate ids: /'
	pgrep -af "isobench-$id" | grep -v pgrep | sed 's/^/container or tenant: /'
	! command -v bpftool >/dev/null || bpftool prog show 2>/dev/null | grep -o 'name isb_[a-z_]*' | sed 's/^/BPF program: /'
	for f in /var/lib/flatpak "$HOME/.local/share/flatpak"; do
		find "$f" -name 'org.isobench*' 2>/dev/null | sed 's/^/flatpak installation: /'
	done
	grep -- "$d" /proc/self/mountinfo | sed 's/^/mount: /'
}
nothing_left() {
	l=$(seed_left "$1")
	[ -z "$l" ] || { printf '%s\n' "$l" | sed 's/^/# left: /'; return 1; }
	no_leftovers "$1"
}

# 1. PATH without the tools: those configurations are unavailable, the rest runs.
path_without notools docker dockerd podman flatpak bwrap ch-run runsc qemu-system-x86_64
PATH="$WORK/notools" "$ISOBENCH" run "$SEED" --resources cpu --reps 1 --max-reps 1 --duration 0.2 \
	--out nt >nt.out 2>nt.err
rc=$?
check "seed.ini without its tools still runs (exit $rc)" [ "$rc" = 0 ]
for c in docker podman podman-rootless flatpak bwrap charliecloud gvisor-ptrace qemu-tcg container-in-vm; do
	why=$(q nt "select unavailable_reason from config where name = '$c'")
	check "$c: ${why:-available}" has_text "$why" "^unavailable: .*\(not in PATH\|not found in PATH\|not installed\|no qemu\)"
done
for c in native landlock; do
	n=$(q nt "select count(*) from trial t join cell c on c.id = t.cell_id where c.config = '$c' and t.status = 'ok'")
	check "$c ran its trials ($n)" [ "${n:-0}" -ge 2 ]
done
bpf=$(q nt "select unavailable_reason from config where name = 'bpf-lsm'")
if has_text "$bpf" "refused"; then
	check "BPF-LSM is unavailable with the kernel's refusal ($bpf)" has_text "$bpf" "load of lsm[.s]*/[a-z_]* refused"
else
	ok "BPF-LSM: this kernel loads lsm/ programs (${bpf:-available})"
fi
# every seed technology has a row; one that did not run says why
for t in "KVM with cgroups" "Xen" "VirtualBox" "Docker" "Podman" "Flatpak" "gVisor with KVM" \
	"gVisor with ptrace" "bpfContain (BPF-LSM sandbox)"; do
	row=$(grep "^| $t |" nt/report.md | head -1)
	check "report row: $t" [ -n "$row" ]
done
check "Docker's row names why it did not run" grep -q "^| Docker | .*| unavailable: " nt/report.md
check "the Landlock sandbox's row is measured" grep -q "^| Landlock sandbox | .*| measured |" nt/report.md
check "the leaves each probe saw are those declared" sh -c '! grep -q MISMATCH nt/report.md'
check "nothing left behind" nothing_left "$(q nt 'select id from campaign')"

# 2. The engines of the seed for real: one short cpu cell each, then a SIGKILL mid-run.
have() { command -v "$1" >/dev/null; }
backends=container
have dockerd && backends="$backends,docker"
have podman && have newuidmap && backends="$backends,podman"
have flatpak && backends="$backends,flatpak"
echo "# engines here: $backends"
"$ISOBENCH" run "$SEED" --backends "$backends" --resources cpu --reps 1 --max-reps 1 \
	--duration 0.2 --out en >en.out 2>en.err
rc=$?
check "the engines' campaign finishes (exit $rc)" [ "$rc" = 0 ]
bad=$(q en "select count(*) from config c where c.available = 1 and c.name <> 'native' and not exists (select 1 from trial t join cell x on x.id = t.cell_id where x.config = c.name and t.status = 'ok')")
check "every available engine ran its cell ($bad did not)" [ "$bad" = 0 ]
echo "# configurations: $(q en "select group_concat(name || '=' || available, ' ') from config")"
check "nothing of the engines is left after the campaign" nothing_left "$(q en 'select id from campaign')"

"$ISOBENCH" run "$SEED" --backends "$backends" --resources cpu --reps 20 --max-reps 20 \
	--duration 0.5 --out k1 >/dev/null 2>k1.err &
pid=$!
check "the long run records trials" wait_trials k1 2
state=$(q k1 'select id from campaign')
kill -KILL "$pid"
wait "$pid" 2>/dev/null
sleep 0.5
echo "# left by the killed run: $(seed_left "$state" | wc -l) things"
start_again k2
rc=$?
check "a new start runs (exit $rc)" [ "$rc" = 0 ]
check "after the next start nothing of the killed run is left" nothing_left "$state"
done_testing
