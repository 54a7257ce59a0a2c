#!/bin/sh
# Lost ring-buffer records: with the smallest ring (--ring-size 4096, a few dozen records) four
# processes storm one segment with 20000 shmat+shmdt pairs each, forking before and after, while
# another holder and its child exit. Records are lost (status events_lost) and the daemon resyncs
# from its BPF maps (status resyncs). Once all is quiet: who and ps equal the kernel for every
# process of ours, replaying the event log from its first line gives the same holders (what a
# resync repairs is logged too), and `shmwatch verify` finds nothing to repair about them.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_robust.sh
. "$(dirname "$0")/lib_robust.sh"

STORMERS="1 2 3 4"
PAIRS=20000

start_daemon --ring-size 4096 --log-max-bytes 0 || finish
hold a create "$(new_key)" 12288 attach fork || finish
ID=$(hval a shmid)
A=$(hpid a)
AC=$(hval a child)
hold x use "$ID" attach fork || finish
X=$(hpid x)
XC=$(hval x child)
for i in $STORMERS; do
	hold "s$i" use "$ID" attach fork pause storm "$PAIRS" fork attach || finish
done
# shellcheck disable=SC2046,SC2086,SC2116
expect_kernel "kernel: holders before the storm" "$ID" 12 \
	"$(echo $A $AC $X $XC $(for i in $STORMERS; do echo "$(hpid "s$i") $(hval "s$i" child)"; done))"
check_who "who before the storm" "$ID"

# The storm: all stormers at once; x and its child exit meanwhile.
for i in $STORMERS; do
	kill -USR1 "$(hpid "s$i")"
done
kill -USR1 "$XC"
hend x
wait_until "x's child $XC to exit" dead "$XC"
stormed() {
	for _i in $STORMERS; do
		hhas "s$_i" ready || return 1
	done
}
if ! poll 90 stormed; then
	fail "stormers did not finish in 90 s" "$(for i in $STORMERS; do tail -n 2 "$T/s$i.out"; done)"
	finish
fi
for i in $STORMERS; do
	_hold_error "s$i" && finish
done

MINE="$A $AC $X $XC"
for i in $STORMERS; do
	MINE="$MINE $(hpid "s$i") $(awk '$2 == "child" { print $3 }' "$T/s$i.out" | tr '\n' ' ')"
done
KPIDS="$A $AC"
for i in $STORMERS; do
	KPIDS="$KPIDS $(hpid "s$i") $(awk '$2 == "child" { print $3 }' "$T/s$i.out" | tr '\n' ' ')"
done
# shellcheck disable=SC2086,SC2116 # normalise the spaces
MINE=$(echo $MINE)
# shellcheck disable=SC2086,SC2116
KPIDS=$(echo $KPIDS)
# Each stormer: 2 VMAs (first and last attach); its two children one each; a and its child one.
expect_kernel "kernel: holders after the storm" "$ID" $((2 + 4 * 4)) "$KPIDS"

check_poll "status: events were lost" 10 status_gt events_lost 0
check_poll "status: the daemon resynced" 10 status_gt resyncs 0
check "daemon log: the loss was noticed" grep -q 'events lost' "$T/daemon.log"

check_who "who after the storm equals the kernel" "$ID"
for p in $MINE; do
	check_ps "ps $p after the storm" "$p"
done
at_once check_eq "holder $A still how shmat" shmat who_holder_field "$ID" "$A" how
check_replay "replaying the log gives who's holders" "$ID"
# shellcheck disable=SC2086
check_pid_history "the log, process by process, names who holds it" "$ID" $MINE
verify_mine "after the storm" "$ID" "$MINE"
check_who "who after verify" "$ID"

# And it keeps tracking: a new holder, a holder leaving.
hold n use "$ID" attach || finish
hend "s1" || finish
expect_kernel "kernel: one more, one fewer" "$ID" $((2 + 4 * 4 + 1 - 2)) \
	"$(echo "$KPIDS $(hpid n)" | tr ' ' '\n' | grep -v "^$(hpid s1)\$" | tr '\n' ' ' | sed 's/ $//')"
check_who "who tracks changes after the resyncs" "$ID"
check_replay "replay still equals who after more changes" "$ID"
# shellcheck disable=SC2086
check_pid_history "process by process after more changes" "$ID" $MINE "$(hpid n)"
finish
