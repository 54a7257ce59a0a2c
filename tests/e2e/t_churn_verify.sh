#!/bin/sh
# Long random churn: about 200 processes at a time attach, detach, split (mprotect), fork, exec,
# vfork+exec and exit at random on three segments for SHMW_CHURN_SECONDS (default 10) seconds
# (shmw-chaos), then stop where they are, holding what they hold. At quiescence
#  - who and ps equal the kernel for our segments and a sample of the holders;
#  - replaying the event log from its first line (shmw-replay) gives exactly the holders, with
#    their VMA counts, that `who --json` reports;
#  - the log read address space by address space, minding the process each line names, is
#    consistent (no detach of what was not attached, no attach of what was held, no renaming
#    without an owner line) and names as holders exactly the processes the kernel shows;
#  - `shmwatch verify` finds nothing to repair about them and exits 0;
#  - a daemon started again on the same log (its own start-up replay) logs no repair about them.
# Then the workers exit and the same holds for the three processes left.
# With the default ring buffer events are rarely lost; t_churn_loss runs this with a small one,
# where most are, and everything above must hold after the repairs.
#
# The long version (`make stress` runs it: a minute of churn by 300 processes):
#	SHMW_CHURN_SECONDS=60 SHMW_CHURN_PROCS=300 SHMW_TEST_TIMEOUT=400 \
#		tests/run.sh build e2e t_churn_verify t_churn_loss
# SHMW_CHURN_PROCS changes the population (default 200), SHMW_CHURN_SEED repeats a run's choices,
# SHMW_CHURN_RING sets the ring buffer's size in bytes (default: the daemon's).
# Under a sanitizer build the defaults are 6 s and 100 processes.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_robust.sh
. "$(dirname "$0")/lib_robust.sh"

# A sanitizer build (build-san) runs several times slower: half the churn by default there.
if grep -q __asan_init "$SHMWATCHD" 2>/dev/null; then
	SECS=${SHMW_CHURN_SECONDS:-6}
	PROCS=${SHMW_CHURN_PROCS:-100}
else
	SECS=${SHMW_CHURN_SECONDS:-10}
	PROCS=${SHMW_CHURN_PROCS:-200}
fi
SEED=${SHMW_CHURN_SEED:-0}

# Another workload may fill the log quickly: never rotate it, the replay needs all of it.
# SHMW_CHURN_RING: a ring buffer of that many bytes (small: events are lost and repaired).
# shellcheck disable=SC2086
start_daemon --log-max-bytes 0 ${SHMW_CHURN_RING:+--ring-size $SHMW_CHURN_RING} || finish
hold s1 create "$(new_key)" 16384 attach || finish
hold s2 create "$(new_key)" 8192 attach || finish
hold s3 create "$(new_key)" 12288 attach ro || finish
IDS="$(hval s1 shmid) $(hval s2 shmid) $(hval s3 shmid)"
STATIC="$(hpid s1) $(hpid s2) $(hpid s3)"

# The churn, through `hold` (same progress-file protocol), with a wait long enough for it.
SAVED_HOLD=$HOLD
SAVED_WAIT=$SHMW_WAIT
HOLD=$CHAOS
SHMW_WAIT=$((SECS + 60))
# t_churn_loss: the daemon is also stopped for a second in the middle of the churn, so that the
# ring overflows however fast the daemon keeps up on this machine.
STALL=
if [ "${SHMW_CHURN_LOSSY:-0}" = 1 ]; then
	(
		sleep $((SECS / 2))
		kill -STOP "$DPID"
		sleep 1
		kill -CONT "$DPID"
	) &
	STALL=$!
fi
# shellcheck disable=SC2086
hold chaos --seconds "$SECS" --procs "$PROCS" --seed "$SEED" $IDS
CHAOS_OK=$?
if [ -n "$STALL" ]; then
	wait "$STALL"
	kill -CONT "$DPID" 2>/dev/null
fi
HOLD=$SAVED_HOLD
SHMW_WAIT=$SAVED_WAIT
[ "$CHAOS_OK" = 0 ] || finish
echo "NOTE $TEST_NAME: churn $(grep ' seed ' "$T/chaos.out" | cut -d' ' -f2-3), $(grep ' stats ' "$T/chaos.out" | cut -d' ' -f3-), $(hval chaos ready) workers parked"

stat_of() { # stat_of NAME: a counter of the churn's stats line
	tr ' ' '\n' <"$T/chaos.out" | awk -F= -v k="$1" '$1 == k { print $2 }'
}
did_all() {
	[ "$(stat_of failures)" = 0 ] && for _k in forks execs vforks exits attaches detaches splits; do
		[ "$(stat_of "$_k")" -gt 0 ] || return 1
	done
}
check "the churn did every kind of step, and none failed" did_all

# Non-vacuous: the workers hold our segments now.
held_by_workers() {
	_n=0
	for _id in $IDS; do
		_n=$((_n + $("$ORACLE" holders "$_id" | wc -l)))
	done
	[ "$_n" -gt 10 ]
}
check "kernel: workers hold our segments at quiescence" held_by_workers

for id in $IDS; do
	check_who "who $id equals the kernel after the churn" "$id"
done
# shellcheck disable=SC2086
HOLDERS=$(for id in $IDS; do "$ORACLE" holders "$id"; done | sort -un)
SAMPLE=$(echo "$HOLDERS" | awk 'NR % 7 == 1' | head -n 30)
for p in $SAMPLE; do
	check_ps "ps $p equals the kernel after the churn" "$p"
done
# shellcheck disable=SC2086
check_replay "replaying the log gives who's holders and VMA counts" $IDS
for id in $IDS; do
	check_pid_history "the log, process by process, names who holds $id" "$id"
done
echo "NOTE $TEST_NAME: status $(status_field events events_lost resyncs map_full mm_incomplete | awk '{
	printf "events=%s events_lost=%s resyncs=%s map_full=%s mm_incomplete=%s", $1, $2, $3, $4, $5 }')"
# t_churn_loss: the repairs above were exercised, not skipped.
if [ "${SHMW_CHURN_LOSSY:-0}" = 1 ]; then
	check "events were lost (a small ring)" status_gt events_lost 0
	check "the daemon resynced after the losses" status_gt resyncs 0
fi
# shellcheck disable=SC2086,SC2116 # one line of pids
verify_mine "after the churn" "$IDS" "$(echo $HOLDERS)"
# shellcheck disable=SC2086
check_replay "replay still equals who after verify" $IDS

# The daemon's own start-up replay (user/daemon/core/replay.c) of this log, repairs and all: a daemon started
# again on it finds that nothing changed about our segments (nothing did while it was down) and
# logs no attach, detach or vmas line about them.
NLINES=$(wc -l <"$T/events.jsonl")
stop_daemon
check_eq "the daemon exits 0 on SIGTERM after the churn" 0 echo "$?"
# shellcheck disable=SC2086
start_daemon --log-max-bytes 0 ${SHMW_CHURN_RING:+--ring-size $SHMW_CHURN_RING} || finish
holder_lines_since() { # holder lines about our segments after line NLINES
	tail -n "+$((NLINES + 1))" "$T/events.jsonl" | "$JSONX" . event shmid ns 2>/dev/null |
		awk -v ids=" $IDS " -v ns="$SELF_NS" '$3 == ns && index(ids, " " $2 " ") &&
			($1 == "attach" || $1 == "detach" || $1 == "vmas")' | wc -l | tr -d ' '
}
check_eq "a restarted daemon's replay of the log leaves nothing to repair about our segments" \
	0 holder_lines_since
for id in $IDS; do
	check_who "who $id after a restart on the same log" "$id"
done
# shellcheck disable=SC2086
check_replay "replay after the restart" $IDS

# The workers go (the supervisor's end makes them exit); the static holders stay.
hend chaos || finish
for id in $IDS; do
	_sp=$(awk -v id="$id" '$2 == "shmid" && $3 == id { print $1 }' "$T"/s?.out)
	expect_kernel "kernel: only the static holder of $id is left" "$id" 1 "$_sp"
	check_who "who $id after the workers left" "$id"
done
# shellcheck disable=SC2086
check_replay "replay after the workers left" $IDS
for id in $IDS; do
	check_pid_history "process by process after the workers left ($id)" "$id"
done
for p in $STATIC; do
	check_ps "ps $p (a static holder)" "$p"
done
finish
