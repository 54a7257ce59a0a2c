#!/bin/sh
# A segment freed where BPF cannot see it leaves nothing behind in BPF (issue #12), in a
# namespace that lives on. With kernel.shm_rmid_forced=1 the kernel frees, at its creator's
# exit, a segment nobody attached: no system call that BPF sees ends it, so its entry in the
# BPF segments map stayed, and a host that runs such programs all day would fill the map
# (--max-segments) and then lose track of new segments. The daemon, which finds the segment
# gone from the kernel's table, now drops that entry too.
#
# K keeps a private IPC namespace with shm_rmid_forced=1; SHMW_UNSEEN_COUNT (50) processes
# join it, each creates a segment and exits. Kernel truth: the segments go at their exits, the
# namespace stays. Then ls lists none of them, the log has each one's create and destroy, and
# the daemon's segments map (read with bpftool) has no entry of them. A segment K holds in the
# same namespace keeps its entry.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

N=${SHMW_UNSEEN_COUNT:-50}
need bpftool bpftool || finish

# bpf_rows: "NS SHMID" of every entry of the daemon's BPF segments map.
bpf_rows() { bpf_segs key.ns key.shmid; }
# ours: of the "NS SHMID" lines on stdin, how many are our workers' (in NS, not K's).
ours() { awk -v ns="$NS" -v k="$KID" '$1 == ns && $2 != k { n++ } END { print n + 0 }'; }
k_has() { "$ORACLE" all 2>/dev/null | ours; }
ls_has() { sw --json ls -A | "$JSONX" 'segments[]' ns shmid | ours; }
bpf_has() { bpf_rows | ours; }
bpf_keeps() { bpf_rows | grep -c "^$NS $KID\$"; }
# lives: of our shmids, how many the log shows created and then destroyed (as vanished where BPF
# cannot see the kernel free it, in tracepoint mode).
lives() {
	log_files | while read -r _f; do cat "$_f"; done | "$JSONX" . event ns shmid |
		awk -v ns="$NS" -v k="$KID" '$2 != ns || $3 == k { next }
			$1 == "create" { c[$3]++ }
			$1 == "destroy" && c[$3] == 1 { n++ }
			END { print n + 0 }'
}

start_daemon || finish
hold k unshare-ipc rmid-forced 1 create private 4096 attach || finish
NS=$(hval k ns)
KID=$(hval k shmid)
hold w join-ipc "$(hpid k)" fanout "$N" create private 8192 exit || finish
all_gone() { [ "$(awk '$2 == "exiting"' "$T/w.out" | wc -l)" -ge "$N" ]; }
check_poll "kernel: $N workers made their segments and exited" 30 all_gone
made() { awk '$2 == "shmid"' "$T/w.out" | wc -l; }
check_eq "kernel: each worker made a segment" "$N" made
check_eq "kernel: their segments went with them" 0 k_has
k_keeps() { "$ORACLE" all | awk -v ns="$NS" -v k="$KID" '$1 == ns && $2 == k' | wc -l; }
check_eq "kernel: the namespace and K's segment stay" 1 k_keeps
check_eq "ls: none of them left" 0 ls_has
check_eq "log: each created, then destroyed" "$N" lives
check_eq "BPF: no entry of them left" 0 bpf_has
check_eq "BPF: K's held segment keeps its entry" 1 bpf_keeps
finish
