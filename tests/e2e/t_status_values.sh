#!/bin/sh
# The values of `shmwatch status`, not only their types (t_status checks those). The daemon sees
# every process of the machine, so its totals move with other people's work too; each value is
# checked against something that moves with it:
#  - started and uptime_s: the clock around the start;
#  - clients: this scenario's own connections (a follower, and the status request itself);
#  - events_logged: the lines of the event log; attachments, address_spaces and segments: the first
#    events_logged lines of the log give when replayed (one answer is one moment, and the log
#    is in the order the daemon counted); our own holders among them as the kernel has them;
#  - events: at least the ring records our own holders made;
#  - resyncs: the daemon's "resync (...)" lines (one per pass), two of them `shmwatch verify`;
#  - log_errors: 0; and every line with --log-file /dev/full (a device is never replayed at
#    start-up: it reads zeros for ever).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# started and uptime_s.
B0=$(date -u +%s)
start_daemon --log-max-bytes 0 || finish # the log is compared line by line: never rotated
B1=$(date -u +%s)
STARTED=$(status_field started)
S=$(secs_of "$STARTED" | cut -d. -f1)
check "started ($STARTED) is when it started ($B0..$B1)" num_in "$S" "$B0" "$((B1 + 1))"
up_ok() {
	_u=$(status_field uptime_s)
	_n=$(date -u +%s)
	num_in "$_u" "$((_n - S - 1))" "$((_n - S + 1))"
}
let_time_pass 2
check "uptime_s is the time since started ($(status_field uptime_s) s)" up_ok

# clients: the status request alone, then with a follower.
check_eq "clients: the status request itself" 1 status_field clients
"$SHMWATCH" --socket "$T/sock" --json events -f >/dev/null 2>&1 &
FOL=$!
echo "$FOL" >>"$T/pids"
check_eq "clients: a follower and the status request" 2 status_field clients
kill "$FOL"
wait "$FOL" 2>/dev/null
check_eq "clients: the follower gone" 1 status_field clients

# Our holders: 3 segments in one process, and its forked child.
E0=$(status_field events)
hold h create "$(new_key)" 4096 attach create "$(new_key)" 4096 attach \
	create "$(new_key)" 4096 attach fork || finish
H=$(hpid h)
HC=$(hval h child)
ID=$(hval h shmid)
expect_kernel "kernel: parent and child hold the last segment" "$ID" 2 "$H $HC"
check_ps "ps of the parent" "$H"
check_ps "ps of the child" "$HC"
more_events() { [ "$(($(status_field events) - E0))" -ge 7 ]; }
check "events: up by at least our 7 ring records (3 shmget, 3 shmat, a fork)" more_events

# replayed N: "HOLDINGS MMS SEGMENTS" from the first N lines of the log.
replayed() {
	head -n "$1" "$T/events.jsonl" | "$JSONX" . event mm ns shmid vmas 2>/dev/null | awk '
		$1 == "attach" || $1 == "detach" || $1 == "vmas" { v[$2 " " $3 " " $4] = $5 }
		END {
			for (k in v) if (v[k] > 0) {
				split(k, f, " "); h++
				if (!(f[1] in mm)) { mm[f[1]] = 1; m++ }
				if (!((f[2] " " f[3]) in sg)) { sg[f[2] " " f[3]] = 1; s++ }
			}
			print h + 0, m + 0, s + 0
		}'
}
# ours N: "PID SHMID VMAS" of our two processes' holdings in the first N lines.
ours() {
	head -n "$1" "$T/events.jsonl" | "$JSONX" . event pid shmid vmas 2>/dev/null |
		awk -v a="$H" -v b="$HC" '($2 == a || $2 == b) &&
			($1 == "attach" || $1 == "detach" || $1 == "vmas") { v[$2 " " $3] = $4 }
			END { for (k in v) if (v[k] > 0) print k, v[k] }' | sort -n
}
kernel_ours() {
	for _p in $H $HC; do
		"$ORACLE" ps "$_p" | awk -v p="$_p" '{ print p, $2, $3 }'
	done | sort -n
}
STATUS=$(status_field events_logged attachments address_spaces segments)
N=${STATUS%% *}
check_eq "attachments, address_spaces, segments: what the log's first $N lines give" \
	"$(echo "$STATUS" | cut -d' ' -f2-)" replayed "$N"
check_eq "our holdings among them: as the kernel has them" "$(kernel_ours)" ours "$N"

# events_logged: the log's lines. Others' events may come between the reads: the lines before
# the request (L1) and after its answer (L2) bracket it, L1 <= N <= L2, always; at a quiet
# moment they are equal. On a machine that never pauses the bracket is what is checked.
lines_now() { wc -l <"$T/events.jsonl" | tr -d ' '; }
logged_is_lines() {
	_l1=$(lines_now)
	_n=$(status_field events_logged)
	_l2=$(lines_now)
	if [ "$_l1" -gt "$_n" ] || [ "$_n" -gt "$_l2" ]; then
		_bad="$_l1 lines, then events_logged $_n, then $_l2 lines"
		return 0
	fi
	[ "$_l1" = "$_l2" ]
}
_bad=
if poll "$SHMW_WAIT" logged_is_lines && [ -z "$_bad" ]; then
	pass "events_logged is the number of lines in the log ($_n)"
elif [ -z "$_bad" ]; then
	pass "events_logged is between the log's lines before and after (no quiet moment in ${SHMW_WAIT}s)"
else
	fail "events_logged is the number of lines in the log" "$_bad"
fi
check_eq "log_errors: none" 0 status_field log_errors

# resync_passes: one per pass, each logged; `shmwatch verify` is one. resyncs: the passes that
# repaired something, each logged with its number of differences.
P0=$(status_field resync_passes)
sw verify >/dev/null
sw verify >/dev/null
resync_lines() { grep -c ': resync (' "$T/daemon.log"; }
repair_lines() { grep -c ': resync (.*differences repaired' "$T/daemon.log"; }
passes_are_lines() {
	[ "$(status_field resync_passes)" = "$(resync_lines)" ] &&
		[ "$(status_field resyncs)" = "$(repair_lines)" ]
}
check "resync_passes went up by at least our 2 verify ($P0 before, $(status_field resync_passes) after)" \
	test "$(status_field resync_passes)" -ge "$((P0 + 2))"
check "resync_passes equals the daemon's resync lines, resyncs its lines that repaired" \
	poll "$SHMW_WAIT" passes_are_lines
hcont h "$HC" || finish
hend h || finish
stop_daemon

# --log-file /dev/full: every line is a write error, counted; the daemon starts and serves.
rm -f "$T/sock"
"$SHMWATCHD" --socket "$T/sock" --log-file /dev/full >"$T/daemon.log" 2>&1 &
DPID=$!
echo "$DPID" >>"$T/pids"
up() { sw status >/dev/null 2>&1; }
if poll 15 up; then
	pass "--log-file /dev/full: the daemon starts (the device is not replayed)"
	hold f create "$(new_key)" 4096 attach || finish
	errors_are_lines() {
		_e=$(status_field events_logged log_errors)
		[ "${_e%% *}" = "${_e#* }" ] && [ "${_e%% *}" -gt 0 ]
	}
	check "--log-file /dev/full: log_errors = events_logged ($(status_field events_logged log_errors))" \
		poll "$SHMW_WAIT" errors_are_lines
	check "--log-file /dev/full: the failure is logged" grep -q \
		'event log /dev/full: write failed: No space left on device' "$T/daemon.log"
else
	fail "--log-file /dev/full: the daemon starts" "$(tail -n 5 "$T/daemon.log")"
fi
finish
