# The preamble the bench scripts share, sourced (POSIX sh) after their `set`:
#   . "$(dirname "$0")/lib.sh"
# top: the source tree; ISOBENCH: the isobench to measure (this tree's unless set).
top=$(cd "$(dirname "$0")/.." && pwd)
ISOBENCH=${ISOBENCH:-$top/isobench}

# bench_need_build: an isobench is built, and a sanitizer build is named as such.
bench_need_build() {
	[ -x "$ISOBENCH" ] || { echo "build first: ./setup.sh build" >&2; exit 2; }
	if ldd "$ISOBENCH" | grep -q libasan; then
		echo "warning: a sanitizer build; its numbers are not the product's (./setup.sh build)" >&2
	fi
}

# bench_workdir NAME: work, a new directory /tmp/isobench-NAME.XXXXXX, removed at exit (a
# script with more to undo sets its own EXIT trap afterwards, removing it too).
bench_workdir() {
	work=$(mktemp -d "/tmp/isobench-$1.XXXXXX")
	trap 'rm -rf "$work"' EXIT
}
