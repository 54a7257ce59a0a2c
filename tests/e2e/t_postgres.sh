#!/bin/sh
# PostgreSQL 15 with shared_memory_type = sysv (issue #12, tests): its main shared memory is one
# SysV segment, and the lifecycle lines of each of its segments must come in the kernel's order
# through start, a crash restart, each shutdown mode (smart, fast, immediate) and a start after
# the postmaster itself was killed. Runs the server from /usr/lib/postgresql/15/bin (SHMW_PGBIN)
# as the postgres user, with its data, socket and log in a private directory (no TCP).
#
# What PostgreSQL does (src/backend/port/sysv_shmem.c; seen with strace -f -e
# trace=shmget,shmat,shmdt,shmctl on 15.18):
#  - start: the postmaster shmget(IPC_CREAT|IPC_EXCL) and shmat; its children (checkpointer,
#    background writer, walwriter, startup, backends...) inherit the attachment by fork and
#    drop it at exit. postmaster.pid's 7th line is "KEY SHMID".
#  - shutdown, any mode, and the reinitialisation after a backend crashed: once every child
#    has exited, the postmaster runs its on_shmem_exit callbacks, last registered first: shmdt,
#    then shmctl(IPC_RMID): destroyed by the IPC_RMID. After a crash it then creates a new
#    segment (the same key, a new shmid).
#  - start after the postmaster was killed (postmaster.pid left behind, the segment left with
#    nattch 0): the new postmaster checks the old segment (IPC_STAT, shmat, shmdt), then
#    removes it: shmget(KEY) finds it, IPC_STAT, shmat, shmctl(IPC_RMID), shmdt: destroyed by
#    that shmdt. Then it creates its own.
# Each segment's lines are checked two ways: the postmaster's (and the lifecycle) lines are
# exactly the sequence above, and every line follows from those before it (a process attaches
# only what it does not hold, detaches only what it holds, nobody holds it at destroy, nothing
# comes after). Live segments: who equals the kernel, and every child holding it was logged
# attaching by fork.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

PGBIN=${SHMW_PGBIN:-/usr/lib/postgresql/15/bin}
for b in postgres initdb pg_ctl psql; do
	[ -x "$PGBIN/$b" ] && continue
	if [ "${CI:-}" = true ]; then
		fail "PostgreSQL 15 is not installed: no $PGBIN/$b (package postgresql-15; scripts/install-deps.sh --test installs it)"
	else
		skip "PostgreSQL 15 is not installed: no $PGBIN/$b (apt-get install postgresql-15, or scripts/install-deps.sh --test)"
	fi
	finish
done
if ! id postgres >/dev/null 2>&1; then
	fail "PostgreSQL is installed but there is no postgres user"
	finish
fi
need runuser util-linux || finish

# The server's files: a directory the postgres user can reach ($T is root's, mode 0700).
PGD=$(mktemp -d "${TMPDIR:-/tmp}/shmw-pg.XXXXXX") || {
	fail "mktemp"
	finish
}
chmod 755 "$PGD"
chown postgres "$PGD"
PGDATA=$PGD/data
PORT=5999
echo "$PGD" >"$T/pgdir"

pg() { runuser -u postgres -- "$@"; }
pgctl() { pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGD/server.log" -w -t 60 "$@" >>"$T/pg_ctl.out" 2>&1; }
pm_pid() { head -n 1 "$PGDATA/postmaster.pid" 2>/dev/null; }
pm_seg() { sed -n 7p "$PGDATA/postmaster.pid" 2>/dev/null | awk '{ print $2 }'; }
pm_ready() { [ "$(sed -n 8p "$PGDATA/postmaster.pid" 2>/dev/null | tr -d ' ')" = ready ]; }
gone_pid() { [ ! -d "/proc/$1" ]; } # not even a zombie: the postmaster checks with kill(pid, 0)
# children_of PID: the processes whose parent is PID.
children_of() {
	for _s in /proc/[0-9]*/status; do
		awk -v p="$1" '$1 == "PPid:" && $2 == p { split(FILENAME, a, "/"); print a[3] }' \
			"$_s" 2>/dev/null
	done | sort -n
}

# Stop the server (if it runs) whatever happens, keep its log, remove its files.
pg_cleanup() {
	if [ -f "$PGDATA/postmaster.pid" ] && ! gone_pid "$(pm_pid)"; then
		pgctl stop -m immediate || kill -KILL "$(pm_pid)" 2>/dev/null
	fi
	cp "$PGD/server.log" "$T/server.log" 2>/dev/null
	rm -rf "$PGD"
}
# shellcheck disable=SC2154 # _pgrc is set in the trap itself
trap '_pgrc=$?; pg_cleanup; (exit $_pgrc); _cleanup' EXIT

# register: the running postmaster and its segment go where the runner's reaper finds them
# (reap: "PID shmid ID NS KEY SIZE" lines of $T/*.out) if the scenario is killed.
register() {
	_rk=$(sed -n 7p "$PGDATA/postmaster.pid" | awk '{ printf "0x%08x", $1 }')
	echo "$(pm_pid) shmid $(pm_seg) $SELF_NS $_rk 0" >>"$T/pg.out"
}

# proj SHMID PIDS: the segment's lines that are lifecycle lines (create, rmid, destroy) or name
# one of PIDS, in log order.
proj() {
	seq_of "$1" | tr ' ' '\n' | awk -v pids=" $2 " -F: '
		$1 == "create" || $1 == "rmid" || $1 == "destroy" || index(pids, " " $3 " ") {
			printf "%s%s", sep, $0; sep = " " }'
}
# follows SHMID: "ok", or the first line of the segment's that does not follow from the ones
# before it.
follows() {
	seq_of "$1" | awk '{
		n = split($0, t, " ")
		if (n == 0) { print "no lines"; exit }
		split(t[1], f, ":")
		if (f[1] != "create") { print "the first line is " t[1] ", not a create"; exit }
		for (i = 2; i <= n; i++) {
			split(t[i], f, ":"); ev = f[1]; p = f[3]
			if (gone) { print "a line after the destroy: " t[i]; exit }
			if (ev == "attach") {
				if (held[p]) { print "an attach of a holder: " t[i]; exit }
				held[p] = 1; nh++
			} else if (ev == "detach") {
				if (!held[p]) { print "a detach of a process that did not hold it: " t[i]; exit }
				held[p] = 0; nh--
			} else if (ev == "destroy") {
				if (nh) { print nh " holder(s) left at " t[i]; exit }
				gone = 1
			} else if (ev == "rmid") {
				if (rm++) { print "a second rmid: " t[i]; exit }
			} else if (ev == "create") {
				print "a second create: " t[i]; exit
			}
		}
		print "ok" }'
}
_pg_ok() { [ "$(proj "$1" "$3")" = "$2" ] && [ "$(follows "$1")" = ok ]; }
# check_pg NAME SHMID WANT PIDS: polls until proj SHMID PIDS is WANT and every line follows.
check_pg() {
	if poll "$SHMW_WAIT" _pg_ok "$2" "$3" "$4"; then
		pass "$1"
		return 0
	fi
	fail "$1 (shmid $2)" "want: $3" "got:  $(proj "$2" "$4")" "order: $(follows "$2")" \
		"all lines: $(seq_of "$2")"
	return 1
}
# forks_logged NAME SHMID PM: every process the kernel shows holding SHMID, but PM, was logged
# attaching it by fork (from PM). The kernel is read first and once: the postmaster goes on
# forking, and a child born after a log read is not a miss. The log may trail the kernel by
# the ring's latency, so it is polled for those children.
_fl_all() {
	_fl=$(seq_of "$1")
	_flmiss=
	for _p in $2; do
		case " $_fl " in
		*" attach:fork:$_p "*) ;;
		*) _flmiss="$_flmiss $_p" ;;
		esac
	done
	[ -z "$_flmiss" ]
}
forks_logged() {
	_flk=$("$ORACLE" holders "$2" | grep -vx "$3")
	if poll "$SHMW_WAIT" _fl_all "$2" "$_flk"; then
		pass "$1"
		return 0
	fi
	fail "$1 (shmid $2)" "held by (kernel):$(echo $_flk)" "not logged by fork:$_flmiss" \
		"all lines: $_fl"
	return 1
}
# started NAME: after a start, the new segment: who equals the kernel, the postmaster holds it,
# its lines begin with the postmaster's shmget and shmat, its children were logged by fork.
started() {
	PM=$(pm_pid)
	SEG=$(pm_seg)
	register
	expect_kernel_has() { "$ORACLE" holders "$SEG" | grep -qx "$PM"; }
	check "kernel: $1: the postmaster $PM holds shmid $SEG" poll "$SHMW_WAIT" expect_kernel_has
	check_who "who: $1: the postmaster's segment" "$SEG"
	first2() { seq_of "$SEG" | cut -d' ' -f1-2; }
	at_once check_eq "log: $1: created and attached by the postmaster" \
		"create:shmget:$PM attach:shmat:$PM" first2
	forks_logged "log: $1: each child holding it was logged attaching by fork" "$SEG" "$PM"
}

start_daemon || finish

if ! pg "$PGBIN/initdb" -N -A trust -U postgres -D "$PGDATA" >"$T/initdb.out" 2>&1; then
	fail "initdb" "$(tail -n 20 "$T/initdb.out")"
	finish
fi
cat >>"$PGDATA/postgresql.conf" <<EOF
shared_memory_type = sysv
dynamic_shared_memory_type = posix
huge_pages = off
shared_buffers = 1MB
max_connections = 10
listen_addresses = ''
unix_socket_directories = '$PGD'
port = $PORT
fsync = off
autovacuum = off
logging_collector = off
EOF

# Start.
pgctl start || {
	fail "pg_ctl start" "$(tail -n 20 "$PGD/server.log")"
	finish
}
started "start"

# A backend is killed: the postmaster kills the others and reinitialises.
pg "$PGBIN/psql" -h "$PGD" -p "$PORT" -U postgres -d postgres -Atc 'select pg_sleep(600)' \
	>/dev/null 2>&1 &
echo "$!" >>"$T/pids"
backend() {
	for _c in $(children_of "$PM"); do
		case $(tr '\000' ' ' <"/proc/$_c/cmdline" 2>/dev/null) in
		*"[local]"*) echo "$_c" && return 0 ;;
		esac
	done
	return 1
}
wait_until "a backend of $PM" backend >/dev/null
BK=$(backend)
check_log "log: the backend $BK attached by fork" attach fork "$BK" "$SEG"
OLD=$SEG
kill -KILL "$BK"
restarted() { pm_ready && [ -n "$(pm_seg)" ] && [ "$(pm_seg)" != "$OLD" ]; }
if ! poll 30 restarted; then
	fail "the postmaster did not reinitialise in 30 s" "$(tail -n 20 "$PGD/server.log")"
	finish
fi
check_eq "the same postmaster" "$PM" pm_pid
expect_kernel "kernel: crash restart: the old segment is gone" "$OLD" gone ""
check_pg "log: crash restart: the old segment's lines, in the kernel's order" "$OLD" \
	"create:shmget:$PM attach:shmat:$PM detach:shmdt:$PM rmid:shmctl:$PM destroy:rmid:$PM" "$PM"
started "after the crash restart"

# Each shutdown mode, then a start.
for mode in smart fast immediate; do
	OLD=$SEG
	OLDPM=$PM
	pgctl stop -m "$mode" || fail "pg_ctl stop -m $mode" "$(tail -n 20 "$PGD/server.log")"
	wait_until "the postmaster $OLDPM to be gone ($mode)" gone_pid "$OLDPM"
	expect_kernel "kernel: $mode shutdown: the segment is gone" "$OLD" gone ""
	check_pg "log: $mode shutdown: the segment's lines, in the kernel's order" "$OLD" \
		"create:shmget:$OLDPM attach:shmat:$OLDPM detach:shmdt:$OLDPM rmid:shmctl:$OLDPM destroy:rmid:$OLDPM" \
		"$OLDPM"
	pgctl start || {
		fail "pg_ctl start after $mode" "$(tail -n 20 "$PGD/server.log")"
		finish
	}
	started "start after $mode"
done

# The postmaster is killed: its children follow; the next start removes the old segment.
OLD=$SEG
OLDPM=$PM
kill -KILL "$OLDPM"
wait_until "the killed postmaster $OLDPM to be reaped" gone_pid "$OLDPM"
unheld() { [ "$("$ORACLE" seg "$OLD" | cut -d' ' -f2)" = 0 ]; }
if ! poll 30 unheld; then
	fail "kernel: the postmaster's children still hold $OLD 30 s after it was killed" \
		"$("$ORACLE" holders "$OLD")"
	finish
fi
pass "kernel: the killed postmaster's segment is left, unattached"
pgctl start || {
	fail "pg_ctl start after the postmaster was killed" "$(tail -n 20 "$PGD/server.log")"
	finish
}
Q=$(pm_pid)
expect_kernel "kernel: the new postmaster removed the old segment" "$OLD" gone ""
check_pg "log: start after a crash: the old segment's lines, in the kernel's order" "$OLD" \
	"create:shmget:$OLDPM attach:shmat:$OLDPM detach:exit:$OLDPM attach:shmat:$Q detach:shmdt:$Q attach:shmat:$Q rmid:shmctl:$Q detach:shmdt:$Q destroy:shmdt:$Q" \
	"$OLDPM $Q"
started "start after a crash"

# A last clean stop.
OLD=$SEG
OLDPM=$PM
pgctl stop -m fast || fail "pg_ctl stop -m fast" "$(tail -n 20 "$PGD/server.log")"
wait_until "the postmaster $OLDPM to be gone" gone_pid "$OLDPM"
expect_kernel "kernel: the last segment is gone" "$OLD" gone ""
check_pg "log: the last stop: the segment's lines, in the kernel's order" "$OLD" \
	"create:shmget:$OLDPM attach:shmat:$OLDPM detach:shmdt:$OLDPM rmid:shmctl:$OLDPM destroy:rmid:$OLDPM" \
	"$OLDPM"
finish
