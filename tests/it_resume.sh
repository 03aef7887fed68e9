#!/bin/sh
# isobench run --resume: a campaign SIGKILLed halfway and resumed ends with exactly its
# planned trials, none run twice, in the seeded order an uninterrupted campaign of the same
# seed runs; its status is complete and its report one campaign's. A resume refuses (exit
# 2) a suite changed since, naming the line; a complete campaign; options given again.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
cat >r.ini <<'INI'
[global]
reps = 2
max_reps = 2
duration = 0.3
warmup = 0.05
aggressor_warmup = 0.05
[config native]
backend = native
[scenario hog]
resource = cpu
victim = cpu.compute
aggressor = cpu.hog
placements = shared, split
[scenario calm]
resource = cpu
victim = cpu.compute
aggressor = null
placements = shared
INI
planned=12 # 3 cells x 2 pairs x 2 trials (max_reps = reps: no adaptive rounds)

"$ISOBENCH" run r.ini --seed 11 --no-bpf --out k1 >/dev/null 2>k1.err &
pid=$!
wait_trials k1 5 # an odd count: the kill lands in the middle of a pair
kill -KILL "$pid"
wait "$pid" 2>/dev/null
before=$(q k1 "select count(*) from trial")
kept=$(q k1 "select group_concat(id) from (select t.id from trial t where (select count(*) from trial u where u.cell_id = t.cell_id and u.rep = t.rep) = 2 order by t.id)")
check "the killed campaign stored part of its plan ($before of $planned)" [ "$before" -ge 5 -a "$before" -lt "$planned" ]
check "and is not complete" [ "$(q k1 "select status from campaign")" = running ]

# a suite changed since the campaign began: refused, naming the difference
cp r.ini r.ini.orig
sed -i 's/^duration = 0.3/duration = 0.4/' r.ini
"$ISOBENCH" run --resume k1 --no-bpf >/dev/null 2>ch.err; rc=$?
check "a resume with a changed suite refuses with exit 2 ($rc)" [ "$rc" = 2 ]
check "naming the change" grep -q "changed since campaign .*line 4: was 'duration = 0.3', now 'duration = 0.4'" ch.err
check "and runs nothing" [ "$(q k1 "select count(*) from trial")" = "$before" ]
cp r.ini.orig r.ini
"$ISOBENCH" run --resume k1 --reps 3 >/dev/null 2>opt.err; rc=$?
check "a resume given the campaign's options again refuses with exit 2 ($rc)" [ "$rc" = 2 ]

"$ISOBENCH" run --resume k1 --no-bpf >/dev/null 2>k1r.err; rc=$?
check "the resume runs to its end (exit $rc)" [ "$rc" = 0 ]
n=$(q k1 "select count(*) from trial")
check "exactly the planned trials after the resume ($n of $planned)" [ "$n" = "$planned" ]
dups=$(q k1 "select count(*) from (select cell_id, kind, rep from trial group by 1, 2, 3 having count(*) > 1)")
check "no cell/kind/rep twice ($dups)" [ "$dups" = 0 ]
pairs=$(q k1 "select count(*) from (select cell_id, rep from trial group by 1, 2 having count(*) = 2 and sum(kind = 'baseline') = 1)")
check "every pair whole ($pairs of 6)" [ "$pairs" = 6 ]
seqs=$(q k1 "select count(distinct seq) || ' ' || min(seq) || ' ' || max(seq) from trial")
check "seq runs 1 to $planned without a gap ($seqs)" [ "$seqs" = "$planned 1 $planned" ]
now=$(q k1 "select group_concat(id) from (select id from trial where id in (${kept:-0}) order by id)")
check "the whole pairs stored before the kill were kept, not rerun" [ "$now" = "$kept" ]
if [ $((before % 2)) = 1 ]; then
	check "the half pair was dropped and run again whole" grep -q "resume: .* 1 trial of unfinished pairs dropped" k1r.err
fi
check "the campaign is complete" [ "$(q k1 "select status from campaign")" = complete ]
check "one campaign row" [ "$(q k1 "select count(*) from campaign")" = 1 ]
check "the store records the resume" [ "$(q k1 "select json_array_length(value) from meta where key = 'resumed'")" = 1 ]
check "its report says so" grep -q "^| resumed | 1 time" k1/report.md
check "nothing left behind" no_leftovers x

# the same seed uninterrupted: the same trials in the same order
"$ISOBENCH" run r.ini --seed 11 --no-bpf --no-report --out ref >/dev/null 2>ref.err
order="select group_concat(cell_id || kind || rep, ' ') from (select * from trial order by seq)"
check "the resumed campaign ran the seeded order of an uninterrupted one" [ "$(q k1 "$order")" = "$(q ref "$order")" ]

"$ISOBENCH" run --resume k1 >/dev/null 2>done.err; rc=$?
check "a complete campaign is not resumed (exit $rc)" [ "$rc" = 2 ]
check "saying it is complete" grep -q "is complete: nothing to resume" done.err
"$ISOBENCH" run r.ini --out k1 >/dev/null 2>again.err; rc=$?
check "nor overwritten by a new run (exit $rc)" [ "$rc" = 2 ]
done_testing
