#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# The noise load of `make test SHMW_TEST_NOISE=1` (tests/run.sh): what another workload on the
# same host looks like to a scenario, so that a scenario comparing more than what it owns fails.
# POSIX sh and shmw-hold only (runs under busybox too).
#
#   noise.sh start DIR BUILD   start the load (files and pids in DIR); returns once it all runs
#   noise.sh stop DIR          stop it, remove its segments, print one line about it
#
# The load, for the whole run:
#  - 5 foreign IPC namespaces, each holding segments with the small shmids (0, 1, 2, ...) every
#    fresh namespace (a container) starts with, in the sizes the scenarios use (4096 to 20480),
#    some IPC_PRIVATE, some with keys in the range new_key draws from (0x5357xxxx), one marked
#    for destruction while held (its key then reads 0, like an IPC_PRIVATE one), one namespace
#    with shm_next_id 4242 (the shmid t_lifecycle reuses), and forked holders;
#  - a process in our namespace attaching and detaching its own segment every 20 ms, forking a
#    child that exits every 4th time (shmw-hold blink);
#  - another shmwatchd, on its own socket and log in DIR (its BPF programs see every event too).

set -u

usage() {
	echo "usage: $0 start DIR BUILD | stop DIR" >&2
	exit 2
}

[ $# -ge 2 ] || usage
CMD=$1
DIR=$2

# _ready FILE: FILE has a "ready" line (shmw-hold finished its ops) or an "error" line.
_ready() {
	grep -q -e "^[0-9]* ready\$" -e "^[0-9]* error " -e "^[0-9]* blinking " "$1" 2>/dev/null
}

# _wait SECONDS CMD...: polls CMD every 50 ms for SECONDS.
_wait() {
	_n=$(($1 * 20))
	shift
	while [ "$_n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.05
		_n=$((_n - 1))
	done
	return 1
}

_hold() { # _hold NAME OP...: a shmw-hold in the background, its progress in DIR/NAME.out
	_hn=$1
	shift
	: >"$DIR/$_hn.out"
	"$HOLD" --ready "$DIR/$_hn.out" "$@" >"$DIR/$_hn.log" 2>&1 &
	echo "$!" >>"$DIR/pids"
}

start() {
	BUILD=$1
	HOLD=$BUILD/tests/shmw-hold
	mkdir -p "$DIR" || exit 1
	: >"$DIR/pids"
	echo "$BUILD" >"$DIR/build"
	# Sizes rotate so that each namespace's shmid 0, 1, 2 meets the sizes of the scenarios.
	_i=1
	for _sz in 8192 12288 16384 4096 20480; do
		_k=$(printf '0x5357%04x' $((_i * 4099 % 65536)))
		case $_i in
		1) _extra="fork" ;;
		2) _extra="create private $_sz attach rmid" ;; # held and marked: key reads 0
		3) _extra="fork fork" ;;
		4) _extra="create 0x53580004 8192" ;; # unattached: an orphan
		*) _extra="next-id 4242 create private 8192 attach rmid" ;; # t_lifecycle's reused shmid
		esac
		# shellcheck disable=SC2086
		_hold "ns$_i" name noise-ns unshare-ipc create private "$_sz" attach \
			create "$_k" 12288 attach create private 8192 attach $_extra
		_i=$((_i + 1))
	done
	_hold blink name noise-blink create private 8192 blink 20
	"$BUILD/shmwatchd" --socket "$DIR/sock" --log-file "$DIR/events.jsonl" --linger-after 1 \
		--orphan-after 1 >"$DIR/daemon.log" 2>&1 &
	echo "$!" >"$DIR/daemon.pid"
	echo "$!" >>"$DIR/pids"
	for _f in ns1 ns2 ns3 ns4 ns5 blink; do
		if ! _wait 15 _ready "$DIR/$_f.out" || grep -q '^[0-9]* error ' "$DIR/$_f.out"; then
			echo "noise: $_f did not start: $(cat "$DIR/$_f.out" "$DIR/$_f.log" 2>&1)" >&2
			stop
			return 1
		fi
	done
	if ! _wait 30 "$BUILD/shmwatch" --socket "$DIR/sock" status >/dev/null 2>&1; then
		echo "noise: the second shmwatchd did not come up:" >&2
		sed 's/^/    /' "$DIR/daemon.log" >&2
		stop
		return 1
	fi
}

stop() {
	[ -f "$DIR/pids" ] || return 0
	BUILD=$(cat "$DIR/build" 2>/dev/null)
	_sum=
	if [ -n "$BUILD" ] && [ -s "$DIR/daemon.pid" ]; then
		_sum=$("$BUILD/shmwatch" --socket "$DIR/sock" --json status 2>/dev/null |
			"$BUILD/tests/shmw-json" . events events_lost resyncs 2>/dev/null)
	fi
	# Started ones, and every pid a shmw-hold wrote (forked children block until killed).
	_all=$(cat "$DIR/pids" "$DIR"/*.out 2>/dev/null |
		awk 'NF == 1 || $2 == "child" { print $NF } NF > 1 { print $1 }' | sort -un)
	for _p in $_all; do
		kill -KILL "$_p" 2>/dev/null
	done
	# The blink segment is in our namespace (the others went with theirs).
	_b=$(awk '$2 == "shmid" { print $3, $5; exit }' "$DIR/blink.out" 2>/dev/null)
	if [ -n "$_b" ] && [ -n "$BUILD" ]; then
		# shellcheck disable=SC2086
		set -- $_b
		"$BUILD/tests/shmw-oracle" rmid "$1" --key "$2" || echo "noise: rmid $1 failed" >&2
	fi
	rm -f "$DIR/pids"
	if [ -n "$_sum" ]; then
		# shellcheck disable=SC2086
		set -- $_sum
		echo "noise: stopped (the second shmwatchd saw $1 events, lost $2, resynced $3 times)"
	else
		echo "noise: stopped"
	fi
}

case $CMD in
start)
	[ $# = 3 ] || usage
	start "$3"
	;;
stop) stop ;;
*) usage ;;
esac
