#!/bin/sh
# shmdt(addr) after the first pages of the attachment were unmapped: the kernel detaches the
# pieces left (each whose offset in the segment is its distance from addr), though no VMA starts
# at addr. Once in a process alone in its address space, once with a thread (another user of
# the address space: BPF counts the call by walking the VMAs, not by probes). shmwatch kept the
# pieces of the threaded one (the difftest's shmdt of a fragment). Then the same of a piece
# that lies past addr plus the segment's size (an attachment grown by mremap).
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

start_daemon || finish
for how in alone threaded; do
	case $how in
	alone) extra= ;;
	threaded) extra="threads 1" ;;
	esac
	# shellcheck disable=SC2086 # extra: ops, one word each
	hold "$how" create "$(new_key)" 24576 attach $extra munmap-page 0 munmap-page 1 \
		mprotect-page 3 pause detach pause || finish
	ID=$(hval "$how" shmid)
	P=$(hpid "$how")
	expect_kernel "$how: pages 0-1 unmapped, page 3 cut out: 3 pieces" "$ID" 3 "$P"
	check_who "$how: who with 3 pieces" "$ID"
	hcont "$how" || finish
	expect_kernel "$how: shmdt(start) detached every piece" "$ID" 0 ""
	check_who "$how: who after shmdt of the fragments" "$ID"
	check_ps "$how: ps after shmdt of the fragments" "$P"
	check_log "$how: log: detach by shmdt" detach shmdt "$P" "$ID"

	# Grown past the segment's end, then its first two pages unmapped: what is left (pages
	# 2-3, offsets past the end) still passes shmdt's test, and shmdt removes it though it
	# lies beyond addr plus the segment's size.
	# shellcheck disable=SC2086 # extra: ops, one word each
	hold "g$how" create "$(new_key)" 8192 attach $extra mremap-grow 2 munmap-page 0 \
		munmap-page 1 pause detach pause || finish
	ID=$(hval "g$how" shmid)
	P=$(hpid "g$how")
	expect_kernel "$how: grown by 2 pages, pages 0-1 unmapped: 1 VMA" "$ID" 1 "$P"
	check_who "$how: who of the grown piece" "$ID"
	hcont "g$how" || finish
	expect_kernel "$how: shmdt(start) detached the piece past the end" "$ID" 0 ""
	check_who "$how: who after shmdt of the piece past the end" "$ID"
	check_ps "$how: ps after shmdt of the piece past the end" "$P"
done
finish
