#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Fetches Debian's newest kernel of each series into a cache and prints "SERIES DIR" per series.
#
#   kernels/fetch.sh CACHE SERIES...        e.g. kernels/fetch.sh build/kernels 6.1 6.12
#
# For each series the newest linux-image-SERIES.*-$KERNEL_FLAVOUR-unsigned package that apt knows
# (apt-cache, sorted by version: nothing is pinned; the mirror replaces versions over time) is
# downloaded with `apt-get download` and only boot/vmlinuz-* and boot/config-* are kept, in
# CACHE/PACKAGE_VERSION/{vmlinuz,config,release}. A package already in the cache is not fetched
# again. When apt has no such package or the download fails (offline, stale lists even after an
# `apt-get update`), the newest cached kernel of that series is used, with a warning.
# KERNEL_FLAVOUR: cloud-amd64 (default, boots fastest) or amd64.
set -eu

if [ $# -lt 2 ]; then
	echo "usage: $0 CACHE SERIES..." >&2
	exit 2
fi
CACHE=$1
shift
FLAVOUR=${KERNEL_FLAVOUR:-cloud-amd64}
mkdir -p "$CACHE"
CACHE=$(cd "$CACHE" && pwd)

say() { echo "fetch: $*" >&2; }

# newest_pkg SERIES: the newest package name of SERIES apt knows (nothing if none).
newest_pkg() {
	_re=$(printf '%s' "$1" | sed 's/\./\\./g')
	apt-cache search --names-only "^linux-image-$_re\.[0-9]+(-[0-9]+)?(\+deb[0-9]+)?-$FLAVOUR-unsigned\$" |
		cut -d' ' -f1 | sort -V | tail -n 1
}

# cached SERIES: the newest cached kernel directory of SERIES (nothing if none).
cached() {
	_re=$(printf '%s' "$1" | sed 's/\./\\./g')
	for _d in "$CACHE"/linux-image-*; do
		[ -f "$_d/vmlinuz" ] && basename "$_d"
	done | grep -E "^linux-image-$_re\.[0-9]+(-[0-9]+)?(\+deb[0-9]+)?-$FLAVOUR-unsigned_" |
		sort -V | tail -n 1
}

# download PKG VERSION DIR: apt-get download + extract vmlinuz and config into DIR.
download() {
	_tmp=$(mktemp -d "$CACHE/.fetch.XXXXXX")
	if ! (cd "$_tmp" && apt-get download -q -o APT::Sandbox::User=root "$1=$2" >/dev/null 2>"$_tmp/err"); then
		cat "$_tmp/err" >&2
		rm -rf "$_tmp"
		return 1
	fi
	dpkg-deb -x "$_tmp"/*.deb "$_tmp/x"
	_vmlinuz=
	for _f in "$_tmp"/x/boot/vmlinuz-*; do
		[ -f "$_f" ] && _vmlinuz=$_f
	done
	if [ -z "$_vmlinuz" ]; then
		say "$1 has no boot/vmlinuz-*"
		rm -rf "$_tmp"
		return 1
	fi
	mkdir -p "$_tmp/out"
	cp "$_vmlinuz" "$_tmp/out/vmlinuz"
	cp "$_tmp"/x/boot/config-* "$_tmp/out/config" 2>/dev/null || :
	basename "$_vmlinuz" | sed 's/^vmlinuz-//' >"$_tmp/out/release"
	echo "$1 $2" >"$_tmp/out/package"
	rm -rf "$3"
	mv "$_tmp/out" "$3"
	rm -rf "$_tmp"
}

status=0
for series in "$@"; do
	pkg=$(newest_pkg "$series")
	ver=
	[ -n "$pkg" ] && ver=$(apt-cache policy "$pkg" | awk '/Candidate:/ { print $2 }')
	[ "$ver" = "(none)" ] && ver=
	dir=
	if [ -n "$pkg" ] && [ -n "$ver" ]; then
		dir=$CACHE/${pkg}_$ver
		if [ ! -f "$dir/vmlinuz" ]; then
			say "downloading $pkg $ver"
			if ! download "$pkg" "$ver" "$dir"; then
				if [ "$(id -u)" = 0 ]; then
					say "download failed: apt-get update, then once more"
					apt-get update -qq >/dev/null 2>&1 || :
					pkg=$(newest_pkg "$series")
					ver=$(apt-cache policy "$pkg" | awk '/Candidate:/ { print $2 }')
					dir=$CACHE/${pkg}_$ver
					[ -f "$dir/vmlinuz" ] || download "$pkg" "$ver" "$dir" || dir=
				else
					dir=
				fi
			fi
		fi
	fi
	if [ -z "$dir" ]; then
		c=$(cached "$series")
		if [ -z "$c" ]; then
			say "no $FLAVOUR kernel of series $series from apt, and none cached in $CACHE"
			status=1
			continue
		fi
		dir=$CACHE/$c
		say "series $series: apt has none to fetch; using the cached $c"
	fi
	echo "$series $dir"
done
exit "$status"
