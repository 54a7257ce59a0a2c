#!/bin/sh
# Builds shmwatchd's container image from the static binaries (`make image`; docs/fleet.md,
# "The image"): stages OUTDIR/rootfs and builds deploy/container/Containerfile with podman (or
# buildah), FROM scratch, so nothing is pulled from a registry.
#   make-image.sh STATIC-DIR OUTDIR IMAGE
# Environment: BUSYBOX (default /bin/busybox: must be statically linked, Debian's
# busybox-static), IMAGE_TOOL (podman or buildah; default: the first found).
set -eu
if [ $# -ne 3 ]; then
	echo "usage: $0 STATIC-DIR OUTDIR IMAGE" >&2
	exit 2
fi
static=$1
out=$2
image=$3
root=$(cd "$(dirname "$0")/.." && pwd)
busybox=${BUSYBOX:-/bin/busybox}

tool=${IMAGE_TOOL:-}
if [ -z "$tool" ]; then
	for t in podman buildah; do
		if command -v "$t" >/dev/null 2>&1; then
			tool=$t
			break
		fi
	done
fi
if [ -z "$tool" ]; then
	echo "make-image: neither podman nor buildah found (Debian: apt-get install podman; make test-deps installs it)" >&2
	exit 1
fi
for b in "$static/shmwatchd" "$static/shmwatch"; do
	if [ ! -x "$b" ]; then
		echo "make-image: missing $b (make static builds it)" >&2
		exit 1
	fi
done
# A dynamic busybox would need a libc the image has not.
if [ ! -x "$busybox" ] || readelf -l "$busybox" 2>/dev/null | grep -q INTERP; then
	echo "make-image: $busybox is not a static busybox (Debian: apt-get install busybox-static)" >&2
	exit 1
fi

rm -rf "$out/rootfs"
r=$out/rootfs
mkdir -p "$r/usr/sbin" "$r/usr/bin" "$r/bin" "$r/etc" "$r/proc" "$r/sys" "$r/dev" \
	"$r/run/shmwatch" "$r/var/log/shmwatch" "$r/var/lib/node_exporter/textfile_collector"
mkdir -m 1777 "$r/tmp"
install -m 0755 "$static/shmwatchd" "$r/usr/sbin/shmwatchd"
install -m 0755 "$static/shmwatch" "$r/usr/bin/shmwatch"
install -m 0755 "$busybox" "$r/bin/busybox"
# Every applet as a link, /bin/sh among them: hooks run `/bin/sh -c CMD`.
for a in $("$busybox" --list); do
	[ "$a" = busybox ] || ln -s busybox "$r/bin/$a"
done
# Names for root alone; on a node the DaemonSet mounts the host's files over these, so that
# user names and --admin-group are the host's.
printf 'root:x:0:0:root:/:/bin/sh\n' >"$r/etc/passwd"
printf 'root:x:0:\n' >"$r/etc/group"
cp "$root/deploy/container/Containerfile" "$out/Containerfile"

case $tool in
podman) podman build -q -f "$out/Containerfile" -t "$image" "$out" ;;
buildah) buildah bud -q -f "$out/Containerfile" -t "$image" "$out" ;;
*)
	echo "make-image: IMAGE_TOOL=$tool: podman or buildah" >&2
	exit 2
	;;
esac
echo "make-image: built $image with $tool ($(du -sk "$r" | cut -f1) KiB)"
