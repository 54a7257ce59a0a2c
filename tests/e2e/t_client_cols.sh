#!/bin/sh
# lsipc's conventions in shmwatch's tables (issue 15), each option as a user types it, checked
# against the kernel's /proc/sysvipc/shm: ls -o with lsipc's column names (COMMAND: the
# creator's comm), -b (bytes), sizes human by default (16K, 1.5M), -r (raw), -n and its old
# name --no-headers, -t (the kernel's attach, detach and change times), --user (name or uid),
# -h (help); ps with several pids (one of them gone) and ps -c NAME; --json's error object when
# the daemon is not there, and the hint naming the socket tried.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon || finish
NAME=shmwc$$
hold a create "$(new_key)" 16384 attach name "$NAME" || finish
A=$(hpid a)
ID=$(hval a shmid)
hold b use "$ID" attach detach attach name "$NAME" || finish
B=$(hpid b)
hold c create "$(new_key)" 1572864 attach || finish
C=$(hpid c)
ID2=$(hval c shmid)
expect_kernel "kernel: two holders of the 16K segment" "$ID" 2 "$A $B"
expect_kernel "kernel: one holder of the 1.5M segment" "$ID2" 1 "$C"

kcol() { "$ORACLE" col "$1" "$2"; } # kcol SHMID COLUMN: the kernel's value
# The row of SHMID in a table whose ID column is the one named (the rest as printed).
row_of() { # row_of SHMID FIELD-OF-ID CLIENT-ARGS...
	_ri=$1
	_rf=$2
	shift 2
	sw "$@" | awk -v id="$_ri" -v f="$_rf" '$f == id'
}

# -o with lsipc's names, -b, -n: the kernel's values, column by column.
want=$(printf '0x%08x %s %s %s %04d %s %s %s' "$(kcol "$ID" key)" "$ID" "$(kcol "$ID" size)" \
	"$(kcol "$ID" nattch)" "$(kcol "$ID" perms)" "$(kcol "$ID" cpid)" "$(kcol "$ID" lpid)" \
	"$(kcol "$ID" uid)")
row() { row_of "$ID" 2 ls -o KEY,ID,SIZE,NATTCH,PERMS,CPID,LPID,UID -b -n | tr -s ' '; }
check_eq "ls -o KEY,ID,SIZE,NATTCH,PERMS,CPID,LPID,UID -b -n: the kernel's row" "$want" row
# Sizes: human by default, as lsipc prints them (16K, 1.5M); -b in bytes.
size_of() { row_of "$1" 1 ls -o ID,SIZE -n "$2" | awk '{ print $2 }'; }
check_eq "ls: 16384 bytes show as 16K" 16K size_of "$ID" -r
check_eq "ls: 1572864 bytes show as 1.5M" 1.5M size_of "$ID2" -r
check_eq "ls -b: 1572864 bytes" "$(kcol "$ID2" size)" size_of "$ID2" -b
# COMMAND: the creator's name, as the shmget was seen (c made the 1.5M segment, and kept its name).
cmd_of() { row_of "$ID2" 1 ls -o ID,COMMAND -n | awk '{ print $2 }'; }
check "kernel: c created the 1.5M segment" test "$(kcol "$ID2" cpid)" = "$C"
check_eq "ls -o COMMAND: the creator's comm" "$(cat "/proc/$C/comm")" cmd_of
# -r: one space apart, even where the aligned table pads.
raw() { sw ls -r -n -o ID,NATTCH,KEY | grep "^$ID "; }
check_eq "ls -r: cells one space apart" \
	"$ID $(kcol "$ID" nattch) $(printf '0x%08x' "$(kcol "$ID" key)")" raw
heads() { sw ls -o KEY,ID,SIZE,NATTCH,STATUS,CPID,LPID "$@" | head -n 1 | tr -s ' '; }
check_eq "ls -o: lsipc's headers" "KEY ID SIZE NATTCH STATUS CPID LPID" heads
same_noheadings() { [ "$(sw ls -n -o ID -A)" = "$(sw ls --no-headers -o ID -A)" ]; }
check "ls --no-headers is -n" same_noheadings
no_head() { ! sw ls -n | grep -q '^KEY'; }
check "ls -n: no header line" no_head
check_rc "ls -o FOO: a usage error (exit 2)" 2 sw ls -o FOO
help_is_help() { sw -h | grep -q '^Usage: shmwatch'; }
check "-h is help" help_is_help
list_names() { sw --list | grep -q '^  ATTACH, ATIME'; }
check "--list names the columns" list_names

# -t: the kernel's times. The 16K segment was detached by b (then attached again).
epoch_of() { # RFC 3339 UTC on stdin: seconds since the epoch (POSIX awk, no date(1))
	awk -F'[-T:Z.]' 'NF >= 6 {
		y = $1; m = $2; d = $3
		if (m <= 2) { y--; m += 12 }
		days = 365 * y + int(y / 4) - int(y / 100) + int(y / 400) + int((153 * (m - 3) + 2) / 5) + d - 719469
		print days * 86400 + $4 * 3600 + $5 * 60 + $6 }'
}
times_of() { # times_of SHMID: "atime dtime ctime" as shmwatch ls --json has them, in seconds
	_tj=$(sw --json ls | "$JSONX" 'segments[]' shmid atime dtime ctime |
		awk -v id="$1" '$1 == id { print $2; print $3; print $4 }')
	echo "$_tj" | epoch_of | tr '\n' ' ' | sed 's/ $//'
}
check_eq "ls --json: atime, dtime, ctime are the kernel's" \
	"$(kcol "$ID" atime) $(kcol "$ID" dtime) $(kcol "$ID" ctime)" times_of "$ID"
check "kernel: the 16K segment was detached once" test "$(kcol "$ID" dtime)" -gt 0
t_head() { sw ls -t | head -n 1 | awk '{ print $(NF - 2), $(NF - 1), $NF }'; }
check_eq "ls -t: ATTACH DETACH CTIME columns" "ATTACH DETACH CTIME" t_head
never_detached() { row_of "$ID2" 1 ls -o ID,DETACH -n | awk '{ print $2 }'; }
check "kernel: the 1.5M segment was never detached" test "$(kcol "$ID2" dtime)" = 0
check_eq "ls -o DETACH: - where the kernel has no time" "-" never_detached

# --user: by name and by uid (the kernel's uid column), and not under another user.
listed_for() { sw --json ls --user "$1" | "$JSONX" 'segments[]' shmid | grep -qx "$ID"; }
OWNER=$(kcol "$ID" uid)
check "ls --user $OWNER (uid) lists the segment" listed_for "$OWNER"
check "ls --user root lists it" listed_for root
check "kernel: the segment's owner is root" test "$OWNER" = 0
not_for_nobody() { ! listed_for 65534; }
check "ls --user 65534 does not list it" not_for_nobody
check_rc "ls --user 'a b': a usage error" 2 sw ls --user 'a b'

# ps with several pids: each as the kernel has it; a gone pid is an error, the others answered.
ps_both() { sw --json ps "$A" "$C" | "$JSONX" 'segments[]' shmid vmas | sort -n | tr '\n' ' '; }
kps_both() { { "$ORACLE" ps "$A"; "$ORACLE" ps "$C"; } | awk '{ print $2, $3 }' | sort -n |
	tr '\n' ' '; }
check_eq "ps A C: both processes' segments, as the kernel maps them" "$(kps_both)" ps_both
GONE=$(($(cat /proc/sys/kernel/pid_max) - 1))
while [ -e "/proc/$GONE" ]; do GONE=$((GONE - 1)); done
check_rc "ps A GONE: exit 1" 1 sw ps "$A" "$GONE"
still_a() { sw ps "$A" "$GONE" 2>/dev/null | grep -q "^pid $A "; }
check "ps A GONE: A is still shown" still_a
# ps -c NAME: the holders named so (a and b renamed themselves; c did not).
ps_c() { sw --json ps -c "$NAME" | "$JSONX" 'processes[]' pid | sort -n | tr '\n' ' '; }
check_eq "ps -c $NAME: the two processes of that name" \
	"$(printf '%s\n%s\n' "$A" "$B" | sort -n | tr '\n' ' ')" ps_c

# No daemon: --json still answers, with the socket tried; the hint names it.
nojson() { "$SHMWATCH" --socket "$T/none.sock" --json ls 2>/dev/null | "$JSONX" . ok code socket; }
check_eq "no daemon, --json: an error object on stdout" "false unreachable $T/none.sock" nojson
check_rc "no daemon, --json: exit 3 still" 3 "$SHMWATCH" --socket "$T/none.sock" --json ls
hint_names() {
	_h=$("$SHMWATCH" --socket "$T/none.sock" status 2>&1)
	echo "$_h" | grep -q -- "--socket $T/none.sock" && ! echo "$_h" | grep -q 'make run'
}
check "no daemon at another socket: the hint names it, not make run" hint_names
finish
