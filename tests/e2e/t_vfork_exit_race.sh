#!/bin/sh
# A process whose address space a clone(CLONE_VM) sibling shares vforks a child that execs,
# and exits the moment vfork returns. The kernel resumes a vfork parent once the child's exec
# has switched to its new address space, before the child's exec event: the parent's exit can
# come first. The address space (kept alive by the sibling) must then be named for the
# sibling, never for the child that already left it. A race: ROUNDS tries (SHMW_RACE_ROUNDS,
# default 20), each compared with the kernel. Kernels before 6.2 cannot ask a task for its
# address space from BPF: there the child may be named (docs/design.md, "Process events").
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

ROUNDS=${SHMW_RACE_ROUNDS:-20}
start_daemon || finish

i=0
while [ "$i" -lt "$ROUNDS" ]; do
	i=$((i + 1))
	hold "r$i" create "$(new_key)" 8192 attach clone-vm-attach \
		vfork-exec-exit "$HOLD" --ready "$T/c$i.out" || finish
	ID=$(hval "r$i" shmid)
	P=$(hpid "r$i")
	S=$(hval "r$i" sibling)
	C=$(hval "r$i" vfork-exec)
	echo "$S" >>"$T/pids"
	echo "$C" >>"$T/pids"
	wait_until "round $i: the parent $P to exit" dead "$P" || finish
	expect_kernel "round $i: the sibling holds both attachments" "$ID" 2 "$S"
	check_who "round $i: who names the sibling, not the exec'd child $C" "$ID"
	kill -USR1 "$S" "$C" 2>/dev/null
	wait_until "round $i: the sibling $S to exit" dead "$S"
	wait_until "round $i: the child $C to exit" dead "$C"
	hold "x$i" use "$ID" rmid || finish
	hend "x$i"
done
finish
