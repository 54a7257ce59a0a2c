#!/bin/sh
# The other calls that cut or replace SysV VMAs (README.md's table): mmap(MAP_FIXED) over part of
# an attachment and over all of it, mlock/munlock of a page, mbind of a page,
# set_mempolicy_home_node on a page of a bound attachment, mseal of a page, madvise on half and
# on a page (and an advice that cuts nothing), remap_file_pages of a page (which shmdt then
# leaves behind: its pgoff no longer matches). Each step is proved on the kernel (nattch and
# holders) and compared with who and ps; the last log line of each change says what it became.
# All of it twice: with the VMA iterator, and on the older kernels' path (SHMWATCH_NO_VMA_ITER=1:
# probes at the syscall, walks on request), which the README says follows these calls too.
# mseal is refused before 6.10: the scenario then proves that the kernel left the attachment
# whole, and compares that.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# step NAME H NATTCH: continues H to its next stop, proves the kernel shows NATTCH VMAs held by
# H alone (or nobody for 0), and compares who and ps.
step() {
	hcont "$2" || return 1
	_sp=$(hpid "$2")
	_sh=$_sp
	[ "$3" = 0 ] && _sh=
	expect_kernel "$LBL: $1: kernel: nattch $3" "$(hval "$2" shmid)" "$3" "$_sh" || return 1
	check_who "$LBL: $1: who" "$(hval "$2" shmid)"
	check_ps "$LBL: $1: ps" "$_sp"
}

# last_change PID SHMID: "event cause vmas" of the last holder line of PID about SHMID.
last_change() {
	log_about "$2" | "$JSONX" . pid event cause vmas |
		awk -v p="$1" '$1 == p && $2 ~ /^(attach|detach|vmas)$/ { l = $2 " " $3 " " $4 }
			END { print l }'
}

# check_change NAME H "EVENT CAUSE VMAS": the log's last line about H's holding says so. In
# fentry mode each VMA the kernel adds or removes is a line of its own, with the cause the
# syscall gives (README.md, Modes): only the count is compared there.
check_change() {
	if [ "$MODE" = fentry ]; then
		_cc_want=$(echo "$3" | awk '{ print $3 }')
		_cc_f() { last_change "$@" | awk '{ print $3 }'; }
	else
		_cc_want=$3
		_cc_f() { last_change "$@"; }
	fi
	check_eq "$LBL: $1: log" "$_cc_want" _cc_f "$(hpid "$2")" "$(hval "$2" shmid)"
}

splitters() {
	# mmap(MAP_FIXED) of an anonymous page over page 1, then over the whole attachment.
	hold "${P}f" create "$(new_key)" 16384 attach pause mmap-fixed-page 1 pause \
		mmap-fixed-all pause || return 1
	expect_kernel "$LBL: mmap: kernel: one VMA" "$(hval "${P}f" shmid)" 1 "$(hpid "${P}f")"
	step "mmap(MAP_FIXED) over page 1: 2 pieces" "${P}f" 2
	check_change "mmap(MAP_FIXED) over page 1" "${P}f" "vmas munmap 2"
	step "mmap(MAP_FIXED) over all of it: nothing held" "${P}f" 0
	check_change "mmap(MAP_FIXED) over all of it" "${P}f" "detach munmap 0"

	# mlock of page 1 cuts 3 pieces; munlock does not merge them again (shm_vm_ops has a
	# close: the kernel never merges such VMAs); shmdt(start) detaches all three.
	hold "${P}l" create "$(new_key)" 16384 attach pause mlock-page 1 pause munlock-page 1 \
		pause detach pause || return 1
	step "mlock of page 1: 3 pieces" "${P}l" 3
	check_change "mlock of page 1" "${P}l" "vmas split 3"
	step "munlock of page 1: still 3" "${P}l" 3
	step "shmdt of the mlocked attachment" "${P}l" 0
	check_change "shmdt of the 3 pieces" "${P}l" "detach shmdt 0"

	# mbind of page 2: 3 pieces. A second attachment bound whole (no cut), then
	# set_mempolicy_home_node on its page 1: 3 more.
	hold "${P}b" create "$(new_key)" 16384 attach pause mbind-page 2 pause attach mbind-all \
		pause home-node-page 1 pause || return 1
	step "mbind of page 2: 3 pieces" "${P}b" 3
	check_change "mbind of page 2" "${P}b" "vmas split 3"
	step "a second attachment, bound whole: 4" "${P}b" 4
	step "set_mempolicy_home_node on its page 1: 6" "${P}b" 6
	check_change "set_mempolicy_home_node" "${P}b" "vmas split 6"

	# mseal of page 1 (6.10 and later): 3 pieces, which stay until the process exits.
	hold "${P}s" create "$(new_key)" 16384 attach pause mseal-page 1 || return 1
	hcont "${P}s" || return 1
	if hhas "${P}s" refused; then
		_ms=1
		pass "$LBL: mseal refused by this kernel ($(hval "${P}s" refused 4)): the attachment stays whole"
	else
		_ms=3
	fi
	expect_kernel "$LBL: mseal of page 1: kernel: nattch $_ms" "$(hval "${P}s" shmid)" "$_ms" \
		"$(hpid "${P}s")" || return 1
	check_who "$LBL: mseal of page 1: who" "$(hval "${P}s" shmid)"
	check_ps "$LBL: mseal of page 1: ps" "$(hpid "${P}s")"
	[ "$_ms" = 3 ] && check_change "mseal of page 1" "${P}s" "vmas split 3"
	_sid=$(hval "${P}s" shmid)
	_spid=$(hpid "${P}s")
	hend "${P}s" || return 1
	expect_kernel "$LBL: the sealed holder exited: kernel: nothing held" "$_sid" 0 ""
	check_who "$LBL: the sealed holder exited: who" "$_sid"
	check_change "the sealed holder's exit" "${P}s" "detach exit 0"
	check_ps "$LBL: the sealed holder exited: ps" "$_spid"

	# madvise: MADV_RANDOM on the first half (2 pieces), MADV_DONTDUMP on page 3 (3), then
	# MADV_DONTNEED on page 0, which changes no flag and cuts nothing.
	hold "${P}m" create "$(new_key)" 16384 attach pause madvise-half random pause \
		madvise-page 3 dontdump pause madvise-page 0 dontneed pause || return 1
	step "madvise(MADV_RANDOM) on half: 2 pieces" "${P}m" 2
	check_change "madvise on half" "${P}m" "vmas split 2"
	step "madvise(MADV_DONTDUMP) on page 3: 3 pieces" "${P}m" 3
	step "madvise(MADV_DONTNEED) on page 0: still 3" "${P}m" 3
	check_change "madvise that cuts nothing" "${P}m" "vmas split 3"

	# remap_file_pages: page 1 shows page 3 of the segment (3 pieces). shmdt(start) removes
	# the pieces whose pgoff matches their place in the attachment: page 1 stays mapped.
	hold "${P}r" create "$(new_key)" 16384 attach pause remap-page 1 3 pause detach pause ||
		return 1
	step "remap_file_pages of page 1: 3 pieces" "${P}r" 3
	check_change "remap_file_pages" "${P}r" "vmas split 3"
	step "shmdt after remap_file_pages: the remapped page stays" "${P}r" 1
	check_change "shmdt leaving the remapped page" "${P}r" "vmas shmdt 1"
	hcont "${P}r" || return 1
	hend "${P}r"
}

start_daemon || finish
MODE=$(status_field mode)
LBL=$MODE
P=a
splitters
# Where the kernel lacks the iterator (6.1) that was the probes' path already.
if grep -q "recounted by walks" "$T/daemon.log"; then
	finish
fi
stop_daemon

# The probes' path (no VMA iterator before 6.7), in tracepoint mode.
rm -f "$T/events.jsonl"
SHMWATCH_NO_VMA_ITER=1 start_daemon --mode tracepoint || finish
MODE=tracepoint
LBL="no iterator"
P=n
splitters
finish
