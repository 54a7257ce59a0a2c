// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* shmwatch: ask shmwatchd who holds System V shared memory segments. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "args.h"
#include "client.h"
#include "columns.h"
#include "jsonproto.h"
#include "table.h"
#include "timefmt.h"

#ifndef SHMW_VERSION
#define SHMW_VERSION "unknown"
#endif

/* Exit statuses, documented in --help. */
enum {
	EXIT_OK = 0,
	EXIT_NOT_FOUND = 1, /* no_such_segment, no_such_process */
	EXIT_USAGE = 2,	    /* bad arguments, ambiguous, bad_request */
	EXIT_UNREACH = 3,   /* no daemon, no answer, connection lost */
	EXIT_DAEMON = 4,    /* busy, internal, a malformed answer, a local failure */
	EXIT_DIFFER = 5,    /* verify: the state differed from the kernel's */
};

#define START_HINT	    "start it with: make run   (or: systemctl start shmwatchd)"
#define EVENTS_LAST_DEFAULT 10
#define TIMEOUT_MAX_S	    86400
#define PIDS_MAX	    1024 /* ps PID...: more is a usage error, not a silent cut */
#define STR_(x)		    #x
#define STR(x)		    STR_(x)

struct opts {
	const char *socket;
	bool json;
	struct shmw_table_opts table;
	struct shmw_colsel cols;
	const char *output; /* -o LIST, parsed once the command is known */
	bool times;	    /* ls -t */
	int timeout_ms;
	bool follow, has_last, has_ns, all_ns, has_key;
	uint32_t last, ns, key;
	const char *container, *user, *comm;
	enum shmw_cmd cmd;
	long long arg; /* shmid, or the first pid */
	int32_t *pids; /* ps PID...: argv's pids */
	size_t npids;
	/* The past (events filters, history, who --at): read from the event log on disk;
	 * events' --key and --ns are has_key and has_ns above. */
	bool has_shmid, has_pid, has_at;
	uint32_t shmid, pid;
	const char *event;
	uint64_t since, until, at;
};

/* What --event accepts: the event log's event names (docs/protocol.md). */
static const char *const event_names[] = {
    "attach", "detach", "vmas",	   "owner",  "share",	   "unshare", "ident",
    "create", "rmid",	"destroy", "linger", "linger_end", "orphan",  NULL,
};
/* clang-format off */
static const char usage_text[] =
    "Usage: shmwatch [OPTIONS] COMMAND [ARGS]\n"
    "Ask shmwatchd which processes hold System V shared memory segments.\n"
    "who and ls answer in your IPC namespace, as ipcs does (--ns, -A: others).\n"
    "\n"
    "Commands:\n"
    "  who SHMID | who --key KEY the segment and every process holding it\n"
    "  ps PID... | ps -c NAME    the segments processes hold (-c: every holder named NAME)\n"
    "  ls                        the segments (like lsipc -m), with how many hold each\n"
    "  status                    daemon mode, uptime and counters\n"
    "  events [-f] [-n N]        recent attach/detach/rmid/... events\n"
    "  events FILTER...          events from the event log on disk, rotated files\n"
    "                            included: --shmid N, --key KEY, --pid N, --ns INUM,\n"
    "                            --event TYPE, --since TIME, --until TIME\n"
    "  history SHMID [--ns INUM] one segment's life from the event log: created by\n"
    "                            whom, every attach and detach, removed by whom,\n"
    "                            alerts, destroyed by what\n"
    "  who SHMID --at TIME       who held it then, and its status then (event log)\n"
    "  lingering                 segments removed (ipcs: dest) but still held:\n"
    "                            by whom, since when, and who removed them\n"
    "  orphans                   segments nobody has held for the daemon's\n"
    "                            --orphan-after seconds\n"
    "  metrics                   the daemon's numbers in Prometheus text format\n"
    "  verify                    compare the daemon's state with a fresh walk of every\n"
    "                            process and the kernel's nattch; repair, list what differed\n"
    "\n"
    "Options (before or after the command):\n"
    "      --socket PATH         daemon socket (default: $SHMWATCH_SOCKET, else\n"
    "                            " SHMW_DEFAULT_SOCKET ")\n"
    "      --json                print the daemon's JSON answer, one object per line\n"
    "                            (events: one event per line; errors too)\n"
    "  -o, --output LIST         ls, who, ps: the columns, e.g. KEY,ID,SIZE (+LIST: added to\n"
    "                            the default); see --list\n"
    "      --list                the columns -o knows, and what they mean (as below)\n"
    "  -n, --noheadings          no column headers and no summary line (events: -n N is\n"
    "                            --last, as it always was)\n"
    "      --no-headers          the same as --noheadings (its older name)\n"
    "  -r, --raw                 columns one space apart, unaligned\n"
    "  -b, --bytes               sizes in bytes (default: 4K, 289M, 1.5G, as lsipc)\n"
    "      --human               human sizes: the default (kept for older scripts)\n"
    "      --timeout SEC         wait at most SEC seconds for the daemon (default "
    STR(SHMW_CLIENT_TIMEOUT_S) ",\n"
    "                            0 waits forever; events -f always waits for events)\n"
    "      --ns INUM             who, ls, events, history: that IPC namespace (inode of\n"
    "                            /proc/PID/ns/ipc)\n"
    "  -A, --all-namespaces      who, ls: every IPC namespace (root and the admin group)\n"
    "      --container ID        who, ls: only holders in the container whose id starts\n"
    "                            with ID (in every namespace unless --ns)\n"
    "      --key KEY             who: the segment of that key (0x hex or decimal);\n"
    "                            events: only those of that key\n"
    "      --user USER           ls: only segments owned by USER (name or uid)\n"
    "  -t, --time                ls: also the times of the last attach, detach and change\n"
    "  -c, --command NAME        ps: every process named NAME that holds a segment\n"
    "      --shmid N             events: only those of segment N\n"
    "      --pid N               events: only those naming process N\n"
    "      --event TYPE          events: only those of TYPE: attach, detach, create, rmid,\n"
    "                            destroy, linger, orphan, ...\n"
    "      --since TIME          events, history: only from TIME on (TIME: RFC 3339 as\n"
    "                            2026-12-07T18:00:00Z, relative as -10m, -2h, -3d, or\n"
    "                            @SECONDS since the epoch)\n"
    "      --until TIME          events, history: only up to TIME\n"
    "      --at TIME             who: the holders at that time, from the event log\n"
    "  -f, --follow              events: keep printing new events until interrupted\n"
    "      --last N              events, history: the last N events (default "
    STR(EVENTS_LAST_DEFAULT) ";\n"
    "                            from the log and history: " STR(SHMW_EVENTS_LAST_MAX) "; at most "
    STR(SHMW_EVENTS_LAST_MAX) ")\n"
    "  -h, --help                this text\n"
    "      --version             the version\n"
    "\n"
    "Exit status:\n"
    "  0  success (events -f: also when stopped with Ctrl-C)\n"
    "  1  no such segment or no such process\n"
    "  2  usage error, rejected request, or SHMID ambiguous across IPC namespaces\n"
    "  3  shmwatchd unreachable: not running, no answer in time, or connection lost\n"
    "  4  any other error (daemon busy or failing, forbidden, malformed answer, output error)\n"
    "  5  verify found differences (they are listed, and repaired where possible)\n"
    "\n"
    "Examples:\n"
    "  shmwatch ls                             segments of this IPC namespace\n"
    "  shmwatch ls -A -o NS,ID,SIZE,HOLDERS    every namespace, four columns\n"
    "  shmwatch who 393216                     who holds shmid 393216\n"
    "  shmwatch who --key 0x0052e2c1           the same by key, as ipcrm -M takes it\n"
    "  shmwatch who 393216 --ns 4026531839     in another IPC namespace\n"
    "  shmwatch ps -c postgres                 what every postgres process holds\n"
    "  shmwatch events -n 50                   the last 50 events\n"
    "  shmwatch events --event rmid --since -1d    who removed segments today\n"
    "  shmwatch history 393216                 its life, from the event log\n"
    "  shmwatch who 393216 --at -2h            who held it two hours ago\n"
    "  shmwatch --json events -f | jq -c 'select(.event == \"rmid\")'\n"
    "  shmwatch orphans                        segments nobody has used for a while\n"
    "  shmwatch metrics | grep ^shmwatch_lingering\n"
    "  SHMWATCH_SOCKET=/tmp/s.sock shmwatch status\n"
    "\n"
    "  ipcs -m lists a segment with status \"dest\": removed with IPC_RMID, yet its\n"
    "  memory is not freed, because processes still have it attached. Which ones,\n"
    "  since when, and who removed it:\n"
    "  shmwatch lingering\n"
    "  shmwatch -n lingering | awk '{print $2}'     (only their pids)\n";
/* clang-format on */

static void usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("shmwatch: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'shmwatch --help' for more information.\n", stderr);
}

static bool parse_timeout(const char *s, int *ms)
{
	char *end;
	double v;

	if (!s || !*s || (*s != '.' && (*s < '0' || *s > '9')))
		return false;
	errno = 0;
	v = strtod(s, &end);
	if (errno || *end || !isfinite(v) || v < 0 || v > TIMEOUT_MAX_S)
		return false;
	/* A positive value never rounds down to 0, which would mean "forever". */
	*ms = v > 0 && v < 0.001 ? 1 : (int)(v * 1000 + 0.5);
	return true;
}

enum {
	OPT_SOCKET = 256,
	OPT_JSON,
	OPT_TIMEOUT,
	OPT_NS,
	OPT_VERSION,
	OPT_CONTAINER,
	OPT_HUMAN,
	OPT_LIST,
	OPT_KEY,
	OPT_USER,
	OPT_LAST,
	/* the past's (parse_past_option), in this order */
	OPT_SHMID,
	OPT_PID,
	OPT_EVENT,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_AT,
};

static const struct option long_opts[] = {
    {"socket", required_argument, NULL, OPT_SOCKET},
    {"json", no_argument, NULL, OPT_JSON},
    {"noheadings", no_argument, NULL, 'N'},
    {"no-headers", no_argument, NULL, 'N'},
    {"raw", no_argument, NULL, 'r'},
    {"bytes", no_argument, NULL, 'b'},
    /* Sizes are human by default now; kept so that scripts written for 0.x still run. */
    {"human", no_argument, NULL, OPT_HUMAN},
    {"output", required_argument, NULL, 'o'},
    {"list", no_argument, NULL, OPT_LIST},
    {"timeout", required_argument, NULL, OPT_TIMEOUT},
    {"ns", required_argument, NULL, OPT_NS},
    {"all-namespaces", no_argument, NULL, 'A'},
    {"container", required_argument, NULL, OPT_CONTAINER},
    {"key", required_argument, NULL, OPT_KEY},
    {"user", required_argument, NULL, OPT_USER},
    {"time", no_argument, NULL, 't'},
    {"command", required_argument, NULL, 'c'},
    {"shmid", required_argument, NULL, OPT_SHMID},
    {"pid", required_argument, NULL, OPT_PID},
    {"event", required_argument, NULL, OPT_EVENT},
    {"since", required_argument, NULL, OPT_SINCE},
    {"until", required_argument, NULL, OPT_UNTIL},
    {"at", required_argument, NULL, OPT_AT},
    {"follow", no_argument, NULL, 'f'},
    {"last", required_argument, NULL, OPT_LAST},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

/* Options whose value is the next word, for find_command. */
static bool takes_value(const char *arg)
{
	static const char *const longs[] = {"--socket",	   "--output", "--timeout", "--ns",
					    "--container", "--key",    "--user",    "--command",
					    "--last",	   "--shmid",  "--pid",	    "--event",
					    "--since",	   "--until",  "--at"};

	if (arg[1] == '-') {
		for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++)
			if (!strcmp(arg, longs[i]))
				return true;
		return false;
	}
	/* A cluster such as -no: its last letter takes the next word when it wants a value. */
	return strchr("oc", arg[strlen(arg) - 1]) && !strpbrk(arg + 1, "oc")[1];
}

/* The command word, before getopt: `-n` means --noheadings, but `events -n N` (--last) stays
 * as it has always been, so the option letters depend on the command. */
static enum shmw_cmd find_command(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--"))
			return i + 1 < argc ? shmw_cmd_by_name(argv[i + 1]) : 0;
		if (a[0] == '-' && a[1]) {
			if (!strchr(a, '=') && takes_value(a))
				i++;
			continue;
		}
		if (shmw_cmd_by_name(a))
			return shmw_cmd_by_name(a);
	}
	return 0;
}

/* The option getopt_long complained about, for our own message. */
static void bad_option(char **argv, int c)
{
	const char *arg = argv[optind - 1];

	if (c == ':')
		usage_error("option '%s' needs an argument", arg);
	else if (optopt && strncmp(arg, "--", 2))
		usage_error("unknown option '-%c'", optopt);
	else
		usage_error("unknown option '%s'", arg);
}

static int parse_time_opt(const char *name, const char *s, uint64_t *t)
{
	if (shmw_parse_when(s, shmw_now_real(), t) == 0 && *t)
		return -1;
	usage_error("%s wants a time: RFC 3339 (2026-12-07T18:00:00Z, or with +01:00), "
		    "relative (-10m, -2h, -3d) or @SECONDS since the epoch, not '%s'",
		    name, s);
	return EXIT_USAGE;
}

/* The options about the past (see struct opts). */
static int parse_past_option(int c, struct opts *o)
{
	long long v;

	switch (c) {
	case OPT_SHMID:
		if (!shmw_parse_num(optarg, 0, INT32_MAX, &v)) {
			usage_error("--shmid must be an integer from 0 to %d, not '%s'", INT32_MAX,
				    optarg);
			return EXIT_USAGE;
		}
		o->has_shmid = true;
		o->shmid = (uint32_t)v;
		return -1;
	case OPT_PID:
		if (!shmw_parse_num(optarg, 1, INT32_MAX, &v)) {
			usage_error("--pid must be an integer from 1 to %d, not '%s'", INT32_MAX,
				    optarg);
			return EXIT_USAGE;
		}
		o->has_pid = true;
		o->pid = (uint32_t)v;
		return -1;
	case OPT_EVENT:
		for (size_t i = 0; event_names[i]; i++)
			if (!strcmp(optarg, event_names[i])) {
				o->event = optarg;
				return -1;
			}
		usage_error("--event wants one of attach, detach, vmas, owner, share, unshare, "
			    "ident, create, rmid, destroy, linger, linger_end, orphan; not '%s'",
			    optarg);
		return EXIT_USAGE;
	case OPT_SINCE:
		return parse_time_opt("--since", optarg, &o->since);
	case OPT_UNTIL:
		return parse_time_opt("--until", optarg, &o->until);
	case OPT_AT:
		o->has_at = true;
		return parse_time_opt("--at", optarg, &o->at);
	}
	return -1;
}

/* Returns -1 to go on, or the exit status (help, version, usage error). */
static int parse_option(int c, char **argv, struct opts *o)
{
	long long v;

	if (c >= OPT_SHMID && c <= OPT_AT)
		return parse_past_option(c, o);
	switch (c) {
	case OPT_SOCKET:
		o->socket = optarg;
		return -1;
	case OPT_JSON:
		o->json = true;
		return -1;
	case 'N':
		o->table.no_headers = true;
		return -1;
	case 'r':
		o->table.raw = true;
		return -1;
	case 'b':
		o->table.human = false;
		return -1;
	case OPT_HUMAN:
		o->table.human = true;
		return -1;
	case 'o':
		o->output = optarg;
		return -1;
	case 't':
		o->times = true;
		return -1;
	case 'A':
		o->all_ns = true;
		return -1;
	case OPT_LIST:
		return shmw_cols_help(stdout) ? EXIT_DAEMON : EXIT_OK;
	case OPT_TIMEOUT:
		if (parse_timeout(optarg, &o->timeout_ms))
			return -1;
		usage_error("--timeout must be a number of seconds from 0 to %d, not '%s'",
			    TIMEOUT_MAX_S, optarg);
		return EXIT_USAGE;
	case OPT_NS:
		if (!shmw_parse_num(optarg, 1, UINT32_MAX, &v)) {
			usage_error(
			    "--ns must be an IPC namespace inode number from 1 to %u, not '%s'",
			    UINT32_MAX, optarg);
			return EXIT_USAGE;
		}
		o->has_ns = true;
		o->ns = (uint32_t)v;
		return -1;
	case OPT_CONTAINER:
		if (!*optarg || strlen(optarg) > SHMW_CONTAINER_MAX ||
		    strspn(optarg, "0123456789abcdef") != strlen(optarg)) {
			usage_error("--container wants a container id or its prefix (1 to %d "
				    "lower-case hex digits), not '%s'",
				    SHMW_CONTAINER_MAX, optarg);
			return EXIT_USAGE;
		}
		o->container = optarg;
		return -1;
	case OPT_KEY:
		if (!shmw_parse_key(optarg, &o->key)) {
			usage_error("--key must be 0x and up to 8 hex digits, or a decimal number "
				    "(as ipcrm -M takes it), not '%s'",
				    optarg);
			return EXIT_USAGE;
		}
		o->has_key = true;
		return -1;
	case OPT_USER:
		if (!shmw_valid_user(optarg)) {
			usage_error("--user wants a user name or a uid, not '%s'", optarg);
			return EXIT_USAGE;
		}
		o->user = optarg;
		return -1;
	case 'c':
		if (!*optarg || strlen(optarg) > SHMW_COMM_MAX) {
			usage_error("-c wants a process name (comm) of 1 to %d bytes, not '%s'",
				    SHMW_COMM_MAX, optarg);
			return EXIT_USAGE;
		}
		o->comm = optarg;
		return -1;
	case 'f':
		o->follow = true;
		return -1;
	case 'n':
	case OPT_LAST:
		if (!shmw_parse_num(optarg, 0, SHMW_EVENTS_LAST_MAX, &v)) {
			usage_error("--last must be an integer from 0 to %d, not '%s'",
				    SHMW_EVENTS_LAST_MAX, optarg);
			return EXIT_USAGE;
		}
		o->has_last = true;
		o->last = (uint32_t)v;
		return -1;
	case 'h':
		/* As lsipc --help: the columns -o takes come last. */
		fputs(usage_text, stdout);
		fputs("\nColumns for -o (also: shmwatch --list):\n", stdout);
		return shmw_cols_help(stdout) ? EXIT_DAEMON : EXIT_OK;
	case OPT_VERSION:
		printf("shmwatch %s\n", SHMW_VERSION);
		return EXIT_OK;
	default:
		bad_option(argv, c);
		return EXIT_USAGE;
	}
}

/* ps PID...: every argument a pid. */
static int parse_pids(int argc, char **argv, int first, struct opts *o)
{
	long long v;

	o->npids = (size_t)(argc - first);
	if (o->npids > PIDS_MAX) {
		usage_error("ps takes at most %d pids", PIDS_MAX);
		return EXIT_USAGE;
	}
	o->pids = calloc(o->npids ? o->npids : 1, sizeof(*o->pids));
	if (!o->pids) {
		fputs("shmwatch: out of memory\n", stderr);
		return EXIT_DAEMON;
	}
	for (int i = first; i < argc; i++) {
		if (!shmw_parse_num(argv[i], 1, INT32_MAX, &v)) {
			usage_error("PID must be an integer from 1 to %d, not '%s'", INT32_MAX,
				    argv[i]);
			return EXIT_USAGE;
		}
		o->pids[i - first] = (int32_t)v;
	}
	o->arg = o->npids ? o->pids[0] : 0;
	return -1;
}

/* Options that only some commands take: a usage error elsewhere, rather than ignored. */
static int check_applies(const struct opts *o)
{
	static const struct {
		const char *name;
		unsigned cmds; /* bit per enum shmw_cmd */
	} only[] = {
	    {"--ns", 1u << SHMW_CMD_WHO | 1u << SHMW_CMD_LS | 1u << SHMW_CMD_EVENTS |
			 1u << SHMW_CMD_HISTORY},
	    {"--all-namespaces", 1u << SHMW_CMD_WHO | 1u << SHMW_CMD_LS},
	    {"--container", 1u << SHMW_CMD_WHO | 1u << SHMW_CMD_LS},
	    {"--key", 1u << SHMW_CMD_WHO | 1u << SHMW_CMD_EVENTS},
	    {"--user", 1u << SHMW_CMD_LS},
	    {"--time", 1u << SHMW_CMD_LS},
	    {"-c", 1u << SHMW_CMD_PS},
	    {"--output", 1u << SHMW_CMD_WHO | 1u << SHMW_CMD_LS | 1u << SHMW_CMD_PS},
	    {"--follow", 1u << SHMW_CMD_EVENTS},
	    {"--last", 1u << SHMW_CMD_EVENTS | 1u << SHMW_CMD_HISTORY},
	    {"--shmid", 1u << SHMW_CMD_EVENTS},
	    {"--pid", 1u << SHMW_CMD_EVENTS},
	    {"--event", 1u << SHMW_CMD_EVENTS},
	    {"--since", 1u << SHMW_CMD_EVENTS | 1u << SHMW_CMD_HISTORY},
	    {"--until", 1u << SHMW_CMD_EVENTS | 1u << SHMW_CMD_HISTORY},
	    {"--at", 1u << SHMW_CMD_WHO},
	};
	const bool given[] = {o->has_ns,	o->all_ns,     o->container,	o->has_key,
			      o->user,		o->times,      o->comm != NULL, o->output,
			      o->follow,	o->has_last,   o->has_shmid,	o->has_pid,
			      o->event != NULL, o->since != 0, o->until != 0,	o->has_at};

	for (size_t i = 0; i < sizeof(only) / sizeof(only[0]); i++)
		if (given[i] && !(only[i].cmds & 1u << o->cmd)) {
			usage_error("%s does not apply to %s", only[i].name, shmw_cmd_name(o->cmd));
			return EXIT_USAGE;
		}
	if (o->has_ns && o->all_ns) {
		usage_error("--ns and --all-namespaces exclude each other");
		return EXIT_USAGE;
	}
	if (o->has_at && (o->container || o->has_key)) {
		/* The log names no containers, and a key names a live segment (events --key
		 * finds the shmid it had). */
		usage_error("--at takes a SHMID, without %s",
			    o->container ? "--container" : "--key");
		return EXIT_USAGE;
	}
	return -1;
}

static enum shmw_view view_of(enum shmw_cmd cmd)
{
	return cmd == SHMW_CMD_WHO  ? SHMW_VIEW_WHO
	       : cmd == SHMW_CMD_PS ? SHMW_VIEW_PS
				    : SHMW_VIEW_LS;
}

/* The command word, its arguments, and which options fit it. */
static int parse_command(int argc, char **argv, struct opts *o)
{
	char list[128], err[512];
	const char *name;
	int nargs, ret;

	if (optind >= argc) {
		shmw_cmd_names(list, sizeof(list));
		usage_error("no command given (%s)", list);
		return EXIT_USAGE;
	}
	name = argv[optind];
	o->cmd = shmw_cmd_by_name(name);
	if (!o->cmd) {
		shmw_cmd_names(list, sizeof(list));
		usage_error("unknown command '%s' (%s)", name, list);
		return EXIT_USAGE;
	}
	ret = check_applies(o);
	if (ret >= 0)
		return ret;
	if (o->output) {
		if (shmw_cols_parse(view_of(o->cmd), o->output, o->times, &o->cols, err,
				    sizeof(err))) {
			usage_error("%s", err);
			return EXIT_USAGE;
		}
	} else if (o->cmd == SHMW_CMD_LS) {
		shmw_cols_default(SHMW_VIEW_LS, o->times, &o->cols);
	}
	o->table.cols = &o->cols;
	if (o->cmd == SHMW_CMD_PS) {
		if (o->comm && argc - optind - 1 > 0) {
			usage_error("ps takes PIDs or -c NAME, not both");
			return EXIT_USAGE;
		}
		if (!o->comm && argc - optind - 1 == 0) {
			usage_error("ps needs a PID (or several, or -c NAME)");
			return EXIT_USAGE;
		}
		return parse_pids(argc, argv, optind + 1, o);
	}
	nargs = (o->cmd == SHMW_CMD_WHO && !o->has_key) || o->cmd == SHMW_CMD_HISTORY;
	if (argc - optind - 1 < nargs) {
		usage_error("%s needs a SHMID%s", name,
			    o->cmd == SHMW_CMD_WHO ? " (or --key KEY)" : "");
		return EXIT_USAGE;
	}
	if (argc - optind - 1 > nargs) {
		usage_error(o->has_key ? "who takes a SHMID or --key, not both ('%s')"
				       : "unexpected argument '%s'",
			    argv[optind + 1 + nargs]);
		return EXIT_USAGE;
	}
	if (nargs && !shmw_parse_num(argv[optind + 1], 0, INT32_MAX, &o->arg)) {
		usage_error("SHMID must be an integer from 0 to %d, not '%s'", INT32_MAX,
			    argv[optind + 1]);
		return EXIT_USAGE;
	}
	if (o->since && o->until && o->since > o->until) {
		usage_error("--since is after --until: nothing can match");
		return EXIT_USAGE;
	}
	if (o->cmd == SHMW_CMD_EVENTS || o->cmd == SHMW_CMD_HISTORY) {
		struct shmw_request r = {.cmd = o->cmd,
					 .has_shmid = o->has_shmid,
					 .has_ns = o->has_ns,
					 .has_key = o->has_key,
					 .has_pid = o->has_pid,
					 .event = "",
					 .since = o->since,
					 .until = o->until};

		if (o->event)
			snprintf(r.event, sizeof(r.event), "%s", o->event);
		if (shmw_request_on_disk(&r)) {
			if (o->follow) {
				usage_error("--follow prints new events as they come: it takes no "
					    "filter");
				return EXIT_USAGE;
			}
			/* From the log: every match unless told otherwise (counted when more). */
			if (!o->has_last)
				o->last = SHMW_EVENTS_LAST_MAX;
		}
	}
	return -1;
}

/* Returns -1 when the command should run, else the exit status. */
static int parse_args(int argc, char **argv, struct opts *o)
{
	/* -n is --noheadings (lsipc), but for events --last, as it has always been. */
	bool events = find_command(argc, argv) == SHMW_CMD_EVENTS;
	int c, ret;

	memset(o, 0, sizeof(*o));
	o->timeout_ms = SHMW_CLIENT_TIMEOUT_MS;
	o->last = EVENTS_LAST_DEFAULT;
	o->table.human = true;
	opterr = 0; /* our messages say "shmwatch:", whatever argv[0] is */
	while ((c = getopt_long(argc, argv, events ? ":hfn:rbo:tAc:" : ":hfnrbo:tAc:", long_opts,
				NULL)) != -1) {
		if (c == 'n' && !events)
			c = 'N';
		ret = parse_option(c, argv, o);
		if (ret >= 0)
			return ret;
	}
	return parse_command(argc, argv, o);
}

static void build_request(const struct opts *o, struct shmw_request *req)
{
	memset(req, 0, sizeof(*req));
	req->cmd = o->cmd;
	if (o->cmd == SHMW_CMD_WHO || o->cmd == SHMW_CMD_LS) {
		req->shmid = o->cmd == SHMW_CMD_WHO ? (int32_t)o->arg : 0;
		req->has_ns = o->has_ns;
		req->ns = o->ns;
		req->all_ns = o->all_ns;
		req->has_key = o->has_key;
		req->key = o->key;
		if (o->user)
			snprintf(req->user, sizeof(req->user), "%s", o->user);
		if (o->container)
			snprintf(req->container, sizeof(req->container), "%s", o->container);
		/* A table needs 6 columns of each holder, not the whole objects: parsing those
		 * with json-c was most of the time of `shmwatch who` on a busy segment, so they
		 * come as text lines after the answer. --json gets the answer as documented. */
		req->lines = o->cmd == SHMW_CMD_WHO && !o->json && !o->has_at;
		req->has_at = o->has_at;
		req->at = o->at;
	} else if (o->cmd == SHMW_CMD_PS) {
		req->pid = (int32_t)o->arg;
		if (o->comm)
			snprintf(req->comm, sizeof(req->comm), "%s", o->comm);
	} else if (o->cmd == SHMW_CMD_EVENTS || o->cmd == SHMW_CMD_HISTORY) {
		req->last = o->last;
		req->follow = o->follow;
		req->has_shmid = o->has_shmid || o->cmd == SHMW_CMD_HISTORY;
		req->shmid = o->cmd == SHMW_CMD_HISTORY ? (int32_t)o->arg : (int32_t)o->shmid;
		req->has_ns = o->has_ns;
		req->ns = o->ns;
		req->has_key = o->has_key;
		req->key = o->key;
		req->has_pid = o->has_pid;
		req->pid = (int32_t)o->pid;
		if (o->event)
			snprintf(req->event, sizeof(req->event), "%s", o->event);
		req->since = o->since;
		req->until = o->until;
	}
}

/* --json: a failure of our own as the daemon's would be, on stdout, so that a script reading
 * JSON sees why (the exit status and the message on stderr stay as they are). */
static void json_error(const char *code, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void json_error(const char *code, const char *path, const char *fmt, ...)
{
	json_object *o = json_object_new_object();
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (!o)
		return;
	json_object_object_add(o, "ok", json_object_new_boolean(0));
	json_object_object_add(o, "code", json_object_new_string(code));
	json_object_object_add(o, "error", shmw_json_string(msg));
	if (path)
		json_object_object_add(o, "socket", shmw_json_string(path));
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
						   JSON_C_TO_STRING_NOSLASHESCAPE));
	fflush(stdout);
	json_object_put(o);
}

/* Where to look when nobody answers at path: the daemon's default socket has its usual ways to
 * start; another path was given by hand, so say which and how a daemon gets there. */
static void unreachable_hint(const char *path)
{
	if (!strcmp(path, SHMW_DEFAULT_SOCKET))
		fputs("shmwatch: " START_HINT "\n", stderr);
	else
		fprintf(stderr,
			"shmwatch: is a shmwatchd running with --socket %s? (the default socket "
			"is " SHMW_DEFAULT_SOCKET ")\n",
			path);
}

/* What a failed library call means for the person at the terminal, and the exit status. */
static int client_error(const char *path, int status, int sys_errno, const char *why, bool json)
{
	switch (status) {
	case SHMW_CLIENT_EPATH:
		if (json)
			json_error("bad_socket", path, "%s", why);
		fprintf(stderr, "shmwatch: %s\n", why);
		return EXIT_USAGE;
	case SHMW_CLIENT_ECONNECT:
		if (json)
			json_error("unreachable", path, "cannot reach shmwatchd at %s: %s", path,
				   why);
		fprintf(stderr, "shmwatch: cannot reach shmwatchd at %s: %s\n", path, why);
		/* The hint fits only when nobody listens there; a busy daemon needs no start. */
		if (sys_errno == EACCES || sys_errno == EPERM)
			fputs("shmwatch: the socket is not open to this user; try as root\n",
			      stderr);
		else if (sys_errno == ENOENT || sys_errno == ECONNREFUSED || sys_errno == ENOTDIR)
			unreachable_hint(path);
		return EXIT_UNREACH;
	case SHMW_CLIENT_ETIMEDOUT:
	case SHMW_CLIENT_EHANGUP:
		if (json)
			json_error("unreachable", path, "cannot reach shmwatchd at %s: %s", path,
				   why);
		fprintf(stderr, "shmwatch: cannot reach shmwatchd at %s: %s\n", path, why);
		return EXIT_UNREACH;
	case SHMW_CLIENT_EPROTO:
		if (json)
			json_error("bad_answer", path, "bad answer from shmwatchd at %s: %s", path,
				   why);
		fprintf(stderr, "shmwatch: bad answer from shmwatchd at %s: %s\n", path, why);
		return EXIT_DAEMON;
	default:
		if (json)
			json_error("client", path, "%s", why);
		fprintf(stderr, "shmwatch: %s\n", why);
		return EXIT_DAEMON;
	}
}

static const char *str_field(json_object *obj, const char *key)
{
	json_object *v;

	if (json_object_object_get_ex(obj, key, &v) && json_object_is_type(v, json_type_string))
		return json_object_get_string(v);
	return NULL;
}

/* For `ambiguous`: a ready-to-paste example, when the daemon lists the namespaces. */
static void ambiguous_hint(json_object *ans, const struct opts *o)
{
	json_object *nss, *first;

	if (json_object_object_get_ex(ans, "namespaces", &nss) &&
	    json_object_is_type(nss, json_type_array) && json_object_array_length(nss) > 0 &&
	    (first = json_object_array_get_idx(nss, 0)) &&
	    json_object_is_type(first, json_type_int))
		fprintf(stderr, "shmwatch: pick one with --ns, e.g.: shmwatch who %lld --ns %lld\n",
			o->arg, (long long)json_object_get_int64(first));
	else
		fprintf(stderr, "shmwatch: pick one with: shmwatch who %lld --ns INUM\n", o->arg);
}

/* An "ok":false answer: the daemon's text on stderr, the status its code maps to. */
static int daemon_error(json_object *ans, const struct opts *o)
{
	const char *code = str_field(ans, "code");
	const char *text = str_field(ans, "error");

	if (!code)
		code = "unknown";
	fprintf(stderr, "shmwatch: %s\n", text ? text : code);
	if (!strcmp(code, "no_such_segment") || !strcmp(code, "no_such_process"))
		return EXIT_NOT_FOUND;
	if (!strcmp(code, "ambiguous")) {
		ambiguous_hint(ans, o);
		return EXIT_USAGE;
	}
	if (!strcmp(code, "bad_request")) {
		/* We send only fields we know: one it does not know is a daemon older than us. */
		if (text && strstr(text, "unknown field"))
			fputs(
			    "shmwatch: shmwatchd is older than this client and lacks that option; "
			    "upgrade it\n",
			    stderr);
		return EXIT_USAGE;
	}
	return EXIT_DAEMON;
}

static bool answer_ok(json_object *ans)
{
	json_object *ok;

	return json_object_object_get_ex(ans, "ok", &ok) && json_object_get_boolean(ok);
}

/* Flushes stdout; a failed write (disk full, closed terminal) is an error, not silence. */
static int flush_stdout(void)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return 0;
	fprintf(stderr, "shmwatch: cannot write output: %s\n", strerror(errno ? errno : EIO));
	return EXIT_DAEMON;
}

static int print_json_obj(json_object *obj)
{
	const char *s = json_object_to_json_string_ext(obj, JSON_C_TO_STRING_PLAIN |
								JSON_C_TO_STRING_NOSLASHESCAPE);

	if (!s) {
		fputs("shmwatch: out of memory\n", stderr);
		return EXIT_DAEMON;
	}
	puts(s);
	return 0;
}

/* events answers print one event per line in JSON, like the daemon's event log. */
static int print_events_json(json_object *ans)
{
	json_object *evs;
	int ret = 0;

	if (!json_object_object_get_ex(ans, "events", &evs) ||
	    !json_object_is_type(evs, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(evs) && !ret; i++)
		ret = print_json_obj(json_object_array_get_idx(evs, i));
	return ret;
}

/* An answer from the log that had more matching lines than it carries: said, not hidden. */
static void note_omitted(json_object *ans)
{
	json_object *v;
	int64_t n;

	if (!json_object_object_get_ex(ans, "omitted", &v) || (n = json_object_get_int64(v)) <= 0)
		return;
	fprintf(stderr,
		"shmwatch: %lld earlier matching events not shown (raise --last, at most %d, or "
		"narrow with --since/--until)\n",
		(long long)n, SHMW_EVENTS_LAST_MAX);
}

/* metrics: the exposition text as the daemon made it, for `shmwatch metrics > x.prom` and
 * pipes into Prometheus tooling; --no-headers and -h do not apply to it. */
static int print_metrics(json_object *ans)
{
	const char *text = str_field(ans, "text");

	if (!text) {
		fputs("shmwatch: bad answer from shmwatchd: no \"text\" in the metrics answer\n",
		      stderr);
		return EXIT_DAEMON;
	}
	fputs(text, stdout);
	return 0;
}

static int print_table(json_object *ans, const struct opts *o)
{
	int (*fn)(FILE *, json_object *, const struct shmw_table_opts *) = NULL;

	switch (o->cmd) {
	case SHMW_CMD_WHO:
		fn = shmw_table_who;
		break;
	case SHMW_CMD_PS:
		fn = shmw_table_ps;
		break;
	case SHMW_CMD_LS:
		fn = shmw_table_ls;
		break;
	case SHMW_CMD_STATUS:
		fn = shmw_table_status;
		break;
	case SHMW_CMD_EVENTS:
		fn = shmw_table_events;
		break;
	case SHMW_CMD_LINGERING:
		fn = shmw_table_lingering;
		break;
	case SHMW_CMD_ORPHANS:
		fn = shmw_table_orphans;
		break;
	case SHMW_CMD_METRICS:
		return print_metrics(ans);
	case SHMW_CMD_VERIFY:
		fn = shmw_table_verify;
		break;
	case SHMW_CMD_HISTORY:
		fn = shmw_table_history;
		break;
	}
	if (o->cmd == SHMW_CMD_WHO && o->has_at)
		fn = shmw_table_who_at;
	if (fn(stdout, ans, &o->table) == 0)
		return 0;
	fprintf(stderr, "shmwatch: cannot write output: %m\n");
	return EXIT_DAEMON;
}

/* The source of the text rows of a who "lines" answer, for shmw_table_who_lines: rows until
 * the closing {"lines":N} (docs/protocol.md). */
struct line_src {
	struct shmw_client *c;
	const char *path;
	const struct opts *o;
	uint64_t deadline;
	size_t rows;
	int64_t hidden; /* the closing line's "hidden_holders" */
	int exit;	/* when the source failed: the exit status, the message already printed */
};

static int next_line(void *arg, char **line, size_t *len)
{
	struct line_src *src = arg;
	json_object *end, *n;
	char err[256];
	int ret;

	ret = shmw_client_read_text(src->c, src->deadline, line, len, err, sizeof(err));
	if (ret) {
		src->exit = client_error(src->path, ret, errno, err, src->o->json);
		return -1;
	}
	if (**line != '{') {
		src->rows++;
		return 0;
	}
	/* The closing line: the number of rows, or an error that came up while writing them. */
	end = json_tokener_parse(*line);
	if (end && json_object_object_get_ex(end, "ok", NULL) && !answer_ok(end)) {
		src->exit = daemon_error(end, src->o);
	} else if (!end || !json_object_object_get_ex(end, "lines", &n) ||
		   !json_object_is_type(n, json_type_int) ||
		   json_object_get_int64(n) != (int64_t)src->rows) {
		fprintf(stderr,
			"shmwatch: bad answer from shmwatchd at %s: %zu holder lines, then "
			"%.80s\n",
			src->path, src->rows, *line);
		src->exit = EXIT_DAEMON;
	}
	if (end && json_object_object_get_ex(end, "hidden_holders", &n) &&
	    json_object_is_type(n, json_type_int))
		src->hidden = json_object_get_int64(n);
	json_object_put(end);
	return src->exit ? -1 : 1;
}

static int print_who_lines(struct shmw_client *c, const char *path, json_object *ans,
			   const struct opts *o)
{
	struct line_src src = {.c = c, .path = path, .o = o, .deadline = shmw_client_deadline(c)};
	struct shmw_table_opts topts = o->table;
	int ret;

	topts.hidden = &src.hidden;
	ret = shmw_table_who_lines(stdout, ans, next_line, &src, &topts);
	if (ret == SHMW_TABLE_ESOURCE)
		return src.exit;
	if (ret) {
		fprintf(stderr, "shmwatch: cannot write output: %m\n");
		return EXIT_DAEMON;
	}
	return 0;
}

/* One request, one answer: every command except events -f. */
static int run_once(struct shmw_client *c, const char *path, const struct opts *o)
{
	struct shmw_request req;
	json_object *ans;
	char err[256];
	char *raw;
	int ret;

	build_request(o, &req);
	ret = shmw_client_call(c, &req, &ans, &raw, err, sizeof(err));
	while (!ret && (req.lines || req.rows || req.all_ns) && !answer_ok(ans) &&
	       !strcmp(str_field(ans, "code") ?: "", "bad_request") &&
	       (!req.all_ns || strstr(str_field(ans, "error") ?: "", "'all_ns'"))) {
		/* A daemon older than "lines" refuses the field: ask it for "rows", and one older
		 * than those the old way. One older than "all_ns" answers in every namespace
		 * unless asked for one. */
		json_object_put(ans);
		free(raw);
		if (req.all_ns) {
			req.all_ns = false;
		} else {
			req.rows = req.lines;
			req.lines = false;
		}
		ret = shmw_client_call(c, &req, &ans, &raw, err, sizeof(err));
	}
	if (ret)
		return client_error(path, ret, errno, err, o->json);
	/* --json: the answer exactly as received, errors included, so scripts see "code". */
	if (o->json &&
	    ((o->cmd != SHMW_CMD_EVENTS && o->cmd != SHMW_CMD_HISTORY) || !answer_ok(ans)))
		puts(raw);
	else if (o->json)
		ret = print_events_json(ans);
	if (answer_ok(ans))
		note_omitted(ans);
	if (!answer_ok(ans)) {
		flush_stdout(); /* the JSON answer goes out before the message on stderr */
		ret = daemon_error(ans, o);
	} else if (req.lines) {
		ret = print_who_lines(c, path, ans, o);
	} else if (!o->json) {
		ret = print_table(ans, o);
	}
	if (!ret && o->cmd == SHMW_CMD_VERIFY &&
	    !json_object_get_boolean(json_object_object_get(ans, "exact")))
		ret = EXIT_DIFFER;
	json_object_put(ans);
	free(raw);
	return ret ? ret : flush_stdout();
}

/* ps PID PID...: one request each on one connection; every process is answered (blocks a
 * blank line apart), and the exit status is the first failure's. */
static int run_ps_many(struct shmw_client *c, const char *path, struct opts *o)
{
	int ret = 0;

	for (size_t i = 0; i < o->npids; i++) {
		int r;

		o->arg = o->pids[i];
		if (i && !o->json && !o->table.no_headers)
			putchar('\n');
		r = run_once(c, path, o);
		if (r == EXIT_UNREACH || r == EXIT_DAEMON)
			return r;
		if (r && !ret)
			ret = r;
	}
	return ret;
}

/* Ctrl-C is how a follow ends: exit 0 at once. A flag would be checked only after the next
 * event, and poll() may wait for one forever; every line is flushed as it is printed, so
 * exiting from the handler loses nothing. */
static void on_sigint(int sig)
{
	(void)sig;
	_exit(EXIT_OK);
}

static int catch_sigint(void)
{
	struct sigaction sa = {.sa_handler = on_sigint};

	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGINT, &sa, NULL)) {
		fprintf(stderr, "shmwatch: sigaction: %m\n");
		return EXIT_DAEMON;
	}
	return 0;
}

/* One line of an events -f stream: an event, a batch of them, an acknowledgement or an error. */
static int follow_line(json_object *obj, const char *raw, const struct opts *o)
{
	json_object *ok, *evs;
	int ret = 0;

	if (json_object_object_get_ex(obj, "ok", &ok) && !json_object_get_boolean(ok)) {
		if (o->json)
			puts(raw);
		flush_stdout();
		return daemon_error(obj, o);
	}
	if (json_object_object_get_ex(obj, "events", &evs) &&
	    json_object_is_type(evs, json_type_array)) {
		for (size_t i = 0; i < json_object_array_length(evs) && !ret; i++) {
			json_object *ev = json_object_array_get_idx(evs, i);

			ret = o->json ? print_json_obj(ev)
				      : (shmw_table_event_line(stdout, ev, &o->table) ? EXIT_DAEMON
										      : 0);
		}
	} else if (json_object_object_get_ex(obj, "event", NULL)) {
		if (o->json)
			puts(raw);
		else if (shmw_table_event_line(stdout, obj, &o->table))
			ret = EXIT_DAEMON;
	}
	/* Anything else (e.g. a bare {"ok":true}) carries no event. */
	return ret ? ret : flush_stdout();
}

static int run_follow(struct shmw_client *c, const char *path, const struct opts *o)
{
	struct shmw_request req;
	char err[256];
	int ret;

	ret = catch_sigint();
	if (ret)
		return ret;
	build_request(o, &req);
	ret = shmw_client_send(c, &req, err, sizeof(err));
	if (ret)
		return client_error(path, ret, errno, err, o->json);
	if (!o->json && (shmw_table_event_header(stdout, &o->table) || flush_stdout()))
		return EXIT_DAEMON;
	for (;;) {
		json_object *obj;
		char *raw;

		/* No timeout: a quiet system may have no event for hours. */
		ret = shmw_client_read(c, 0, &obj, &raw, err, sizeof(err));
		if (ret == SHMW_CLIENT_EOF) {
			if (o->json)
				json_error("unreachable", path,
					   "shmwatchd at %s closed the connection", path);
			fprintf(stderr, "shmwatch: shmwatchd at %s closed the connection\n", path);
			return EXIT_UNREACH;
		}
		if (ret)
			return client_error(path, ret, errno, err, o->json);
		ret = follow_line(obj, raw, o);
		json_object_put(obj);
		free(raw);
		if (ret)
			return ret;
	}
}

int main(int argc, char **argv)
{
	struct shmw_client *c;
	struct opts o;
	const char *path;
	char err[256];
	int ret;

	ret = parse_args(argc, argv, &o);
	if (ret >= 0) {
		free(o.pids);
		return ret;
	}
	path = shmw_client_socket_path(o.socket);
	ret = shmw_client_connect(path, o.timeout_ms, &c, err, sizeof(err));
	if (ret) {
		free(o.pids);
		return client_error(path, ret, errno, err, o.json);
	}
	if (o.cmd == SHMW_CMD_EVENTS && o.follow)
		ret = run_follow(c, path, &o);
	else if (o.cmd == SHMW_CMD_PS && o.npids > 1)
		ret = run_ps_many(c, path, &o);
	else
		ret = run_once(c, path, &o);
	shmw_client_close(c);
	free(o.pids);
	return ret;
}
