#!/bin/sh
# The container image (`make image`, deploy/container/Containerfile; docs/fleet.md, "The
# image"): it builds FROM scratch without a registry, holds the static daemon and client and a
# shell for hooks, and the daemon run from it answers `who` for a segment this scenario holds
# as the kernel has it, with the holder's user name read from the host's /etc/passwd (mounted
# read-only, as the DaemonSet does).
# Run with `podman run` (host PID and IPC namespaces, /sys, the socket's directory) where that
# works; where it fails (these machines: crun's setrlimit gets EPERM), from the image's exported
# root filesystem: chroot in a mount namespace of its own (unshare -m) with the host's /proc,
# /sys (btf, tracefs, bpffs under it) and /dev bound in. The output says which way it ran.
# Needs podman (or buildah, IMAGE_TOOL=) and busybox-static: scripts/install-deps.sh --test.
# shellcheck source=lib.sh
. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$SHMW_E2E_DIR/../.." && pwd)
IMAGE=localhost/shmwatch:e2e-$$
CNAME=shmw-e2e-$$
RUNDIR=$T/run
IMAGE_BUILT=0
SD=
# shellcheck disable=SC2154 # _im_rc is set by the trap itself
trap '_im_rc=$?; im_cleanup; (exit $_im_rc); _cleanup' EXIT

im_cleanup() {
	podman rm -f "$CNAME" >/dev/null 2>&1
	[ -n "$SD" ] && rm -rf "$SD"
	[ "$IMAGE_BUILT" = 1 ] && podman rmi -f "$IMAGE" >/dev/null 2>&1
	return 0
}

if ! command -v podman >/dev/null 2>&1; then
	fail "podman not found: install it (make test-deps)"
	finish
fi

t0=$(now_cs)
if ! make -C "$ROOT" --no-print-directory image IMAGE="$IMAGE" IMAGE_OUT="$T/image" \
	>"$T/image.log" 2>&1; then
	fail "make image" "$(tail -20 "$T/image.log")"
	finish
fi
IMAGE_BUILT=1
pass "make image: $(tail -1 "$T/image.log" | sed 's/^make-image: //') in $(((($(now_cs) - t0) + 50) / 100)) s"

# What is in it: the two binaries, static, and a shell for --alert-exec hooks.
mkdir -p "$T/rootfs" "$RUNDIR"
if ! podman create --name "$CNAME" "$IMAGE" >/dev/null 2>"$T/create.err" ||
	! podman export "$CNAME" | tar -x -C "$T/rootfs" 2>"$T/export.err"; then
	fail "podman create/export of $IMAGE" "$(cat "$T/create.err" "$T/export.err")"
	finish
fi
podman rm -f "$CNAME" >/dev/null 2>&1
for f in usr/sbin/shmwatchd usr/bin/shmwatch bin/sh; do
	if [ ! -x "$T/rootfs/$f" ]; then
		fail "the image has no /$f"
	elif readelf -l "$T/rootfs/$f" 2>/dev/null | grep -q INTERP; then
		fail "/$f in the image is dynamically linked (needs a loader the image has not)"
	else
		pass "the image has /$f, statically linked"
	fi
done

ARGS="--socket /run/shmwatch/sock --log-file /var/log/shmwatch/events.jsonl"
way=
# shellcheck disable=SC2086 # ARGS are words
if podman run -d --name "$CNAME" --pid=host --ipc=host --privileged --security-opt label=disable \
	-v /sys:/sys -v "$RUNDIR:/run/shmwatch" -v /etc/passwd:/etc/passwd:ro \
	-v /etc/group:/etc/group:ro "$IMAGE" $ARGS >"$T/podman-run.out" 2>&1; then
	way="podman run (host PID and IPC namespaces)"
	DPID=
else
	why=$(grep -m1 -i 'error' "$T/podman-run.out" || head -1 "$T/podman-run.out")
	podman rm -f "$CNAME" >/dev/null 2>&1
	way="the image's exported root filesystem under chroot in its own mount namespace, with the host's /proc, /sys and /dev (podman run failed here: $why)"
	# The mounts live and die with the daemon's mount namespace: nothing to undo on the host.
	# shellcheck disable=SC2016,SC2086 # expanded by the inner shell; ARGS are words
	unshare -m sh -c '
		set -e
		r=$1 run=$2
		shift 2
		mount --make-rprivate /
		mount --rbind /proc "$r/proc"
		mount --rbind /sys "$r/sys"
		mount --rbind /dev "$r/dev"
		for f in passwd group; do
			mount --bind "/etc/$f" "$r/etc/$f"
			mount -o remount,bind,ro "$r/etc/$f"
		done
		mount --bind "$run" "$r/run/shmwatch"
		mount -t tmpfs -o mode=1777 tmpfs "$r/tmp"
		exec chroot "$r" /usr/sbin/shmwatchd "$@"' sh "$T/rootfs" "$RUNDIR" $ARGS \
		>"$T/daemon.log" 2>&1 &
	DPID=$!
	echo "$DPID" >>"$T/pids"
fi
echo "image: the daemon runs from $way"
ln -s run/sock "$T/sock"
if ! poll "$(scaled 15)" sw status >/dev/null 2>&1; then
	[ -z "$DPID" ] && podman logs "$CNAME" >"$T/daemon.log" 2>&1
	_log_shown=1
	fail "the image's daemon not ready after $(scaled 15) s" "$(sed 's/^/daemon.log: /' "$T/daemon.log")"
	finish
fi
if [ -n "$DPID" ]; then
	check_eq "the daemon's root is the image's root filesystem" "$T/rootfs" \
		readlink "/proc/$DPID/root"
fi

# Two holders: root, and uid 65534 (through setpriv), whose name only the host's /etc/passwd
# has (the image's own names root alone). Its shmw-hold and progress file in a directory that
# user can reach.
NUID=65534
NNAME=$(awk -F: -v u="$NUID" '$3 == u { print $1; exit }' /etc/passwd)
SD=$(mktemp -d "${TMPDIR:-/tmp}/shmw-img.XXXXXX") || finish
chmod 755 "$SD"
mkdir -m 755 "$SD/bin"
mkdir "$SD/nb"
chown "$NUID:$NUID" "$SD/nb"
cp "$HOLD" "$SD/bin/shmw-hold"
chmod 755 "$SD/bin/shmw-hold"
# shellcheck disable=SC2016 # $2, $f, $@: for the wrapper script
printf '#!/bin/sh\nf=$2\nshift 2\nexec setpriv --reuid=%s --regid=%s --clear-groups -- "%s" --ready "%s/nb/$(basename "$f")" "$@"\n' \
	"$NUID" "$NUID" "$SD/bin/shmw-hold" "$SD" >"$SD/bin/nhold"
chmod 755 "$SD/bin/nhold"

hold h create "$(new_key)" 12288 set-mode 0666 attach || finish
id=$(hval h shmid)
: >"$SD/nb/n.out"
chown "$NUID:$NUID" "$SD/nb/n.out"
ln -s "$SD/nb/n.out" "$T/n.out"
_saved=$HOLD
HOLD=$SD/bin/nhold
hold n use "$id" attach || finish
HOLD=$_saved
expect_kernel "two holders of $id" "$id" 2 "$(hpid h) $(hpid n)"
check_who "who $id, answered by the image's daemon, matches the kernel" "$id"
check_eq "root's user name" root who_holder_field "$id" "$(hpid h)" user
if [ -n "$NNAME" ]; then
	check_eq "uid $NUID's user name, from the host's /etc/passwd" "$NNAME" \
		who_holder_field "$id" "$(hpid n)" user
else
	skip "uid $NUID has no name in this host's /etc/passwd"
fi
# The image's own (static) client, run here: the socket is on the host's side of the mount.
# shellcheck disable=SC2016 # expanded by the inner shell
check_eq "the image's client asks it too" "$id" \
	sh -c '"$1" --socket "$2" --json who "$3" --ns "$4" 2>&1 | "$5" shmid' sh \
	"$T/rootfs/usr/bin/shmwatch" "$T/sock" "$id" "$SELF_NS" "$JSONX"
finish
