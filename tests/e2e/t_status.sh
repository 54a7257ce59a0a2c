#!/bin/sh
# `shmwatch status` describes this daemon.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon || finish
check_eq "status: pid, socket, log file" "$DPID $T/sock $T/events.jsonl" \
	status_field pid socket log_file
mode_ok() {
	case $(status_field mode) in
	tracepoint | fentry) return 0 ;;
	*) return 1 ;;
	esac
}
check "status: mode is tracepoint or fentry" mode_ok
check_eq "status: no event lost" 0 status_field events_lost
started_ok() {
	status_field started | grep -q '^[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9:]\{8\}\.[0-9]\{6\}Z$'
}
check "status: started is RFC 3339 UTC with microseconds" started_ok
numbers_ok() {
	status_field uptime_s events holders mms segments clients |
		grep -q '^[0-9]* [0-9]* [0-9]* [0-9]* [0-9]* [0-9]*$'
}
check "status: counters are numbers" numbers_ok
check_eq "status: version as --version says" "$("$SHMWATCHD" --version | awk '{ print $NF }')" \
	status_field version
# --priority-boost: nice -N relative to how it was started (default 5; 0 leaves it).
nice_of() { awk '{ print $19 }' "/proc/$1/stat"; }
boosted() { # EXPECTED-NICE
	[ "$(nice_of "$DPID")" = "$1" ]
}
own=$(nice_of $$)
want=$((own - 5 < -20 ? -20 : own - 5))
check "status: the daemon runs at nice $want (--priority-boost 5 by default)" boosted "$want"
stop_daemon
start_daemon --priority-boost 0 || finish
check "status: --priority-boost 0 leaves the nice value ($own)" boosted "$own"

finish
