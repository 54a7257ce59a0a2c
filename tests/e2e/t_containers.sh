#!/bin/sh
# Containers: a holder in a cgroup named the way Docker names its scopes is shown with that
# container id and its cgroup; --container filters who and ls; a holder in its own pid
# namespace (unshare --pid) is shown with the pid it has there. Real cgroup, real namespace.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

# A 64-hex id of this run (the cgroup hierarchy outlives our mount of it).
CID=$(printf '4f1c2d3e%056x' "$$")
CG=$T/cgroup2
SCOPE=$CG/docker-$CID.scope

cleanup_containers() {
	# unshare --fork leaves its child (pid 1 in the new namespace) running when it is killed:
	# kill the child by its pid out here.
	[ -n "${NSP:-}" ] && kill -9 "$NSP" 2>/dev/null
	[ -f "$T/nsholder.pid" ] && kill "$(cat "$T/nsholder.pid")" 2>/dev/null
	[ -f "$T/h.pid" ] && kill -9 "$(cat "$T/h.pid")" 2>/dev/null
	# Processes leave a cgroup when they have exited and been reaped (an empty cgroup.procs
	# can still be busy for a moment, more so on a loaded host); then it can go.
	poll "$(scaled 10)" rmdir "$SCOPE" 2>/dev/null || fail "cleanup: cannot remove $SCOPE" \
		"cgroup.procs: $(cat "$SCOPE/cgroup.procs" 2>/dev/null | tr '\n' ' ')"
	umount "$CG" 2>/dev/null
}

start_daemon || finish
mkdir -p "$CG"
# Our own cgroup2 mount: works on hybrid hosts (v2 under /sys/fs/cgroup/unified) and pure v2.
if ! mount -t cgroup2 none "$CG" 2>"$T/mount.err"; then
	fail "mount cgroup2" "$(cat "$T/mount.err")"
	finish
fi
mkdir "$SCOPE" || {
	fail "mkdir $SCOPE"
	cleanup_containers
	finish
}

hold h create "$(new_key)" 8192 attach pause || finish
ID=$(hval h shmid)
P=$(hpid h)
hold h2 use "$ID" attach pause || finish
P2=$(hpid h2)
echo "$P" >"$SCOPE/cgroup.procs" || fail "move $P into $SCOPE"
expect_kernel "kernel: two holders" "$ID" 2 "$P $P2"

check_eq "holder in the scope: container id" "$CID" who_holder_field "$ID" "$P" container
check_eq "holder in the scope: cgroup path" "/docker-$CID.scope" who_holder_field "$ID" "$P" cgroup
check_eq "holder outside: no container field" "<none>" who_holder_field "$ID" "$P2" container
check_eq "who --container (prefix) names only the container's holder" "$P" \
	sh -c "'$SHMWATCH' --socket '$T/sock' --json who $ID --container $(echo "$CID" | cut -c1-20) |
	'$JSONX' 'holders[].pid' | tr '\n' ' ' | sed 's/ \$//'"
check_eq "ls --container lists the segment with 1 holder" "$ID 1" \
	sh -c "'$SHMWATCH' --socket '$T/sock' --json ls --container $CID |
	'$JSONX' 'segments[]' shmid holders | awk -v s=$ID '\$1 == s'"
# Another id (ours with its first digit changed: no container of this run has it; others on the
# host may hold segments under any id, so only our segment's absence is ours to check).
OTHER=$(echo "$CID" | sed 's/^4/5/')
ls_ids() { # ls_ids CONTAINER: the shmids `ls --container` lists (it must answer ok)
	_lsj=$(sw_ok ls --container "$1") || {
		echo "$_lsj"
		return 1
	}
	echo "$_lsj" | "$JSONX" 'segments[]' ns shmid | awk -v n="$SELF_NS" '$1 == n { print $2 }'
}
has_id() { ls_ids "$1" | grep -qx "$2"; }
lacks_id() { _li=$(ls_ids "$1") && ! echo "$_li" | grep -qx "$2"; }
check "ls --container of our id lists our segment" has_id "$CID" "$ID"
check "ls --container of another id ($(echo "$OTHER" | cut -c1-12)...) does not list it" \
	lacks_id "$OTHER" "$ID"
check_rc "--container with upper-case hex is a usage error" 2 sw who "$ID" --container ABC

# A holder in its own pid namespace: pid 1 there.
if command -v unshare >/dev/null 2>&1; then
	: >"$T/nsholder.out"
	unshare --pid --fork "$HOLD" --ready "$T/nsholder.out" use "$ID" attach pause \
		>"$T/nsholder.log" 2>&1 &
	echo "$!" >"$T/nsholder.pid"
	echo "$!" >>"$T/pids"
	wait_until "the pid-namespace holder to attach" grep -q attach "$T/nsholder.out"
	NSP=$("$ORACLE" holders "$ID" | awk -v a="$P" -v b="$P2" '$1 != a && $1 != b' | head -n 1)
	[ -n "$NSP" ] && echo "$NSP" >>"$T/pids"
	if [ -n "$NSP" ]; then
		pass "kernel: the pid-namespace holder is $NSP"
		check_eq "holder in a pid namespace: nspid 1" 1 who_holder_field "$ID" "$NSP" nspid
	else
		fail "kernel: the pid-namespace holder" "$("$ORACLE" holders "$ID")"
	fi
else
	fail "unshare is missing (util-linux)"
fi

cleanup_containers
finish
