#!/bin/sh
# One address space holding 20 segments, more than the BPF map keeps per mm (SHMW_MM_SEGS 16):
# ps, who and ls still match the kernel, through fork, shmdt and exit.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon || finish
OPS=
i=0
while [ "$i" -lt 20 ]; do
	OPS="$OPS create $(new_key) 8192 attach"
	i=$((i + 1))
done
# shellcheck disable=SC2086
hold h $OPS fork pause detach pause || finish
P=$(hpid h)
C=$(hval h child)
FIRST=$(awk '$2 == "shmid" { print $3; exit }' "$T/h.out")
LAST=$(hval h shmid)

segs_of() { "$ORACLE" ps "$1" | wc -l | tr -d ' '; }
check_eq "kernel: the parent maps 20 segments" 20 segs_of "$P"
check_eq "kernel: the child maps 20 segments" 20 segs_of "$C"
check_ps "ps of the parent: 20 segments" "$P"
check_ps "ps of the child: 20 segments" "$C"
check_who "who of the first segment" "$FIRST"
check_who "who of the last segment" "$LAST"
check_ls "ls with 20 segments held twice"

hcont h || finish
expect_kernel "kernel: the parent detached the last one" "$LAST" 1 "$C"
check_ps "ps of the parent: 19 segments" "$P"
check_who "who of the last segment after shmdt" "$LAST"

hcont h "$C" || finish
wait_until "child $C to exit" dead "$C"
expect_kernel "kernel: the child exited" "$FIRST" 1 "$P"
check_who "who of the first segment after the child's exit" "$FIRST"
check_ls "ls after the child's exit"
hcont h || finish
hend h || finish
expect_kernel "kernel: all gone" "$FIRST" 0 ""
check_ls "ls after the holder's exit"
finish
