#!/bin/sh
# contrib/slurm on a local single-node Slurm: this test configures Debian's slurmctld,
# slurmd and munged for localhost in its own directory (its own key, socket, ports, spool,
# state and logs; no system-wide configuration or service is touched), starts them (by
# pid), submits through contrib/slurm/submit.sh a 2-task job array of a short suite with
# --shard and the dependent merge job, and checks that the merged cells are the plan of
# the unsharded suite. It stops what it started, by pid, and removes its files. Its Slurm
# part skips, with the reason, where Slurm cannot start. First, without Slurm, the task
# and merge scripts under a task's environment: a requeued task, the merge job's refusals.
. "$TESTS_SRCDIR/lib.sh"
need_root
cd "$WORK" || exit 1
# a short suite: 3 cells of the native backend
cat >s.ini <<'INI'
[global]
reps = 1
max_reps = 1
duration = 0.3
warmup = 0.05
aggressor_warmup = 0.05
[config native]
backend = native
[scenario c1]
resource = cpu
victim = cpu.compute
aggressor = cpu.hog
placements = shared, split
[scenario c2]
resource = cpu
victim = cpu.compute
aggressor = null
placements = shared
INI
CONTRIB=$TESTS_SRCDIR/../contrib/slurm
cells="select config || '/' || scenario || '/' || placement from cell order by 1"

# Without Slurm: a task's script under a task's environment, and the merge job's checks.
# Task 1 of job 99 requeued from node a to node b: node a's directory is set aside.
mkdir -p fake/99/1-nodea
echo partial >fake/99/1-nodea/results.db
SLURM_ARRAY_JOB_ID=99 SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_MAX=1 \
	SLURM_ARRAY_TASK_COUNT=2 SLURMD_NODENAME=nodeb ISOBENCH_RUNS=fake \
	sh "$CONTRIB/isobench-shard.sbatch" s.ini --no-bpf --no-report >task.out 2>task.err
rc=$?
check "a task's script runs its shard into <job>/<task>-<node> (exit $rc)" \
	[ "$(q fake/99/1-nodeb "select value from meta where key = 'shard'")" = 2/2 ]
check "a requeued task's directory from another node is set aside" \
	[ ! -e fake/99/1-nodea -a "$(cat fake/99/requeued.*.1-nodea/results.db)" = partial ]
SLURM_ARRAY_JOB_ID=99 SLURM_ARRAY_TASK_ID=1 SLURM_ARRAY_TASK_MIN=0 SLURM_ARRAY_TASK_MAX=3 \
	SLURM_ARRAY_TASK_COUNT=2 sh "$CONTRIB/isobench-shard.sbatch" s.ini >task2.out 2>&1
rc=$?
check "ids that are not consecutive are refused (exit $rc): $(cat task2.out)" [ $rc = 2 ]
ISOBENCH_TASKS=2 sh "$CONTRIB/isobench-merge.sbatch" fake/99 >merge1.out 2>&1
rc=$?
check "the merge job refuses a missing task (exit $rc): $(tail -n 1 merge1.out)" \
	[ $rc = 1 -a ! -e fake/99/merged ]
cp -r fake/99/1-nodeb fake/99/1-nodec
ISOBENCH_TASKS=2 sh "$CONTRIB/isobench-merge.sbatch" fake/99 >merge2.out 2>&1
rc=$?
check "and a task twice (exit $rc): $(tail -n 1 merge2.out)" [ $rc = 1 -a ! -e fake/99/merged ]

# skip_rest REASON: the Slurm part cannot run here
skip_rest() {
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP $1"
	done_testing
	exit 0
}
for p in slurmctld slurmd sbatch scontrol squeue scancel sinfo munged; do
	command -v $p >/dev/null ||
		skip_rest "no $p (Debian: slurmctld slurmd slurm-client munge, which ./setup.sh test installs)"
done
steps_before=$(pgrep -c -x slurmstepd)
S=$WORK/slurm
mkdir -p "$S/munge" "$S/state" "$S/spool" "$S/log"
chmod 700 "$S/munge"
export SLURM_CONF="$S/slurm.conf"
munged_pid="" ctld_pid="" slurmd_pid=""
stop_slurm() {
	if [ -n "$ctld_pid" ] && alive "$ctld_pid"; then
		scancel --quiet --user=root --partition=isbtest 2>/dev/null
		i=0 # the jobs end (their slurmstepd with them) before the daemons do
		while [ -n "$(squeue -h -p isbtest 2>/dev/null)" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
	fi
	for p in $slurmd_pid $ctld_pid $munged_pid; do
		alive "$p" && kill -TERM "$p"
		i=0
		while alive "$p" && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
		alive "$p" && kill -KILL "$p"
		wait "$p" 2>/dev/null
	done
	slurmd_pid="" ctld_pid="" munged_pid=""
}
trap 'stop_slurm; [ -n "$KEEP" ] || rm -rf "$WORK"' EXIT
trap 'exit 1' INT TERM
# skip_slurm REASON: stop what started, show its logs, skip
skip_slurm() {
	for f in "$S"/log/*.log; do
		[ -s "$f" ] && tail -n 5 "$f" | sed "s|^|# $(basename "$f"): |"
	done
	stop_slurm
	skip_rest "$1"
}
# why DAEMON: the last line it wrote (its output, else its log)
why() {
	f=$S/log/$1.out
	[ -s "$f" ] || f=$S/log/$1.log
	tail -n 1 "$f" 2>/dev/null
}
# a free TCP port on loopback from $1 on
free_port() {
	p=$1
	while ss -Htln "sport = :$p" | grep -q . || ss -Htan "sport = :$p" | grep -q .; do p=$((p + 1)); done
	echo "$p"
}

dd if=/dev/urandom of="$S/munge/munge.key" bs=1024 count=1 2>/dev/null
chmod 400 "$S/munge/munge.key"
munged -F --force --socket="$S/munge/munge.socket" --key-file="$S/munge/munge.key" \
	--pid-file="$S/munge/munged.pid" --seed-file="$S/munge/munged.seed" \
	--log-file="$S/log/munged.log" >"$S/log/munged.out" 2>&1 &
munged_pid=$!
i=0
while [ ! -S "$S/munge/munge.socket" ] && [ $i -lt 50 ] && alive "$munged_pid"; do sleep 0.1; i=$((i + 1)); done
[ -S "$S/munge/munge.socket" ] || skip_slurm "munged did not start: $(tail -n 1 "$S/log/munged.out")"

ctld_port=$(free_port 16817)
slurmd_port=$(free_port $((ctld_port + 1)))
cat >"$SLURM_CONF" <<CONF
ClusterName=isbtest
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$S/munge/munge.socket
StateSaveLocation=$S/state
SlurmdSpoolDir=$S/spool
SlurmctldPidFile=$S/slurmctld.pid
SlurmdPidFile=$S/slurmd.pid
SlurmctldLogFile=$S/log/slurmctld.log
SlurmdLogFile=$S/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/linear
SchedulerType=sched/builtin
SlurmdParameters=config_overrides
ReturnToService=2
MinJobAge=600
NodeName=localhost NodeAddr=127.0.0.1 CPUs=2 State=UNKNOWN
PartitionName=isbtest Nodes=localhost Default=YES MaxTime=10 State=UP
CONF
slurmctld -D -i -f "$SLURM_CONF" >"$S/log/slurmctld.out" 2>&1 &
ctld_pid=$!
slurmd -D -N localhost -f "$SLURM_CONF" >"$S/log/slurmd.out" 2>&1 &
slurmd_pid=$!
i=0 # the node registers and is idle
while ! sinfo -h -n localhost -o %T 2>/dev/null | grep -q '^idle' && [ $i -lt 300 ]; do
	alive "$ctld_pid" || skip_slurm "slurmctld did not start: $(why slurmctld)"
	alive "$slurmd_pid" || skip_slurm "slurmd did not start: $(why slurmd)"
	sleep 0.1
	i=$((i + 1))
done
sinfo -h -n localhost -o %T 2>/dev/null | grep -q '^idle' ||
	skip_slurm "the local node did not become idle in 30 s ($(sinfo -h -n localhost -o '%T %E' 2>&1))"
ok "a local Slurm runs (slurmctld $ctld_pid, slurmd $slurmd_pid, munged $munged_pid)"

SUBMIT=$CONTRIB/submit.sh
"$SUBMIT" shard -n 2 -r runs s.ini --no-bpf >submit.out 2>submit.err; rc=$?
check "submit.sh submits the array and the merge job (exit $rc)" [ "$rc" = 0 ]
[ "$rc" = 0 ] || sed 's/^/# /' submit.err
array=$(sed -n 's/^array_job=//p' submit.out)
merge=$(sed -n 's/^merge_job=//p' submit.out)
merged=$(sed -n 's/^merged=//p' submit.out)
check "it prints their ids ($array, $merge) and the merged directory" \
	[ -n "$array" -a -n "$merge" -a "$merged" = "$WORK/runs/$array/merged" ]
check "the merge job waits for the array (afterok)" \
	sh -c "scontrol show job '$merge' | grep -q 'Dependency=afterok:${array}_\*'"
# every job ends (at most 150 s): a job's record stays while MinJobAge runs
state() { scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | sort -u | tr '\n' ' '; }
# wait_job ID: until the job has ended (at most 150 s)
wait_job() {
	i=0
	while [ $i -lt 1500 ]; do
		case $(state "$1") in
		*PENDING* | *RUNNING* | *CONFIGURING* | *COMPLETING* | '') ;;
		*) return 0 ;;
		esac
		sleep 0.1
		i=$((i + 1))
	done
}
wait_job "$merge"
check "the array's two tasks completed ($(state "$array"))" [ "$(state "$array")" = "COMPLETED " ]
check "then the merge job completed ($(state "$merge"))" [ "$(state "$merge")" = "COMPLETED " ]
if [ "$(state "$merge")" != "COMPLETED " ]; then # the jobs' own output says why
	for f in runs/*.out "$S"/log/slurmctld.log; do
		[ -s "$f" ] && tail -n 6 "$f" | sed "s|^|# $(basename "$f"): |"
	done
fi
node=localhost
check "each task's directory is named by job, task and node" \
	[ -s "runs/$array/0-$node/results.db" -a -s "runs/$array/1-$node/results.db" ]
check "task 0 ran shard 1/2, task 1 shard 2/2" \
	[ "$(q "runs/$array/0-$node" "select value from meta where key = 'shard'")" = 1/2 -a \
	"$(q "runs/$array/1-$node" "select value from meta where key = 'shard'")" = 2/2 ]
check "the merge job wrote one store and its report" [ -s "$merged/results.db" -a -s "$merged/report.md" ]
"$ISOBENCH" run s.ini --no-bpf --no-report --out all >/dev/null 2>all.err
check "the unsharded suite runs here (exit $?)" [ -s all/results.db ]
q all "$cells" >all.cells
q "$merged" "$cells" >merged.cells
check "its plan has 3 cells" [ "$(wc -l <all.cells)" = 3 ]
check "the merged cells are the plan of the unsharded suite" cmp -s merged.cells all.cells
check "the merged store holds both shards' trials, each once" \
	[ "$(q "$merged" "select count(*) from trial")" = "$(($(q "runs/$array/0-$node" "select count(*) from trial") + $(q "runs/$array/1-$node" "select count(*) from trial")))" ]
check "as many trials as the unsharded campaign" \
	[ "$(q "$merged" "select count(*) from trial")" = "$(q all "select count(*) from trial")" ]
check "it keeps each shard's node and campaign" \
	[ "$(q "$merged" "select count(distinct campaign_id) from source where node = '$(uname -n)'")" = 2 ]
check "the merged report has its cells" [ "$(grep -c '^| native | cpu | c[12] |' "$merged/report.md")" -ge 3 ]
# the other use: a whole campaign per task (here both on the one node), then the merge
"$SUBMIT" node -n 2 -r nodes s.ini --no-bpf >node.out 2>node.err; rc=$?
check "submit.sh node submits (exit $rc)" [ "$rc" = 0 ]
array=$(sed -n 's/^array_job=//p' node.out)
merge=$(sed -n 's/^merge_job=//p' node.out)
merged=$(sed -n 's/^merged=//p' node.out)
wait_job "$merge"
check "its array and merge job completed ($(state "$array")/$(state "$merge"))" \
	[ "$(state "$array")" = "COMPLETED " -a "$(state "$merge")" = "COMPLETED " ]
for t in 0 1; do
	check "task $t ran the whole plan, unsharded" \
		[ "$(q "nodes/$array/$t-$node" "$cells" | cmp -s - all.cells && echo y)" = y -a \
		-z "$(q "nodes/$array/$t-$node" "select value from meta where key = 'shard'")" ]
done
check "the merged store has the plan's cells, with both campaigns' trials" \
	[ "$(q "$merged" "$cells" | cmp -s - all.cells && echo y)" = y -a \
	"$(q "$merged" "select count(*) from trial")" = $((2 * $(q all "select count(*) from trial"))) ]
# a task that fails: the merge job never runs (afterok, --kill-on-invalid-dep)
"$SUBMIT" shard -n 2 -r bad no-such-suite.ini >bad.out 2>bad.err
array=$(sed -n 's/^array_job=//p' bad.out)
merge=$(sed -n 's/^merge_job=//p' bad.out)
wait_job "$merge"
check "failed tasks ($(state "$array")) cancel the merge job ($(state "$merge"))" \
	[ "$(state "$array")" = "FAILED " -a "$(state "$merge")" = "CANCELLED " -a ! -e "bad/$array/merged" ]
pids="$slurmd_pid $ctld_pid $munged_pid"
stop_slurm
none_alive() { for p; do ! alive "$p" || return 1; done; }
# shellcheck disable=SC2086 # three pids, split on purpose
check "the daemons are stopped" none_alive $pids
check "no job step is left" [ "$(pgrep -c -x slurmstepd)" = "$steps_before" ]
check "nothing left behind" no_leftovers x
done_testing
