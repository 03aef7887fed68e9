#!/bin/sh
# A victim that fails is recorded as failed with its cause, never as a
# number: killed, timed out, non-zero exit. One that fails in its baseline
# trials too makes its cell "not measurable" (nothing was measured, so no
# grade and no rank); one that fails only beside the aggressor grades 0.
# A stand-in agent (ISOBENCH_AGENT) misbehaves on purpose; the aggressor is
# the real one, and tells the victim it is alive through a pid file.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
cat >fake-agent <<EOF2
#!/bin/sh
# argv: STRESSOR --role=ROLE ...
case "\$2" in --role=aggressor) echo \$\$ >"$WORK/aggressor.pid"; exec "$ISOBENCH_AGENT_BIN" "\$@" ;; esac
if [ "\$FAKE_MODE" = contended ]; then
	# misbehave only while an aggressor runs
	kill -0 "\$(cat "$WORK/aggressor.pid" 2>/dev/null)" 2>/dev/null && FAKE_MODE=kill || exec "$ISOBENCH_AGENT_BIN" "\$@"
fi
echo '{"event":"ready","stressor":"'"\$1"'","role":"victim","pid":'\$\$'}'
read go
case "\$FAKE_MODE" in
kill) kill -KILL \$\$ ;;
hang) sleep 600 ;;
exit) echo '{"event":"error","message":"disk on fire"}'; exit 5 ;;
garbage) echo 'this is not json'; exit 0 ;;
esac
EOF2
chmod +x fake-agent
cat >f.ini <<'INI'
[global]
reps = 2
duration = 0.3
warmup = 0.05
aggressor_warmup = 0.05
grace = 1
[config native]
backend = native
[scenario s]
resource = cpu
victim = cpu.compute
aggressor = null
placements = shared
INI
for mode in kill hang exit garbage; do
	FAKE_MODE=$mode ISOBENCH_AGENT="$WORK/fake-agent" "$ISOBENCH" run f.ini --out "c-$mode" >out.txt 2>err.txt; rc=$?
	check "$mode: the campaign still completes (exit $rc)" [ "$rc" = 0 ]
	check "$mode: every trial recorded as failed" [ "$(q "c-$mode" "select count(*) from trial where status='failed'")" = 4 ]
	check "$mode: no metric stored for a failed victim" [ "$(q "c-$mode" "select count(*) from trial where metrics_json is not null")" = 0 ]
	cause=$(q "c-$mode" "select cause from trial limit 1")
	case $mode in
	kill) want="killed by signal 9" ;;
	hang) want="timed out" ;;
	exit) want="disk on fire" ;;
	garbage) want="not JSON" ;;
	esac
	check "$mode: the cause says '$want' ($cause)" sh -c "echo '$cause' | grep -q '$want'"
	check "$mode: failing alone too, the cell is not measurable" sh -c "grep -q '^| native | native | cpu | s | shared | not measurable | not measurable: the victim failed in 2 of 2 baseline' c-$mode/report.md"
	check "$mode: ... and gets no grade in cells.csv" [ "$(awk "$CSV_AWK"'FNR == 2 { print F["cell_grade"] }' "c-$mode/cells.csv")" = "" ]
	check "$mode: the report lists the failed trials" grep -q "^- trial 1 " "c-$mode/report.md"
	id=$(q "c-$mode" "select id from campaign")
	check "$mode: nothing left behind" no_leftovers "$id"
done
FAKE_MODE=contended ISOBENCH_AGENT="$WORK/fake-agent" "$ISOBENCH" run f.ini --out c-cont >out.txt 2>err.txt; rc=$?
check "contended only: the campaign completes (exit $rc)" [ "$rc" = 0 ]
check "contended only: the baseline trials are ok" [ "$(q c-cont "select count(*) from trial where kind='baseline' and status='ok'")" = 2 ]
check "contended only: the contended trials failed" [ "$(q c-cont "select count(*) from trial where kind='contended' and status='failed'")" = 2 ]
check "contended only: the cell grades 0" sh -c "grep -q '^| native | native | cpu | s | shared | \*\*0\*\* none' c-cont/report.md"
check "contended only: nothing left behind" no_leftovers "$(q c-cont "select id from campaign")"
done_testing
