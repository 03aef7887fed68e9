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
libcap-ng-dev libseccomp-dev runc crun runsc"

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
