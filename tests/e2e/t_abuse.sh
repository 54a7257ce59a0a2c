#!/bin/sh
# Local users who try to lock everyone else out of shmwatchd, as real unprivileged users (uid
# 65534 and three uids without an account, no groups, no capabilities, through setpriv):
#  - one user opens 1030 connections and sends nothing: it keeps --max-clients-per-user of them
#    (32 by default), the rest are answered busy and closed, and that is logged once; root's
#    status answers all along; the idle ones are closed --client-timeout seconds later and
#    counted (status clients_timed_out);
#  - one user opens 1000 connections that each ask for its last 10000 events (over 2 MB an
#    answer) and never read: root's status answers within a second, the daemon's peak RSS grows
#    by at most 32 MB (shmwatchd(8), "Limits": at most 16 MiB of unsent answers for all users
#    but root and the admin group), and the stalled connections are dropped after the timeout;
#  - with --max-clients 100, four users with 32 connections each get 75 of them: 25 are kept
#    for root and the admin group (--admin-reserve), and root is answered;
#  - bad values of the new options are usage errors (exit 2).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_robust.sh
. "$(dirname "$0")/lib_robust.sh"

NUID=65534
if ! command -v setpriv >/dev/null 2>&1; then
	skip "setpriv (util-linux) is needed to run as another user"
	exit 0
fi
# 1030 connections need more than 1024 descriptors in the daemon and in shmw-clients.
# shellcheck disable=SC3045
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt 4096 ]; then
	# shellcheck disable=SC3045
	ulimit -n 4096 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null
fi
# Under ASan freed memory waits in a quarantine (256 MB by default) that the RSS bound below
# would measure instead of the daemon's own use.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=8"

# The socket and the other users' files live where they can reach them ($T is root's alone).
SD=$(mktemp -d "${TMPDIR:-/tmp}/shmw-abuse.XXXXXX") || exit 1
chmod 755 "$SD"
mkdir -m 755 "$SD/run" "$SD/bin"
mkdir -m 777 "$SD/nb"
cp "$CLIENTS" "$HOLD" "$SHMWATCH" "$SD/bin/"
chmod 755 "$SD/bin/"*
NCLIENTS=$SD/bin/$(basename "$CLIENTS")
NSW=$SD/bin/$(basename "$SHMWATCH")
NHOLD=$SD/bin/$(basename "$HOLD")
SOCK=$SD/run/sock
# shellcheck disable=SC2154 # _ab_rc is set by the trap itself
trap '_ab_rc=$?; rm -rf "$SD"; (exit $_ab_rc); _cleanup' EXIT

sw() {
	"$SHMWATCH" --socket "$SOCK" "$@"
}

start_daemon_ab() {
	"$SHMWATCHD" --socket "$SOCK" --log-file "$T/events.jsonl" "$@" >"$T/daemon.log" 2>&1 &
	await_daemon "$!" || return 1
}

# as UID CMD...: CMD as that uid (gid the same), no groups, no capabilities. In the background
# as (asx UID CMD...) &: the subshell becomes CMD, so that $! is its pid.
as() {
	_asu=$1
	shift
	as_user "$_asu" "$_asu" "$@"
}
asx() {
	_asu=$1
	shift
	as_user_exec "$_asu" "$_asu" "$@"
}

clients_now() { status_field clients; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$DPID/status"; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$DPID/status"; }

# ---- options ------------------------------------------------------------------------------------
bad_opt() { # bad_opt NAME OPTION ARGS...: shmwatchd ARGS exits 2 naming OPTION
	_bon=$1
	_boo=$2
	shift 2
	"$SHMWATCHD" --socket "$SD/run/o.sock" --log-file "$T/o.jsonl" "$@" >"$T/bad.out" 2>&1
	_borc=$?
	if [ "$_borc" = 2 ] && grep -q -- "$_boo" "$T/bad.out" &&
		! grep -q unrecognized "$T/bad.out"; then
		pass "$_bon"
	else
		fail "$_bon" "want exit 2 naming $_boo, got $_borc:" "$(cat "$T/bad.out")"
	fi
}
bad_opt "--max-clients-per-user 0 is a usage error" --max-clients-per-user \
	--max-clients-per-user 0
bad_opt "--client-timeout 0 is a usage error" --client-timeout --client-timeout 0
bad_opt "--admin-reserve as large as --max-clients is a usage error" --admin-reserve \
	--max-clients 10 --admin-reserve 10
check "no socket left by refused options" test ! -e "$SD/run/o.sock"

# ---- 1030 idle connections of one user -----------------------------------------------------------
# --recent 20000: the user's own events fill a 10000-event answer (over 2 MB) below.
start_daemon_ab --client-timeout 3 --recent 20000 || finish
D0=$(status_field clients_dropped)
(asx "$NUID" "$NCLIENTS" idle "$SOCK" 1030 1) >"$T/idle.out" 2>"$T/idle.err" &
IDLE=$!
echo "$IDLE" >>"$T/pids"
wait_until "the idle connections to be made" grep -q '^connected' "$T/idle.out"
check_eq "1030 idle connections of uid $NUID: 32 kept, 998 answered busy" \
	"connected 1030 refused 998 closed 0 open 32" sed -n 1p "$T/idle.out"
T0=$(now_cs)
check_rc "root's status answers while they are open" 0 sw --timeout 2 status
check "root's status answered within a second" test $(($(now_cs) - T0)) -lt 100
check_eq "status: 33 clients (the 32 idle ones and this status)" 33 clients_now
check_eq "status: clients_refused counts the 998" 998 status_field clients_refused
refusals_logged() { grep -c 'max-clients-per-user' "$T/daemon.log"; }
check_eq "the refusals are logged once, not 998 times" 1 refusals_logged
no_ctl_in_log() { ! grep -q "$(printf '\033')" "$T/daemon.log"; }
check_poll "the idle connections are closed after --client-timeout 3" 6 sh -c \
	"[ \"\$('$SHMWATCH' --socket '$SOCK' --json status | '$JSONX' clients)\" = 1 ]"
check "status: clients_timed_out counts them" status_gt clients_timed_out 31
check "status: clients_dropped counts refusals and timeouts" status_gt clients_dropped \
	$((D0 + 998 + 31))
kill -USR1 "$IDLE"
wait "$IDLE"
check_eq "the idle client saw its 32 connections closed by the daemon" "closed 32" \
	sed -n 2p "$T/idle.out"
check_rc "root's status answers after the idle client" 0 sw status

# ---- 1000 connections that ask and never read ----------------------------------------------------
# The user's own events (recent lines it may see): a storm of shmat+shmdt of its own segment,
# 12000 events.
: >"$SD/nb/st.out"
chmod 666 "$SD/nb/st.out"
(asx "$NUID" "$NHOLD" --ready "$SD/nb/st.out" create private 4096 storm 6000 rmid) >"$T/st.log" 2>&1 &
ST=$!
echo "$ST" >>"$T/pids"
wait_until "the user's storm to end" grep -q ' ready' "$SD/nb/st.out"
answer_bytes() { as "$NUID" "$NSW" --socket "$SOCK" --json events -n 10000 | wc -c; }
ANS=$(answer_bytes)
check "setup: the user's events answer is over 2 MB ($ANS bytes)" test "$ANS" -gt 2000000
DR0=$(status_field clients_dropped)
RSS0=$(rss_kb)
(asx "$NUID" "$NCLIENTS" hog "$SOCK" 1000 1 '{"cmd":"events","last":10000}') \
	>"$T/hog.out" 2>"$T/hog.err" &
HOG=$!
echo "$HOG" >>"$T/pids"
wait_until "the hog to send its requests" grep -q '^sent' "$T/hog.out"
worst=0
i=0
while [ "$i" -lt 5 ]; do
	T0=$(now_cs)
	if ! sw --timeout 2 status >/dev/null 2>&1; then
		worst=999
		break
	fi
	t=$(($(now_cs) - T0))
	[ "$t" -gt "$worst" ] && worst=$t
	i=$((i + 1))
done
check "root's status answers within a second while 1000 non-readers hold on (worst ${worst}0 ms)" \
	test "$worst" -lt 100
GROWTH_MB=$((($(hwm_kb) - RSS0) / 1024))
echo "NOTE $TEST_NAME: RSS $RSS0 kB before the non-readers, peak +$GROWTH_MB MB"
check "the daemon's peak RSS grows by at most 32 MB (+$GROWTH_MB MB)" test "$GROWTH_MB" -le 32
check_poll "the stalled non-readers are dropped after --client-timeout" 8 sh -c \
	"[ \"\$('$SHMWATCH' --socket '$SOCK' --json status | '$JSONX' clients)\" = 1 ]"
check "status: clients_dropped grew by the 1000" status_gt clients_dropped $((DR0 + 999))
kill -USR1 "$HOG"
wait "$HOG"
kill -USR1 "$ST" 2>/dev/null
check_rc "root's status answers after the non-readers" 0 sw status
check "no escape sequence in the daemon's log" no_ctl_in_log
stop_daemon

# ---- the reserve ---------------------------------------------------------------------------------
start_daemon_ab --max-clients 100 --client-timeout 60 || finish
OPEN=0
for u in 65534 65533 65532 65531; do
	(asx "$u" "$NCLIENTS" idle "$SOCK" 32 1) >"$T/idle.$u" 2>"$T/idle.$u.err" &
	echo "$!" >"$T/idle.$u.pid"
	echo "$!" >>"$T/pids"
	wait_until "uid $u's connections" grep -q '^connected' "$T/idle.$u"
	OPEN=$((OPEN + $(awk '{ print $8 }' "$T/idle.$u")))
done
check_eq "--max-clients 100: other users hold 75 connections in all (25 kept for root)" 75 \
	echo "$OPEN"
check_rc "root's status answers while the other users hold all they may" 0 sw --timeout 2 status
many_root() { "$CLIENTS" many "$SOCK" 20; }
check_eq "root opens 20 more: all answered (the reserve)" \
	"connected 20 ok 20 busy 0 error 0 closed 0 timeout 0" many_root
for u in 65534 65533 65532 65531; do
	kill -USR1 "$(cat "$T/idle.$u.pid")" 2>/dev/null
done
stop_daemon
finish
