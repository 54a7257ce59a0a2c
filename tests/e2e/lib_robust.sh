# shellcheck shell=sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Checks shared by the reliability and security scenarios (t_ringloss, t_restart, t_churn_verify,
# t_security, t_limits, t_valgrind). Sourced after lib.sh:
#	. "$(dirname "$0")/lib.sh"
#	. "$(dirname "$0")/lib_robust.sh"
#
# Another workload (a benchmark farm, other tests' daemons) may run on the machine at the same
# time: every comparison here is about the scenario's own segments and processes, never about
# the whole machine.

REPLAY=$SHMW_BUILD/tests/shmw-replay
CLIENTS=$SHMW_BUILD/tests/shmw-clients
CHAOS=$SHMW_BUILD/tests/shmw-chaos
for _b in "$REPLAY" "$CLIENTS" "$CHAOS"; do
	if [ ! -x "$_b" ]; then
		fail "missing binary $_b (build it first: make all tests-bin)"
		exit 1
	fi
done

# check_poll NAME SECONDS CMD...: pass when CMD succeeds within SECONDS (polled), else fail.
check_poll() {
	_cpn=$1
	_cps=$2
	shift 2
	if poll "$_cps" "$@" >/dev/null 2>&1; then
		pass "$_cpn"
		return 0
	fi
	fail "$_cpn" "still false after ${_cps}s: $*"
	return 1
}

# status_gt FIELD N: `status` FIELD is greater than N.
status_gt() {
	_sgv=$(status_field "$1") || return 1
	[ "$_sgv" -gt "$2" ] 2>/dev/null
}

# ---- replaying the event log ------------------------------------------------------------------

# rows_who SHMID...: "PID SHMID VMAS" for every holder `who --json` lists (our namespace), sorted.
rows_who() {
	for _rw in "$@"; do
		_rwj=$(sw --json who "$_rw" --ns "$SELF_NS") || {
			echo "who $_rw failed: $_rwj"
			continue
		}
		echo "$_rwj" | "$JSONX" 'holders[]' pid vmas | awk -v s="$_rw" 'NF { print $1, s, $2 }'
	done | sort -k1,1n -k2,2n -k3,3n
}

# rows_replay SHMID...: the same rows, rebuilt from the event log (rotated files first) alone.
rows_replay() {
	_rra=
	for _rr in "$@"; do
		_rra="$_rra --shmid $_rr"
	done
	# shellcheck disable=SC2046,SC2086
	"$REPLAY" --ns "$SELF_NS" $_rra $(log_files) 2>&1 | sort -k1,1n -k2,2n -k3,3n
}

_same_replay() {
	_rp_w=$(rows_who "$@")
	_rp_r=$(rows_replay "$@")
	[ "$_rp_w" = "$_rp_r" ]
}

# check_replay NAME SHMID...: polls until replaying the whole event log gives exactly the holders
# (pid, vmas) that `who` reports for these segments; on failure shows both and their difference.
check_replay() {
	_crpn=$1
	shift
	if poll "$SHMW_WAIT" _same_replay "$@"; then
		pass "$_crpn"
		return 0
	fi
	_same_replay "$@"
	echo "$_rp_w" >"$T/replay.who"
	echo "$_rp_r" >"$T/replay.log"
	fail "$_crpn (shmids $*)" "who rows: $(echo "$_rp_w" | wc -l), replayed rows: $(echo "$_rp_r" |
		wc -l)" "diff who replay:" "$(diff "$T/replay.who" "$T/replay.log" | head -n 40)"
	return 1
}

# ---- the log, process by process ----------------------------------------------------------------

# pid_history SHMID [PID...]: walks the log's attach/vmas/detach lines about SHMID (our namespace)
# and its owner lines, address space by address space, minding which process each names, and
# prints
#	"bad LINE# PID EVENT CAUSE: why"  for a line that does not follow from the ones before it:
#	                                   attach of an address space that held the segment, vmas or
#	                                   detach of one that did not, or a line naming another
#	                                   process than the one the address space was last named
#	                                   for with no owner line in between
#	"owner PID"                       for each owner line naming PID (scenarios without
#	                                   CLONE_VM siblings have none)
#	"held PID"                        for each process named for an address space whose last
#	                                   line says it holds SHMID
# Lines and holders are reported for these PIDs only, when given (every line is followed). An
# address space is named by a process: these lines say which process did what, which a replay
# keyed by address space (rows_replay) does not check. Read by process alone, a log is not
# consistent after lost events: a process that exec'd holds in its new address space while the
# repair of its old one is still to come (the same pid, two address spaces).
pid_history() {
	_phs=$1
	shift
	# shellcheck disable=SC2046
	grep -h -F -e "\"shmid\":$_phs," -e "\"shmid\": $_phs," \
		-e '"event":"owner"' -e '"event": "owner"' $(log_files) </dev/null |
		"$JSONX" . event pid cause vmas ns shmid mm >"$T/history.rows" 2>/dev/null
	_php=" $* "
	awk -v ns="$SELF_NS" -v s="$_phs" -v pids="$_php" '
		function mine(p) { return pids == "  " || index(pids, " " p " ") }
		$1 == "owner" {
			if (pids != "  " && index(pids, " " $2 " ")) print "owner", $2
			name[$7] = $2
			next
		}
		$5 != ns || $6 != s || ($1 != "attach" && $1 != "vmas" && $1 != "detach") { next }
		{
			p = $2; mm = $7
			if (held[mm] && name[mm] != p && (mine(p) || mine(name[mm])))
				printf "bad %d %s %s %s: names the address space of %s without an owner line\n", NR, p, $1, $3, name[mm]
			if ($1 == "attach") {
				if (held[mm] && mine(p)) printf "bad %d %s %s %s: attach while it held the segment\n", NR, p, $1, $3
				held[mm] = 1
			} else if ($1 == "vmas") {
				if (!held[mm] && mine(p)) printf "bad %d %s %s %s: vmas while it did not hold the segment\n", NR, p, $1, $3
				held[mm] = 1
			} else if ($1 == "detach") {
				if (!held[mm] && mine(p)) printf "bad %d %s %s %s: detach of a segment it was not logged holding\n", NR, p, $1, $3
				held[mm] = 0
			}
			name[mm] = p
		}
		END { for (mm in held) if (held[mm] && mine(name[mm])) print "held", name[mm] }' \
		"$T/history.rows" | sort -u | sort -k1,1 -k2,2n
}

# check_pid_history NAME SHMID [PID...]: reads the log process by process (pid_history) and
# checks, polling until the first holds:
#  - NAME: holders  the processes it names as holding SHMID now are exactly those the kernel shows
#                   (among PIDs, when given);
#  - NAME: sequence every line follows from the ones before it for that process, and no owner
#                   line names one of PIDs.
_history_held_ok() {
	_hs=$1
	shift
	_h_all=$(pid_history "$_hs" "$@")
	_h_got=$(echo "$_h_all" | grep '^held ')
	if [ $# -gt 0 ]; then
		_h_want=$("$ORACLE" holders "$_hs" | awk -v pids=" $* " 'index(pids, " " $1 " ") {
			print "held", $1 }' | sort -k1,1 -k2,2n)
	else
		_h_want=$("$ORACLE" holders "$_hs" | awk '{ print "held", $1 }' | sort -k1,1 -k2,2n)
	fi
	[ "$_h_got" = "$_h_want" ]
}

check_pid_history() {
	_chn=$1
	shift
	if poll "$SHMW_WAIT" _history_held_ok "$@"; then
		pass "$_chn: holders"
	else
		_history_held_ok "$@"
		echo "$_h_want" >"$T/history.want"
		echo "$_h_got" >"$T/history.got"
		fail "$_chn: holders (shmid $1)" "diff kernel log-by-process (held: holds at the end):" \
			"$(diff "$T/history.want" "$T/history.got" | grep '^[<>]' | head -n 30)"
	fi
	_h_bad=$(echo "$_h_all" | grep -v '^held ')
	if [ -z "$_h_bad" ]; then
		pass "$_chn: sequence"
		return 0
	fi
	fail "$_chn: sequence (shmid $1; $(echo "$_h_bad" | grep -c .) lines; events lost so far: $(status_field events_lost))" \
		"bad LINE PID EVENT CAUSE: a line that does not follow (LINE: of the log's lines about the segment and owner lines)" \
		"owner PID: an owner line naming the process" "$(echo "$_h_bad" | head -n 20)"
	return 1
}

# ---- verify -------------------------------------------------------------------------------------

# verify_mine NAME "SHMID..." "PID..." ["NS..."]: runs `shmwatch verify` once (the first run
# after the scenario is what counts: a second run would only see what the first one repaired) and
# checks
#  - it answered (exit 0 or 5, "ok":true);
#  - none of its differences is about these segments (a SHMID in our namespace, or NS:SHMID), the
#    segments of these namespaces (NS) or these processes;
#  - it exits 0. Differences about other processes only (another workload's) are listed in a
#    NOTE line and do not fail: this scenario does not own them (the periodic resync may not have
#    repaired their lost events yet, or they changed while verify walked).
verify_mine() {
	_vn=$1
	_vids=" $2 "
	_vpids=" $3 "
	_vnss=" ${4:-} "
	_vlost=$(status_field events_lost)
	# (verify walks every process on the host: more than the default 5 s on a busy one)
	sw --timeout "$(scaled 30)" --json verify >"$T/verify.json" 2>"$T/verify.err"
	_vrc=$?
	if { [ "$_vrc" = 0 ] || [ "$_vrc" = 5 ]; } && [ "$("$JSONX" ok <"$T/verify.json")" = true ]; then
		pass "$_vn: verify answered (exit $_vrc)"
	else
		fail "$_vn: verify answered" "exit $_vrc" "$(head -c 2000 "$T/verify.json")" \
			"$(cat "$T/verify.err")"
		return 1
	fi
	"$JSONX" 'differences[]' event ns shmid pid actor <"$T/verify.json" >"$T/verify.diffs"
	awk -v ids="$_vids" -v pids="$_vpids" -v ns="$SELF_NS" -v nss="$_vnss" '
		($2 == ns && index(ids, " " $3 " ")) || index(ids, " " $2 ":" $3 " ") ||
		index(nss, " " $2 " ") || index(pids, " " $4 " ") ||
		($5 != "<none>" && index(pids, " " $5 " "))' "$T/verify.diffs" >"$T/verify.mine"
	if [ -s "$T/verify.mine" ]; then
		fail "$_vn: verify found no difference about our segments and processes" \
			"event ns shmid pid actor:" "$(head -n 30 "$T/verify.mine")" \
			"$(grep -c . "$T/verify.mine") such differences; answer in $T/verify.json"
		return 1
	fi
	pass "$_vn: verify found no difference about our segments and processes"
	if [ "$_vrc" = 0 ]; then
		pass "$_vn: verify exits 0"
	else
		echo "NOTE $TEST_NAME: $_vn: verify exited 5 for $(grep -c . "$T/verify.diffs") differences about other processes only (events lost so far: $_vlost):"
		head -n 5 "$T/verify.diffs" | sed 's/^/    /'
	fi
}

# ---- users ----------------------------------------------------------------------------------------

# as_user_exec UID GID CMD...: as_user (no other groups), the shell replaced by CMD: in the
# background as (as_user_exec UID GID CMD...) &, so that $! is CMD's own pid (to signal it, and
# for reap to kill it).
as_user_exec() {
	_aue=$1
	_aug=$2
	shift 2
	exec "$SHMW_BUILD/tests/shmw-runas" "$_aue" "$_aug" "$@"
}

# as_user UID GID [--groups G,...] CMD...: runs CMD with that uid/gid and no other groups (or
# these), with no capabilities.
as_user() {
	_auu=$1
	_aug=$2
	shift 2
	"$SHMW_BUILD/tests/shmw-runas" "$_auu" "$_aug" "$@"
}
