#!/bin/sh
# Sets up isobench on Debian 12 from a fresh checkout: installs the missing
# Debian packages (build and run dependencies), builds, then
#   ./setup.sh run [ARGS]  runs a campaign (default: the quick suite)
#   ./setup.sh test        builds with -Werror, ASan and UBSan and runs `make check`
#   ./setup.sh build       only builds (an optimised build, e.g. for bench/)
# Run it as root: campaigns need root for pinning into cgroups; apt-get needs it too.
set -eu
cd "$(dirname "$0")"
mode=${1:-build}
[ $# -gt 0 ] && shift

PKGS="build-essential autoconf automake pkg-config clang-format
libhwloc-dev hwloc libpfm4-dev libjson-c-dev libsqlite3-dev sqlite3 libgsl-dev
libcmocka-dev fio util-linux procps iproute2
libcap-ng-dev libseccomp-dev runc crun runsc
libbpf-dev bpftool clang
qemu-system-x86 busybox-static liblzma-dev
docker.io bubblewrap charliecloud-runtime
podman uidmap flatpak dbus"
# Only for `./setup.sh test`: tests/it_slurm.sh starts a private single-node Slurm of
# its own (its own configuration, key and socket; it skips without these packages).
PKGS_SLURM="slurmctld slurmd slurm-client munge"
[ "$mode" != test ] || PKGS="$PKGS $PKGS_SLURM"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
	echo "setup: installing$missing"
	if [ "$(id -u)" != 0 ]; then
		echo "setup: run as root (or install these packages first):$missing" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	apt-get install -y -q --no-install-recommends $missing
fi

# The vm backend's guest kernel: the host's own when /boot has it, else Debian's
# linux-image package, fetched and unpacked (not installed) under the cache.
cache=${ISOBENCH_CACHE:-/var/cache/isobench}
if [ ! -r "/boot/vmlinuz-$(uname -r)" ] && ! ls "$cache"/kernel/*/boot/vmlinuz-* >/dev/null 2>&1; then
	pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | sed -n 's/.*Depends: \(linux-image-[0-9].*\)/\1/p' | head -1)
	if [ -n "$pkg" ] && [ "$(id -u)" = 0 ]; then
		echo "setup: fetching $pkg for the vm backend's guest kernel"
		tmp=$(mktemp -d)
		if (cd "$tmp" && apt-get download -q "$pkg" >/dev/null 2>&1 || {
			apt-get update -q >/dev/null && apt-get download -q "$pkg"
		}) && mkdir -p "$cache/kernel" && dpkg -x "$tmp"/"$pkg"_*.deb "$cache/kernel/$pkg.tmp"; then
			rm -rf "$cache/kernel/$pkg"
			mv "$cache/kernel/$pkg.tmp" "$cache/kernel/$pkg"
		else
			echo "setup: could not fetch $pkg: the vm backend will say it has no guest kernel" >&2
		fi
		rm -rf "$tmp" "$cache/kernel/$pkg.tmp"
	fi
fi

case $mode in
test) flags="--enable-werror --enable-sanitizers" ;;
*) flags="" ;;
esac
# Reconfigure when the flags change, so a test build never passes for a release build.
if [ ! -f Makefile ] || [ ! -f .setup-flags ] || [ "$(cat .setup-flags)" != "$flags" ]; then
	autoreconf -fi
	./configure $flags
	echo "$flags" >.setup-flags
	make clean >/dev/null
fi
make -j"$(nproc)"

case $mode in
build) ;;
run) exec ./isobench run "$@" ;;
test)
	make format-check
	make check "$@"
	;;
*)
	echo "usage: $0 run [ARGS] | test | build" >&2
	exit 2
	;;
esac
