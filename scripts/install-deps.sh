#!/bin/sh
# Installs the Debian packages shmwatch builds, runs and tests with, only those missing.
# Used by `make run`, `make test` (and .ci/run through it), `make bench` and `make test-kernels`,
# so that a fresh Debian 12 machine needs nothing else.
#   install-deps.sh              what building and running need (`make run`, `make`)
#   install-deps.sh --test       that, plus what only the tests need (`make test`, `make stress`)
#   install-deps.sh --bench      that, plus what only the benchmarks need (`make bench`)
#   install-deps.sh PKG...       those packages instead (scripts/install-kernel-deps.sh)
#   install-deps.sh --list [--test|--bench]   print the packages of that set, one a line
set -eu
# Building and running: the compilers and the libraries the daemon and client link (their
# run-time packages come with the -dev ones).
PKGS="make clang libbpf-dev bpftool libelf-dev zlib1g-dev libjson-c-dev libsystemd-dev \
pkg-config uthash-dev libcap-dev"
# Only for the tests (CONTRIBUTING.md, "Tests"):
# libclang-rt-14-dev: the libFuzzer runtime (make fuzz, tests/e2e/t_fuzz.sh).
TEST_PKGS="libclang-rt-14-dev"
# mandoc, groff-base, man-db: man page lint and lookup (tests/e2e/t_install.sh); systemd,
# util-linux: systemd-analyze, and the service manager and namespaces t_systemd.sh runs the unit in.
TEST_PKGS="$TEST_PKGS mandoc groff-base man-db systemd util-linux"
# valgrind: memcheck of the daemon (tests/e2e/t_valgrind.sh; its shim needs valgrind/memcheck.h).
TEST_PKGS="$TEST_PKGS valgrind"
# logrotate: the event log rotated from outside with a postrotate SIGHUP (tests/e2e/t_logrotate.sh).
TEST_PKGS="$TEST_PKGS logrotate"
# postgresql-15, a real PostgreSQL for tests/e2e/t_postgres.sh (its SysV segment's lifecycle
# through start, crash restart and each shutdown mode). On Debian 12 it pulls 9 packages, 23 MiB
# (1.8 s to download, 2.3 s to unpack here); its postinst creates and starts a "main" cluster
# (initdb alone takes 0.8 s): about 10 s in all.
TEST_PKGS="$TEST_PKGS postgresql-15"
# prometheus: its promtool checks and unit-tests deploy/prometheus/shmwatch-rules.yml
# (tests/e2e/t_prometheus.sh). Installed without its recommends (node_exporter).
TEST_PKGS="$TEST_PKGS prometheus"
# podman and busybox-static: `make image` and the daemon run from the image (tests/e2e/t_image.sh).
TEST_PKGS="$TEST_PKGS podman busybox-static"
# Only for the benchmarks: lsof, the usual answer shmwatch is measured against, and jq, which the
# history queries are timed against (bench/run.sh); gzip's zgrep and zcat are essential in Debian.
BENCH_PKGS="lsof jq"

list=0
if [ "${1:-}" = --list ]; then
	list=1
	shift
fi
case ${1:-} in
--test)
	shift
	PKGS="$PKGS $TEST_PKGS"
	;;
--bench)
	shift
	PKGS="$PKGS $BENCH_PKGS"
	;;
esac
[ $# -gt 0 ] && PKGS="$*"
if [ "$list" = 1 ]; then
	# shellcheck disable=SC2086 # one package a word
	printf '%s\n' $PKGS
	exit 0
fi
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
