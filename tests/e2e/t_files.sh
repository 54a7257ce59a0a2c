#!/bin/sh
# The files the daemon writes, against a hostile user (uid 65534, through setpriv) and a full
# disk:
#  - a symlink that user planted at the --log-file or --metrics-file path (in a directory it
#    owns) is refused at start (exit 1, "symbolic link" in the message) and its target is left
#    alone; one planted after start, before a SIGHUP reopen, is refused too (logged once, not
#    every second), and the target stays untouched;
#  - a --log-file, --socket or --metrics-file in a directory that does not exist is refused
#    (exit 1) naming the directory, and nothing is created (only the default directories are);
#  - on a full file system (a 64 kB tmpfs; the other user makes the events) the event log is
#    left with whole JSON lines only; the lines that could not be written are counted (status
#    log_errors, metric shmwatch_log_write_errors_total) and a line cut short is cut back
#    (shmwatch_log_partial_lines_cut_total); once there is room again (the tmpfs grown) whole
#    lines follow.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_robust.sh
. "$(dirname "$0")/lib_robust.sh"

NUID=65534
TEXT=$SHMW_BUILD/tests/shmw-text
if ! command -v setpriv >/dev/null 2>&1; then
	skip "setpriv (util-linux) is needed to run as another user"
	exit 0
fi
[ -x "$TEXT" ] || {
	fail "missing binary $TEXT (build it first: make all tests-bin)"
	exit 1
}

SD=$(mktemp -d "${TMPDIR:-/tmp}/shmw-files.XXXXXX") || exit 1
chmod 755 "$SD"
mkdir -m 755 "$SD/run" "$SD/bin"
mkdir -m 777 "$SD/nb"
chown "$NUID:$NUID" "$SD/nb"
cp "$HOLD" "$SD/bin/"
chmod 755 "$SD/bin/"*
NHOLD=$SD/bin/$(basename "$HOLD")
SOCK=$SD/run/sock
FULL=$T/full
MOUNTED=0
_files_cleanup() {
	[ "$MOUNTED" = 1 ] && umount "$FULL" 2>/dev/null
	rm -rf "$SD"
}
# shellcheck disable=SC2154 # _fi_rc is set by the trap itself
trap '_fi_rc=$?; _files_cleanup; (exit $_fi_rc); _cleanup' EXIT

sw() {
	"$SHMWATCH" --socket "$SOCK" "$@"
}
nobody() {
	as_user "$NUID" "$NUID" "$@"
}

# refused NAME WANT-TEXT ARGS...: shmwatchd ARGS exits 1 and its message has WANT-TEXT.
refused() {
	_rn=$1
	_rw=$2
	shift 2
	"$SHMWATCHD" "$@" >"$T/bad.out" 2>&1 &
	_rp=$!
	echo "$_rp" >>"$T/pids"
	if ! poll 20 dead "$_rp"; then
		kill -KILL "$_rp" 2>/dev/null
		wait "$_rp" 2>/dev/null
		fail "$_rn" "shmwatchd $* did not exit: it came up (killed)" "$(cat "$T/bad.out")"
		return 1
	fi
	wait "$_rp"
	_rrc=$?
	if [ "$_rrc" = 1 ] && grep -q -F -- "$_rw" "$T/bad.out"; then
		pass "$_rn"
		return 0
	fi
	fail "$_rn" "want exit 1 and \"$_rw\", got exit $_rrc:" "$(cat "$T/bad.out")"
	return 1
}

# ---- symlinks planted by another user --------------------------------------------------------
echo precious >"$T/victim"
echo precious >"$T/victim2"
nobody ln -s "$T/victim" "$SD/nb/events.jsonl"
nobody ln -s "$T/victim2" "$SD/nb/m.prom"
check "setup: the other user planted two symlinks" sh -c \
	"[ -L '$SD/nb/events.jsonl' ] && [ -L '$SD/nb/m.prom' ]"
refused "--log-file that is a symlink: refused (exit 1) saying so" "symbolic link" \
	--socket "$SOCK" --log-file "$SD/nb/events.jsonl"
check_eq "--log-file symlink: its target is untouched" precious cat "$T/victim"
check "--log-file symlink: no socket left behind" test ! -e "$SOCK"
refused "--metrics-file that is a symlink: refused (exit 1) saying so" "symbolic link" \
	--socket "$SOCK" --log-file "$T/events.jsonl" --metrics-file "$SD/nb/m.prom"
check_eq "--metrics-file symlink: its target is untouched" precious cat "$T/victim2"

# A symlink planted while the daemon runs, before a reopen (as logrotate's postrotate asks).
"$SHMWATCHD" --socket "$SOCK" --log-file "$SD/nb/live.jsonl" --metrics-file "$SD/nb/live.prom" \
	--metrics-interval 1 >"$T/daemon.log" 2>&1 &
await_daemon "$!" || finish
check_poll "setup: the metrics file is written" 5 test -s "$SD/nb/live.prom"
nobody sh -c "rm -f '$SD/nb/live.jsonl' && ln -s '$T/victim' '$SD/nb/live.jsonl'"
nobody sh -c "rm -f '$SD/nb/live.prom' && ln -s '$T/victim2' '$SD/nb/live.prom'"
kill -HUP "$DPID"
hold a create "$(new_key)" 4096 attach detach || finish
check_log "an event after the reopen is logged" detach shmdt "$(hpid a)" "$(hval a shmid)" \
	"" client
let_time_pass 3
check_eq "a symlink planted before SIGHUP: its target is untouched" precious cat "$T/victim"
check_eq "a symlink planted at the metrics file: its target is untouched" precious \
	cat "$T/victim2"
sym_warnings() { grep -c 'symbolic link' "$T/daemon.log"; }
check "the refused reopen is logged" test "$(sym_warnings)" -ge 1
check "and not every second (at most 2 lines in 3 s: log and metrics)" test "$(sym_warnings)" -le 2
stop_daemon

# ---- directories that do not exist -------------------------------------------------------------
refused "--log-file in a missing directory: refused naming it" "$T/nodir/sub" \
	--socket "$SOCK" --log-file "$T/nodir/sub/x.jsonl"
check "--log-file in a missing directory: no directory made" test ! -e "$T/nodir"
refused "--socket in a missing directory: refused naming it" "$T/nodir2" \
	--socket "$T/nodir2/sock" --log-file "$T/events.jsonl"
check "--socket in a missing directory: no directory made" test ! -e "$T/nodir2"
refused "--metrics-file in a missing directory: refused naming it" "$T/nodir3" \
	--socket "$SOCK" --log-file "$T/events.jsonl" --metrics-file "$T/nodir3/m.prom"
check "--metrics-file in a missing directory: no directory made" test ! -e "$T/nodir3"

# ---- a full file system ------------------------------------------------------------------------
mkdir "$FULL"
if ! mount -t tmpfs -o size=64k,mode=755 shmw-full "$FULL"; then
	fail "setup: mount a 64 kB tmpfs on $FULL"
	finish
fi
MOUNTED=1
head -c 16384 /dev/zero >"$FULL/filler"
"$SHMWATCHD" --socket "$SOCK" --log-file "$FULL/events.jsonl" >"$T/daemon.log" 2>&1 &
await_daemon "$!" || finish
E0=$(status_field log_errors)
: >"$SD/nb/st.out"
chown "$NUID:$NUID" "$SD/nb/st.out"
(as_user_exec "$NUID" "$NUID" "$NHOLD" --ready "$SD/nb/st.out" create private 4096 storm 1000 \
	rmid) >"$T/st.log" 2>&1 &
echo "$!" >>"$T/pids"
wait_until "the other user's storm to end" grep -q ' ready' "$SD/nb/st.out" || finish
check_poll "the disk fills: status log_errors grows" 10 status_gt log_errors "$E0"
metric() { sw metrics | awk -v m="$1" '$1 == m { print $2 }'; }
check "shmwatch_log_write_errors_total counts the lost lines" test "$(metric shmwatch_log_write_errors_total)" -gt 0
SIZE=$(wc -c <"$FULL/events.jsonl")
CUT=$(metric shmwatch_log_partial_lines_cut_total)
echo "NOTE $TEST_NAME: the full log has $SIZE bytes; partial lines cut back: $CUT"
check "the full log ends with a whole line" "$TEXT" whole "$FULL/events.jsonl"
all_json() { "$JSONX" . event <"$1" >/dev/null 2>&1; }
check "every line of the full log is JSON" all_json "$FULL/events.jsonl"
# The fs is full inside a line unless its last page ended exactly with one.
check "a line cut short was cut back and counted (or the log ended at a page boundary)" \
	sh -c "[ '${CUT:-0}' -ge 1 ] || [ \$(($SIZE % 4096)) = 0 ]"
# Room again (plenty: the daemon logs every process of the machine, and other workloads may
# fill a few kB at once).
rm -f "$FULL/filler"
mount -o remount,size=4m "$FULL" || fail "setup: grow the tmpfs to 4 MB"
hold b create "$(new_key)" 4096 attach detach || finish
BID=$(hval b shmid)
in_full_log() { grep -q -e "\"shmid\":$BID," "$FULL/events.jsonl"; }
check_poll "with room again, events are logged" 5 in_full_log
check "the log still ends with a whole line" "$TEXT" whole "$FULL/events.jsonl"
check "every line of the log is JSON" all_json "$FULL/events.jsonl"
check_poll "the daemon says it writes again" 5 grep -q 'writing again' "$T/daemon.log"
stop_daemon
finish
