#!/bin/sh
# No limit on the segments one process holds but memory (issue #12, section 2). A process that
# attaches 65 segments, one more than the BPF record once had slots for: ps, who, the linger
# alert and verify name it for every one, and nothing overflows. Then 1000 segments in one
# process, a fork, the child's exit, IPC_RMID of all of them and the holder's exit: ps, who and
# the segments' rows in ls equal the kernel at every step, a bystander holding another segment is
# never disturbed, verify finds nothing, and each segment's log lines are exactly its life.
# The first check of each state polls until the daemon has caught up; the others about that
# state look once (at_once), so that the scenario ends in time when many fail.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_robust.sh
. "$(dirname "$0")/lib_robust.sh"

# segs_of PID: how many segments the kernel shows PID maps.
segs_of() { "$ORACLE" ps "$1" | wc -l | tr -d ' '; }
# nth_shmid NAME N: the Nth segment NAME created.
nth_shmid() { awk -v n="$2" '$2 == "shmid" && ++k == n { print $3; exit }' "$T/$1.out"; }
# ids_of NAME: every segment NAME created, one a line.
ids_of() { awk '$2 == "shmid" { print $3 }' "$T/$1.out"; }
# incomplete_mine PID...: how many times the daemon logged that it could not count one of these
# processes (status.overflows counts every process on the host, and other workloads move it).
incomplete_mine() {
	for _p in "$@"; do
		grep -c "^shmwatchd: info: pid $_p (.*counts incomplete" "$T/daemon.log"
	done | awk '{ n += $1 } END { print n + 0 }'
}
# rows_mine IDFILE: "SHMID nattch=N holders=H status=S" for those segments of our namespace,
# from the kernel (k) or from shmwatch ls (d).
k_rows_mine() {
	awk 'NR == FNR { id[$1] = 1; next } FNR > 1 && ($2 in id) {
		printf "%s nattch=%s status=%s\n", $2, $7, (int($3 / 1000) % 2) ? "dest" : "active" }' \
		"$1" /proc/sysvipc/shm | sort -n
}
d_rows_mine() {
	sw --json ls | "$JSONX" 'segments[]' ns shmid nattch status | awk -v ns="$SELF_NS" '
		NR == FNR { id[$1] = 1; next } $1 == ns && ($2 in id) {
		printf "%s nattch=%s status=%s\n", $2, $3, $4 }' "$1" - | sort -n
}
same_rows() { [ "$(k_rows_mine "$1")" = "$(d_rows_mine "$1")" ]; }
check_rows() { # check_rows NAME IDFILE
	if poll "$SHMW_WAIT" same_rows "$2"; then
		pass "$1"
		return 0
	fi
	k_rows_mine "$2" >"$T/rows.k"
	d_rows_mine "$2" >"$T/rows.d"
	fail "$1" "$(wc -l <"$T/rows.k" | tr -d ' ') kernel rows, $(wc -l <"$T/rows.d" | tr -d ' ') ls rows; first differences (< kernel, > ls):" \
		"$(diff "$T/rows.k" "$T/rows.d" | grep '^[<>]' | head -n 10)"
	return 1
}
# holders_sum IDFILE: the sum over those segments of the holders `ls` counts (each counts its
# holder processes).
holders_sum() {
	sw --json ls | "$JSONX" 'segments[]' ns shmid holders | awk -v ns="$SELF_NS" '
		NR == FNR { id[$1] = 1; next } $1 == ns && ($2 in id) { n += $3 } END { print n + 0 }' "$1" -
}

# check_ps_diff NAME PID: check_ps, showing only the difference (a side has up to 1000 rows).
check_ps_diff() {
	if poll "$SHMW_WAIT" _same_ps "$2"; then
		pass "$1"
		return 0
	fi
	_same_ps "$2"
	echo "$_cp_k" >"$T/ps.k"
	echo "$_cp_d" >"$T/ps.d"
	fail "$1 (ps $2)" "kernel $(grep -c '^segment' "$T/ps.k") segments, shmwatch $(grep -c '^segment' "$T/ps.d"); first differences (< kernel, > shmwatch):" \
		"$(diff "$T/ps.k" "$T/ps.d" | grep '^[<>]' | head -n 10)"
	return 1
}

start_daemon --linger-after 1 --realert 0 || finish

# A bystander: one segment, one holder, which nothing below touches.
hold by name bystander create "$(new_key)" 8192 attach || finish
BYID=$(hval by shmid)
BY=$(hpid by)

# 65 segments in one process.
hold a name sixtyfive create-many 65 4096 || finish
A=$(hpid a)
ids_of a >"$T/a.ids"
A1=$(nth_shmid a 1)
A64=$(nth_shmid a 64)
A65=$(nth_shmid a 65)
check_eq "kernel: one process maps 65 segments" 65 segs_of "$A"
check_ps_diff "ps: the 65 segments of one process" "$A"
at_once check_who "who of its 1st segment" "$A1"
at_once check_who "who of its 64th segment" "$A64"
at_once check_who "who of its 65th segment" "$A65"
at_once check_rows "ls: its 65 segments' rows" "$T/a.ids"
at_once check_eq "ls: one holder for each of the 65" 65 holders_sum "$T/a.ids"
hold r name remover use "$A1" rmid || finish
R=$(hpid r)
expect_kernel "kernel: the 1st is marked and still held" "$A1" 1 "$A"
check "log: a linger alert for the 1st segment" poll "$SHMW_WAIT" ev_has linger "$A1"
at_once check_eq "linger: names its holder (pid, comm, role) and its remover" "$A sixtyfive owner $R 1" \
	ev_field linger "$A1" "" 'holders[0].pid' 'holders[0].comm' 'holders[0].role' rmid_pid \
	'len(holders)'
lingering_of() {
	_lj=$(sw_ok lingering) || { echo "$_lj"; return 1; }
	echo "$_lj" | "$JSONX" 'segments[]' ns shmid 'len(holders)' 'holders[0].pid' |
		awk -v n="$SELF_NS" -v s="$1" '$1 == n && $2 == s { $1 = $2 = ""; sub(/^ +/, ""); print }'
}
at_once check_eq "lingering: the 1st segment, held by the process" "1 $A" lingering_of "$A1"
verify_mine "65 segments" "$(tr '\n' ' ' <"$T/a.ids")" "$A"
at_once check_eq "no count BPF could not keep (no limit but memory)" 0 incomplete_mine "$A"
hend a || finish
expect_kernel "kernel: the 1st segment went with its holder" "$A1" gone ""
check_seq "log: the 1st segment's life" \
	"create:shmget:$A attach:shmat:$A rmid:shmctl:$R detach:exit:$A destroy:exit:$A" "$A1"
at_once check_eq "linger_end: destroyed" destroyed ev_field linger_end "$A1" "" reason

# 1000 segments in one process, then a fork.
N=1000
hold m name thousand create-many "$N" 4096 fork pause rmid-all exit || finish
M=$(hpid m)
MC=$(hval m child)
ids_of m >"$T/m.ids"
M1=$(nth_shmid m 1)
M64=$(nth_shmid m 64)
M65=$(nth_shmid m 65)
M500=$(nth_shmid m 500)
MN=$(nth_shmid m "$N")
at_once check_who "who of the bystander at once after the fork" "$BYID"
check_eq "kernel: the parent maps $N segments" "$N" segs_of "$M"
check_eq "kernel: the child maps $N segments" "$N" segs_of "$MC"
check_ps_diff "ps: the parent's $N segments" "$M"
at_once check_ps_diff "ps: the child's $N segments" "$MC"
for s in $M1 $M64 $M65 $M500 $MN; do
	at_once check_who "who of one of the $N (shmid $s) after the fork" "$s"
done
at_once check_rows "ls: the $N segments' rows after the fork" "$T/m.ids"
at_once check_eq "ls: two holders for each of the $N" $((N * 2)) holders_sum "$T/m.ids"
at_once check_who "who of the bystander after the fork" "$BYID"

# The child exits.
hcont m "$MC" || finish
wait_until "the child $MC to exit" dead "$MC"
at_once check_who "who of the bystander at once after the child's exit" "$BYID"
expect_kernel "kernel: the parent alone holds the 1st" "$M1" 1 "$M"
check_ps_diff "ps: the parent's $N segments after the child's exit" "$M"
at_once check_ps_diff "ps: the child that exited" "$MC"
for s in $M1 $M65 $MN; do
	at_once check_who "who of one of the $N (shmid $s) after the child's exit" "$s"
done
at_once check_rows "ls: the $N segments' rows after the child's exit" "$T/m.ids"
at_once check_eq "ls: one holder for each of the $N" "$N" holders_sum "$T/m.ids"
verify_mine "$N segments" "$(tr '\n' ' ' <"$T/m.ids")" "$M $MC"

# IPC_RMID of all of them, then the holder exits at once: all gone.
hcont m || finish
wait_until "the holder $M to exit" dead "$M"
check_eq "kernel: all $N gone" 0 kseg_left "$T/m.ids"
at_once check_ps_diff "ps: the holder that exited" "$M"
check_rows "ls: none of the $N is left" "$T/m.ids"
awk -v p="$M" -v c="$MC" '{ printf "%s create:shmget:%s attach:shmat:%s attach:fork:%s detach:exit:%s rmid:shmctl:%s detach:exit:%s destroy:exit:%s\n", $1, p, p, c, c, p, p, p }' \
	"$T/m.ids" >"$T/m.want"
check_seqs "log: each of the $N segments' lines, in the kernel's order" "$SELF_NS" "$T/m.want"
at_once check_who "who of the bystander at the end" "$BYID"
at_once check_eq "still no count BPF could not keep" 0 incomplete_mine "$M" "$MC"
verify_mine "after the exits" "$(tr '\n' ' ' <"$T/m.ids") $BYID" "$M $MC $BY"
finish
