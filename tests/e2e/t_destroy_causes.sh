#!/bin/sh
# destroy names what released the last attachment of a segment marked for destruction (README.md,
# "The alert it exists for"; docs/protocol.md): exec (the holder exec'd, the segment went with its
# old address space), exit, munmap (its pages unmapped one by one), and an mmap(MAP_FIXED) over
# it (logged as munmap, as the detach is). shmdt is t_lifecycle's. Each is proved on the kernel
# (the segment gone) and compared with the log: cause, pid, the remover before it, and the
# order create, rmid, destroy.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# life SHMID: the segment's lifecycle events, in order.
life() {
	log_about "$1" | "$JSONX" . event ns | awk -v n="$SELF_NS" '$2 == n &&
		($1 == "create" || $1 == "rmid" || $1 == "destroy") { printf "%s%s", s, $1; s = " " }
		END { print "" }'
}

# released NAME H CAUSE: H's segment is gone, destroyed by CAUSE by H, after create and rmid.
released() {
	_id=$(hval "$2" shmid)
	_p=$(hpid "$2")
	expect_kernel "$1: kernel: the segment is gone" "$_id" gone "" || return 1
	check_log "$1: log: destroy by $3, pid $_p" destroy "$3" "$_p" "$_id"
	check_eq "$1: log: create, rmid, destroy" "create rmid destroy" life "$_id"
	check "$1: log: destroy has lived_s" num_in "$(ev_field destroy "$_id" "" lived_s)" 0 60
	check_who "$1: who: no such segment" "$_id"
}

start_daemon --linger-after 0 || finish

# exec: the holder removes its segment, then execs itself (so it lives on, holding nothing).
hold x name execer create "$(new_key)" 8192 attach rmid pause exec "$HOLD" --ready "$T/x.out" ||
	finish
expect_kernel "exec: kernel: held by the one to exec" "$(hval x shmid)" 1 "$(hpid x)"
check_eq "exec: who: dest" dest who_field "$(hval x shmid)" status
hcont x || finish
wait_until "the exec'd image to be ready" hhas x ready
check "exec: the process lives on" alive "$(hpid x)"
released exec x exec

# exit.
hold y create "$(new_key)" 8192 attach rmid || finish
expect_kernel "exit: kernel: held" "$(hval y shmid)" 1 "$(hpid y)"
hend y || finish
released exit y exit

# munmap: page 1, then page 0: the last piece goes.
hold m create "$(new_key)" 8192 attach rmid pause munmap-page 1 pause munmap-page 0 pause ||
	finish
expect_kernel "munmap: kernel: held" "$(hval m shmid)" 1 "$(hpid m)"
hcont m || finish
expect_kernel "munmap: kernel: page 1 unmapped, still held" "$(hval m shmid)" 1 "$(hpid m)"
check_eq "munmap: no destroy yet" 0 ev_count destroy "$(hval m shmid)"
hcont m || finish
released munmap m munmap

# mmap(MAP_FIXED) over the whole attachment.
hold f create "$(new_key)" 8192 attach rmid pause mmap-fixed-all pause || finish
expect_kernel "mmap: kernel: held" "$(hval f shmid)" 1 "$(hpid f)"
hcont f || finish
released "mmap(MAP_FIXED)" f munmap
finish
