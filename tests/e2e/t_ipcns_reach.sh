#!/bin/sh
# An IPC namespace is reached through any live process in it, and is gone only when the kernel
# frees it (issue #12, section 4, first finding). A creates a private namespace with two
# segments, X (attached) and Y (never attached); B joins it and attaches X. A marks X for
# destruction and exits: X lingers, held by B, and both segments are alive. The daemon must keep
# reading the namespace through B: who --ns says what the kernel says, X's linger alert names
# B, and nothing is called destroyed. B creates Z there (a create the daemon can learn through B
# alone), then detaches X (destroyed by that shmdt). When B exits, the last process of the
# namespace, the kernel frees it with Y and Z: only then are they destroyed.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# ls_ns NS: "SHMID nattch=N status=S holders=H" of `shmwatch ls` for the namespace NS.
ls_ns() {
	sw --json ls -A | "$JSONX" 'segments[]' ns shmid nattch status holders |
		awk -v n="$1" '$1 == n { printf "%s nattch=%s status=%s holders=%s\n", $2, $3, $4, $5 }' |
		sort -n
}
# k_ls_ns NS: the same from the kernel.
k_ls_ns() {
	for _id in $X $Y ${Z:-}; do
		_ks=$("$ORACLE" seg "$_id" --ns "$1") || continue
		_kh=$("$ORACLE" holders "$_id" --ns "$1" | wc -l | tr -d ' ')
		echo "$_ks" | awk -v id="$_id" -v h="$_kh" '{
			printf "%s nattch=%s status=%s holders=%s\n", id, $2,
				(int($3 / 1000) % 2) ? "dest" : "active", h }'
	done | sort -n
}
who_status() { sw --json who "$1" --ns "$2" | "$JSONX" . status nattch; }
yz_alive() { [ "$(ev_count destroy "$Y" "$NS")$(ev_count destroy "$Z" "$NS")" = 00 ]; }
# life_nopid SHMID NS: seq_of without the destroy line's pid (a namespace's end has no releaser).
life_nopid() { seq_of "$1" "$2" | sed 's/destroy:\([a-z]*\):[^ ]*/destroy:\1/'; }
no_end_yet() { # no_end_yet SHMID: no destroy and no linger_end line about SHMID in NS
	[ "$(ev_count destroy "$1" "$NS")" = 0 ] && [ "$(ev_count linger_end "$1" "$NS")" = 0 ]
}

start_daemon --linger-after 1 --realert 0 || finish

X=3100
Y=3101
Z=3102
hold a name nsfirst unshare-ipc next-id "$X" create "$(new_key)" 12288 attach \
	next-id "$Y" create "$(new_key)" 4096 pause use "$X" rmid exit || finish
A=$(hpid a)
NS=$(hval a ns)
hold b name nsjoin join-ipc "$A" use "$X" attach pause next-id "$Z" create "$(new_key)" 8192 \
	pause detach || finish
B=$(hpid b)
check_eq "kernel: B joined A's namespace" "$NS" hval b ns
check_eq "kernel: the segments got the ids asked for" "$X $Y" sh -c \
	"awk '\$2 == \"shmid\" && \$4 == \"$NS\" { printf \"%s \", \$3 }' '$T/a.out' | sed 's/ \$//'"
expect_kernel "kernel: X held by A and B" "$X" 2 "$A $B" "$NS"
expect_kernel "kernel: Y held by nobody" "$Y" 0 "" "$NS"
check_who "who --ns: X" "$X" "$NS"
at_once check_eq "log: X created by A" "shmget $A" ev_field create "$X" "$NS" cause pid
at_once check_eq "log: Y created by A" "shmget $A" ev_field create "$Y" "$NS" cause pid

# A marks X for destruction and exits: B is the namespace's only process.
hcont a || finish
wait_until "A to exit" dead "$A"
expect_kernel "kernel: X marked, held by B" "$X" 1 "$B" "$NS"
expect_kernel "kernel: Y still there" "$Y" 0 "" "$NS"
check_who "who --ns: X after the first process left" "$X" "$NS"
at_once check_who "who --ns: Y after the first process left" "$Y" "$NS"
at_once check_eq "who --ns: X is dest, nattch 1" "dest 1" who_status "$X" "$NS"
check "log: a linger alert for X" poll "$SHMW_WAIT" ev_has linger "$X" "$NS"
at_once check_eq "linger: names B alone" "$B 1" \
	ev_field linger "$X" "$NS" 'holders[0].pid' 'len(holders)'
let_time_pass 2
check "log: no destroy and no linger_end for X while B holds it" no_end_yet "$X"
check "log: no destroy for Y while its namespace lives" no_end_yet "$Y"
at_once check_eq "ls: the namespace's segments" "$(k_ls_ns "$NS")" ls_ns "$NS"

# B creates Z: the namespace is reached through B.
hcont b || finish
expect_kernel "kernel: Z created by B" "$Z" 0 "" "$NS"
check_eq "log: Z created by B" "shmget $B" ev_field create "$Z" "$NS" cause pid
at_once check_who "who --ns: Z" "$Z" "$NS"
at_once check_eq "ls: the namespace's segments with Z" "$(k_ls_ns "$NS")" ls_ns "$NS"

# B detaches X: destroyed by that shmdt.
hcont b || finish
expect_kernel "kernel: X destroyed by B's shmdt" "$X" gone "" "$NS"
check_seq "log: X's life: create(A) attach(A) attach(B) rmid(A) detach(exit A) detach(shmdt B) destroy(shmdt B)" \
	"create:shmget:$A attach:shmat:$A attach:shmat:$B rmid:shmctl:$A detach:exit:$A detach:shmdt:$B destroy:shmdt:$B" \
	"$X" "$NS"
at_once check_eq "log: the alert ended with X's destruction" destroyed ev_field linger_end "$X" "$NS" reason
at_once check "log: Y and Z still not destroyed" yz_alive
at_once check_eq "ls: the namespace's segments after X" "$(k_ls_ns "$NS")" ls_ns "$NS"

# B exits: the namespace's last process. The kernel frees it, and Y and Z with it.
hend b || finish
check "log: Y destroyed (vanished) once its namespace is gone" poll "$SHMW_WAIT" ev_has destroy "$Y" "$NS"
at_once check_eq "log: Y's life: create, destroy(vanished)" \
	"create:shmget:$A destroy:vanished" life_nopid "$Y" "$NS"
at_once check_eq "log: Z's life: create, destroy(vanished)" \
	"create:shmget:$B destroy:vanished" life_nopid "$Z" "$NS"
at_once check_eq "ls: nothing left of the namespace" "" ls_ns "$NS"
finish
