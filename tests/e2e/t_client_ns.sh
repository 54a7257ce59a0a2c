#!/bin/sh
# The caller's IPC namespace first (issue 15), as ipcs answers: one shmid in two namespaces (the
# host's and a container's, made with unshare(CLONE_NEWIPC)); `who SHMID` and `ls` asked from
# each namespace answer that namespace's segment, as the kernel has it there; `--ns` picks the
# other, `-A` shows both (and `who -A` is ambiguous); `who --key` finds a segment by key in the
# caller's namespace. A user other than root and the admin group sees its own namespace only
# (--ns of another and -A are refused), and its `who` says how many holders it was not shown.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"
# shellcheck source=lib_robust.sh
. "$(dirname "$0")/lib_robust.sh"

NSEXEC=$SHMW_BUILD/tests/shmw-nsexec
NUID=65534
NGID=65534

# The socket where the other user can reach it ($T is root's alone), and a copy of the client
# it can run (the build tree may be in a private home).
SD=$(mktemp -d "${TMPDIR:-/tmp}/shmw-ns.XXXXXX") || exit 1
chmod 755 "$SD"
mkdir -m 755 "$SD/run" "$SD/bin"
cp "$SHMWATCH" "$SD/bin/shmwatch"
chmod 755 "$SD/bin/shmwatch"
SOCK=$SD/run/sock
# shellcheck disable=SC2154 # _ns_rc is set by the trap itself
trap '_ns_rc=$?; rm -rf "$SD"; (exit $_ns_rc); _cleanup' EXIT
sw() {
	"$SHMWATCH" --socket "$SOCK" "$@"
}
"$SHMWATCHD" --socket "$SOCK" --log-file "$T/events.jsonl" >"$T/daemon.log" 2>&1 &
await_daemon "$!" || finish
twin_segments || finish

# inside ARGS...: the client in the container's IPC namespace.
inside() {
	"$NSEXEC" "$N" "$SHMWATCH" --socket "$SOCK" "$@"
}
# who_view CLIENT... : "ns size holder-pids" of `who --json` (the answer as a user reads it).
who_view() {
	_wj=$("$@") || return 1
	printf '%s %s\n' "$(echo "$_wj" | "$JSONX" . ns size)" \
		"$(echo "$_wj" | "$JSONX" 'holders[]' pid | sort -n | tr '\n' ' ')"
}
# k_view NS: the same from the kernel.
k_view() {
	printf '%s %s %s\n' "$1" "$("$ORACLE" col "$ID" size --ns "$1")" \
		"$("$ORACLE" holders "$ID" --ns "$1" | sort -n | tr '\n' ' ')"
}

check_eq "who $ID from the host: the host's segment, as the kernel has it" \
	"$(k_view "$ROOTNS")" who_view sw --json who "$ID"
check_eq "who $ID from inside the container: its own segment, as the kernel has it" \
	"$(k_view "$NS")" who_view inside --json who "$ID"
check_eq "who $ID --ns (the container's) from the host" "$(k_view "$NS")" \
	who_view sw --json who "$ID" --ns "$NS"
check_eq "who $ID --ns (the host's) from inside" "$(k_view "$ROOTNS")" \
	who_view inside --json who "$ID" --ns "$ROOTNS"
check_rc "who $ID -A: ambiguous, exit 2" 2 sw who "$ID" -A
amb() { sw --json who "$ID" --all-namespaces 2>/dev/null | "$JSONX" . code 'len(namespaces)'; }
check_eq "who $ID --all-namespaces --json: code ambiguous, 2 namespaces" "ambiguous 2" amb

# who --key, as ipcrm -M takes a key: in the caller's namespace.
check_eq "who --key (host's key) from the host" "$(k_view "$ROOTNS")" \
	who_view sw --json who --key "$KR"
check_eq "who --key (container's key, decimal) from inside" "$(k_view "$NS")" \
	who_view inside --json who --key "$(printf '%d' "$KN")"
check_rc "who --key of the container's key from the host: exit 1" 1 sw who --key "$KN"
check_eq "who --key of the container's key -A from the host" "$(k_view "$NS")" \
	who_view sw --json who --key "$KN" -A

# ls: the kernel's shmids of a namespace (the container's is ours alone), and shmwatch's.
k_ids() {
	"$NSEXEC" "$1" awk 'NR > 1 { print $2 }' /proc/sysvipc/shm | sort -n | tr '\n' ' '
}
d_ids() { # d_ids CLIENT...: "NS SHMID" pairs, those of the container's namespace
	"$@" | "$JSONX" 'segments[]' ns shmid | awk -v ns="$NS" '$1 == ns { print $2 }' |
		sort -n | tr '\n' ' '
}
d_nss() { "$@" | "$JSONX" 'segments[]' ns | sort -u | tr '\n' ' '; }
KIDS=$(k_ids "$N")
check "kernel: the container's namespace has segment $ID" sh -c "echo ' $KIDS' | grep -q ' $ID '"
check_eq "ls from inside: the container's segments, as its kernel table" "$KIDS" \
	d_ids inside --json ls
check_eq "ls from inside: no other namespace" "$NS " d_nss inside --json ls
check_eq "ls from the host: only the host's namespace" "$ROOTNS " d_nss sw --json ls
check_eq "ls --ns (the container's) from the host" "$KIDS" d_ids sw --json ls --ns "$NS"
ls_both() {
	sw --json ls -A | "$JSONX" 'segments[]' ns shmid |
		awk -v a="$ROOTNS" -v b="$NS" -v id="$ID" '$2 == id && ($1 == a || $1 == b)' |
		sort | tr '\n' ' '
}
want=$(printf '%s %s\n%s %s\n' "$ROOTNS" "$ID" "$NS" "$ID" | sort | tr '\n' ' ')
check_eq "ls -A from the host: shmid $ID in both namespaces" "$want" ls_both
first_ns() { "$@" ls -A -o NS -n | head -n 1 | tr -d ' '; }
check_eq "ls -A from inside: the container's namespace first" "$NS" first_ns inside
check_eq "ls -A from the host: the host's namespace first" "$ROOTNS" first_ns sw
ls_table_ns() { sw -A ls -o NS,ID -n | awk -v id="$ID" '$2 == id { print $1 }' | sort | tr '\n' ' '; }
check_eq "ls -A -o NS,ID -n: the table names both namespaces" \
	"$(printf '%s\n%s\n' "$ROOTNS" "$NS" | sort | tr '\n' ' ')" ls_table_ns

# A user other than root and the admin group: its own namespace, and counts of the hidden.
nsw() { as_user "$NUID" "$NGID" "$SD/bin/shmwatch" --socket "$SOCK" "$@"; }
check_rc "another user: ls -A is refused (exit 4)" 4 nsw ls -A
check_rc "another user: ls --ns of another namespace is refused (exit 4)" 4 nsw ls --ns "$NS"
check_eq "another user: ls shows its own namespace" "$ROOTNS " d_nss nsw --json ls
NHOLD=$("$ORACLE" holders "$ID" --ns "$ROOTNS" | grep -c .)
check "kernel: root's processes hold the host's segment" test "$NHOLD" -gt 0
hidden_line() { nsw who "$ID" | grep 'not shown'; }
check_eq "another user: who says how many holders it was not shown" \
	"$NHOLD holders not shown: other users" hidden_line
no_header() { _nh=$(nsw who "$ID") && ! echo "$_nh" | grep -q '^ *PID'; }
check "another user: no empty holder table under nattch" no_header
finish
	chmod 755 "$SD"
	cp "$SHMWATCH" "$SD/"
	chmod 755 "$SD/shmwatch"
	ln -s "$T/sock" "$SD/sock"
	chmod 755 "$T" 2>/dev/null
	nsw() { as_user "$NUID" "$NGID" "$SD/shmwatch" --socket "$SD/sock" "$@"; }
	check_rc "another user: ls -A is refused (exit 4)" 4 nsw ls -A
	check_rc "another user: ls --ns of another namespace is refused (exit 4)" 4 \
		nsw ls --ns "$NS"
	check_eq "another user: ls shows its own namespace" "$ROOTNS " d_nss nsw --json ls
	hidden_line() { nsw who "$ID" | grep 'not shown'; }
	check_eq "another user: who says how many holders it was not shown" \
		"$(echo "$(k_view "$ROOTNS")" | awk '{ print NF - 2 }') holders not shown: other users" \
		hidden_line
	no_header() { ! nsw who "$ID" | grep -q '^ *PID'; }
	check "another user: no empty holder table under nattch" no_header
	rm -rf "$SD"
else
	skip "no setpriv or shmw-runas: the other user's view is not checked"
fi
finish
