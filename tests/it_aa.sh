#!/bin/sh
# A/A: cpu.compute against the null aggressor in 20 cells. Contended equals
# baseline: this is the harness's false-alarm rate on a noisy machine. The
# paired design (each baseline next to its contended trial) cancels the host's
# drift, and grades come from the point estimate, so a victim with no
# aggressor must not grade below minor: a median loss of 15 % over adjacent
# pairs in random order has no physical cause here. The share graded
# isolated is printed (the suite's target is >= 95 %), not asserted: how
# often noise crosses 0.05 depends on the machine, and a test must not.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
"$ISOBENCH" run aa --out camp >out.txt 2>err.txt; rc=$?
check "A/A campaign exits 0" [ "$rc" = 0 ]
[ "$rc" = 0 ] || sed 's/^/# /' err.txt
cells=$(awk "$CSV_AWK"'F["metric"] == "ops_per_s"' camp/cells.csv | wc -l)
iso=$(awk "$CSV_AWK"'F["metric"] == "ops_per_s" && F["cell_grade"] == 4' camp/cells.csv | wc -l)
echo "# A/A: $iso of $cells cells graded 4 (isolated)"
awk "$CSV_AWK"'F["metric"] == "ops_per_s" { printf "# %s/%s d=%s [%s, %s] grade %s pairs %s\n", F["scenario"], F["placement"], F["d"], F["d_lo"], F["d_hi"], F["cell_grade"], F["n_pairs"] }' camp/cells.csv
check "20 cells" [ "$cells" = 20 ]
minor=$(awk "$CSV_AWK"'F["metric"] == "ops_per_s" && F["cell_grade"] >= 3' camp/cells.csv | wc -l)
check "no false alarm below minor: 20 of 20 grade 3 or 4 ($minor)" [ "$minor" = 20 ]
pairs=$(awk "$CSV_AWK"'F["metric"] == "ops_per_s" && (F["n_pairs"] < 6 || F["n_pairs"] > 12)' camp/cells.csv | wc -l)
check "every cell has 6 to 12 complete pairs (reps 6, max_reps 12)" [ "$pairs" = 0 ]
order=$(sqlite3 camp/results.db "SELECT count(*) FROM trial a JOIN trial b ON a.cell_id = b.cell_id AND a.rep = b.rep AND a.kind <> b.kind WHERE abs(a.seq - b.seq) <> 1")
check "the two trials of every pair are adjacent" [ "$order" = 0 ]
done_testing
