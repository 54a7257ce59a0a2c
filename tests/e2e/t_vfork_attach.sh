#!/bin/sh
# A holder is an address space, named by a process that uses it now (issue #12, section 3). A
# vfork child, or a clone(CLONE_VM) sibling, that attaches after the clone maps the segment into
# the address space it shares with its parent. While they share it, who lists both; once the
# child execs (here: sleep) or exits, the parent alone holds it, and who, ps, the linger alert
# (with exe and cmdline) and `lingering` name the parent, never the child: the exec'd child holds
# nothing.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

need_sleep

# linger_holders SHMID: "PID COMM ROLE" of each holder of the linger alert about SHMID.
linger_holders() {
	ev_lines linger "$1" | head -n 1 | "$JSONX" 'holders[]' pid comm role | tr '\n' ';'
}
# lingering_pids SHMID: the holders `shmwatch lingering` lists for SHMID (our namespace).
lingering_pids() {
	_lj=$(sw_ok lingering) || { echo "$_lj"; return 1; }
	echo "$_lj" | "$JSONX" 'segments[]' ns shmid 'holders[].pid' |
		awk -v n="$SELF_NS" -v s="$1" '$1 == n && $2 == s { $1 = $2 = ""; sub(/^ +/, ""); print }'
}
# check_named NAME SHMID PID COMM: after IPC_RMID, the linger alert and lingering name PID (comm
# COMM, its exe and cmdline) as the one holder.
#
# Polls: the first check of each state polls (up to SHMW_WAIT) until the daemon has caught up;
# the ones after it about the same state look once (at_once), so that a scenario that fails
# every check still ends within its time limit (15 s a poll under qemu).
check_named() {
	check "$1: a linger alert" poll "$SHMW_WAIT" ev_has linger "$2"
	at_once check_eq "$1: the linger alert names the parent alone (pid comm role)" "$3 $4 owner;" \
		linger_holders "$2"
	at_once check_eq "$1: with the parent's exe and cmdline" \
		"$(readlink "/proc/$3/exe") $(proc_cmdline "$3")" \
		ev_field linger "$2" "" 'holders[0].exe' 'holders[0].cmdline'
	at_once check_eq "$1: lingering lists the parent alone" "$3" lingering_pids "$2"
}

start_daemon --linger-after 1 --realert 0 || finish

# A vfork child attaches, then execs sleep.
hold v name vparent create "$(new_key)" 12288 vfork-attach-exec "$SLEEP" 1000 || finish
IDV=$(hval v shmid)
V=$(hpid v)
VC=$(hval v vfork-child)
echo "$VC" >>"$T/pids"
expect_kernel "kernel: the vfork child's shmat maps it into the shared address space" \
	"$IDV" 1 "$V $VC"
check_who "who: parent and vfork child, one address space" "$IDV"
hcont v "$VC" || finish
wait_until "the vfork child to exec $SLEEP" exe_is "$VC" "$SLEEP_EXE"
expect_kernel "kernel: after the child's exec the parent holds it" "$IDV" 1 "$V"
check_who "who after the vfork child's exec" "$IDV"
at_once check_eq "who: the parent is the owner" owner who_holder_field "$IDV" "$V" role
at_once check_ps "ps of the exec'd child: nothing" "$VC"
at_once check_ps "ps of the parent" "$V"

# A vfork child attaches, then exits.
hold w name wparent create "$(new_key)" 8192 vfork-attach || finish
IDW=$(hval w shmid)
W=$(hpid w)
WC=$(hval w vfork-child)
expect_kernel "kernel: parent and vfork child map it" "$IDW" 1 "$W $WC"
check_who "who: parent and vfork child (to exit), one address space" "$IDW"
hcont w "$WC" || finish
wait_until "the vfork child $WC to exit" dead "$WC"
expect_kernel "kernel: after the child's exit the parent holds it" "$IDW" 1 "$W"
check_who "who after the vfork child's exit" "$IDW"
at_once check_eq "who: the parent is the owner" owner who_holder_field "$IDW" "$W" role
at_once check_ps "ps of the parent" "$W"

# A clone(CLONE_VM) sibling attaches, then exits.
hold c name cparent create "$(new_key)" 8192 clone-vm-attach || finish
IDC=$(hval c shmid)
C=$(hpid c)
CS=$(hval c sibling)
echo "$CS" >>"$T/pids"
expect_kernel "kernel: original and sibling map it" "$IDC" 1 "$C $CS"
check_who "who: original and sibling, one address space" "$IDC"
kill -USR1 "$CS"
wait_until "the sibling $CS to exit" dead "$CS"
expect_kernel "kernel: after the sibling's exit the original holds it" "$IDC" 1 "$C"
check_who "who after the sibling's exit" "$IDC"
at_once check_eq "who: the original is the owner" owner who_holder_field "$IDC" "$C" role
at_once check_ps "ps of the original" "$C"

# A clone(CLONE_VM) sibling attaches, then execs sleep.
hold e name eparent create "$(new_key)" 8192 clone-vm-attach-exec "$SLEEP" 1000 || finish
IDE=$(hval e shmid)
E=$(hpid e)
ES=$(hval e sibling)
echo "$ES" >>"$T/pids"
expect_kernel "kernel: original and sibling map it" "$IDE" 1 "$E $ES"
kill -USR1 "$ES"
wait_until "the sibling to exec $SLEEP" exe_is "$ES" "$SLEEP_EXE"
expect_kernel "kernel: after the sibling's exec the original holds it" "$IDE" 1 "$E"
check_who "who after the sibling's exec" "$IDE"
at_once check_eq "who: the original is the owner" owner who_holder_field "$IDE" "$E" role
at_once check_ps "ps of the exec'd sibling: nothing" "$ES"
at_once check_ps "ps of the original" "$E"

# Each is marked for destruction: the alerts name the parents.
hold r name remover use "$IDV" rmid use "$IDW" rmid use "$IDC" rmid use "$IDE" rmid || finish
check_named "vfork child exec'd" "$IDV" "$V" vparent
check_named "vfork child exited" "$IDW" "$W" wparent
check_named "CLONE_VM sibling exited" "$IDC" "$C" cparent
check_named "CLONE_VM sibling exec'd" "$IDE" "$E" eparent

# The parents detach by exiting: each segment is destroyed by its parent's exit.
for n in v w c e; do
	hend "$n" || finish
done
expect_kernel "kernel: gone with the vfork parent" "$IDV" gone ""
check_eq "log: destroyed by the vfork parent's exit" "exit $V" ev_field destroy "$IDV" "" cause pid
check_eq "log: destroyed by the CLONE_VM original's exit" "exit $E" ev_field destroy "$IDE" "" cause pid
finish
