#!/bin/sh
# A daemon killed with SIGKILL while holders come and go, and started again on the same socket
# (left behind, stale) and the same event log. While it is down: holders exit, a forked child
# exits, new holders attach (one forks), a new segment is created and attached, another is
# created, attached and removed (dest). The processes that exit and those that start run on one
# CPU, so that the kernel likely gives a new address space the address of a freed one (the slab
# allocator reuses the last freed object): the log must still name the right processes. The new
# daemon
#  - takes over the stale socket, and its state is exact at once (who, ps);
#  - logs what changed while it was down as events with cause seed or resync: an attach for each
#    process that attached, a detach for each that exited;
#  - never logs an event with a time inside the down window unless its cause is seed or resync
#    (it cannot have seen anything happen then);
#  - leaves a log that, replayed from its first line (both daemons' lines), gives the holders
#    `who` reports, and that read process by process says who holds what.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_robust.sh
. "$(dirname "$0")/lib_robust.sh"

# now_rfc3339 FRACTION: the realtime clock as the event log writes its times (fixed width, so
# they compare as strings). Where date has no %N (busybox), whole seconds with FRACTION.
now_rfc3339() {
	_nr=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ 2>/dev/null)
	case $_nr in
	*N* | "") date -u "+%Y-%m-%dT%H:%M:%S.${1}Z" ;;
	*) echo "$_nr" ;;
	esac
}

# Another workload may fill the log quickly: never rotate it, the replay needs all of it.
start_daemon --log-max-bytes 0 || finish
hold a create "$(new_key)" 12288 attach fork || finish
ID=$(hval a shmid)
A=$(hpid a)
AC=$(hval a child)
# Processes that exit or start while the daemon is down run on CPU 0.
REAL_HOLD=$HOLD
if command -v taskset >/dev/null 2>&1; then
	printf '#!/bin/sh\nexec taskset -c 0 "%s" "$@"\n' "$REAL_HOLD" >"$T/pinned-hold"
	chmod +x "$T/pinned-hold"
	PINNED=$T/pinned-hold
else
	PINNED=$REAL_HOLD
fi
HOLD=$PINNED
hold b use "$ID" attach || finish
B=$(hpid b)
GONE=
for i in 1 2 3; do
	hold "r$i" use "$ID" attach || finish
	GONE="$GONE $(hpid "r$i")"
done
HOLD=$REAL_HOLD
hold c use "$ID" attach fork || finish
C=$(hpid c)
CC=$(hval c child)
hold s use "$ID" attach pause storm 3000 || finish
S=$(hpid s)
expect_kernel "kernel: holders before the kill" "$ID" 9 "$A $AC $B $C $CC $S$GONE"
check_who "who before the kill" "$ID"
check_log "log: b attached by shmat" attach shmat "$B" "$ID"
OLD=$DPID

# Kill it in the middle of a storm of attaches and detaches.
kill -USR1 "$S"
kill -KILL "$OLD"
wait_until "the daemon ($OLD) to die" dead "$OLD"
wait "$OLD" 2>/dev/null
DPID=
DOWN_FROM=$(now_rfc3339 999999)
check "the killed daemon left its socket behind (stale)" test -S "$T/sock"
check_rc "status while down exits 3" 3 sw status
NLINES=$(wc -l <"$T/events.jsonl" | tr -d ' ')
cp "$T/daemon.log" "$T/daemon.log.1"

# While it is down.
wait_until "the storm to end" hhas s ready
hcont c "$CC" || finish
wait_until "c's child $CC to exit" dead "$CC"
HOLD=$PINNED
hend b || finish
for i in 1 2 3; do
	hend "r$i" || finish
done
hold d use "$ID" attach fork || finish
D=$(hpid d)
DC=$(hval d child)
NEW=
for i in 1 2 3; do
	hold "n$i" use "$ID" attach || finish
	NEW="$NEW $(hpid "n$i")"
done
HOLD=$REAL_HOLD
hold e create "$(new_key)" 8192 attach || finish
ID2=$(hval e shmid)
E=$(hpid e)
hold f create "$(new_key)" 4096 attach rmid || finish
ID3=$(hval f shmid)
F=$(hpid f)
expect_kernel "kernel: holders while down" "$ID" 9 "$A $AC $C $S $D $DC$NEW"
expect_kernel "kernel: new segment while down" "$ID2" 1 "$E"
expect_kernel "kernel: removed segment while down" "$ID3" 1 "$F"
let_time_pass 1 # a down window of some length: its events' times are what is checked
DOWN_TO=$(now_rfc3339 000000)

start_daemon --log-max-bytes 0 || finish
check "the new daemon runs with another pid" test "$DPID" != "$OLD"
at_once check_who "who at once after the restart" "$ID"
at_once check_who "who at once: segment created while down" "$ID2"
at_once check_who "who at once: segment removed while down" "$ID3"
MINE="$A $AC $B$GONE $C $CC $S $D $DC$NEW $E $F"
for p in $MINE; do
	at_once check_ps "ps $p at once after the restart" "$p"
done

# What changed while it was down, as the new daemon logged it (its lines about our segments).
tail -n "+$((NLINES + 1))" "$T/events.jsonl" | grep -E "\"shmid\": ?($ID|$ID2|$ID3)[,}]" \
	>"$T/events.new"
logged_as() { # logged_as PID EVENT SHMID: the new daemon logged it with cause seed or resync
	"$JSONX" . pid event cause shmid ns <"$T/events.new" | awk -v p="$1" -v e="$2" -v s="$3" \
		-v ns="$SELF_NS" '$1 == p && $2 == e && $4 == s && $5 == ns &&
		($3 == "seed" || $3 == "resync") { f = 1 } END { exit !f }'
}
for p in $D $DC $NEW; do
	check "log: $p (attached while down) as an attach by seed or resync" logged_as "$p" attach "$ID"
done
check "log: $E (new segment while down) as an attach by seed or resync" logged_as "$E" attach "$ID2"
check "log: $F (removed segment while down) as an attach by seed or resync" \
	logged_as "$F" attach "$ID3"
for p in $B $GONE; do
	check "log: $p (exited while down) as a detach by seed or resync" logged_as "$p" detach "$ID"
done
check "log: $CC (exited while down) as a detach by seed or resync" logged_as "$CC" detach "$ID"

# No event dated inside the down window, unless found by the start-up walk or a resync.
in_window() { # every line of the log dated in [DOWN_FROM, DOWN_TO] (times compare as strings)
	awk -v from="$DOWN_FROM" -v to="$DOWN_TO" 'match($0, /"time": ?"[^"]*"/) {
		t = substr($0, RSTART, RLENGTH); sub(/^"time": ?"/, "", t); sub(/"$/, "", t)
		if (t >= from && t <= to) print }' "$T/events.jsonl"
}
in_window >"$T/window.lines"
if [ -s "$T/window.lines" ]; then
	"$JSONX" . time event cause <"$T/window.lines" >"$T/window.all"
else
	: >"$T/window.all"
fi
awk '$3 != "seed" && $3 != "resync"' "$T/window.all" >"$T/window.bad"
if [ -s "$T/window.bad" ]; then
	fail "no event dated in the down window ($DOWN_FROM .. $DOWN_TO) but by seed or resync" \
		"$(head -n 20 "$T/window.bad")"
else
	pass "no event dated in the down window but by seed or resync ($(wc -l <"$T/window.all" | tr -d ' ') seed/resync lines in it)"
fi

check_replay "replaying both daemons' log gives who's holders" "$ID" "$ID2" "$ID3"
# shellcheck disable=SC2086
check_pid_history "the log, process by process, names who holds $ID" "$ID" $MINE
# shellcheck disable=SC2086
check_pid_history "the log, process by process, names who holds $ID2" "$ID2" $MINE
# shellcheck disable=SC2086
check_pid_history "the log, process by process, names who holds $ID3" "$ID3" $MINE

# The new daemon traces again.
hold g use "$ID" attach || finish
G=$(hpid g)
check_log "log: a new holder after the restart, by shmat" attach shmat "$G" "$ID"
hend d || finish
check_log "log: a holder leaving after the restart, by exit" detach exit "$D" "$ID"
check_who "who after more changes" "$ID"
check_replay "replay after more changes" "$ID" "$ID2" "$ID3"
# shellcheck disable=SC2086
check_pid_history "process by process after more changes" "$ID" $MINE "$G"
verify_mine "after the restart" "$ID $ID2 $ID3" "$MINE $G"
finish
