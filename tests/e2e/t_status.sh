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
started_ok() {
	status_field started | grep -q '^[0-9]\{4\}-[0-9][0-9]-[0-9][0-9]T[0-9:]\{8\}\.[0-9]\{6\}Z$'
}
check "status: started is RFC 3339 UTC with microseconds" started_ok
numbers_ok() {
	status_field uptime_s events events_lost attachments address_spaces segments clients reconciles |
		grep -q '^[0-9]* [0-9]* [0-9]* [0-9]* [0-9]* [0-9]* [0-9]* [0-9]*$'
}
check "status: counters are numbers" numbers_ok
# The counters count the whole host (every process, other daemons' tests): what this scenario
# owns is its own events, so they must grow by at least those. A holder attaches and detaches
# (2 events, 2 logged lines); a reconcile pass (every 2 s) follows.
E0=$(status_field events events_logged reconciles)
hold h create "$(new_key)" 8192 attach pause detach pause || finish
ID=$(hval h shmid)
check_log "log: the attach" attach shmat "$(hpid h)" "$ID"
hcont h || finish
check_log "log: the detach" detach shmdt "$(hpid h)" "$ID"
grew() { # grew: events by 2, events_logged by 2, reconciles by 1, at least
	status_field events events_logged reconciles | awk -v b="$E0" '{ split(b, o, " ")
		exit !($1 >= o[1] + 2 && $2 >= o[2] + 2 && $3 >= o[3] + 1) }'
}
check "status: events and events_logged grew by our 2 at least, reconciles by 1 (from $E0)" \
	poll "$(scaled 5)" grew
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
