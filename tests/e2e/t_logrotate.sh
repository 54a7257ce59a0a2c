#!/bin/sh
# The event log's rotation (README.md, Event log; shmwatchd(8) --log-max-bytes, --log-keep,
# SIGHUP):
#  1. --log-max-bytes 64K --log-keep 3, and a storm of our own events: the log and exactly 3
#     rotated files, gzip-compressed (events.jsonl.N.gz, each with its index .gz.idx, no plain
#     one left), none over 64 kB uncompressed, each line whole JSON, mode 0640, and our events
#     in the kept files in order with none missing in between (a suffix of what happened).
#  2. --log-keep 20: with room for all of them, every event of ours is in the files, in order,
#     across the rotations.
#  3. Rotation by someone else: the file renamed then SIGHUP (what logrotate's postrotate or
#     systemctl reload does): a new file at once, later events in it, none lost; renamed
#     without a signal, or deleted: the daemon notices within a second (it compares the path
#     with its open file) and the events after that are in a new file.
#  4. logrotate itself (when installed) with a postrotate that sends SIGHUP.
# Our events are those of our own holders' pids (the daemon logs every process of the machine).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

LOG=$T/events.jsonl

# mine PID FILE...: the causes of PID's holder lines by shmat or shmdt in FILEs, in order: each
# call of the storm is one line, whatever count it carries (counting is other scenarios'
# business; here a missing or doubled line is what matters). Lines by a resync are left out.
mine() {
	_mp=$1
	shift
	for _mf in "$@"; do [ -f "$_mf" ] && "$ZCAT" "$_mf"; done | grep -F "\"pid\":$_mp," | "$JSONX" . pid event cause 2>/dev/null |
		awk -v p="$_mp" '$1 == p && $2 ~ /^(attach|detach|vmas)$/ && $3 ~ /^shm/ { print $3 }'
}

# storm_seq N: what a holder that attaches once then storms N shmat+shmdt pairs logs.
storm_seq() {
	echo shmat
	_sq=0
	while [ "$_sq" -lt "$1" ]; do
		echo shmat
		echo shmdt
		_sq=$((_sq + 1))
	done
}

# is_suffix GOT-FILE WANT-FILE: GOT's lines are the last lines of WANT (nothing missing in
# between, nothing extra), and GOT is not empty.
is_suffix() {
	_g=$(wc -l <"$1" | tr -d ' ')
	[ "$_g" -gt 0 ] && [ "$(tail -n "$_g" "$2")" = "$(cat "$1")" ]
}

# whole_json FILE: every line of FILE is a JSON object with an event (no torn line).
whole_json() {
	[ "$(wc -l <"$1" | tr -d ' ')" = "$("$JSONX" . event <"$1" 2>/dev/null | wc -l | tr -d ' ')" ] &&
		[ "$(tail -c 1 "$1" | wc -l | tr -d ' ')" = 1 ]
}

fmode() { "$ORACLE" file "$1" | cut -d' ' -f1; }
# lf N: rotated file N as it is now: compressed, or plain until its compression is done.
lf() {
	if [ -f "$LOG.$1.gz" ]; then echo "$LOG.$1.gz"; else echo "$LOG.$1"; fi
}
# files: the log and its rotated files (up to --log-keep 20), oldest first.
files() {
	_fn=20
	while [ "$_fn" -ge 1 ]; do
		[ -f "$(lf "$_fn")" ] && lf "$_fn"
		_fn=$((_fn - 1))
	done
	[ -f "$LOG" ] && echo "$LOG"
}

# 1. Size rotation, 3 kept. 3001 events of ours (about 700 kB) do not fit in 4 files of 64 kB:
#    the first ones are rotated away. Other processes' events share the files: the kept files
#    are read as soon as our last event is in them (snap), before more rotations push it out.
#    A big ring (16M): a storm elsewhere must not make the daemon lose ours. If it lost events
#    anyway, resync lines stand for some of ours and the order says nothing about rotation.
start_daemon --log-max-bytes 64K --log-keep 3 --ring-size 16M || finish
hold s create "$(new_key)" 4096 attach storm 1500 || finish
S=$(hpid s)
storm_seq 1500 >"$T/want1"
snap() {
	mine "$S" "$(lf 3)" "$(lf 2)" "$(lf 1)" "$LOG" >"$T/got1"
	[ "$(tail -n 1 "$T/got1")" = shmdt ]
}
poll "$SHMW_WAIT" snap
LOST=$(status_field events_lost)
if [ "$LOST" != 0 ]; then
	skip "the daemon lost $LOST events to a storm elsewhere: our lines cannot be checked in order"
else
	check "the storm's last event is in the kept files" snap
	if is_suffix "$T/got1" "$T/want1"; then
		pass "our events in the kept files: the last $(wc -l <"$T/got1" | tr -d ' ') of 3001, in order, none missing"
	else
		fail "our events in the kept files are the last ones, in order, none missing" \
			"got (oldest first):" "$(head -n 10 "$T/got1")" "... $(wc -l <"$T/got1") lines"
	fi
	check "the first ones were rotated away ($(wc -l <"$T/got1" | tr -d ' ') of 3001 kept)" \
		test "$(wc -l <"$T/got1")" -lt 3001
fi
hend s || finish
stop_daemon
# The files as the daemon left them (while it runs, a read may end inside a line being
# written: the rest comes with the write).
for n in 1 2 3; do
	check "rotated file events.jsonl.$n.gz exists" test -f "$LOG.$n.gz"
	check "rotated file events.jsonl.$n.gz has its index" test -f "$LOG.$n.gz.idx"
	check "no plain events.jsonl.$n left beside it" test ! -e "$LOG.$n"
	check_eq "events.jsonl.$n.gz.idx: mode 0640" 0640 fmode "$LOG.$n.gz.idx"
done
check "--log-keep 3: no events.jsonl.4.gz" test ! -e "$LOG.4.gz"
check "--log-keep 3: no events.jsonl.4.gz.idx" test ! -e "$LOG.4.gz.idx"
for f in "$LOG.3.gz" "$LOG.2.gz" "$LOG.1.gz" "$LOG"; do
	"$ZCAT" "$f" >"$T/plain" || fail "${f##*/}: shmw-zcat cannot read it"
	sz=$(wc -c <"$T/plain" | tr -d ' ')
	check "${f##*/}: $sz bytes uncompressed, at most --log-max-bytes 64K" \
		test "${sz:-99999}" -le 65536
	check "${f##*/}: every line whole JSON" whole_json "$T/plain"
	check_eq "${f##*/}: mode 0640" 0640 fmode "$f"
done

# 2. Room for everything: every event across the rotations.
rm -f "$LOG" "$LOG".*
start_daemon --log-max-bytes 64K --log-keep 20 --ring-size 16M || finish
hold r create "$(new_key)" 4096 attach storm 400 || finish
R=$(hpid r)
storm_seq 400 >"$T/want2"
got_all() {
	# shellcheck disable=SC2046
	mine "$R" $(files) >"$T/got2"
	[ "$(cat "$T/got2")" = "$(cat "$T/want2")" ]
}
if poll "$SHMW_WAIT" got_all; then
	pass "all 801 events of ours in the files, in order, across $(files | wc -l | tr -d ' ') files"
elif [ "$(status_field events_lost)" != 0 ]; then
	skip "the daemon lost $(status_field events_lost) events to a storm elsewhere: ours cannot all be there"
else
	fail "all 801 events of ours in the files, in order" "got:" "$(head -n 5 "$T/got2")" \
		"... $(wc -l <"$T/got2" | tr -d ' ') lines"
fi
check "rotated at least twice ($(files | wc -l | tr -d ' ') files)" test -f "$(lf 2)"
hend r || finish
stop_daemon

# 3. Rotation from outside: rename + SIGHUP, rename alone, delete alone.
rm -f "$LOG" "$LOG".*
start_daemon || finish
hold a create "$(new_key)" 4096 attach || finish
ID=$(hval a shmid)
A=$(hpid a)
in_file() { [ -n "$(mine "$2" "$1")" ]; } # in_file FILE PID
check "a's attach is in the log" poll "$SHMW_WAIT" in_file "$LOG" "$A"
INO0=$("$ORACLE" file "$LOG" | cut -d' ' -f2)
mv "$LOG" "$LOG.ext"
hold b use "$ID" attach || finish
B=$(hpid b)
kill -HUP "$DPID"
inode_changed() { [ "$("$ORACLE" file "$LOG" | cut -d' ' -f2)" != "$INO0" ]; }
check "SIGHUP: a new events.jsonl at once" poll "$SHMW_WAIT" inode_changed
check_eq "SIGHUP: the new file is mode 0640" 0640 fmode "$LOG"
check "SIGHUP: the daemon logged the reopen" grep -q 'SIGHUP: reopening the event log' \
	"$T/daemon.log"
either() { in_file "$LOG.ext" "$1" || in_file "$LOG" "$1"; }
check "b, between the rename and SIGHUP, is in one of the files (not lost)" \
	poll "$SHMW_WAIT" either "$B"
hold c use "$ID" attach || finish
C=$(hpid c)
check "c, after SIGHUP, is in the new file" poll "$SHMW_WAIT" in_file "$LOG" "$C"
check "c is not in the renamed file" sh -c "! grep -q '\"pid\":$C,' '$LOG.ext'"
check "the daemon is still running" alive "$DPID"

# Renamed without a signal: noticed within a second.
INO1=$("$ORACLE" file "$LOG" | cut -d' ' -f2)
mv "$LOG" "$LOG.ext2"
INO0=$INO1
# An event now may land in the renamed file until the daemon looks (at most a second):
# events keep coming until one lands in a new file at the path.
n=0
d_ok=
while [ "$n" -lt 8 ]; do
	hold "d$n" use "$ID" attach || finish
	if poll 1 in_file "$LOG" "$(hpid "d$n")"; then
		d_ok=d$n
		break
	fi
	n=$((n + 1))
done
check "renamed without SIGHUP: a later event (${d_ok:-none}) is in a new events.jsonl" test -n "$d_ok"
check "renamed without SIGHUP: it is a new file" inode_changed
gone_nowhere() { # every d holder's attach is in one of the two files
	_gi=0
	while [ "$_gi" -le "$n" ]; do
		_gp=$(hpid "d$_gi")
		in_file "$LOG" "$_gp" || in_file "$LOG.ext2" "$_gp" || return 1
		_gi=$((_gi + 1))
	done
}
check "renamed without SIGHUP: no event lost (each in the old or the new file)" gone_nowhere

# Deleted: noticed within a second too (what went to the deleted file in between is lost).
rm -f "$LOG"
n=0
e_ok=
while [ "$n" -lt 8 ]; do
	hold "e$n" use "$ID" attach || finish
	if poll 1 in_file "$LOG" "$(hpid "e$n")"; then
		e_ok=e$n
		break
	fi
	n=$((n + 1))
done
check "deleted: a later event (${e_ok:-none}) is in a new events.jsonl" test -n "$e_ok"
check_eq "deleted: the new file is mode 0640" 0640 fmode "$LOG"
check "the daemon is still running" alive "$DPID"
check_eq "status: no log write error" 0 status_field log_errors

# 4. logrotate, as a distribution would run it, with a postrotate that signals the daemon.
if need logrotate logrotate; then
	cat >"$T/lr.conf" <<EOF
$LOG {
	rotate 2
	missingok
	nocompress
	postrotate
		kill -HUP $DPID
	endscript
}
EOF
	hold f use "$ID" attach || finish
	F=$(hpid f)
	check "f's attach is in the log before logrotate" poll "$SHMW_WAIT" in_file "$LOG" "$F"
	INO0=$("$ORACLE" file "$LOG" | cut -d' ' -f2)
	if logrotate -f -s "$T/lr.state" "$T/lr.conf" >"$T/lr.out" 2>&1; then
		pass "logrotate -f ran"
	else
		fail "logrotate -f ran" "$(cat "$T/lr.out")"
	fi
	check "logrotate: f's line went with the rotated file events.jsonl.1" in_file "$LOG.1" "$F"
	check "logrotate: a new events.jsonl" poll "$SHMW_WAIT" inode_changed
	hold g use "$ID" attach || finish
	G=$(hpid g)
	check "logrotate: g, after it, is in the new file" poll "$SHMW_WAIT" in_file "$LOG" "$G"
	check "logrotate: g is not in the rotated file" sh -c "! grep -q '\"pid\":$G,' '$LOG.1'"
fi
finish
