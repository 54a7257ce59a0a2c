#!/bin/sh
# A shmid reused after an end nothing saw (issue #12, section 6; the differential tester found
# it). In a private IPC namespace with kernel.shm_rmid_forced=1, A creates a segment and exits
# without attaching it: the kernel frees it at A's exit, with no system call that BPF sees.
# Then B, with kernel.shm_next_id, creates another segment under the same shmid (another size)
# and attaches it. The new segment's shm file is often where the old one's was (the same slab
# object; the scenario keeps to one CPU to make that likely), and its inode number is the
# shmid, like the old one's: neither tells the two apart. SHMW_REUSE_ROUNDS (20) shmids, each
# used twice so. Expected for each: the log has A's create and destroy, then B's create and
# attach; who equals the kernel (B's size, B as holder).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N=${SHMW_REUSE_ROUNDS:-20}
BASE=4200
# One CPU: a freed object is the next one handed out there.
if command -v taskset >/dev/null 2>&1; then
	taskset -p -c 0 $$ >/dev/null
fi
start_daemon || finish
# K keeps the namespace; A and B of each round join it.
hold k unshare-ipc rmid-forced 1 || finish
NS=$(hval k ns)
i=0
while [ "$i" -lt "$N" ]; do
	x=$((BASE + i))
	hold "a$i" join-ipc "$(hpid k)" next-id "$x" create private 8192 exit || finish
	hold "b$i" join-ipc "$(hpid k)" next-id "$x" create private 20480 attach || finish
	i=$((i + 1))
done
# lives_ok: "X: LINES" of each shmid whose log is not A's create and destroy, then B's create
# and attach (nothing: all are).
lives_ok() {
	_lo=
	_i=0
	while [ "$_i" -lt "$N" ]; do
		_x=$((BASE + _i))
		_want="create:shmget:$(hpid "a$_i") destroy:vanished:- create:shmget:$(hpid "b$_i") attach:shmat:$(hpid "b$_i")"
		_got=$(seq_of "$_x" "$NS")
		[ "$_got" = "$_want" ] || _lo="$_lo $_x: $_got;"
		_i=$((_i + 1))
	done
	echo "$_lo"
}
check_eq "kernel: B of the last round got the same shmid as A" "$((BASE + N - 1))" \
	hval "b$((N - 1))" shmid
check_eq "log: each shmid: A's create and destroy, then B's create and attach" "" lives_ok
i=0
while [ "$i" -lt "$N" ]; do
	check_who "who: B's segment $((BASE + i)) as the kernel has it" "$((BASE + i))" "$NS"
	i=$((i + 1))
done
finish
