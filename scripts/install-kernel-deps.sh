#!/bin/sh
# Installs the Debian packages `make test-kernels` needs on top of scripts/install-deps.sh, only
# those missing: qemu, and busybox-static (the guest's init and tools; its cpio applet also packs
# the initramfs). Kept apart so `make test` stays lean.
set -eu
exec "$(dirname "$0")/install-deps.sh" qemu-system-x86 busybox-static
