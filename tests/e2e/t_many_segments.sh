#!/bin/sh
# One address space holding 20 segments, more than the BPF record keeps inline (SHMW_MM_INLINE 4,
# the rest in mms_big), and one holding 12 before the daemon starts: ps, who, ls and the log
# still match the kernel, through seeding, fork, shmdt and exit.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# One that holds 12 before the daemon starts: the start-up walk fills more slots than the
# record keeps inline (SHMW_MM_INLINE).
OPS=
i=0
while [ "$i" -lt 12 ]; do
	OPS="$OPS create $(new_key) 16384 attach"
	i=$((i + 1))
done
# shellcheck disable=SC2086
hold s $OPS || finish
S=$(hpid s)
SLAST=$(hval s shmid)

start_daemon || finish
at_once check_ps "ps at once of a holder of 12 segments (seed)" "$S"
OPS=
i=0
while [ "$i" -lt 20 ]; do
	KEY=$(new_key)
	OPS="$OPS create $KEY 8192 attach"
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

# Records keep no size or key (the segs map does): every event of the last segment, kept
# beyond the inline slots, still names them (shmat, fork, shmdt, exit).
sizes_keys() { log_mine "$1" | "$JSONX" . key size | sort -u; }
sizes_size() { log_mine "$1" | "$JSONX" . size | sort -u; }
check_eq "log: events of the last segment carry its key and size" "$(printf '%d' "$KEY") 8192" \
	sizes_keys "$LAST"
check_log "log: the child lost the last segment at its exit" detach exit "$C" "$LAST"

hend s || finish
check_log "log: the seeded holder lost its last segment at exit" detach exit "$S" "$SLAST"
check_eq "log: those events carry its size" 16384 sizes_size "$SLAST"
check_ls "ls after the seeded holder's exit"
finish
