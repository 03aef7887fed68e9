#!/bin/sh
# The node memory budget: during a scenario's trials the campaign's group (which holds every
# tenant) is limited to the budget, between trials to the ceiling again; every trial records
# the budget it ran under. SIGKILL of the run mid-trial leaves that group with the budget
# written; the next start removes it.
. "$TESTS_SRCDIR/lib.sh"
need_root
case "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" in
cgroup2fs) limit_file=memory.max base=/sys/fs/cgroup ;;
*) limit_file=memory.limit_in_bytes base=/sys/fs/cgroup/memory ;;
esac
[ -d "$base" ] || skip_all "no memory cgroup controller at $base"
cd "$WORK" || exit 1
cat >budget.ini <<'INI'
[global]
reps = 20
duration = 0.5
warmup = 0.1
aggressor_warmup = 0.1
[config native]
backend = native
[scenario rss]
resource = memory
victim = memory.working-set
victim.size_mb = 16
aggressor = null
placements = shared
memory_budget = 256M
INI
budget=268435456

"$ISOBENCH" run budget.ini --out b1 >/dev/null 2>b1.err &
pid=$!
check "the run records trials" wait_trials b1 2
state=$(ls "$ISOBENCH_STATE_DIR")
group="$base/isobench-$state"
# the limit is the budget while a trial runs (it is set back only between trials)
i=0 seen=""
while [ $i -lt 100 ]; do
	v=$(cat "$group/$limit_file" 2>/dev/null)
	[ "$v" = "$budget" ] && { seen=1; break; }
	sleep 0.05
	i=$((i + 1))
done
check "the campaign group $group holds the budget ($v) during a trial" [ -n "$seen" ]
kill -KILL "$pid"
wait "$pid" 2>/dev/null
check "the killed run left its budget group" [ -d "$group" ]
check "every finished trial recorded its budget" \
	[ "$(q b1 "select count(*) from trial where json_extract(attribution_json,'\$.memory.budget_bytes') = $budget")" = "$(q b1 "select count(*) from trial")" ]
check "and said whom the OOM killer chose (none here)" \
	[ "$(q b1 "select count(*) from trial where json_extract(attribution_json,'\$.memory.oom_chose') = 'none'")" -ge 2 ]

start_again b2; rc=$?
check "a new start runs (exit $rc)" [ "$rc" = 0 ]
check "the budget group of the killed run is gone" [ ! -e "$group" ]
check "nothing of the killed run remains" no_leftovers "$state"
done_testing
