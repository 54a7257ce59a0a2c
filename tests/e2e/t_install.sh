#!/bin/sh
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Packaging, none of it needs BPF:
# - the man pages lint clean (mandoc -T lint, groff -ww), document every option, command and
#   exit status that --help lists, and carry the version of the build;
# - the bash completion offers every command and option of --help, live shmids and IPC
#   namespaces from a daemon, and returns at once (or after its 1 s --timeout) from a daemon
#   that is down or does not answer;
# - `make install` into a scratch DESTDIR with PREFIX=/usr puts exactly the expected files with
#   the expected modes, the unit's ExecStart in that prefix, binaries that run; `make
#   uninstall` takes every file away; the same with the default PREFIX (/usr/local);
# - the Kubernetes DaemonSet adds exactly the unit's capabilities.
# Tools that scripts/install-deps.sh installs (mandoc, groff, man, bash) FAIL here when missing
# in CI, and are skipped elsewhere.

. "$(dirname "$0")/lib.sh"

ROOT=$(cd "$SHMW_E2E_DIR/../.." && pwd)
UNIT_IN=$ROOT/systemd/shmwatchd.service.in
COMPLETION=$ROOT/completion/shmwatch.bash


# help_opts BINARY: the options BINARY --help lists ("-s", "--socket", ...), sorted: the words
# starting with "-" at the start of a line indented by at most 8 spaces (deeper ones continue
# a description).
help_opts() {
	"$1" --help | awk 'match($0, /^ +-/) && RLENGTH <= 9 {
		for (i = 1; i <= NF; i++) {
			w = $i
			sub(/,$/, "", w)
			if (w !~ /^-/)
				break
			print w
		} }' | sort -u
}

# help_commands: the commands of shmwatch --help, sorted.
help_commands() {
	"$SHMWATCH" --help | awk '/^Commands:/ { c = 1; next } c && /^$/ { c = 0 }
		c && /^  [a-z]/ { print $1 }' | sort -u
}

# help_exit_codes: the exit statuses of shmwatch --help.
help_exit_codes() {
	"$SHMWATCH" --help | awk '/^Exit status:/ { e = 1; next } e && /^$/ { e = 0 }
		e && $1 ~ /^[0-9]+$/ { print $1 }'
}

# man_has_opt PAGE OPTION: the roff source mentions OPTION ("--log-file" as \-\-log\-file),
# not merely as the start of a longer option.
man_has_opt() {
	awk -v o="$2" 'BEGIN {
		for (k = 1; k <= length(o); k++) {
			c = substr(o, k, 1)
			r = r (c == "-" ? "\\-" : c)
		}
	}
	{
		s = $0
		while ((i = index(s, r)) > 0) {
			before = i > 1 ? substr(s, i - 1, 1) : ""
			after = substr(s, i + length(r), 2)
			if (before != "-" && after !~ /^[A-Za-z0-9]/ && after != "\\-") {
				found = 1
				exit
			}
			s = substr(s, i + length(r))
		}
	}
	END { exit !found }' "$1"
}

# man_section_opts PAGE: the options named on the tag lines (after .TP) of PAGE's OPTIONS
# section, as typed ("--log-file"), sorted.
man_section_opts() {
	awk '/^\.SH / { in_opts = ($0 == ".SH OPTIONS"); next }
	in_opts && /^\.TP/ { tag = 1; next }
	in_opts && tag {
		tag = 0
		s = $0
		while (match(s, /\\-(\\-)?[A-Za-z0-9]([A-Za-z0-9]|\\-)*/)) {
			w = substr(s, RSTART, RLENGTH)
			gsub(/\\-/, "-", w)
			print w
			s = substr(s, RSTART + RLENGTH)
		}
	}' "$1" | sort -u
}

# man_section_words PAGE SECTION: the first word of the tag lines of SECTION (.B WORD), sorted.
man_section_words() {
	awk -v sec=".SH $2" '/^\.SH / { in_sec = ($0 == sec); next }
	in_sec && /^\.TP/ { tag = 1; next }
	in_sec && tag { tag = 0; if ($1 ~ /^\.B/) print $2 }' "$1" | tr -d '"' | sort -u
}

VERSION=$("$SHMWATCH" --version | awk '{ print $2 }')

# has_all NAME "WORD..." LIST: every WORD is a line of LIST. The comparisons below are between two
# lists derived from files and --help; two empty lists (a parser that finds nothing on both
# sides) would be equal: each side is first shown to hold words it must hold.
has_all() {
	_ha_missing=
	for _ha_w in $2; do
		printf '%s\n' "$3" | grep -qx -e "$_ha_w" || _ha_missing="$_ha_missing $_ha_w"
	done
	same "$1" "" "${_ha_missing# }"
}

# ---- man pages ------------------------------------------------------------------------------

# The daemon in section 8 (system administration), the client in 1 (user commands).
for page in shmwatchd.8 shmwatch.1; do
	sec=${page##*.}
	page=${page%.*}
	src=$ROOT/man/$page.$sec
	if need mandoc mandoc; then
		out=$(mandoc -T lint -W warning "$src" 2>&1)
		rc=$?
		if [ "$rc" = 0 ] && [ -z "$out" ]; then
			pass "$page.$sec: mandoc -T lint is clean"
		else
			fail "$page.$sec: mandoc -T lint (exit $rc)" "$out"
		fi
	fi
	if need groff groff-base; then
		out=$(LC_ALL=C.UTF-8 groff -man -ww -z -Tutf8 "$src" 2>&1)
		rc=$?
		if [ "$rc" = 0 ] && [ -z "$out" ]; then
			pass "$page.$sec: groff -man -ww is clean"
		else
			fail "$page.$sec: groff -man -ww (exit $rc)" "$out"
		fi
	fi
	same "$page.$sec: .TH names the version of the build ($VERSION)" "$VERSION" \
		"$(sed -n "s/^\.TH [^ ]* $sec [^ ]* \"shmwatch \([^\"]*\)\".*/\1/p" "$src")"

	bin=$SHMWATCHD
	[ "$page" = shmwatch ] && bin=$SHMWATCH
	has_all "$page --help lists --socket and --help (the parser finds options)" "--socket --help" \
		"$(help_opts "$bin")"
	has_all "$page.$sec: OPTIONS lists --socket and --help (the parser finds options)" \
		"--socket --help" "$(man_section_opts "$src")"
	missing=
	for o in $(help_opts "$bin"); do
		man_has_opt "$src" "$o" || missing="$missing $o"
	done
	same "$page.$sec documents every option of $page --help" "" "${missing# }"
	# The other way: no option documented that --help does not list (removed or renamed).
	extra=$(man_section_opts "$src" | while read -r o; do
		help_opts "$bin" | grep -q -x -e "$o" || printf '%s ' "$o"
	done)
	same "$page.$sec: OPTIONS lists nothing $page --help does not" "" "${extra% }"
done

has_all "shmwatch --help lists who, ps, ls and status (the parser finds commands)" \
	"who ps ls status" "$(help_commands)"
has_all "shmwatch --help lists exit statuses 0 to 2 (the parser finds them)" "0 1 2" \
	"$(help_exit_codes)"
same "shmwatch.1: COMMANDS are the commands of shmwatch --help" "$(help_commands)" \
	"$(man_section_words "$ROOT/man/shmwatch.1" COMMANDS)"
same "shmwatch.1: EXIT STATUS lists the statuses of shmwatch --help" \
	"$(help_exit_codes | sort -u)" "$(man_section_words "$ROOT/man/shmwatch.1" "EXIT STATUS")"
same "shmwatchd.8: EXIT STATUS lists 0, 1, 2" "$(printf '0\n1\n2')" \
	"$(man_section_words "$ROOT/man/shmwatchd.8" "EXIT STATUS")"

# ---- make install ---------------------------------------------------------------------------

# mk ARGS...: make in the source tree with this build's binaries, never rebuilding them (-o all:
# the scenario tests what was built), and without the make that may be running us.
mk() {
	env -u MAKEFLAGS -u MFLAGS -u MAKELEVEL make -C "$ROOT" --no-print-directory -s -o all \
		OUTPUT="$SHMW_BUILD" "$@"
}

# tree DIR: "MODE TYPE PATH [-> TARGET]" for everything but directories under DIR, sorted.
tree() {
	(cd "$1" && find . ! -type d | sort | while read -r f; do
		if [ -L "$f" ]; then
			echo "link ${f#./} -> $(readlink "$f")"
		else
			echo "$(stat -c %a "$f") ${f#./}"
		fi
	done)
}

DEST=$(mktemp -d "$T/destdir.XXXXXX")
if out=$(mk install DESTDIR="$DEST" PREFIX=/usr 2>&1); then
	pass "make install DESTDIR=... PREFIX=/usr"
else
	fail "make install DESTDIR=... PREFIX=/usr" "$out"
	finish
fi
same "the installed tree (PREFIX=/usr)" "$(
	cat <<EOF
755 usr/bin/shmwatch
644 usr/lib/systemd/system/shmwatchd.service
755 usr/sbin/shmwatchd
644 usr/share/bash-completion/completions/shmwatch
link usr/share/bash-completion/completions/shmwatchd -> shmwatch
644 usr/share/doc/shmwatch/README.md
644 usr/share/doc/shmwatch/fleet.md
644 usr/share/doc/shmwatch/protocol.md
644 usr/share/man/man1/shmwatch.1
644 usr/share/man/man8/shmwatchd.8
EOF
)" "$(tree "$DEST")"
UNIT=$DEST/usr/lib/systemd/system/shmwatchd.service
same "the unit's ExecStart is the installed daemon" "ExecStart=/usr/sbin/shmwatchd" \
	"$(grep '^ExecStart=' "$UNIT")"
same "no @PLACEHOLDER@ is left in the unit" "" "$(grep -n '@[A-Z_]*@' "$UNIT")"
grep -v '^ExecStart=' "$UNIT_IN" >"$T/unit.in"
same "the unit is the template but for ExecStart" "" \
	"$(grep -v '^ExecStart=' "$UNIT" | diff "$T/unit.in" - 2>&1)"
same "the installed man pages are the source ones" "" \
	"$(cmp "$ROOT/man/shmwatchd.8" "$DEST/usr/share/man/man8/shmwatchd.8" 2>&1;
	cmp "$ROOT/man/shmwatch.1" "$DEST/usr/share/man/man1/shmwatch.1" 2>&1)"
same "the installed shmwatch runs (--version)" "shmwatch $VERSION" \
	"$("$DEST/usr/bin/shmwatch" --version 2>&1)"
same "the installed shmwatchd runs (--version)" "shmwatchd $VERSION" \
	"$("$DEST/usr/sbin/shmwatchd" --version 2>&1)"
if need man man-db; then
	same "man finds both installed pages" \
		"$DEST/usr/share/man/man1/shmwatch.1 $DEST/usr/share/man/man8/shmwatchd.8" \
		"$(man -M "$DEST/usr/share/man" -w shmwatch shmwatchd 2>&1 | tr '\n' ' ' | sed 's/ $//')"
fi

# ---- bash completion ------------------------------------------------------------------------

if need bash bash; then
	INSTALLED_COMPLETION=$DEST/usr/share/bash-completion/completions/shmwatch
	# comp_var VAR: a variable of the completion script, one word a line, sorted.
	comp_var() {
		bash -c '. "$1" && for v in $2; do printf "%s\n" ${!v}; done' _ "$COMPLETION" "$1" |
			sort -u
	}
	has_all "completion: its variables hold who, --socket and --log-file (the parser reads them)" \
		"who --socket --log-file" "$(comp_var '_shmwatch_commands _shmwatch_options _shmwatchd_options')"
	same "completion: the commands of shmwatch --help" "$(help_commands)" \
		"$(comp_var _shmwatch_commands)"
	same "completion: the options of shmwatch --help" "$(help_opts "$SHMWATCH")" \
		"$(comp_var '_shmwatch_options _shmwatch_who_options _shmwatch_ls_options
			_shmwatch_ps_options _shmwatch_events_options')"
	same "completion: the options of shmwatchd --help" "$(help_opts "$SHMWATCHD")" \
		"$(comp_var _shmwatchd_options)"

	# complete_words FUNC WORD...: COMPREPLY of FUNC for the command line WORD... (the last
	# word is the one being completed), from the installed script, one a line, sorted, into
	# $T/comp.out; comp_cs: how long it took, in centiseconds.
	complete_words() {
		_cf=$1
		shift
		_c0=$(now_cs)
		bash -c '. "$1" || exit 1
			f=$2
			shift 2
			COMP_WORDS=("$@")
			COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
			COMP_LINE="$*"
			COMP_POINT=${#COMP_LINE}
			"$f"
			printf "%s\n" "${COMPREPLY[@]}"' _ "$INSTALLED_COMPLETION" "$_cf" "$@" |
			sed '/^$/d' | sort -u >"$T/comp.out"
		comp_cs=$(($(now_cs) - _c0))
	}
	# offered FUNC WORD...: complete_words, printed.
	offered() {
		complete_words "$@"
		cat "$T/comp.out"
	}

	same "completion: shmwatch <TAB> offers the commands" "$(help_commands)" \
		"$(offered _shmwatch "$SHMWATCH" '')"
	same "completion: shmwatch l<TAB>" "$(printf 'lingering\nls')" \
		"$(offered _shmwatch "$SHMWATCH" --json l)"
	same "completion: shmwatchd --log-<TAB>" "$(printf '%s\n' --log-file --log-keep --log-max-bytes)" \
		"$(offered _shmwatchd "$SHMWATCHD" --log-)"
	same "completion: shmwatchd --admin-group ro<TAB> offers groups" "root" \
		"$(offered _shmwatchd "$SHMWATCHD" --admin-group ro | grep -x root)"

	hold h create "$(new_key)" 8192 attach || finish
	start_daemon || finish
	SHMID=$(hval h shmid)
	if poll 30 sh -c "'$SHMWATCH' --socket '$T/sock' --json ls | grep -q '\"shmid\":$SHMID,'"; then
		pass "the daemon lists the segment"
	else
		fail "the daemon does not list segment $SHMID" "$(sw ls 2>&1)"
	fi
	same "completion: who <TAB> offers the live shmid" "$SHMID" \
		"$(offered _shmwatch "$SHMWATCH" --socket "$T/sock" who '' | grep -x "$SHMID")"
	same "completion: who --ns <TAB> offers our IPC namespace" "$SELF_NS" \
		"$(offered _shmwatch "$SHMWATCH" who --socket "$T/sock" --ns '' |
			grep -x "$SELF_NS")"
	same "completion: --socket=PATH (split at '=') is used too" "$SHMID" \
		"$(offered _shmwatch "$SHMWATCH" --socket = "$T/sock" who '' | grep -x "$SHMID")"
	same "completion: ps <TAB> offers our pid" "$$" \
		"$(offered _shmwatch "$SHMWATCH" ps '' | grep -x "$$")"

	complete_words _shmwatch "$SHMWATCH" --socket "$T/no-such.sock" who ''
	out=$(cat "$T/comp.out")
	# At once: under a second on a quiet machine (scaled by the load factor).
	DOWN_MAX=$(scaled 1)
	if [ -z "$out" ] && [ "$comp_cs" -lt $((DOWN_MAX * 100)) ]; then
		pass "completion: who <TAB> with the daemon down offers nothing, at once (${comp_cs}0 ms)"
	else
		fail "completion: who <TAB> with the daemon down (${comp_cs}0 ms, want < $DOWN_MAX s)" \
			"offered: $out"
	fi
	kill -STOP "$DPID"
	complete_words _shmwatch "$SHMWATCH" --socket "$T/sock" who ''
	kill -CONT "$DPID"
	out=$(cat "$T/comp.out")
	# After its client's --timeout 1: not before 1 s, and within 3 s on a quiet machine.
	STOP_MAX=$(upper 1 2)
	if [ -z "$out" ] && num_in "$comp_cs" 100 "$(awk -v u="$STOP_MAX" \
		'BEGIN { print u * 100 }')"; then
		pass "completion: who <TAB> with the daemon stopped gives up after its 1 s timeout (${comp_cs}0 ms)"
	else
		fail "completion: who <TAB> with the daemon stopped (${comp_cs}0 ms, want 1 to $STOP_MAX s)" \
			"offered: $out"
	fi
	stop_daemon
fi

# ---- make uninstall -------------------------------------------------------------------------

if out=$(mk uninstall DESTDIR="$DEST" PREFIX=/usr 2>&1); then
	pass "make uninstall DESTDIR=... PREFIX=/usr"
else
	fail "make uninstall DESTDIR=... PREFIX=/usr" "$out"
fi
same "make uninstall leaves no file" "" "$(tree "$DEST")"
same "make uninstall removes the documentation directory" "" \
	"$(ls -d "$DEST/usr/share/doc/shmwatch" 2>/dev/null)"

# The default prefix: /usr/local, where systemd looks for units too.
DEST2=$(mktemp -d "$T/destdir.XXXXXX")
if out=$(mk install DESTDIR="$DEST2" 2>&1); then
	same "default PREFIX: the unit in /usr/local/lib/systemd/system starts /usr/local/sbin" \
		"ExecStart=/usr/local/sbin/shmwatchd" \
		"$(grep '^ExecStart=' "$DEST2/usr/local/lib/systemd/system/shmwatchd.service" 2>&1)"
	missing=
	for f in bin/shmwatch sbin/shmwatchd share/bash-completion/completions/shmwatch \
		share/man/man1/shmwatch.1 share/man/man8/shmwatchd.8; do
		[ -f "$DEST2/usr/local/$f" ] || missing="$missing /usr/local/$f"
	done
	same "default PREFIX: binaries, man pages, completion under /usr/local" "" "${missing# }"
	mk uninstall DESTDIR="$DEST2" >/dev/null 2>&1
	same "default PREFIX: make uninstall leaves no file" "" "$(tree "$DEST2")"
else
	fail "make install DESTDIR=... (default PREFIX)" "$out"
fi

# ---- the DaemonSet --------------------------------------------------------------------------

unit_caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$UNIT_IN" | tr ' ' '\n' | sed 's/^CAP_//' |
	sort)
ds_caps=$(sed -n 's/^ *add: \[\(.*\)\]$/\1/p' "$ROOT/deploy/kubernetes/shmwatchd-daemonset.yaml" |
	tr -d '" ' | tr ',' '\n' | sort)
same "the DaemonSet adds exactly the unit's capabilities" "$unit_caps" "$ds_caps"

finish
