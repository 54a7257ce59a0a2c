#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
#
# scripts/check-layers.sh [OBJDIR]: the rule of user/'s folders (CONTRIBUTING.md, "Layout").
#
# Each folder may include only its own headers and those of the folders it stands on; none
# includes a header of a folder above it, and no file includes (or, with OBJDIR, calls) a file
# that includes or calls it back, directly or around a circle. The layers, lowest first, each
# with the folders it stands on:
LAYERS='
include:
user/common: include
user/client: user/common include
user/daemon/core: user/common include
user/daemon/kern: user/daemon/core user/common include
user/daemon: user/daemon/kern user/daemon/core user/common include
'
#   include           the ABI header, shared with the BPF side
#   user/common       what both binaries need: the protocol, clocks and time formats, escaping
#   user/client       shmwatch: the client stands on common alone, never on the daemon
#   user/daemon/core  the daemon's logic: state, lifecycle, replay, reports, metrics, process
#                     names, alerts' formats, its log; no libbpf (unit tests and fuzzers link it)
#   user/daemon/kern  the daemon's kernel layer: loading, walks, map reads, segment tables in
#                     every IPC namespace, probes; the only folder that includes a BPF skeleton
#                     (*.skel.h) or a libbpf header (<bpf/...>)
#   user/daemon       the daemon's services on top: main, event handling, requests, socket,
#                     event log, publishing, hooks, privileges
#
# With OBJDIR (the build's output, e.g. build), the calls between files are read from the
# objects' symbols (nm) and held to the same rule. Prints each offending include or call, one a
# line, and exits 1; exits 0 when there is none. POSIX sh and awk (and nm with OBJDIR).
set -eu

cd "$(dirname "$0")/.."
OBJDIR=${1:-}

{
	printf '%s\n' "$LAYERS" | awk -F: 'NF == 2 { print "L", $1, $2 }'
	printf '%s\n' "$LAYERS" | awk -F: 'NF == 2 { print $1 }' | while read -r dir; do
		for f in "$dir"/*.c "$dir"/*.h; do
			[ -f "$f" ] || continue
			echo "F $f"
			# #include "x" and #include <x>, with the line they are on.
			awk -v f="$f" '
				/^[ \t]*#[ \t]*include[ \t]*"/ {
					split($0, q, "\""); print "I", f, FNR, q[2]
				}
				/^[ \t]*#[ \t]*include[ \t]*</ {
					h = $0; sub(/^[^<]*</, "", h); sub(/>.*/, "", h)
					print "S", f, FNR, h
				}' "$f"
		done
	done
	if [ -n "$OBJDIR" ]; then
		for o in $(find "$OBJDIR/user" -name '*.o' 2>/dev/null | sort); do
			nm "$o" | awk -v o="${o#"$OBJDIR"/}" '
				$1 == "U" { print "U", o, $2 }
				NF == 3 && $2 ~ /^[TDBRCVW]$/ { print "D", o, $3 }'
		done
	fi
} | awk '
function dir(p) { sub(/\/[^\/]*$/, "", p); return p }
function base(p) { sub(/^.*\//, "", p); return p }
function module(p) { sub(/\.[ch]$/, "", p); sub(/\.o$/, "", p); return p }
function allowed(from, to) { return from == to || index(" " below[from] " ", " " to " ") > 0 }
function bad(msg) { print "check-layers: " msg; nbad++ }
function edge(a, b) {
	if (a == b || (a SUBSEP b) in edges)
		return
	edges[a, b] = 1
	out[a] = out[a] " " b
}
# Depth first: a module met again while still on the path closes a circle.
function visit(m, path,    n, i, next_, c) {
	state[m] = 1
	n = split(out[m], next_, " ")
	for (i = 1; i <= n; i++) {
		if (state[next_[i]] == 1) {
			# The circle alone: from where the path met next_[i] before.
			c = substr(" " path " ", index(" " path " ", " " next_[i] " ") + 1)
			bad("circle: " c "-> " next_[i] " (" why[m, next_[i]] ")")
		} else if (!state[next_[i]])
			visit(next_[i], path " -> " next_[i])
	}
	state[m] = 2
}
$1 == "L" {
	below[$2] = ""
	for (i = 3; i <= NF; i++)
		below[$2] = below[$2] " " $i
	next
}
$1 == "F" {
	if (base($2) in path_of && path_of[base($2)] != $2)
		bad($2 ": same name as " path_of[base($2)] " (includes are by name)")
	path_of[base($2)] = $2
	files[++nfiles] = $2
	known[module($2)] = 1
	next
}
$1 == "I" { inc[++ninc] = $2 " " $3 " " $4; next }
$1 == "S" {
	if ($4 ~ /^bpf\// && dir($2) != "user/daemon/kern")
		bad($2 ":" $3 ": includes <" $4 ">: only user/daemon/kern talks to libbpf")
	next
}
$1 == "D" { def[$3] = $2; next }
$1 == "U" { use[++nuse] = $2 " " $3; next }
END {
	for (i = 1; i <= ninc; i++) {
		split(inc[i], a, " ")
		from = a[1]; h = a[3]
		if (h ~ /\.skel\.h$/) {
			if (dir(from) != "user/daemon/kern")
				bad(from ":" a[2] ": includes " h ": only user/daemon/kern includes a skeleton")
			continue
		}
		if (!(base(h) in path_of)) {
			bad(from ":" a[2] ": includes \"" h "\", which is in no layer")
			continue
		}
		to = path_of[base(h)]
		if (!allowed(dir(from), dir(to)))
			bad(from ":" a[2] ": includes " to ": " dir(from) " stands on" \
			    (below[dir(from)] == "" ? " nothing" : below[dir(from)]))
		if (!((module(from), module(to)) in why))
			why[module(from), module(to)] = from " includes " base(to)
		edge(module(from), module(to))
	}
	for (i = 1; i <= nuse; i++) {
		split(use[i], a, " ")
		if (!(a[2] in def) || def[a[2]] == a[1] || !(module(a[1]) in known) ||
		    !(module(def[a[2]]) in known))
			continue
		from = a[1]; to = def[a[2]]
		if (!allowed(dir(from), dir(to)))
			bad(from ": calls " a[2] " of " to ": " dir(from) " stands on" \
			    (below[dir(from)] == "" ? " nothing" : below[dir(from)]))
		if (!((module(from), module(to)) in why))
			why[module(from), module(to)] = base(from) " calls " a[2]
		edge(module(from), module(to))
	}
	for (i = 1; i <= nfiles; i++)
		if (!state[module(files[i])])
			visit(module(files[i]), module(files[i]))
	if (nbad)
		exit 1
	printf "check-layers: %d files, %d includes%s: every layer stands on those below it\n", \
	    nfiles, ninc, nuse ? ", the calls between their objects" : ""
}'
