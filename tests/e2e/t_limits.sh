#!/bin/sh
# Limits and hostile input (docs/protocol.md, shmwatchd --help):
#  - a request line over 4096 bytes is answered bad_request and the connection goes on; one of
#    exactly 4096 bytes (newline included) is a request; malformed JSON, unknown fields,
#    negative, huge and non-integer numbers are answered bad_request with a reason, and the
#    client refuses bad arguments itself (exit 2);
#  - 1000 clients at once are all answered (--max-clients 2000); past --max-clients a client is
#    answered busy and closed (status clients_dropped);
#  - more than 200 requests in a second on one connection: some are answered busy, and the
#    connection is served again a second later;
#  - a follower that stops reading (events -f, stopped with SIGSTOP) does not delay other clients
#    and is dropped once far behind (clients_dropped); clients that never read their answers do
#    not make the daemon's memory grow without bound (one answer each is kept, at most 64 MB
#    for root's clients in all), and are dropped after --client-timeout;
#  - a second daemon on the same socket is refused naming the running one's pid (exit 1), and the
#    running one goes on; a --socket path that is a regular file is refused and left alone; a socket path that is too long is a usage error (exit 2); a log that
#    cannot be created is a runtime error (exit 1) that leaves no socket behind; bad numbers in
#    options are usage errors (exit 2).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_robust.sh
. "$(dirname "$0")/lib_robust.sh"

# 1000 clients need more than 1024 descriptors in the daemon (and in shmw-clients, which raises
# its own limit). ulimit -n: dash, bash and busybox sh have it.
# shellcheck disable=SC3045
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 4096 ]; then
	# shellcheck disable=SC3045
	ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
fi

# daemon_rc WANT NAME ARGS...: runs shmwatchd ARGS, expecting it to exit, and checks its exit
# status; its output is left in $T/bad.out. If it comes up instead (answers on $DR_SOCK, when
# set) or still runs after 20 s, it is killed and that fails.
_dr_settled() {
	dead "$_drp" && return 0
	[ -n "${DR_SOCK:-}" ] && "$SHMWATCH" --socket "$DR_SOCK" --timeout 1 status >/dev/null 2>&1
}
daemon_rc() {
	_drw=$1
	_drn=$2
	shift 2
	"$SHMWATCHD" "$@" >"$T/bad.out" 2>&1 &
	_drp=$!
	echo "$_drp" >>"$T/pids"
	poll 20 _dr_settled
	if ! dead "$_drp"; then
		kill -KILL "$_drp" 2>/dev/null
		wait "$_drp" 2>/dev/null
		fail "$_drn" "shmwatchd $* did not exit: it came up and served (killed)" \
			"$(cat "$T/bad.out")"
		return 1
	fi
	wait "$_drp"
	_drrc=$?
	if [ "$_drrc" = "$_drw" ]; then
		pass "$_drn"
		return 0
	fi
	fail "$_drn" "want exit $_drw, got $_drrc from shmwatchd $*" "$(cat "$T/bad.out")"
	return 1
}

out_says() { grep -qi -- "$1" "$T/bad.out"; }

# ---- options -------------------------------------------------------------------------------------
daemon_rc 2 "--ring-size 5000 (not a power of two) exits 2" --ring-size 5000 --socket "$T/o.sock"
check "--ring-size 5000: the message says power of two" out_says "power of two"
daemon_rc 2 "--ring-size 2048 (below 4096) exits 2" --ring-size 2048 --socket "$T/o.sock"
daemon_rc 2 "--linger-after -1 exits 2" --linger-after -1 --socket "$T/o.sock"
check "--linger-after -1: the message names the option" out_says "linger-after"
daemon_rc 2 "--max-holders abc exits 2" --max-holders abc --socket "$T/o.sock"
check "--max-holders abc: the message names the option and the value" \
	sh -c "grep -q -- '--max-holders' '$T/bad.out' && grep -q abc '$T/bad.out'"
daemon_rc 2 "--max-clients 0 exits 2" --max-clients 0 --socket "$T/o.sock"
daemon_rc 2 "--ring-size 4K5 exits 2" --ring-size 4K5 --socket "$T/o.sock"
check "no socket left by refused options" test ! -e "$T/o.sock"
LONG=$T/$(printf '%0200d' 0)/sock
daemon_rc 2 "a socket path over 107 bytes exits 2" --socket "$LONG" --log-file "$T/o.jsonl"
check "a socket path too long: the message says so" out_says "too long"
daemon_rc 1 "--log-file under /proc/x exits 1" --socket "$T/o.sock" --log-file /proc/x/y
check "--log-file /proc/x/y: the message names the path" out_says "/proc/x"
check "--log-file /proc/x/y: no socket left behind" test ! -e "$T/o.sock"
: >"$T/afile"
daemon_rc 1 "--log-file under a regular file exits 1" --socket "$T/o.sock" \
	--log-file "$T/afile/events.jsonl"
check "--log-file under a file: the message names the path and the reason" \
	sh -c "grep -q '$T/afile' '$T/bad.out' && grep -qi 'not a directory' '$T/bad.out'"
check "--log-file under a file: no socket left behind" test ! -e "$T/o.sock"
# A path that is not a socket is not a stale socket: never remove it.
echo important >"$T/notasocket"
DR_SOCK=$T/notasocket
daemon_rc 1 "--socket naming a regular file is refused (exit 1)" --socket "$T/notasocket" \
	--log-file "$T/o.jsonl"
DR_SOCK=
check_eq "--socket naming a regular file: the file is left as it was" important \
	cat "$T/notasocket"

# ---- the running daemon, and a second one ---------------------------------------------------------
# Under ASan (make SANITIZE=1 test) freed memory waits in a quarantine of 256 MB by default,
# which the RSS bound below would measure instead of the daemon's own use: keep it small.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"
start_daemon --max-clients 2000 || finish
daemon_rc 1 "a second daemon on the same socket exits 1" --socket "$T/sock" \
	--log-file "$T/second.jsonl"
check "the second daemon names the running one's pid" out_says "pid $DPID"
check_rc "the running daemon still answers on its socket" 0 sw status
check_eq "status pid is still the first daemon" "$DPID" status_field pid

# ---- request lines -------------------------------------------------------------------------------
# lines: shmw-clients sends each line of $T/req on one connection; answers in $T/ans.
lines() { "$CLIENTS" lines "$T/sock" <"$T/req" >"$T/ans" 2>&1; }
ans_line() { sed -n "${1}p" "$T/ans"; }
ans_code() { ans_line "$1" | "$JSONX" code 2>/dev/null; }
ans_ok() { [ "$(ans_line "$1" | "$JSONX" ok 2>/dev/null)" = true ]; }
pad_to() { # pad_to N JSON: JSON followed by spaces, N bytes in all (newline excluded)
	awk -v n="$1" -v j="$2" 'BEGIN { s = j; while (length(s) < n) s = s " "; print s }'
}
{
	pad_to 5000 '{"cmd":"status"}'
	echo '{"cmd":"status"}'
	pad_to 4095 '{"cmd":"status"}'
	pad_to 4096 '{"cmd":"status"}'
	echo '{"cmd":"status"}'
	echo '{"cmd":'
	echo '{"cmd":"status","bogus":1}'
	echo '{"cmd":"who","shmid":-1}'
	echo '{"cmd":"who","shmid":99999999999999999999999}'
	echo '{"cmd":"who","shmid":2147483648}'
	echo '{"cmd":"events","last":1e3}'
	echo '{"cmd":"events","last":10001}'
	echo '{"cmd":"ps","pid":"1"}'
	echo '{"cmd":"frobnicate"}'
	echo '[1,2,3]'
	echo '{"cmd":"status"} trailing'
	echo '{"cmd":"status"}'
} >"$T/req"
check "raw request lines: every line answered, connection kept" lines
check_eq "a 5000-byte line: bad_request" bad_request ans_code 1
check "a 5000-byte line: the reason names the limit" sh -c "sed -n 1p '$T/ans' | grep -q 4096"
check "the next request on that connection is answered" ans_ok 2
check "a request of exactly 4096 bytes with its newline is answered" ans_ok 3
check_eq "a request of 4097 bytes with its newline: bad_request" bad_request ans_code 4
check "after it, the connection still answers" ans_ok 5
n=6
for what in "truncated JSON" "an unknown field" "a negative shmid" "a huge shmid" \
	"a shmid over INT32_MAX" "a non-integer number" "events last over 10000" "a string pid" \
	"an unknown cmd" "a JSON array" "trailing garbage"; do
	check_eq "$what: bad_request" bad_request ans_code "$n"
	has_reason() { [ -n "$(ans_line "$1" | "$JSONX" error 2>/dev/null)" ]; }
	check "$what: the answer gives a reason" has_reason "$n"
	n=$((n + 1))
done
check "after all of them the connection still answers" ans_ok "$n"
reason_has() { ans_line "$1" | "$JSONX" error | grep -qi -- "$2"; }
check "an unknown field: the reason names it" reason_has 7 bogus
check "a negative shmid: the reason gives the range" reason_has 8 "integer from"

check_rc "client: who -1 exits 2" 2 sw who -1
check_rc "client: who 99999999999 exits 2" 2 sw who 99999999999
check_rc "client: ps 99999999999 exits 2" 2 sw ps 99999999999
check_rc "client: ps -3 exits 2" 2 sw ps -3
check_rc "client: events -n -5 exits 2" 2 sw events -n -5
check_rc "client: events -n abc exits 2" 2 sw events -n abc
check_rc "client: --timeout -1 exits 2" 2 sw --timeout -1 status
check_rc "client: --timeout abc exits 2" 2 sw --timeout abc status
check_rc "client: who 1 --ns abc exits 2" 2 sw who 1 --ns abc
check_rc "client: who 1 --ns -1 exits 2" 2 sw who 1 --ns -1

# ---- many clients --------------------------------------------------------------------------------
"$CLIENTS" many "$T/sock" 1000 >"$T/many.out" 2>"$T/many.err"
check_eq "1000 clients at once: all connected and answered ok" \
	"connected 1000 ok 1000 busy 0 error 0 closed 0 timeout 0" cat "$T/many.out"
check_rc "the daemon answers after the 1000 clients" 0 sw status
check_poll "the 1000 connections are gone (status clients 1)" "$(scaled 10)" sh -c \
	"[ \"\$('$SHMWATCH' --socket '$T/sock' --json status | '$JSONX' clients)\" = 1 ]"

# Rate limit: one connection, 1000 requests at once.
"$CLIENTS" flood "$T/sock" 1000 >"$T/flood.out" 2>"$T/flood.err"
flood_n() { awk -v k="$1" '{ for (i = 1; i < NF; i++) if ($i == k) { print $(i + 1); exit } }' \
	"$T/flood.out"; }
check "rate limit: 1000 requests in a burst, some answered busy" test "$(flood_n busy)" -gt 0
check "rate limit: at most 2 x 200 answered ok (one or two one-second windows)" \
	test "$(flood_n ok)" -le 400 -a "$(flood_n ok)" -ge 1
check_eq "rate limit: every request answered" "0 0" sh -c "echo \$(awk '{ print \$6, \$8 }' '$T/flood.out' | head -n 1)"
check_eq "rate limit: the connection is served again a second later" "again ok" \
	sed -n 2p "$T/flood.out"

# ---- a follower that stops reading ---------------------------------------------------------------
DROPPED0=$(status_field clients_dropped)
# (The client itself, not a subshell running it: SIGSTOP must stop the reader.)
"$SHMWATCH" --socket "$T/sock" --json events -f -n 0 >"$T/slow.out" 2>"$T/slow.err" &
SLOW=$!
echo "$SLOW" >>"$T/pids"
check_poll "the follower is connected (status clients 2)" "$(scaled 5)" sh -c \
	"[ \"\$('$SHMWATCH' --socket '$T/sock' --json status | '$JSONX' clients)\" = 2 ]"
kill -STOP "$SLOW"
# Events: 40000 attach+detach pairs, some 25 MB of log lines the follower never reads.
hold st create "$(new_key)" 4096 pause storm 40000 || finish
kill -USR1 "$(hpid st)"
PROBE_S=$(scaled 3)
# slow_probe: status asked again and again while the storm runs, each answered within PROBE_S s;
# prints how many were asked before the storm ended (0: the check measured nothing).
slow_probe() {
	_spn=0
	while ! hhas st ready; do
		if ! "$SHMWATCH" --socket "$T/sock" --timeout "$PROBE_S" status >/dev/null 2>&1; then
			echo "no answer within $PROBE_S s to status number $((_spn + 1))"
			return 1
		fi
		_spn=$((_spn + 1))
		sleep 0.05
	done
	echo "$_spn"
}
if PROBES=$(slow_probe); then
	if [ "$PROBES" -gt 0 ]; then
		pass "others' status answered ($PROBES times, $PROBE_S s at most each) while the follower is stuck"
	else
		fail "others' status while the follower is stuck: the storm ended before the first status"
	fi
else
	fail "others' status answers while the follower is stuck" "$PROBES"
fi
wait_until "the storm to end" hhas st ready
check_poll "the stuck follower is dropped (status clients_dropped grows)" "$(scaled 20)" status_gt \
	clients_dropped "$DROPPED0"
check "daemon log says it dropped a client" grep -q "behind: dropping" "$T/daemon.log"
kill -CONT "$SLOW"
if poll "$(scaled 10)" dead "$SLOW"; then
	wait "$SLOW"
	SRC=$?
	pass "the dropped follower's client ends once it runs again"
	check_eq "the dropped follower's client exits 3 (connection lost)" 3 echo "$SRC"
else
	fail "the dropped follower's client ends once it runs again" "still running 10 s after SIGCONT"
	kill "$SLOW"
fi
check_rc "the daemon answers after dropping the follower" 0 sw status

# ---- clients that never read their answers -------------------------------------------------------
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$DPID/status"; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$DPID/status"; }
RSS0=$(rss_kb)
LOST0=$(status_field events_lost)
# 8 connections, each asking 30 times for the last 10000 events (the recent-event ring is full
# after the storm: about 1.3 MB an answer), reading nothing: some 300 MB of answers.
"$CLIENTS" hog "$T/sock" 8 30 '{"cmd":"events","last":10000}' >"$T/hog.out" 2>"$T/hog.err" &
HOG=$!
echo "$HOG" >>"$T/pids"
wait_until "the hog to send its requests" grep -q '^sent' "$T/hog.out"
HOG_T0=$(now_cs)
check_rc "the daemon answers others ($PROBE_S s at most) while 8 clients pile up requests" 0 \
	sw --timeout "$PROBE_S" status
busy_until() { "$SHMWATCH" --socket "$T/sock" --timeout 5 status >/dev/null 2>&1; }
if poll "$(scaled 60)" busy_until; then
	echo "NOTE $TEST_NAME: the daemon answered again $(( ($(now_cs) - HOG_T0) / 100 )) s after the 240 requests of the non-readers; events lost meanwhile: $(($(status_field events_lost) - LOST0))"
else
	fail "the daemon answers again within $(scaled 60) s of the non-readers' requests"
fi
HWM=$(hwm_kb)
GROWTH_MB=$(((HWM - RSS0) / 1024))
if [ "$GROWTH_MB" -le 64 ]; then
	pass "8 clients that never read make the daemon grow by at most 64 MB (peak +$GROWTH_MB MB)"
else
	fail "8 clients that never read make the daemon grow by at most 64 MB" \
		"VmRSS $RSS0 kB before, VmHWM $HWM kB after: +$GROWTH_MB MB" \
		"(one unsent answer per connection, 64 MB for root's clients in all)"
fi
hog_dropped() { [ "$(status_field clients_timed_out)" -ge 8 ]; }
check_poll "the 8 non-readers are dropped after --client-timeout (5 s)" 10 hog_dropped
kill -USR1 "$HOG" 2>/dev/null
wait "$HOG" 2>/dev/null
check_rc "the daemon answers after the non-readers" 0 sw status

# ---- max-clients -----------------------------------------------------------------------------------
stop_daemon
start_daemon --max-clients 50 || finish
D0=$(status_field clients_dropped)
"$CLIENTS" many "$T/sock" 120 >"$T/many50.out" 2>"$T/many50.err"
check_eq "--max-clients 50, 120 at once: 50 answered, 70 told busy" \
	"connected 120 ok 50 busy 70 error 0 closed 0 timeout 0" cat "$T/many50.out"
check_eq "--max-clients 50: clients_dropped counts the 70" "$((D0 + 70))" status_field \
	clients_dropped
stop_daemon
DRC=$?
check_eq "the daemon exits 0 on SIGTERM after all this" 0 echo "$DRC"
finish
