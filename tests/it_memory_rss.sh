#!/bin/sh
# Memory RSS under a node budget. The victim holds 32 MiB anonymous + 128 MiB of file pages;
# the memory bomb grows to 1.5 x the 384 MiB budget in 96 MiB workers.
#   native: all share the budget. Where the bomb held more than budget - victim's set, the
#   kernel had to take at least (bomb + 160 MiB - 384 MiB) of the victim's file pages (no
#   swap: anonymous pages cannot go): at the window's end under half of its file part is
#   cached, or it re-read at least 256 pages (1 MiB), or it was OOM-killed / starved. Its
#   baseline (alone, set < budget) re-reads next to nothing (at most 64 pages: the
#   agent's own text).
#   fair: each side is limited to half the budget (192 MiB), the victim's 160 MiB set fits
#   in its half, so the bomb's reclaim stays in its own group: the victim keeps its pages
#   (at most 64 major faults, >= 95 % still cached).
. "$TESTS_SRCDIR/lib.sh"
need_root
[ -d /sys/fs/cgroup/memory ] || [ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] ||
	skip_all "no memory cgroup controller"
cd "$WORK" || exit 1
cat >rss.ini <<'INI'
[global]
reps = 2
duration = 1
warmup = 0.2
aggressor_warmup = 2
[config native]
backend = native
[config fair]
backend = container
namespaces = none
cgroups = fair
capabilities = all
[scenario rss]
resource = memory
victim = memory.working-set
victim.size_mb = 32
victim.file_mb = 128
aggressor = memory.bomb
aggressor.workers = 6
placements = split
memory_budget = 384M
INI
"$ISOBENCH" run rss.ini --out r1 >r1.out 2>r1.err; rc=$?
check "the campaign runs (exit $rc)" [ "$rc" = 0 ]
grep -q "config fair: unavailable" r1.err && skip_all "$(grep 'config fair' r1.err)"
T="select t.status, coalesce(json_extract(t.metrics_json,'\$.major_faults'),-1),
	coalesce(json_extract(t.metrics_json,'\$.file_cached_pct'),-1),
	coalesce(json_extract(t.aggressor_json,'\$.metrics.resident_mb'),0),
	json_extract(t.attribution_json,'\$.memory.oom_chose'), coalesce(t.cause,'')
	from trial t join cell c on c.id = t.cell_id"
q r1 "$T" | sed 's/^/# /'
# baselines: the set fits in the budget, nothing takes it
bad=$(q r1 "$T where t.kind = 'baseline' and (t.status != 'ok' or
	json_extract(t.metrics_json,'\$.major_faults') > 64)")
check "no baseline victim re-reads its pages${bad:+: $bad}" [ -z "$bad" ]
# native beside the bomb: where the bomb's set plus the victim's exceed the budget
n=0 bad=""
for row in $(q r1 "$T where c.config = 'native' and t.kind = 'contended'" | tr ' ' '_'); do
	st=${row%%|*} rest=${row#*|} maj=${rest%%|*} rest=${rest#*|} cached=${rest%%|*} rest=${rest#*|}
	agg=${rest%%|*} rest=${rest#*|} chose=${rest%%|*} cause=${rest#*|}
	[ "${agg%.*}" -gt $((384 - 160)) ] || continue # the bomb never pressed: nothing to judge
	n=$((n + 1))
	if [ "$st" = ok ]; then
		[ "${maj%.*}" -ge 256 ] || [ "${cached%.*}" -lt 50 ] || bad="$bad $row"
	else
		has_text "$cause" "OOM\|major.faults\|timed.out" || [ "$chose" = victim ] || bad="$bad $row"
	fi
done
check "native: the bomb pressed in $n contended trials" [ "$n" -ge 1 ]
check "native: the victim lost its pages there (major faults, OOM or starved)${bad:+:$bad}" [ -z "$bad" ]
# fair: the victim's half holds its set
bad=$(q r1 "$T where c.config = 'fair' and t.kind = 'contended' and (t.status != 'ok' or
	json_extract(t.metrics_json,'\$.major_faults') > 64 or
	json_extract(t.metrics_json,'\$.file_cached_pct') < 95)")
check "fair: the victim keeps its set beside the bomb${bad:+: $bad}" [ -z "$bad" ]
check "fair: the bomb was held in its own half (OOM kills there, none of the victim)" \
	[ "$(q r1 "select count(*) from trial t join cell c on c.id = t.cell_id where c.config = 'fair'
		and json_extract(t.attribution_json,'\$.memory.oom_chose') = 'victim'")" = 0 ]
check "the campaign group is gone" no_leftovers "$(q r1 "select id from campaign")"
done_testing
