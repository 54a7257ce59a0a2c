#!/bin/sh
# Installs the Debian packages shmwatch builds and tests with, only those missing.
# Used by `make run`, `make test` and .ci/run so a fresh Debian 12 machine needs nothing else.
#   install-deps.sh            what `make run` needs (and, so far, most of what the tests need)
#   install-deps.sh --test     the same, plus what only the tests need (`make test`)
#   install-deps.sh --bench    the same, plus what only `make bench` needs
#   install-deps.sh PKG...     those packages instead (scripts/install-kernel-deps.sh)
set -eu
# libclang-rt-14-dev: the libFuzzer and sanitizer runtimes (make fuzz, tests/e2e/t_fuzz.sh).
PKGS="make clang libbpf-dev bpftool libelf-dev zlib1g-dev libjson-c-dev libsystemd-dev \
pkg-config uthash-dev libcap-dev lsof libclang-rt-14-dev"
# mandoc, groff-base, man-db: man page lint and lookup (tests/e2e/t_install.sh); systemd,
# util-linux: systemd-analyze, and the service manager and namespaces t_systemd.sh runs the unit in.
PKGS="$PKGS mandoc groff-base man-db systemd util-linux"
# valgrind: memcheck of the daemon (tests/e2e/t_valgrind.sh; its shim needs valgrind/memcheck.h).
PKGS="$PKGS valgrind"
# logrotate: the event log rotated from outside with a postrotate SIGHUP (tests/e2e/t_logrotate.sh).
PKGS="$PKGS logrotate"
# Only for the tests: postgresql-15, a real PostgreSQL for tests/e2e/t_postgres.sh (its SysV
# segment's lifecycle through start, crash restart and each shutdown mode). On Debian 12 it pulls
# 9 packages, 23 MiB (1.8 s to download, 2.3 s to unpack here); its postinst creates and starts
# a "main" cluster (initdb alone takes 0.8 s): about 10 s in all.
TEST_PKGS="postgresql-15"
if [ "${1:-}" = --test ]; then
	shift
	PKGS="$PKGS $TEST_PKGS"
fi
# Only for the benchmark: jq, which the history queries are timed against (bench/run.sh);
# gzip's zgrep and zcat are essential in Debian.
if [ "${1:-}" = --bench ]; then
	shift
	PKGS="$PKGS jq"
fi
[ $# -gt 0 ] && PKGS="$*"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing Debian packages:$missing (run as root, or apt-get install them)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
