#!/bin/sh
# The analysis alone, without privileges: 'isobench report' on a copy of a
# checked-in results.db (tests/fixtures/report) writes the expected
# cells.csv, trials.csv and report.md byte for byte, and refuses a missing or
# corrupt results store.
. "$TESTS_SRCDIR/lib.sh"
cd "$WORK" || exit 1
FIX="$TESTS_SRCDIR/fixtures/report"
chmod 755 "$WORK"
mkdir camp
cp "$FIX/results.db" camp/
as_user=""
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
	chown -R 65534 camp
fi
$as_user "$ISOBENCH" report camp >out.txt 2>err.txt; rc=$?
check "report on the fixture exits 0${as_user:+ as nobody}" [ "$rc" = 0 ]
[ "$rc" = 0 ] || sed 's/^/# /' err.txt
for f in cells.csv trials.csv report.md; do
	if cmp -s "$FIX/$f" "camp/$f"; then
		ok "$f is the expected one"
	else
		not_ok "$f is the expected one"
		diff "$FIX/$f" "camp/$f" | head -20 | sed 's/^/# /'
	fi
done
check "the results store is left as it was" cmp -s "$FIX/results.db" camp/results.db

# The technologies table: every seed technology of the taxonomy has a row, measured or
# with why not; a configuration is matched to its row by backend and options.
tech_row() { grep "^| $1 |" camp/report.md | head -1; }
for t in "KVM with cgroups" "Xen" "VirtualBox" "Docker" "Podman" "Flatpak" \
	"gVisor with KVM" "gVisor with ptrace" "bpfContain (BPF-LSM sandbox)"; do
	check "technology row: $t" [ -n "$(tech_row "$t")" ]
done
check "Xen is unavailable with its reason" has_text "$(tech_row Xen)" "unavailable: no isobench backend: Xen"
check "Docker is not in this suite, and the row says how to add it" has_text "$(tech_row Docker)" "not in this suite (a configuration with .technology = docker.)"
check "the native configuration measures native, with a cpu grade" has_text "$(tech_row 'native (no isolation)')" "| native | native (none) | none | [0-4] ([0-9.]*) |"
# A site's own table replaces the built-in one; a bad line is named with its file and line.
printf '[technology apptainer]\nname = Apptainer\nclass = container\nleaves = CT_NS\nseed = yes\n' >site.ini
mkdir site && cp "$FIX/results.db" site/
ISOBENCH_TECHNOLOGIES=$WORK/site.ini "$ISOBENCH" report site >/dev/null 2>&1
check "a site's table (ISOBENCH_TECHNOLOGIES) gives its own rows" grep -q '^| Apptainer | container: CT_NS | - |' site/report.md
check "... and only them" sh -c '! grep -q "^| Xen |" site/report.md'
printf '[technology x]\nname = X\nbogus line\n' >bad.ini
ISOBENCH_TECHNOLOGIES=$WORK/bad.ini "$ISOBENCH" report site >/dev/null 2>&1
check "a bad table line is named with its file and line" grep -q "bad.ini:3: 'bogus line' is not" site/report.md

mkdir empty
"$ISOBENCH" report empty >/dev/null 2>err.txt; rc=$?
check "a directory without results.db is refused (exit $rc)" [ "$rc" != 0 ]
check "... naming the missing file" grep -q 'empty/results.db' err.txt
mkdir corrupt
echo "not a database" >corrupt/results.db
"$ISOBENCH" report corrupt >/dev/null 2>err.txt; rc=$?
check "a corrupt results.db is refused (exit $rc)" [ "$rc" != 0 ]
check "... as not a results store" grep -q 'not an isobench results store' err.txt
check "... and no report is written" [ ! -e corrupt/report.md ]
done_testing
