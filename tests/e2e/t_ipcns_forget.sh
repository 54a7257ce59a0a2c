#!/bin/sh
# A segment freed with its IPC namespace leaves nothing behind in BPF (issue #12, section 4): the
# kernel frees a dying namespace's segments with no system call that BPF sees, so the daemon,
# which finds the namespace gone, drops the BPF side's entries of them. Otherwise every pod that
# ends with a segment nobody holds would leave an entry for good, and a node that runs pods for
# weeks would fill the segments map (--max-segments).
#
# SHMW_IPCNS_FORGET_COUNT (100) processes each make an IPC namespace and two segments there
# (shmids 30000+i, then the kernel's next), one of them attached, and exit. Kernel truth: the
# segments go with their namespaces. Then ls lists none of them, each has its create, then its destroy,
# in the log, and the daemon's segments map (read with bpftool) has no entry of them.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N=${SHMW_IPCNS_FORGET_COUNT:-100}
need bpftool bpftool || finish

# "NS SHMID" of our segments (from shmw-hold's output).
rows() { awk '$2 == "shmid" { print $4, $3 }' "$T/w.out" | sort; }
# mine: of the "NS SHMID" lines on stdin, how many are ours.
mine() { awk 'NR == FNR { m[$1 " " $2] = 1; next } ($1 " " $2) in m { n++ } END { print n + 0 }' \
	"$T/rows" -; }
k_has() { "$ORACLE" all 2>/dev/null | mine; }
ls_has() { sw --json ls -A | "$JSONX" 'segments[]' ns shmid | mine; }
# bpf_rows: "NS SHMID NSPTR FILE" of every entry of the daemon's BPF segments map. With the
# kernel's addresses of the namespace and the shm file: a namespace inode and a shmid are reused
# (another's pod may make one like ours at once), the two addresses together hardly.
bpf_rows() { bpf_segs key.ns key.shmid value.nsptr value.file; }
bpf_has() { bpf_rows | mine; }
# bpf_left: how many of the entries first seen (bpf.first) are still in the map.
bpf_left() {
	bpf_rows | awk 'NR == FNR { m[$0] = 1; next } $0 in m { n++ } END { print n + 0 }' \
		"$T/bpf.first" -
}
# lives: how many of ours have, in the log, a create and then a destroy with no line of another
# create between (the same NS SHMID may be another namespace's after that).
lives() {
	log_files | while read -r _f; do cat "$_f"; done | "$JSONX" . event ns shmid |
		awk 'NR == FNR { m[$1 " " $2] = 1; next }
			!(($2 " " $3) in m) || done[$2 " " $3] { next }
			$1 == "create" { c[$2 " " $3]++ }
			$1 == "destroy" { done[$2 " " $3] = 1; if (c[$2 " " $3] == 1) n++ }
			END { print n + 0 }' "$T/rows" -
}

start_daemon || finish
hold w name w fanout "$N" unshare-ipc next-id "30000+i" create private 4096 create private 4096 \
	attach pause exit || finish
all_paused() { [ "$(hcount w paused 1)" = "$N" ]; }
if ! poll 60 all_paused; then
	fail "$N processes in their own IPC namespaces: only $(hcount w paused 1) in 60 s" \
		"$(grep ' error ' "$T/w.out" | head -n 5)"
	finish
fi
rows >"$T/rows"
check_eq "kernel: $N namespaces, two segments each" "$((N * 2))" k_has
check_eq "ls: each of the $((N * 2))" "$((N * 2))" ls_has
check_eq "BPF: an entry for each" "$((N * 2))" bpf_has
bpf_rows | awk 'NR == FNR { m[$1 " " $2] = 1; next } ($1 " " $2) in m' "$T/rows" - >"$T/bpf.first"

# shellcheck disable=SC2046 # one pid a word
kill -USR1 $(awk '$2 == "fanout-child" { print $3 }' "$T/w.out")
kill -USR1 "$(hpid w)"
check_eq "kernel: their namespaces gone, and their segments with them" 0 k_has
check_eq "ls: none of them left" 0 ls_has
check_eq "log: each created and destroyed once" "$((N * 2))" lives
check_eq "BPF: no entry of them left" 0 bpf_left
finish
