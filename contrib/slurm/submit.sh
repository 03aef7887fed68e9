#!/bin/sh
# Submits an isobench job array and its dependent merge job to Slurm, and prints their ids.
#   submit.sh node  -n N [-p PARTITION] [-r RUNS] [-s 'SBATCH OPTIONS'] SUITE [RUN OPTIONS...]
#       one whole campaign of SUITE on each of N nodes (a site evaluation)
#   submit.sh shard -n N [-p PARTITION] [-r RUNS] [-s 'SBATCH OPTIONS'] SUITE [RUN OPTIONS...]
#       SUITE split into N shards (--shard I/N), one task each
# Task I's campaign goes to RUNS/<array job id>/<I>-<node>/ (RUNS: default ./runs); the merge
# job (--dependency=afterok: it runs once every task has succeeded) writes
# RUNS/<array job id>/merged/ (results.db, report.md). Slurm's own logs go to RUNS/.
# It prints three lines: array_job=ID, merge_job=ID, merged=DIR.
# isobench: $ISOBENCH, else the build beside this script, else on PATH.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
usage() {
	sed -n '2,6s/^# \{0,1\}//p' "$0" >&2
	exit 2
}
[ $# -ge 1 ] || usage
mode=$1
shift
case $mode in
node | shard) ;;
*) usage ;;
esac
n="" partition="" runs=runs sbatch_opts=""
while getopts n:p:r:s: o; do
	case $o in
	n) n=$OPTARG ;;
	p) partition=$OPTARG ;;
	r) runs=$OPTARG ;;
	s) sbatch_opts=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 1 ] || usage
case $n in
'' | *[!0-9]* | 0*)
	echo "submit.sh: -n N: a number of tasks from 1 is needed, got '$n'" >&2
	exit 2
	;;
esac
suite=$1
shift
# the jobs run elsewhere: absolute paths for what they are handed
[ ! -f "$suite" ] || suite=$(cd "$(dirname "$suite")" && pwd)/$(basename "$suite")
if [ -z "${ISOBENCH:-}" ]; then
	if [ -x "$here/../../isobench" ]; then
		ISOBENCH=$(cd "$here/../.." && pwd)/isobench
	else
		ISOBENCH=$(command -v isobench) || {
			echo "submit.sh: no isobench: set ISOBENCH, build it beside contrib/, or put it on PATH" >&2
			exit 1
		}
	fi
fi
mkdir -p "$runs"
ISOBENCH_RUNS=$(cd "$runs" && pwd)
ISOBENCH_TASKS=$n # the merge job checks it has them all
export ISOBENCH ISOBENCH_RUNS ISOBENCH_TASKS
set -- "$suite" "$@"
part=""
[ -z "$partition" ] || part="--partition=$partition"
# $part and $sbatch_opts are split on spaces on purpose (options, no paths)
# shellcheck disable=SC2086
array=$(sbatch --parsable --export=ALL $part $sbatch_opts --array="0-$((n - 1))" \
	--output="$ISOBENCH_RUNS/isobench-%A_%a.out" "$here/isobench-$mode.sbatch" "$@")
array=${array%%;*} # "id;cluster" on a federation
# shellcheck disable=SC2086
merge=$(sbatch --parsable --export=ALL $part $sbatch_opts --dependency="afterok:$array" \
	--kill-on-invalid-dep=yes --output="$ISOBENCH_RUNS/isobench-merge-%j.out" \
	"$here/isobench-merge.sbatch" "$ISOBENCH_RUNS/$array")
merge=${merge%%;*}
echo "array_job=$array"
echo "merge_job=$merge"
echo "merged=$ISOBENCH_RUNS/$array/merged"
