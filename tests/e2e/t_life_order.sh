#!/bin/sh
# Lifecycle lines in the kernel's order, at any speed (issue #12, section 1). Every step below
# runs with no pause between the system calls: the kernel does them in the order given, and the
# log's lines about each (namespace, shmid) must come in that order, each naming its cause and
# its process (the remover for rmid, the releaser for destroy):
#  - shmget, shmat, IPC_RMID, shmdt (PostgreSQL's start after a crash): the segment is destroyed
#    by the shmdt, not by the IPC_RMID while it was still attached;
#  - shmget, shmat, shmdt, IPC_RMID (PostgreSQL's clean shutdown): destroyed by the IPC_RMID;
#  - the same with the remover and the releaser in two processes, one waking the other;
#  - shmget, shmat, IPC_RMID, exit: destroyed by the exit;
#  - shmget, IPC_RMID: destroyed at once;
#  - many segments created, attached, detached and removed within milliseconds, in one process
#    and in short-lived processes (Python scripts, test suites): each gets all five lines.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# ops NAME: the calls NAME's process made, in its order (its progress lines without the
# start/stop ones): the kernel did them in this order, as each returned before the next.
ops() {
	awk '$2 != "start" && $2 != "ready" && $2 != "exiting" && $2 != "paused" && $2 != "name" {
		printf "%s%s", sep, $2; sep = " " }' "$T/$1.out"
}

start_daemon || finish

# shmget, shmat, IPC_RMID, shmdt.
hold a name rmfirst create "$(new_key)" 8192 attach rmid detach || finish
ID=$(hval a shmid)
A=$(hpid a)
check_eq "kernel: shmget shmat IPC_RMID shmdt, in that order" "shmid attach rmid detach" ops a
expect_kernel "kernel: destroyed (by the shmdt)" "$ID" gone ""
check_seq "log: create attach rmid detach destroy(shmdt), in order" \
	"create:shmget:$A attach:shmat:$A rmid:shmctl:$A detach:shmdt:$A destroy:shmdt:$A" "$ID"
check_eq "log: rmid: it was held then (holders 1)" 1 ev_field rmid "$ID" "" holders
check_eq "log: destroy names the releaser" "shmdt $A rmfirst" ev_field destroy "$ID" "" cause pid comm

# shmget, shmat, shmdt, IPC_RMID.
hold b name dtfirst create "$(new_key)" 8192 attach detach rmid || finish
ID=$(hval b shmid)
B=$(hpid b)
check_eq "kernel: shmget shmat shmdt IPC_RMID, in that order" "shmid attach detach rmid" ops b
expect_kernel "kernel: destroyed (by the IPC_RMID)" "$ID" gone ""
check_seq "log: create attach detach rmid destroy(rmid), in order" \
	"create:shmget:$B attach:shmat:$B detach:shmdt:$B rmid:shmctl:$B destroy:rmid:$B" "$ID"
check_eq "log: rmid: nobody held it then (holders 0)" 0 ev_field rmid "$ID" "" holders
check_eq "log: destroy names the remover" "rmid $B dtfirst" ev_field destroy "$ID" "" cause pid comm

# Two processes: R removes the segment H holds and wakes H, which detaches at once.
hold h name holder create "$(new_key)" 8192 attach pause detach || finish
ID=$(hval h shmid)
H=$(hpid h)
hold r name remover use "$ID" rmid signal "$H" || finish
R=$(hpid r)
wait_until "the holder to detach" hhas h ready
expect_kernel "kernel: destroyed by the holder's shmdt" "$ID" gone ""
check_seq "log: remover and releaser apart: create attach rmid(R) detach destroy(shmdt, H)" \
	"create:shmget:$H attach:shmat:$H rmid:shmctl:$R detach:shmdt:$H destroy:shmdt:$H" "$ID"
check_eq "log: rmid names the remover, 1 holder" "$R remover 1" ev_field rmid "$ID" "" pid comm holders

# Two processes: H detaches and wakes R, which removes it at once.
hold r2 name remover2 create "$(new_key)" 8192 pause rmid || finish
ID=$(hval r2 shmid)
R=$(hpid r2)
hold h2 name holder2 use "$ID" attach pause detach signal "$R" || finish
H=$(hpid h2)
expect_kernel "kernel: held by one before the race" "$ID" 1 "$H"
hcont h2 || finish
wait_until "the remover to remove it" hhas r2 ready
expect_kernel "kernel: destroyed by the IPC_RMID" "$ID" gone ""
check_seq "log: releaser then remover: create attach detach(H) rmid(R) destroy(rmid, R)" \
	"create:shmget:$R attach:shmat:$H detach:shmdt:$H rmid:shmctl:$R destroy:rmid:$R" "$ID"

# shmget, shmat, IPC_RMID, exit: the exit releases it.
hold e name exiter create "$(new_key)" 8192 attach rmid exit || finish
ID=$(hval e shmid)
E=$(hpid e)
wait_until "the exiter to be gone" dead "$E"
expect_kernel "kernel: destroyed by the exit" "$ID" gone ""
check_seq "log: create attach rmid detach(exit) destroy(exit), in order" \
	"create:shmget:$E attach:shmat:$E rmid:shmctl:$E detach:exit:$E destroy:exit:$E" "$ID"

# shmget, IPC_RMID: never attached, gone at once.
hold n name never create "$(new_key)" 4096 rmid || finish
ID=$(hval n shmid)
N=$(hpid n)
expect_kernel "kernel: destroyed by the IPC_RMID" "$ID" gone ""
check_seq "log: create rmid destroy(rmid)" "create:shmget:$N rmid:shmctl:$N destroy:rmid:$N" "$ID"

# Many at speed, in one process: 40 times shmget shmat shmdt IPC_RMID, then 40 times shmget
# shmat IPC_RMID shmdt, no pause anywhere.
NLOOP=40
OPS=
i=0
while [ "$i" -lt "$NLOOP" ]; do
	OPS="$OPS create private 8192 attach detach rmid"
	i=$((i + 1))
done
i=0
while [ "$i" -lt "$NLOOP" ]; do
	OPS="$OPS create private 8192 attach rmid detach"
	i=$((i + 1))
done
# shellcheck disable=SC2086
hold m name looper $OPS || finish
M=$(hpid m)
awk '$2 == "shmid" { print $3 }' "$T/m.out" >"$T/m.ids"
check_eq "kernel: $((NLOOP * 2)) segments made" $((NLOOP * 2)) sh -c "sort -u '$T/m.ids' | wc -l | tr -d ' '"
check_eq "kernel: every one of them destroyed" 0 kseg_left "$T/m.ids"
head -n "$NLOOP" "$T/m.ids" |
	awk -v p="$M" '{ printf "%s create:shmget:%s attach:shmat:%s detach:shmdt:%s rmid:shmctl:%s destroy:rmid:%s\n", $1, p, p, p, p, p }' \
		>"$T/m.want"
tail -n "+$((NLOOP + 1))" "$T/m.ids" |
	awk -v p="$M" '{ printf "%s create:shmget:%s attach:shmat:%s rmid:shmctl:%s detach:shmdt:%s destroy:shmdt:%s\n", $1, p, p, p, p, p }' \
		>>"$T/m.want"
check_seqs "log: $((NLOOP * 2)) segments made and gone back to back, each with its five lines in order" \
	"$SELF_NS" "$T/m.want"

# Many at speed, each in its own short-lived process: shmget shmat shmdt IPC_RMID, exit.
NPROC=20
: >"$T/p.want"
i=0
while [ "$i" -lt "$NPROC" ]; do
	hold "p$i" name script create private 8192 attach detach rmid exit || finish
	P=$(hpid "p$i")
	echo "$(hval "p$i" shmid) create:shmget:$P attach:shmat:$P detach:shmdt:$P rmid:shmctl:$P destroy:rmid:$P" \
		>>"$T/p.want"
	i=$((i + 1))
done
check_eq "kernel: none of the $NPROC scripts' segments is left" 0 kseg_left "$T/p.want"
check_seqs "log: $NPROC scripts' segments, each with its five lines in order" "$SELF_NS" "$T/p.want"
finish
