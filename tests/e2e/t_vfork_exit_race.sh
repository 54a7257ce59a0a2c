#!/bin/sh
# A process whose address space a clone(CLONE_VM) sibling shares vforks a child that execs,
# and exits the moment vfork returns. The kernel resumes a vfork parent once the child's exec
# has switched to its new address space, before the child's exec event: the parent's exit can
# come first. The address space (kept alive by the sibling) must then be named for the
# sibling, never for the child that already left it. A race: ROUNDS tries (SHMW_RACE_ROUNDS,
# default 20), each compared with the kernel. Kernels before 6.2 cannot ask a task for its
# address space from BPF: there the child may be named (docs/design.md, "Process events").
# Then ROUNDS times the parent execs instead (no sibling): its address space ends in its exec,
# often before the child's exec event; the child must not stay listed as a sharer of it (then
# of the next address space at that address): verify finds nothing about them.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_robust.sh
. "$(dirname "$0")/lib_robust.sh"

SLEEP=$(command -v sleep) || {
	fail "no sleep on PATH"
	finish
}
SLEEP_EXE=$(readlink -f "$SLEEP")
# exe_is PID PATH: PID runs PATH now (it has exec'd).
exe_is() { [ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$2" ]; }

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

i=0
ids=
pids=
while [ "$i" -lt "$ROUNDS" ]; do
	i=$((i + 1))
	hold "e$i" create "$(new_key)" 8192 attach vfork-exec-exec "$SLEEP" 1000 || finish
	ID=$(hval "e$i" shmid)
	P=$(hpid "e$i")
	C=$(hval "e$i" vfork-exec)
	echo "$C" >>"$T/pids"
	wait_until "round $i: the parent $P to exec $SLEEP" exe_is "$P" "$SLEEP_EXE" || finish
	expect_kernel "exec round $i: nobody holds it" "$ID" 0 ""
	check_who "exec round $i: who" "$ID"
	ids="$ids $ID"
	pids="$pids $P $C"
done
verify_mine "after the exec rounds" "$ids" "$pids"
for p in $pids; do kill "$p" 2>/dev/null; done
finish
