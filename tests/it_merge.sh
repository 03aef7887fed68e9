#!/bin/sh
# isobench merge, without privileges: four copies of the report fixture stand for four nodes
# (each its own campaign id; node d's contended native cpu-hog trials run 2.5 times faster:
# a node that disagrees). The merged store keeps every trial and its provenance, its report
# gives per cell one grade from all nodes, the spread of d between nodes, each node's grade,
# and flags node d alone; a merged store merges again; different suites, one campaign twice
# and an existing store are refused.
. "$TESTS_SRCDIR/lib.sh"
cd "$WORK" || exit 1
FIX="$TESTS_SRCDIR/fixtures/report"
command -v sqlite3 >/dev/null || skip_all "needs the sqlite3 shell to make the node stores"
for n in a b c d; do
	mkdir "n$n" && cp "$FIX/results.db" "n$n/" && chmod u+w "n$n/results.db"
	q "n$n" "UPDATE campaign SET id = id || '-$n'"
done
# b a little slower under contention, d much faster: only d disagrees
q nb "UPDATE trial SET metrics_json = json_set(metrics_json, '$.ops_per_s',
	json_extract(metrics_json, '$.ops_per_s') * 0.97) WHERE kind = 'contended'"
q nd "UPDATE trial SET metrics_json = json_set(metrics_json, '$.ops_per_s',
	json_extract(metrics_json, '$.ops_per_s') * 2.5) WHERE kind = 'contended' AND cell_id =
	(SELECT id FROM cell WHERE config = 'native' AND scenario = 'hog')"

"$ISOBENCH" merge out a=na b=nb c=nc d=nd >out.txt 2>err.txt; rc=$?
check "merge of four node stores exits 0 (rc $rc)" [ "$rc" = 0 ]
[ "$rc" = 0 ] || sed 's/^/# /' err.txt
check "it says what it merged" grep -q "4 campaign(s) of 4 node(s), 6 cells, 64 trials" err.txt
check "every trial is kept, once" [ "$(q out 'SELECT count(*) FROM trial')" = 64 ]
check "each trial has its source" [ "$(q out 'SELECT count(*) FROM trial_source JOIN trial ON trial.id = trial_id')" = 64 ]
check "... the right one (node d's trials are the perturbed ones)" [ "$(q out "SELECT count(*) FROM trial t
	JOIN trial_source ts ON ts.trial_id = t.id JOIN source s ON s.id = ts.source_id JOIN cell c ON c.id = t.cell_id
	WHERE s.node = 'd' AND c.config = 'native' AND c.scenario = 'hog' AND t.kind = 'contended'
	AND json_extract(t.metrics_json, '$.ops_per_s') > 4000")" = 2 ]
check "each source keeps its node, kernel, CPU model, topology and campaign" \
	[ "$(q out "SELECT count(*) FROM source WHERE node IN ('a','b','c','d') AND kernel LIKE 'Linux%'
		AND cpu_model != '' AND topology LIKE '%package%' AND campaign_id LIKE '%-_'
		AND ntrials = 16")" = 4 ]
check "the same cells as one campaign (no cell twice)" [ "$(q out 'SELECT count(*) FROM cell')" = 6 ]
check "pairs of different nodes never share a repetition" \
	[ "$(q out "SELECT count(*) FROM (SELECT cell_id, rep, kind FROM trial GROUP BY 1, 2, 3 HAVING count(*) > 1)")" = 0 ]
check "report.md has the nodes section" grep -q '^## Nodes' out/report.md
check "... a row per node with its own grade" \
	sh -c 'for n in a b c d; do grep -q "^| $n | 16 | [0-4] |" out/report.md || exit 1; done'
row=$(grep '^| native | cpu | hog | shared | ops_per_s |' out/report.md)
echo "# $row"
check "the cell's pooled grade, all nodes' d and the spread between nodes" \
	has_text "$row" '| [0-4] | [0-9.]* \[[-0-9.e]*, [0-9.e-]*\] | 4 | [-0-9.e]* | 0.6[0-9]* |'
dmin=$(awk -F, '$1 == "\"d\"" && $2 == "native" && $5 == "hog" { print $8 }' out/nodes.csv)
dmax=$(awk -F, '$1 == "\"a\"" && $2 == "native" && $5 == "hog" { print $8 }' out/nodes.csv)
check "node d's own d ($dmin) is far below node a's ($dmax)" awk -v x="$dmin" -v y="$dmax" 'BEGIN { exit !(x < y - 0.3) }'
check "node d is flagged as the outlier of that cell" has_text "$row" '| d (d [-0-9.e]*) |$'
check "... and only node d, anywhere" [ "$(awk -F, '$12 == 1' out/nodes.csv | cut -d, -f1 | sort -u)" = '"d"' ]
check "the summary names the outlier node" grep -q '^outlier node d: native hog shared' out.txt
check "the pooled report keeps its usual tables" grep -q '^native,native,cpu,hog,shared,ops_per_s,' out/cells.csv

# merged stores merge again: their nodes and provenance carry over
mkdir ne && cp "$FIX/results.db" ne/ && chmod u+w ne/results.db && q ne "UPDATE campaign SET id = id || '-e'"
"$ISOBENCH" merge out2 out e=ne >/dev/null 2>err.txt; rc=$?
check "a merged store merges with another campaign (rc $rc)" [ "$rc" = 0 ]
check "... keeping its four nodes and adding the fifth" \
	[ "$(q out2 "SELECT group_concat(node, '') FROM (SELECT node FROM source ORDER BY id)")" = abcde ]
check "... and every trial" [ "$(q out2 'SELECT count(*) FROM trial_source')" = 80 ]

# refusals
mkdir other && cp "$FIX/results.db" other/ && chmod u+w other/results.db
q other "UPDATE campaign SET id = 'other', suite_text = suite_text || '; changed'"
"$ISOBENCH" merge mixed na other >/dev/null 2>err.txt; rc=$?
check "different suites are refused (exit $rc = 2)" [ "$rc" = 2 ]
check "... saying which stores and what differs" grep -q "na/results.db and other/results.db hold different suites: the suite files differ" err.txt
check "... and no store is left" [ ! -e mixed/results.db ]
"$ISOBENCH" merge mixed --force na other >/dev/null 2>&1; rc=$?
check "--force merges them anyway (rc $rc)" [ "$rc" = 0 ]
"$ISOBENCH" merge twice na na >/dev/null 2>err.txt; rc=$?
check "one campaign twice is refused (exit $rc)" [ "$rc" = 2 ]
check "... naming the campaign" grep -q "are the same campaign" err.txt
"$ISOBENCH" merge out nc >/dev/null 2>err.txt; rc=$?
check "an existing merged store is not overwritten (exit $rc)" [ "$rc" = 2 ]
check "... it says so" grep -q "out/results.db: File exists" err.txt
"$ISOBENCH" merge gone nosuchdir >/dev/null 2>err.txt; rc=$?
check "a missing store is bad usage (exit $rc)" [ "$rc" = 2 ]
check "... naming it" grep -q "nosuchdir/results.db" err.txt
done_testing
