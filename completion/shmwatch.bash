# shellcheck shell=bash
# SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
# Bash completion for shmwatch(1) and shmwatchd(8).
#
# Installed as $(PREFIX)/share/bash-completion/completions/shmwatch (with a shmwatchd link),
# where the bash-completion package loads it on first use; without that package, source it
# from ~/.bashrc. It needs nothing from bash-completion.
#
# `shmwatch who <TAB>` offers the shmids the daemon knows, `--ns <TAB>` its IPC namespaces,
# `ps <TAB>` process ids. Asking the daemon never hangs the shell: the client runs with
# --timeout 1 (a daemon that is down fails at once; one that does not answer, after 1 s), and
# its errors are not shown.
#
# The lists of commands and options follow `shmwatch --help` and `shmwatchd --help`;
# tests/e2e/t_install.sh checks that they still do.

_shmwatch_commands='who ps ls status events lingering orphans metrics verify history'
# Options of every command, then those of one command only.
_shmwatch_options='--socket --json -o --output --list -n --noheadings --no-headers -r --raw -b --bytes
--human --timeout -h --help --version'
_shmwatch_who_options='--ns -A --all-namespaces --container --key --at'
_shmwatch_ls_options='--ns -A --all-namespaces --container --user -t --time'
_shmwatch_ps_options='-c --command'
_shmwatch_events_options='-f --follow --last --shmid --key --pid --event --since --until --ns'
_shmwatch_history_options='--ns --last --since --until'
_shmwatch_event_types='attach detach vmas owner share unshare ident create rmid destroy linger
linger_end orphan'
_shmwatchd_options='-s --socket -l --log-file --log-max-bytes --log-keep --max-holders --max-holdings --max-segments
--max-sharers --ring-size --recent --max-clients --max-clients-per-user --admin-reserve
--client-timeout --admin-group --linger-after --realert
--orphan-after --alert-exec --alert-timeout --alert-queue --metrics-file --metrics-interval
--verify-interval --mode --priority-boost -v --verbose -h --help -V --version'

# _shmwatch_query ARGS...: runs the client being completed (COMP_WORDS[0]) with the --socket
# given on the command line, if any, and a short timeout; prints its output, nothing on error.
_shmwatch_query()
{
	local client=${COMP_WORDS[0]} i
	local -a sock=()

	# A client named as ~/bin/shmwatch: the word as typed, tilde unexpanded.
	# shellcheck disable=SC2088
	[[ ${client:0:2} == '~/' ]] && client=$HOME/${client:2}
	for ((i = 1; i < ${#COMP_WORDS[@]} - 1; i++)); do
		if [[ ${COMP_WORDS[i]} == --socket ]]; then
			if [[ ${COMP_WORDS[i + 1]} == = ]]; then
				sock=(--socket "${COMP_WORDS[i + 2]}")
			else
				sock=(--socket "${COMP_WORDS[i + 1]}")
			fi
		fi
	done
	"$client" "${sock[@]}" --timeout 1 "$@" 2>/dev/null </dev/null
}

# _shmwatch_json_ints KEY: the integers that follow "KEY": in the JSON on stdin, one a line.
_shmwatch_json_ints()
{
	local line

	while IFS= read -r line; do
		printf '%s\n' "${line#*:}"
	done < <(grep -o "\"$1\":[0-9]*")
}

_shmwatch_shmids()
{
	# The same shmid may exist in several IPC namespaces.
	_shmwatch_query --json ls | _shmwatch_json_ints shmid | sort -un
}

_shmwatch_namespaces()
{
	local json nl=$'\n'

	json=$(_shmwatch_query --json ls -A) || return
	json=$(grep -o '"namespaces":\[[0-9,]*\]' <<<"$json")
	json=${json#*[}
	json=${json%]}
	printf '%s\n' "${json//,/$nl}"
}

_shmwatch_pids()
{
	local p

	for p in /proc/[0-9]*; do
		printf '%s\n' "${p#/proc/}"
	done
}

# _shmwatch_reply WORDS: COMPREPLY = the WORDS that start with $cur.
_shmwatch_reply()
{
	local IFS=$'\n'

	# shellcheck disable=SC2207 # one word a line, no globbing: compgen quotes nothing
	COMPREPLY=($(IFS=$' \t\n' compgen -W "$1" -- "$cur"))
}

_shmwatch_files()
{
	local IFS=$'\n'

	compopt -o filenames 2>/dev/null
	# shellcheck disable=SC2207
	COMPREPLY=($(compgen -f -- "$cur"))
}

_shmwatch()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev='' cmd='' w i nargs=0

	COMPREPLY=()
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	# --opt=value: bash splits it into "--opt" "=" "value".
	if [[ $cur == = ]]; then
		cur=
	elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi
	case $prev in
	--socket)
		_shmwatch_files
		return
		;;
	--ns)
		_shmwatch_reply "$(_shmwatch_namespaces)"
		return
		;;
	--event)
		_shmwatch_reply "$_shmwatch_event_types"
		return
		;;
	-o | --output)
		# Column names, from --list (a comma list is completed one name at a time).
		local pre=${cur%"${cur##*,}"}
		cur=${cur##*,}
		_shmwatch_reply "$(_shmwatch_query --list |
			awk '/^  [A-Z]/ { sub(/,$/, "", $1); print $1 }' | sort -u)"
		COMPREPLY=("${COMPREPLY[@]/#/$pre}")
		return
		;;
	--user)
		local IFS=$'\n'
		# shellcheck disable=SC2207
		COMPREPLY=($(compgen -u -- "$cur"))
		return
		;;
	--timeout | --last | --key | --container | -c | --command | --shmid | --pid | --since | --until | \
		--at)
		return
		;;
	-n)
		[[ " ${COMP_WORDS[*]} " == *" events "* ]] && return
		;;
	esac
	# The command: the first word that is neither an option nor an option's argument.
	for ((i = 1; i < COMP_CWORD; i++)); do
		w=${COMP_WORDS[i]}
		case $w in
		--socket | --timeout | --ns | --last | -o | --output | --key | --user | -c | --command | \
			--container | --shmid | --pid | --event | --since | --until | --at)
			((i++))
			[[ ${COMP_WORDS[i]} == = ]] && ((i++))
			;;
		-n)
			# events -n N is --last; elsewhere -n is --noheadings.
			[[ $cmd == events ]] && ((i++))
			;;
		-*) ;;
		*)
			if [[ -z $cmd ]]; then
				cmd=$w
			else
				((nargs++))
			fi
			;;
		esac
	done
	if [[ $cur == -* ]]; then
		case $cmd in
		'') _shmwatch_reply "$_shmwatch_options $_shmwatch_who_options $_shmwatch_ls_options
$_shmwatch_ps_options $_shmwatch_events_options $_shmwatch_history_options" ;;
		who) _shmwatch_reply "$_shmwatch_options $_shmwatch_who_options" ;;
		ls) _shmwatch_reply "$_shmwatch_options $_shmwatch_ls_options" ;;
		ps) _shmwatch_reply "$_shmwatch_options $_shmwatch_ps_options" ;;
		events) _shmwatch_reply "$_shmwatch_options $_shmwatch_events_options" ;;
		history) _shmwatch_reply "$_shmwatch_options $_shmwatch_history_options" ;;
		*) _shmwatch_reply "$_shmwatch_options" ;;
		esac
		return
	fi
	if [[ -z $cmd ]]; then
		_shmwatch_reply "$_shmwatch_commands"
		return
	fi
	case $cmd in
	who | history) ((nargs == 0)) && _shmwatch_reply "$(_shmwatch_shmids)" ;;
	ps) _shmwatch_reply "$(_shmwatch_pids)" ;; # ps takes several pids
	esac
}

_shmwatchd()
{
	local cur=${COMP_WORDS[COMP_CWORD]} prev=''

	COMPREPLY=()
	((COMP_CWORD > 0)) && prev=${COMP_WORDS[COMP_CWORD - 1]}
	if [[ $cur == = ]]; then
		cur=
	elif [[ $prev == = ]] && ((COMP_CWORD > 1)); then
		prev=${COMP_WORDS[COMP_CWORD - 2]}
	fi
	case $prev in
	-s | --socket | -l | --log-file | --metrics-file)
		_shmwatch_files
		return
		;;
	--admin-group)
		local IFS=$'\n'
		# shellcheck disable=SC2207
		COMPREPLY=($(compgen -g -- "$cur"))
		return
		;;
	--alert-exec)
		local IFS=$'\n'
		# shellcheck disable=SC2207
		COMPREPLY=($(compgen -c -- "$cur"))
		return
		;;
	--mode)
		_shmwatch_reply 'auto fentry tracepoint'
		return
		;;
	--log-max-bytes | --log-keep | --max-holders | --max-holdings | --max-segments | --max-sharers | --ring-size | --recent | \
		--max-clients | --linger-after | --realert | --orphan-after | --alert-timeout | \
		--alert-queue | --max-clients-per-user | --admin-reserve | --client-timeout | \
		--metrics-interval | --verify-interval | --priority-boost)
		return
		;;
	esac
	_shmwatch_reply "$_shmwatchd_options"
}

complete -F _shmwatch shmwatch
complete -F _shmwatchd shmwatchd
