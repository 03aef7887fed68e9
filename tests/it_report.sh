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
