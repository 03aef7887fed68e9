#!/bin/sh
# A/A: cpu.compute against the null aggressor in 20 cells. Contended equals
# baseline: this is the harness's false-alarm rate on a noisy machine. No
# cell may grade below minor (3), and at least 85 % (17 of 20) must grade 4;
# on these shared machines a noisy hour gave 17 of 20 at grade 4 (the other
# three just above 0.05: upper bounds 0.056-0.075), a quiet one 20 of 20.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
"$ISOBENCH" run aa --out camp >out.txt 2>err.txt; rc=$?
check "A/A campaign exits 0" [ "$rc" = 0 ]
[ "$rc" = 0 ] || sed 's/^/# /' err.txt
cells=$(awk -F, 'NR > 1 && $6 == "ops_per_s"' camp/cells.csv | wc -l)
iso=$(awk -F, 'NR > 1 && $6 == "ops_per_s" && $12 == 4' camp/cells.csv | wc -l)
echo "# $iso of $cells cells graded 4 (isolated)"
awk -F, 'NR > 1 && $6 == "ops_per_s" && $12 != 4 { print "# not isolated: " $4 "/" $5 " d=" $7 " [" $8 ", " $9 "]" }' camp/cells.csv
check "20 cells" [ "$cells" = 20 ]
minor=$(awk -F, 'NR > 1 && $6 == "ops_per_s" && $12 >= 3' camp/cells.csv | wc -l)
check "no false alarm above minor: 20 of 20 grade 3 or 4 ($minor)" [ "$minor" = 20 ]
check "at least 17 of 20 grade isolated ($iso)" [ "$iso" -ge 17 ]
done_testing
