# TAP helpers for the integration tests: they run the real binaries and
# assert on what a user sees (exit codes, files, results, leftovers).
tap_n=0
ok() { tap_n=$((tap_n + 1)); echo "ok $tap_n - $1"; }
not_ok() { tap_n=$((tap_n + 1)); echo "not ok $tap_n - $1"; }
# check DESCRIPTION COMMAND...: ok if the command succeeds
check() {
	desc=$1
	shift
	if "$@"; then ok "$desc"; else not_ok "$desc"; fi
}
skip_all() { echo "1..0 # SKIP $1"; exit 0; }
done_testing() { echo "1..$tap_n"; }  # failures are counted from the not-ok lines
need_root() { [ "$(id -u)" = 0 ] || skip_all "needs root (native backend, cgroups)"; }
# the vm backend's tests skip, with its reason, where it cannot run (no QEMU, no guest kernel)
need_vm() {
	why=$("$ISOBENCH" probe 2>&1 | sed -n 's/^  vm *unavailable: //p')
	[ -z "$why" ] || skip_all "vm backend unavailable: $why"
}

: "${ISOBENCH:?run through make check}"
WORK=$(mktemp -d /tmp/isobench-test.XXXXXX)
export ISOBENCH_STATE_DIR="$WORK/state"
trap '[ -n "$KEEP" ] || rm -rf "$WORK"' EXIT

# has_text TEXT PATTERN: does TEXT hold PATTERN (grep -i)?
has_text() { printf '%s\n' "$1" | grep -qi -e "$2"; }

# start_again DIR: a new campaign after a killed one (its start cleans what the killed one
# left): one short native trial into DIR; its exit status
start_again() {
	cat >tiny.ini <<'INI'
[global]
reps = 1
duration = 0.2
warmup = 0.05
aggressor_warmup = 0.05
[config native]
backend = native
[scenario hog]
resource = cpu
victim = cpu.compute
aggressor = null
placements = shared
INI
	"$ISOBENCH" run tiny.ini --out "$1" >/dev/null 2>"$1.err"
}

# path_without DIR TOOL...: DIR, a directory of links to every program of the usual PATH
# directories but the TOOLs (the first of a name wins, as in PATH): PATH=DIR is a host
# without them
path_without() {
	pw_dir=$1
	shift
	mkdir -p "$pw_dir"
	for pw_d in /usr/local/sbin /usr/local/bin /usr/sbin /usr/bin /sbin /bin; do
		for pw_f in "$pw_d"/*; do
			pw_b=${pw_f##*/}
			case " $* " in *" $pw_b "*) continue ;; esac
			[ -e "$pw_dir/$pw_b" ] || ln -s "$pw_f" "$pw_dir/$pw_b"
		done
	done
}

# without_tools BACKEND TOOL...: a native and a BACKEND configuration run with PATH
# stripped of the TOOLs: the campaign finishes, BACKEND is "unavailable: ... not in PATH"
# and the native cell runs (three checks)
without_tools() {
	wt_b=$1
	shift
	path_without "no$wt_b" "$@"
	printf '[global]\nreps = 1\nduration = 0.2\nwarmup = 0.05\naggressor_warmup = 0.05\n[config native]\nbackend = native\n[config %s]\nbackend = %s\n[scenario cpu]\nresource = cpu\nvictim = cpu.compute\naggressor = null\nplacements = shared\n' "$wt_b" "$wt_b" >"no$wt_b.ini"
	PATH="$WORK/no$wt_b" "$ISOBENCH" run "no$wt_b.ini" --out "no$wt_b.out" >"no$wt_b.txt" 2>&1
	wt_rc=$?
	check "without $wt_b in PATH the campaign still runs (exit $wt_rc)" [ "$wt_rc" = 0 ]
	wt_why=$(q "no$wt_b.out" "select unavailable_reason from config where name = '$wt_b'")
	check "$wt_b is unavailable with the reason ($wt_why)" has_text "$wt_why" 'not in PATH'
	wt_ok=$(q "no$wt_b.out" "select count(*) from trial t join cell c on c.id = t.cell_id where c.config = 'native' and t.status = 'ok'")
	check "the native cell ran ($wt_ok trials)" [ "$wt_ok" -ge 2 ]
}

# SQL on a campaign's results.db
q() { sqlite3 "$1/results.db" "$2"; }

# CSV_AWK: awk code that reads cells.csv and trials.csv by column name. Prepend it to a
# program: each data row's fields are then in F["column"] (a quoted field read whole, with
# its commas and doubled quotes; numbers compare as numbers); header rows are skipped, per
# file. E.g. awk "$CSV_AWK"'F["metric"] == "ops_per_s" { print F["d"] }' camp/cells.csv
CSV_AWK='
function csv_split(s, out,    n, i, ch, q, v) {
	n = 0; v = ""; q = 0
	for (i = 1; i <= length(s); i++) {
		ch = substr(s, i, 1)
		if (q && ch == "\"" && substr(s, i + 1, 1) == "\"") { v = v ch; i++ }
		else if (ch == "\"") q = !q
		else if (!q && ch == ",") { out[++n] = csv_value(v); v = "" }
		else v = v ch
	}
	out[++n] = csv_value(v)
	return n
}
# a field as awk reads one: a number compares as a number, "" as the empty string
function csv_value(v,    t) { if (v == "") return ""; split(v, t, "\001"); return t[1] }
FNR == 1 { ncol = csv_split($0, csv_name); next }
{ for (csv_i in F) delete F[csv_i]; csv_split($0, csv_row); for (csv_i = 1; csv_i <= ncol; csv_i++) F[csv_name[csv_i]] = csv_row[csv_i] }
'

# csv_col FILE NAME: the column NAME of every data row of a CSV file, one a line
csv_col() { awk -v name="$2" "$CSV_AWK"'{ print F[name] }' "$1"; }

# A number from cells.csv: field of the row for scenario/placement/metric
cell_field() { # dir scenario placement metric column
	awk -v s="$2" -v p="$3" -v m="$4" -v c="$5" "$CSV_AWK"'
		F["scenario"] == s && F["placement"] == p && F["metric"] == m { print F[c]; exit }' "$1/cells.csv"
}

# Nothing of campaign $1 may remain: state directory (bundles, runtime state, root
# directories), cgroups in any hierarchy, mounts, network namespaces, veths, processes.
no_leftovers() {
	id=$1
	[ -z "$(ls -A "$ISOBENCH_STATE_DIR" 2>/dev/null)" ] || { echo "# state left: $(ls "$ISOBENCH_STATE_DIR")"; return 1; }
	for d in /sys/fs/cgroup /sys/fs/cgroup/*; do
		[ ! -e "$d/isobench-$id" ] || { echo "# cgroup left: $d/isobench-$id"; return 1; }
	done
	! grep -q -e "isobench-$id" -e "$ISOBENCH_STATE_DIR" /proc/self/mountinfo || { echo "# mount left"; return 1; }
	! ip netns list 2>/dev/null | grep -q "isobench-$id" || { echo "# netns left"; return 1; }
	! ip link 2>/dev/null | grep -q ': isb' || { echo "# veth left: $(ip link | grep ': isb')"; return 1; }
	! pgrep -f "isobench-$id" >/dev/null || { echo "# process left: $(pgrep -af "isobench-$id")"; return 1; }
	return 0
}

# Is a process with this pid alive (and not a zombie)?
alive() { [ -e "/proc/$1" ] && ! grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null; }

# peer_port FILE: wait (5 s at most) for a net.peer's ready line in FILE; print its port
peer_port() {
	i=0
	while ! grep -q '"port"' "$1" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
	sed -n 's/.*"port":"\([0-9]*\)".*/\1/p' "$1"
}

# wait_trials DIR N: until DIR/results.db holds N trials (at most 60 s)
wait_trials() {
	i=0
	while [ $i -lt 600 ]; do
		c=$(sqlite3 "$1/results.db" "select count(*) from trial" 2>/dev/null || echo 0)
		[ "${c:-0}" -ge "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}
