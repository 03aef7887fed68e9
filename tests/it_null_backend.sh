#!/bin/sh
# The whole harness without privileges: the null backend forks the agent
# in-process, so planning, the barrier, recording and the report run as any
# user. As root the campaign runs as 'nobody' to prove it.
. "$TESTS_SRCDIR/lib.sh"
cd "$WORK" || exit 1
cat >null.ini <<'INI'
[global]
reps = 2
duration = 0.3
warmup = 0.1
aggressor_warmup = 0.1
[config nul]
backend = null
[scenario aa]
resource = cpu
victim = cpu.compute
aggressor = null
placements = shared
INI
chmod 755 "$WORK"
as_user=""
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	as_user="setpriv --reuid=65534 --regid=65534 --clear-groups"
	chown 65534 "$WORK"
fi
$as_user env ISOBENCH_STATE_DIR="$WORK/state" "$ISOBENCH" run null.ini --out "$WORK/camp" >out.txt 2>err.txt; rc=$?
check "a null-backend campaign exits 0${as_user:+ as nobody}" [ "$rc" = 0 ]
[ "$rc" = 0 ] || sed 's/^/# /' err.txt
q camp "select kind, status, cause from trial where status <> 'ok'" | sed 's/^/# /' 
check "4 trials recorded, all ok" [ "$(q camp "select count(*) from trial where status='ok'")" = 4 ]
check "baseline and contended are interleaved 2 and 2" [ "$(q camp "select count(distinct kind) from trial")" = 2 ]
check "campaign is complete" [ "$(q camp "select status from campaign")" = complete ]
check "report.md, cells.csv and trials.csv written" sh -c "[ -s camp/report.md ] && [ -s camp/cells.csv ] && [ -s camp/trials.csv ]"
check "cells.csv has the documented columns" sh -c "head -1 camp/cells.csv | grep -q '^config,backend,resource,scenario,placement,metric,d,d_lo,d_hi,grade,rank'"
check "the schema version is recorded" [ "$(q camp "select value from meta where key='schema_version'")" = 4 ]
check "the seed is recorded" [ -n "$(q camp "select seed from campaign")" ]
q camp "select suite_text from campaign" >suite.txt
check "the suite is recorded" grep -q 'backend = null' suite.txt
q camp "select host_json from campaign" >host.txt
check "the host is recorded" grep -q '"kernel"' host.txt
check "stdout carries one result line per cell" [ "$(wc -l <out.txt)" = 1 ]
# The report can be regenerated elsewhere from a copy, with other thresholds.
cp -r camp copy
"$ISOBENCH" report copy --thresholds 0.5,0.6,0.7,0.9 --quiet; rc=$?
check "report regenerates from a copied directory" sh -c "[ $rc = 0 ] && [ -s copy/report.md ]"
check "the new thresholds are used" grep -q 'thresholds 0.50 / 0.60 / 0.70 / 0.90' copy/report.md
"$ISOBENCH" report copy --thresholds 0.5,0.4 2>err.txt; check "bad thresholds are refused" [ $? = 2 ]
# A campaign directory is never overwritten.
$as_user env ISOBENCH_STATE_DIR="$WORK/state" "$ISOBENCH" run null.ini --out "$WORK/camp" 2>err.txt; rc=$?
check "running into an existing campaign directory exits 2" [ "$rc" = 2 ]
check "nothing left behind" no_leftovers x
done_testing
