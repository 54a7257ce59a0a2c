#!/bin/sh
# mprotect splits VMAs (nattch counts them); a fork copies every piece; shmdt(start) detaches
# every piece of that attachment.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon || finish
hold h create "$(new_key)" 12288 attach pause mprotect-half pause mprotect-page 2 fork pause \
	detach pause || finish
ID=$(hval h shmid)
P=$(hpid h)

expect_kernel "kernel: one VMA" "$ID" 1 "$P"
check_who "who before mprotect" "$ID"
hcont h || finish
expect_kernel "kernel: mprotect of the first page: 2 VMAs" "$ID" 2 "$P"
check_who "who after a 2-way split" "$ID"
hcont h || finish
C=$(hval h child)
expect_kernel "kernel: 3-way split and fork: 3 + 3" "$ID" 6 "$P $C"
check_who "who after a 3-way split and fork" "$ID"
check_ps "ps of the parent (3 pieces)" "$P"
check_ps "ps of the child (3 pieces)" "$C"
hcont h || finish
expect_kernel "kernel: shmdt(start) detached the parent's 3 pieces" "$ID" 3 "$C"
check_who "who after shmdt of a 3-way split" "$ID"
check_ls "ls"
finish
