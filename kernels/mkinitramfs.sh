#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Packs the test-kernels initramfs (an uncompressed newc cpio: TCG would spend seconds on
# decompression) from a static build directory and the test scripts.
#
#   kernels/mkinitramfs.sh OUTDIR ARCHIVE SCENARIO...
#
# Contents: busybox-static as /bin/busybox (its applets are linked at boot) and /init
# (kernels/init.sh); OUTDIR's shmwatchd, shmwatch and tests/shmw-* under /shmw/build;
# tests/run.sh, tests/e2e/lib*.sh and the SCENARIOs' tests/e2e/NAME.sh under /shmw/tests;
# OUTDIR/kernels/{fentry,load}-probe; the scenario list in /shmw/scenarios; /etc/passwd and
# /etc/group.
set -eu

if [ $# -lt 2 ]; then
	echo "usage: $0 OUTDIR ARCHIVE SCENARIO..." >&2
	exit 2
fi
OUTDIR=$1
ARCHIVE=$2
shift 2
TOP=$(cd "$(dirname "$0")/.." && pwd)
BUSYBOX=${BUSYBOX:-/bin/busybox}

if ! "$BUSYBOX" --list >/dev/null 2>&1 || ldd "$BUSYBOX" >/dev/null 2>&1; then
	echo "mkinitramfs: $BUSYBOX is not a static busybox (install busybox-static)" >&2
	exit 1
fi

ROOT=$(mktemp -d "${TMPDIR:-/tmp}/shmw-initramfs.XXXXXX")
# mktemp made it 0700: as the guest's /, it would keep every other user out of everything.
chmod 755 "$ROOT"
trap 'rm -rf "$ROOT"' EXIT
mkdir -p "$ROOT/bin" "$ROOT/etc" "$ROOT/shmw/build/tests" "$ROOT/shmw/tests/e2e" \
	"$ROOT/shmw/kernels" "$ROOT/proc" "$ROOT/sys" "$ROOT/dev" "$ROOT/tmp" "$ROOT/root"
cp "$BUSYBOX" "$ROOT/bin/busybox"
cp "$TOP/kernels/init.sh" "$ROOT/init"
chmod 755 "$ROOT/init"

for b in shmwatchd shmwatch; do
	cp "$OUTDIR/$b" "$ROOT/shmw/build/$b"
done
for b in "$OUTDIR"/tests/shmw-*; do
	[ -x "$b" ] && cp "$b" "$ROOT/shmw/build/tests/"
done
for b in fentry-probe load-probe; do
	[ -x "$OUTDIR/kernels/$b" ] && cp "$OUTDIR/kernels/$b" "$ROOT/shmw/kernels/"
done
# Nothing dynamic may go in: the guest has no libc.
for b in "$ROOT"/shmw/build/shmwatch* "$ROOT"/shmw/build/tests/* "$ROOT"/shmw/kernels/*; do
	if ldd "$b" >/dev/null 2>&1; then
		echo "mkinitramfs: $b is dynamically linked (build with: make static)" >&2
		exit 1
	fi
done

cp "$TOP/tests/run.sh" "$ROOT/shmw/tests/run.sh"
# Everything in tests/e2e but the C helpers and the scenarios not chosen (lib.sh, lib_*.sh...).
for f in "$TOP"/tests/e2e/*; do
	case ${f##*/} in
	helpers | t_*.sh) ;;
	*) cp -r "$f" "$ROOT/shmw/tests/e2e/" ;;
	esac
done
: >"$ROOT/shmw/scenarios"
for s in "$@"; do
	s=${s%.sh}
	if [ ! -f "$TOP/tests/e2e/$s.sh" ]; then
		echo "mkinitramfs: no scenario tests/e2e/$s.sh" >&2
		exit 1
	fi
	cp "$TOP/tests/e2e/$s.sh" "$ROOT/shmw/tests/e2e/"
	echo "$s" >>"$ROOT/shmw/scenarios"
done

cat >"$ROOT/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/bin/sh
daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
EOF
cat >"$ROOT/etc/group" <<'EOF'
root:x:0:
daemon:x:1:
nogroup:x:65534:
EOF
printf 'passwd: files\ngroup: files\n' >"$ROOT/etc/nsswitch.conf"

mkdir -p "$(dirname "$ARCHIVE")"
(cd "$ROOT" && find . | sort | busybox cpio -o -H newc -R 0:0 2>/dev/null) >"$ARCHIVE.tmp"
mv "$ARCHIVE.tmp" "$ARCHIVE"
