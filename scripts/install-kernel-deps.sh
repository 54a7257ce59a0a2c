#!/bin/sh
# Installs the Debian packages `make test-kernels` needs on top of scripts/install-deps.sh, only
# those missing: qemu, and busybox-static (the guest's init and tools; its cpio applet also packs
# the initramfs). Kept apart so `make test` stays lean.
set -eu
PKGS="qemu-system-x86 busybox-static"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-kernel-deps: missing Debian packages:$missing (run as root, or apt-get install them)" >&2
	exit 1
fi
echo "install-kernel-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
