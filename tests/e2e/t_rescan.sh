#!/bin/sh
# Older kernels' path (no open-coded VMA iterator before 6.7), forced here on any kernel with
# SHMWATCH_NO_VMA_ITER=1: BPF counts shmdt, splits, partial unmaps and fork by probing single
# VMAs at the syscall, and asks the daemon to walk one address space for the rare shapes
# (MADV_DONTFORK then fork, mremap). Everything stays exact, and each change is logged with its
# own cause, actor and count, not as a resync and not merged with the next change even when
# the process makes them back to back.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

export SHMWATCH_NO_VMA_ITER=1
start_daemon --mode tracepoint || finish
check "daemon says VMA changes are recounted by walks" \
	grep -q "tracepoint mode (.*recounted by walks" "$T/daemon.log"
R0=$(status_field rescans)

hold h create "$(new_key)" 16384 attach pause mprotect-page 1 pause munmap-page 3 pause fork \
	pause detach pause || finish
ID=$(hval h shmid)
P=$(hpid h)
expect_kernel "kernel: one VMA" "$ID" 1 "$P"
check_who "who before the split" "$ID"
hcont h || finish
expect_kernel "kernel: mprotect of page 1: 3 VMAs" "$ID" 3 "$P"
check_who "who after a 3-way split" "$ID"
check_log "log: vmas by split" vmas split "$P" "$ID"
hcont h || finish
expect_kernel "kernel: page 3 unmapped: still 3 VMAs" "$ID" 3 "$P"
check_who "who after unmapping the last page" "$ID"
hcont h || finish
C=$(hval h child)
expect_kernel "kernel: fork copied the 3 pieces" "$ID" 6 "$P $C"
check_who "who after fork" "$ID"
check_ps "ps of the child" "$C"
check_eq "child how is fork" fork who_holder_field "$ID" "$C" how
check_log "log: attach by fork for the child, actor the parent" attach fork "$C" "$ID" "$P"
hcont h || finish
expect_kernel "kernel: shmdt(start) detached the parent's pieces" "$ID" 3 "$C"
check_who "who after shmdt" "$ID"
check_log "log: detach by shmdt" detach shmdt "$P" "$ID"

hold d create "$(new_key)" 12288 attach dontfork fork || finish
ID2=$(hval d shmid)
D=$(hpid d)
DC=$(hval d child)
expect_kernel "kernel: DONTFORK child holds nothing" "$ID2" 1 "$D"
check_who "who: only the DONTFORK parent" "$ID2"
check_ps "ps of the DONTFORK child: nothing" "$DC"

# rows PID SHMID: the log's "event cause vmas" lines of PID about SHMID, in order.
rows() {
	log_mine "$2" | "$JSONX" . pid event cause vmas |
		awk -v p="$1" '$1 == p && $2 ~ /^(attach|detach|vmas)$/ { print $2, $3, $4 }'
}

# Back to back, faster than any walk: a split and the shmdt right after it.
hold f create "$(new_key)" 16384 attach mprotect-page 1 detach pause || finish
ID3=$(hval f shmid)
F=$(hpid f)
expect_kernel "kernel: split then shmdt at once: nothing held" "$ID3" 0 ""
check_who "who after split and shmdt" "$ID3"
check_eq "log: attach, split to 3 VMAs, shmdt of all 3, each with its cause" \
	"attach shmat 1
vmas split 3
detach shmdt 0" rows "$F" "$ID3"

# A split parent forks at once and the child exits: the child's pieces come from the parent's
# counts at fork, and go at its exit.
hold g create "$(new_key)" 16384 attach mprotect-page 1 fork pause || finish
ID4=$(hval g shmid)
G=$(hpid g)
GC=$(hval g child)
expect_kernel "kernel: the split parent's child has its 3 pieces" "$ID4" 6 "$G $GC"
check_who "who after split then fork" "$ID4"
hcont g "$GC" || finish
expect_kernel "kernel: the child exited" "$ID4" 3 "$G"
check_who "who after the child's exit" "$ID4"
check_eq "log: the parent attached and split" "attach shmat 1
vmas split 3" rows "$G" "$ID4"
check_eq "log: the child got 3 VMAs by fork and lost them at exit" "attach fork 3
detach exit 0" rows "$GC" "$ID4"

# Many at once, each change right after the last (faster than the daemon could walk): 30
# processes attach, split (the even ones), fork a grandchild that exits, then shmdt (every
# third) or exit. Each process's log is exactly its own steps, with their causes and counts.
N=30
hold c create "$(new_key)" 12288 churn "$N" attach || finish
ID5=$(hval c shmid)
C=$(hpid c)
churned() { echo "$(hval c churned 3) $(hval c churned 4)"; }
check_eq "kernel: churn: every child did its steps" "$N 0" churned
expect_kernel "kernel: only the churn parent holds afterwards" "$ID5" 1 "$C"
check_who "who after the churn" "$ID5"
# seqs: "PID step|step|..." per pid other than the parent, each step "event cause vmas".
seqs() {
	log_mine "$ID5" | "$JSONX" . pid event cause vmas | awk -v p="$C" '$1 != p &&
		$2 ~ /^(attach|detach|vmas)$/ { s[$1] = s[$1] (s[$1] == "" ? "" : "|") $2 " " $3 " " $4 }
		END { for (q in s) print q, s[q] }' | sort -n
}
kid_seqs() { seqs | awk 'NR == FNR { k[$1] = 1; next } k[$1]' "$T/kids" -; }
grandkid_seqs() { # how many grandchildren had each sequence
	seqs | awk 'NR == FNR { k[$1] = 1; next } !k[$1] { $1 = ""; n[substr($0, 2)]++ }
		END { for (q in n) print n[q], q }' "$T/kids" - | sort -k2
}
awk '$2 == "churn-child" { print $3 }' "$T/c.out" | sort -n >"$T/kids"
awk '$2 == "churn-child" { k = n++; print $3, "attach shmat 1" (k % 2 ? "" : "|vmas split 2") \
	"|detach " (k % 3 ? "exit" : "shmdt") " 0" }' "$T/c.out" | sort -n >"$T/kids.want"
check_eq "log: each churn child attached, split, detached, in that order, with its counts" \
	"$(cat "$T/kids.want")" kid_seqs
check_eq "log: each grandchild got its parent's VMAs by fork and lost them at exit" \
	"$((N / 2)) attach fork 1|detach exit 0
$(((N + 1) / 2)) attach fork 2|detach exit 0" grandkid_seqs

# no_resync SHMID: the log has lines about SHMID (in our namespace), none of them a resync.
no_resync() {
	log_mine "$1" >"$T/nr.sel"
	[ -s "$T/nr.sel" ] && ! grep -q '"resync"' "$T/nr.sel"
}
check "no change of the first segment was logged as a resync" no_resync "$ID"
check "no change of the second segment was logged as a resync" no_resync "$ID2"
check "no change of the third segment was logged as a resync" no_resync "$ID3"
check "no change of the fourth segment was logged as a resync" no_resync "$ID4"
check "no change of the churned segment was logged as a resync" no_resync "$ID5"
R1=$(status_field rescans)
check "status counts the walks ($R0 before, $R1 after)" [ "$R1" -gt "$R0" ]
check_ls "ls"
finish
