#!/bin/sh
# --alert-exec under a flood of alerts that another user raises (uid 65534, through setpriv):
#  - 300 of its segments, removed while it holds them, linger at once: with the default queue
#    (--alert-queue) every one of the 300 linger alerts runs the hook, with its own alert on
#    stdin, and nothing is dropped (shmwatch_alert_hooks_dropped_total 0);
#  - with --alert-queue 20 and hooks that take 2 s: at most 8 run and 20 wait (to run later),
#    at least the other 272 are dropped (other workloads' alerts take places too), counted
#    (shmwatch_alert_hooks_dropped_total; every alert ran or was dropped) and logged once (at
#    most once a minute);
#  - the daemon is started holding an extra descriptor (9, without close-on-exec, as a shell
#    redirection leaves it): every hook has only 0, 1 and 2.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_robust.sh
. "$(dirname "$0")/lib_robust.sh"

NUID=65534
NSEG=300
if ! command -v setpriv >/dev/null 2>&1; then
	skip "setpriv (util-linux) is needed to run as another user"
	exit 0
fi

SD=$(mktemp -d "${TMPDIR:-/tmp}/shmw-hooks.XXXXXX") || exit 1
chmod 755 "$SD"
mkdir -m 755 "$SD/bin"
mkdir -m 777 "$SD/nb"
cp "$HOLD" "$SD/bin/"
chmod 755 "$SD/bin/"*
NHOLD=$SD/bin/$(basename "$HOLD")
# shellcheck disable=SC2154 # _hk_rc is set by the trap itself
trap '_hk_rc=$?; rm -rf "$SD"; (exit $_hk_rc); _cleanup' EXIT

metric() { sw metrics | awk -v m="$1" '$1 == m { print $2 }'; }

# start_hooked NAME HOOK [ARGS...]: the daemon with an extra fd 9 open, --linger-after 1.
start_hooked() {
	_shn=$1
	shift
	: >"$T/extra"
	"$SHMWATCHD" --socket "$T/sock" --log-file "$T/$_shn.jsonl" --linger-after 1 --realert 0 \
		--alert-exec "$@" >"$T/daemon.log" 2>&1 9<"$T/extra" &
	await_daemon "$!" || return 1
}

# lingerer NAME: the other user creates $NSEG segments, attaches and removes each, and holds on
# (5 processes of 60: a process holds at most 64 segments in shmw-hold; NAME.pids has them).
lingerer() {
	_ops=
	_i=0
	while [ "$_i" -lt $((NSEG / 5)) ]; do
		_ops="$_ops create private 4096 attach rmid"
		_i=$((_i + 1))
	done
	: >"$T/$1.pids"
	for _p in 0 1 2 3 4; do
		: >"$SD/nb/$1.$_p.out"
		chmod 666 "$SD/nb/$1.$_p.out"
		# shellcheck disable=SC2086
		(as_user_exec "$NUID" "$NUID" "$NHOLD" --ready "$SD/nb/$1.$_p.out" $_ops) \
			>"$T/$1.$_p.log" 2>&1 &
		echo "$!" >>"$T/pids"
		echo "$!" >>"$T/$1.pids"
	done
	for _p in 0 1 2 3 4; do
		wait_until "the other user's lingering segments ($1.$_p)" grep -q ' ready' \
			"$SD/nb/$1.$_p.out" || return 1
	done
	cat "$SD"/nb/"$1".?.out >"$T/$1.out"
	[ "$(grep -c ' rmid ' "$T/$1.out")" = "$NSEG" ]
}

# ids NAME: the shmids of NAME's segments.
ids() { awk '$2 == "shmid" { print $3 }' "$T/$1.out"; }
# nlinger DIR NAME: hooks run for linger alerts of NAME's segments (the daemon sees every
# segment of the machine: other workloads' alerts run the hook too, and are not counted).
nlinger() {
	ids "$2" | while read -r _n; do
		[ -e "$1/linger.$_n" ] && echo "$_n"
	done | wc -l | tr -d ' '
}

# ---- every alert runs its hook --------------------------------------------------------------
mkdir "$T/h1"
# Each hook keeps its alert and the descriptors it was given.
start_hooked one "cat >$T/h1/\$SHMWATCH_EVENT.\$SHMWATCH_SHMID; exec $ORACLE fds >$T/h1/fds.\$\$" ||
	finish
check "setup: the daemon holds descriptor 9" test -e "/proc/$DPID/fd/9"
check "setup: $NSEG segments removed while held" lingerer l1
wait_all() { [ "$(nlinger "$T/h1" l1)" = "$NSEG" ]; }
check_poll "all $NSEG linger alerts ran the hook" 60 wait_all
check_eq "none dropped (shmwatch_alert_hooks_dropped_total)" 0 metric \
	shmwatch_alert_hooks_dropped_total
own_alert() { # every linger.ID file of ours holds the linger alert of shmid ID
	for _id in $(ids l1); do
		[ "$("$JSONX" . event shmid <"$T/h1/linger.$_id")" = "linger $_id" ] || {
			echo "$_id: $(head -c 300 "$T/h1/linger.$_id")"
			return 1
		}
	done
}
check "each hook had its own alert on stdin" own_alert
fds_ok() {
	[ "$(find "$T/h1" -name 'fds.*' | wc -l)" -ge "$NSEG" ] || return 1
	for _f in "$T"/h1/fds.*; do
		[ "$(cat "$_f")" = "0 1 2" ] || {
			echo "$_f: $(cat "$_f")"
			return 1
		}
	done
}
check "every hook had descriptors 0, 1 and 2 only (not the daemon's 9)" fds_ok
kill -USR1 $(cat "$T/l1.pids")
for p in $(cat "$T/l1.pids"); do
	wait_until "the first holders to exit" dead "$p"
done
stop_daemon
mv "$T/daemon.log" "$T/daemon.one.log"

# ---- a bounded queue -------------------------------------------------------------------------------
mkdir "$T/h2"
start_hooked two "echo >$T/h2/\$SHMWATCH_EVENT.\$SHMWATCH_SHMID; sleep 2" --alert-queue 20 ||
	finish
# Other workloads' lingering segments alert once when the daemon starts: let them pass first.
idle_hooks() { [ "$(metric shmwatch_alert_hooks_running)" = 0 ] && [ "$(metric shmwatch_alert_hooks_queued)" = 0 ]; }
check_poll "setup: no hook runs or waits" 30 idle_hooks
D0=$(metric shmwatch_alert_hooks_dropped_total)
check "setup: $NSEG segments removed while held" lingerer l2
# Alerts of other workloads may take places in the queue too (so which of ours run is not
# known): at least 272 dropped, at most 28 of ours run. That queued alerts do run later is
# the first part's (300 alerts, 8 slots).
dropped_ge() { [ "$(metric shmwatch_alert_hooks_dropped_total)" -ge "$1" ]; }
check_poll "--alert-queue 20: at least 272 of $NSEG alerts dropped and counted" 20 dropped_ge \
	$((D0 + NSEG - 28))
check_poll "the queue drains" 30 idle_hooks
ran=$(nlinger "$T/h2" l2)
check "at most 28 of ours ran ($ran), the rest was dropped" test "$ran" -le 28
started_plus_dropped() { # every alert raised either ran or was dropped
	sw metrics >"$T/metrics.txt" || return 1
	awk '$1 ~ /^shmwatch_alerts_total[{]/ { a += $2 }
		$1 == "shmwatch_alert_hooks_started_total" { s = $2 }
		$1 == "shmwatch_alert_hooks_dropped_total" { d = $2 }
		END { exit !(a > 0 && s + d == a) }' "$T/metrics.txt"
}
check_poll "every alert either ran its hook or was counted dropped" 5 started_plus_dropped
drop_logged() { grep -c 'alert-queue' "$T/daemon.log"; }
check_eq "the drops are logged once (at most once a minute)" 1 drop_logged
kill -USR1 $(cat "$T/l2.pids")
stop_daemon
finish
