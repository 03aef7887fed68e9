#!/bin/sh
# --shard I/N: two shards' cells are disjoint and together are the unsharded plan; each
# store records its shard, the suite's hash and the node; a bad I/N is refused (exit 2).
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
cat >s.ini <<'INI'
[global]
reps = 1
max_reps = 1
duration = 0.2
warmup = 0.05
contended = no
[config native]
backend = native
[config capped]
backend = native
[scenario c1]
resource = cpu
victim = cpu.compute
aggressor = null
placements = shared, split
[scenario c2]
resource = cpu
victim = cpu.compute
aggressor = null
placements = shared
INI
for bad in 0/2 3/2 2 1/0 a/b -1/2 1/2x; do
	"$ISOBENCH" run s.ini --shard "$bad" --out bad >/dev/null 2>bad.err; rc=$?
	check "--shard $bad refused with exit 2 ($rc): $(head -n1 bad.err)" [ "$rc" = 2 -a ! -e bad ]
done
cells="select config || '/' || scenario || '/' || placement from cell order by 1"
for s in 1 2; do
	"$ISOBENCH" run s.ini --shard $s/2 --no-bpf --no-report --out sh$s >/dev/null 2>sh$s.err
	check "shard $s/2 runs (exit $?)" [ -s sh$s/results.db ]
	q sh$s "$cells" >sh$s.cells
done
"$ISOBENCH" run s.ini --no-bpf --no-report --out all >/dev/null 2>all.err
check "the unsharded plan runs (exit $?)" [ -s all/results.db ]
q all "$cells" >all.cells
check "6 cells in the plan" [ "$(wc -l <all.cells)" = 6 ]
check "each shard has 3 of them" [ "$(wc -l <sh1.cells)" = 3 -a "$(wc -l <sh2.cells)" = 3 ]
check "the shards' cells are disjoint" [ -z "$(comm -12 sh1.cells sh2.cells)" ]
sort sh1.cells sh2.cells >union.cells
check "their union is the unsharded plan" cmp -s union.cells all.cells
check "shard 1 has the plan's cells 1, 3, 5 (index mod 2 = 0)" [ "$(q sh1 "select group_concat(config || '/' || scenario || '/' || placement, ' ') from cell order by id")" = "native/c1/shared native/c2/shared capped/c1/split" ]
check "each shard's trials are its cells' (3 each)" [ "$(q sh1 "select count(*) from trial")" = 3 -a "$(q sh2 "select count(*) from trial")" = 3 ]
check "the store records the shard" [ "$(q sh2 "select value from meta where key = 'shard'")" = 2/2 ]
check "the suite's hash (sha256 of its text)" [ "$(q sh1 "select value from meta where key = 'suite_sha256'")" = "$(sha256sum <s.ini | cut -d' ' -f1)" ]
check "the same in both shards and the whole" [ "$(q sh2 "select value from meta where key = 'suite_sha256'")" = "$(q all "select value from meta where key = 'suite_sha256'")" ]
check "and the node" [ "$(q sh1 "select value from meta where key = 'node'")" = "$(uname -n)" ]
check "an unsharded store records no shard" [ -z "$(q all "select value from meta where key = 'shard'")" ]
# a shard interrupted and resumed keeps its share
"$ISOBENCH" run s.ini --shard 2/2 --seed 3 --no-bpf --out rs >/dev/null 2>rs.err &
pid=$!
wait_trials rs 1
kill -KILL "$pid"
wait "$pid" 2>/dev/null
"$ISOBENCH" run --resume rs --no-bpf >/dev/null 2>rs2.err; rc=$?
check "a killed shard resumes (exit $rc)" [ "$rc" = 0 ]
check "with its own share of the cells" cmp -s sh2.cells "$(q rs "$cells" >rs.cells; echo rs.cells)"
check "and its trials, each once" [ "$(q rs "select count(distinct cell_id || kind || rep) || ' ' || count(*) from trial")" = "3 3" ]
check "its report names the shard" grep -q "^| shard | 2/2 |" rs/report.md
check "nothing left behind" no_leftovers x
done_testing
