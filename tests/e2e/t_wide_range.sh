#!/bin/sh
# One call that reaches more segments than the BPF side keeps inline per call (OP_SEGS 4, the
# rest spill to ops_big): 6 attachments side by side, an mprotect across all of them that splits
# both ends, then one munmap of the whole run, while a forked child keeps its copies.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon || finish
OPS="reserve 49152"
i=0
while [ "$i" -lt 6 ]; do
	OPS="$OPS create $(new_key) 8192 attach"
	i=$((i + 1))
done
# shellcheck disable=SC2086
hold h $OPS fork pause mprotect-run pause munmap-run pause || finish
P=$(hpid h)
C=$(hval h child)
FIRST=$(awk '$2 == "shmid" { print $3; exit }' "$T/h.out")
MID=$(awk '$2 == "shmid" { n++; if (n == 3) print $3 }' "$T/h.out")
LAST=$(hval h shmid)

expect_kernel "kernel: parent and child map the run" "$FIRST" 2 "$P $C"
check_ps "ps of the parent: 6 segments" "$P"
check_ls "ls with the run held twice"

hcont h "$P" || finish
expect_kernel "kernel: mprotect across the run split the first" "$FIRST" 3 "$P $C"
expect_kernel "kernel: ... and the last" "$LAST" 3 "$P $C"
expect_kernel "kernel: ... and left the middle whole" "$MID" 2 "$P $C"
check_ps "ps of the parent after the wide mprotect" "$P"
check_who "who of the first segment after the wide mprotect" "$FIRST"
check_ls "ls after the wide mprotect"

hcont h "$P" || finish
expect_kernel "kernel: munmap of the run: the child holds the first" "$FIRST" 1 "$C"
expect_kernel "kernel: ... and the last" "$LAST" 1 "$C"
check_ps "ps of the parent after the wide munmap" "$P"
check_who "who of the middle segment after the wide munmap" "$MID"
check_ls "ls after the wide munmap"
check_log "log: detach by munmap" detach munmap "$P" "$MID"
# Counted by the diff at each call itself, with its cause and count: nothing was walked again or
# repaired by a resync. (status overflows and map_full count every process on the host: not
# this scenario's to check.) rows SHMID: the parent's "event cause vmas" lines about SHMID.
rows() {
	log_mine "$1" | "$JSONX" . pid event cause vmas |
		awk -v p="$P" '$1 == p && $2 ~ /^(attach|vmas|detach)$/ {
			printf "%s%s %s %s", sep, $2, $3, $4; sep = "|" }'
}
k=0
for id in $(awk '$2 == "shmid" { print $3 }' "$T/h.out"); do
	k=$((k + 1))
	case $k in
	1 | 6) want="attach shmat 1|vmas split 2|detach munmap 0" ;;
	*) want="attach shmat 1|detach munmap 0" ;;
	esac
	check_eq "log: segment $k of the run: attach, (split at an end,) detach by munmap" "$want" \
		rows "$id"
done
# No count was incomplete, nothing had to be walked again (the daemon's own log).
mine_incomplete() { grep -c "pid \($P\|$C\) (.*counts incomplete" "$T/daemon.log"; }
check_eq "no count of ours left incomplete (the daemon's log)" 0 mine_incomplete

hcont h "$C" || finish
hcont h "$P" || finish
hend h || finish
expect_kernel "kernel: all gone" "$FIRST" 0 ""
check_ls "ls after both exited"
finish
