#!/bin/sh
# A restarted daemon replays its event log: holders that stayed keep their original `since`
# and `how` (README.md, Staying right), and the new daemon logs nothing about them; a holder
# that came while it was down is new (how seed or resync, since the restart). After SIGTERM,
# and after SIGKILL (the log alone tells what the first daemon knew).
# Only the current log file is replayed: a holder whose attach line was rotated away
# (--log-max-bytes) is found by the start-up walk instead, with how seed or resync and a new
# since (README.md says so). That is checked last.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# holders_of ID: "PID HOW SINCE" of who's holders, sorted.
holders_of() {
	sw --json who "$1" | "$JSONX" 'holders[]' pid how since | sort -n
}
# how_since ID PID: "HOW SINCE" of one holder.
how_since() {
	holders_of "$1" | awk -v p="$2" '$1 == p { print $2, $3 }'
}
# keeps NAME WAS PID: PID's how is WAS's, and its since WAS's to the millisecond. (The log
# carries a holder's since as the time of its attach line, which BPF takes a few microseconds
# after the since it records; a since taken anew would be the restart's, 0.1 s or more later.)
keeps() {
	_kw_how=${2%% *}
	_kw_since=${2#* }
	_kw_got=$(how_since "$ID" "$3")
	if [ "${_kw_got%% *}" = "$_kw_how" ] &&
		num_in "$(secs_between "$_kw_since" "${_kw_got#* }")" -0.001 0.001; then
		pass "$1 ($_kw_got)"
	else
		fail "$1" "want: $2" "got:  $_kw_got"
	fi
}
newly() { # newly ID PID: its how is seed or resync
	case $(how_since "$1" "$2" | cut -d' ' -f1) in
	seed | resync) return 0 ;;
	*) return 1 ;;
	esac
}

start_daemon --log-max-bytes 0 || finish
hold a create "$(new_key)" 12288 attach fork || finish
ID=$(hval a shmid)
A=$(hpid a)
AC=$(hval a child)
hold b use "$ID" attach || finish
B=$(hpid b)
expect_kernel "kernel: three holders" "$ID" 3 "$A $AC $B"
check_who "who before the restart" "$ID"
BEFORE=$(holders_of "$ID")
check_eq "before: how is shmat, fork, shmat" "$A shmat
$AC fork
$B shmat" sh -c "echo '$BEFORE' | cut -d' ' -f1,2"

# Stopped with SIGTERM; one more holder while it is down.
stop_daemon
LINES=$(wc -l <"$T/events.jsonl" | tr -d ' ')
hold c use "$ID" attach || finish
C=$(hpid c)
start_daemon --log-max-bytes 0 || finish
expect_kernel "kernel: four holders after the restart" "$ID" 4 "$A $AC $B $C"
at_once check_who "who at once after the restart" "$ID"
for p in $A $AC $B; do
	keeps "after SIGTERM: $p keeps its how and since" \
		"$(echo "$BEFORE" | awk -v p="$p" '$1 == p { print $2, $3 }')" "$p"
done
check "after SIGTERM: $C (came while down) is new: how seed or resync" newly "$ID" "$C"
# new_lines_about PID: holder lines the new daemon logged about PID (its create line, naming
# the creator of a segment it found, is not one).
new_lines_about() {
	tail -n "+$((LINES + 1))" "$T/events.jsonl" | grep -F "\"pid\":$1," |
		grep -c -v -e '"event":"create"' -e '"event":"rmid"' -e '"event":"destroy"'
}
for p in $A $AC $B; do
	check_eq "after SIGTERM: the new daemon logged nothing about $p" 0 new_lines_about "$p"
done
AFTER=$(holders_of "$ID")

# Killed: the replay alone knows.
kill -KILL "$DPID"
wait_until "the daemon to die" dead "$DPID"
wait "$DPID" 2>/dev/null
DPID=
start_daemon --log-max-bytes 0 || finish
at_once check_who "who at once after SIGKILL and a restart" "$ID"
for p in $A $AC $B $C; do
	keeps "after SIGKILL: $p keeps its how and since" \
		"$(echo "$AFTER" | awk -v p="$p" '$1 == p { print $2, $3 }')" "$p"
done
stop_daemon

# The attach line rotated away: only the current file is replayed.
rm -f "$T/events.jsonl"
start_daemon --log-max-bytes 16K --log-keep 2 || finish
hold d use "$ID" attach || finish
D=$(hpid d)
how_of_d() { how_since "$ID" "$D" | cut -d" " -f1; }
check_eq "d holds it by shmat" shmat how_of_d
D_BEFORE=$(how_since "$ID" "$D")
# Push it out of the current file with events of our own.
hold s create "$(new_key)" 4096 attach storm 100 || finish
not_current() { ! grep -q -F "\"pid\":$D," "$T/events.jsonl"; }
check "d's attach line is in a rotated file now" poll "$SHMW_WAIT" not_current
stop_daemon
start_daemon --log-max-bytes 16K --log-keep 2 || finish
at_once check_who "who at once after the restart (rotated log)" "$ID"
check "rotated log: $D comes back as new (how seed or resync)" newly "$ID" "$D"
changed() { [ "$(how_since "$ID" "$D")" != "$D_BEFORE" ]; }
check "rotated log: $D's since is new ($D_BEFORE before)" changed
finish
