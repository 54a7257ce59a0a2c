// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* shmwatchd's command line (see daemon_opts.h). */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/un.h>
#include <syslog.h>
#include "alert_exec.h"
#include "daemon_opts.h"
#include "eventlog.h"
#include "loader.h"
#include "procinfo.h"

/* The defaults, each named once: the parser sets them, --help prints them (STR). */
#define DEF_LOG_MAX_MIB	   64
#define DEF_LOG_KEEP	   5
#define DEF_MAX_MMS	   16384
#define DEF_MAX_HOLDINGS   262144
#define DEF_MAX_SEGS	   65536
#define DEF_MAX_SHARERS	   4096
#define DEF_RING_MIB	   2 /* 0 lost at 300k events/s (docs/benchmarks.md); mapped twice */
#define DEF_RECENT	   4096
#define DEF_MAX_CLIENTS	   1024
#define DEF_MAX_PER_USER   32
#define DEF_ADMIN_RESERVE  32 /* or a quarter of --max-clients if less */
#define DEF_CLIENT_TIMEOUT 5
#define DEF_LINGER_AFTER   60
#define DEF_REALERT	   600
#define DEF_ORPHAN_AFTER   3600
#define DEF_ALERT_TIMEOUT  10
#define DEF_ALERT_QUEUE	   10000 /* 5000 segments lingering at once all run their hook */
#define DEF_METRICS_EVERY  5
#define DEF_VERIFY_EVERY   3600
#define DEF_PRIORITY_BOOST 5
#define STR_(x)		   #x
#define STR(x)		   STR_(x)

/* The text as it prints, the defaults in it by name. */
/* clang-format off */
static const char usage[] =
    "Usage: shmwatchd [OPTION]...\n"
    "Trace System V shared memory attachments with eBPF and answer shmwatch queries.\n"
    "Runs in the foreground; needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN).\n"
    "\n"
    "  -s, --socket PATH       client socket (default " SHMW_DEFAULT_SOCKET ")\n"
    "  -l, --log-file PATH     JSON Lines event log, '-' for stdout\n"
    "                          (default " SHMW_DEFAULT_LOG ")\n"
    "      --log-max-bytes N   rotate the event log at N bytes (default "
    STR(DEF_LOG_MAX_MIB) "M; 0: never);\n"
    "                          rotated files are gzip-compressed with an index\n"
    "      --log-keep N        rotated logs to keep (default " STR(DEF_LOG_KEEP) ")\n"
    "      --max-holders N     address spaces holding segments the BPF map can track\n"
    "                          (default " STR(DEF_MAX_MMS) ")\n"
    "      --max-holdings N    (address space, segment) pairs the BPF maps can track\n"
    "                          (default " STR(DEF_MAX_HOLDINGS) "; memory only as used)\n"
    "      --max-segments N    segments the BPF side knows, held or not (default "
    STR(DEF_MAX_SEGS) ")\n"
    "      --max-sharers N     processes sharing another's address space: vfork children,\n"
    "                          CLONE_VM siblings (default " STR(DEF_MAX_SHARERS) ")\n"
    "      --ring-size BYTES   BPF ring buffer, a power of two >= 4096 (default "
    STR(DEF_RING_MIB) "M)\n"
    "      --recent N          event lines kept for 'shmwatch events -n' (default "
    STR(DEF_RECENT) ")\n"
    "      --max-clients N     concurrent client connections (default " STR(DEF_MAX_CLIENTS) ")\n"
    "      --max-clients-per-user N  connections of one user other than root and the\n"
    "                          admin group (default " STR(DEF_MAX_PER_USER) ")\n"
    "      --admin-reserve N   of --max-clients, kept for root and the admin group\n"
    "                          (default "
    STR(DEF_ADMIN_RESERVE) ", or a quarter of --max-clients if less)\n"
    "      --client-timeout SECONDS  close a connection that sends no request, or reads\n"
    "                          no answer, this long (default "
    STR(DEF_CLIENT_TIMEOUT) "; not 'events -f')\n"
    "      --admin-group NAME  members see every process, as root does; other users see\n"
    "                          only their own processes (others are counted, not named)\n"
    "      --linger-after SECONDS  alert when a segment marked for destruction is still\n"
    "                          held this long (default " STR(DEF_LINGER_AFTER) "; 0: never)\n"
    "      --realert SECONDS   repeat a linger alert this often while it lasts\n"
    "                          (default " STR(DEF_REALERT) "; 0: once)\n"
    "      --orphan-after SECONDS  report segments nobody has held this long, not marked\n"
    "                          for destruction (default " STR(DEF_ORPHAN_AFTER) "; 0: never)\n"
    "      --alert-exec CMD    run '/bin/sh -c CMD' for each linger, linger_end and orphan\n"
    "                          alert, the alert as JSON on stdin and SHMWATCH_* variables\n"
    "      --alert-timeout SECONDS  kill a hook still running after this (default "
    STR(DEF_ALERT_TIMEOUT) ")\n"
    "      --alert-queue N     alerts that wait while "
    STR(SHMW_HOOKS_RUNNING) " hooks run (default "
    STR(DEF_ALERT_QUEUE) ", and\n"
    "                          "
    STR(SHMW_HOOKS_QUEUE_MIB) " MiB); more are dropped, counted and logged once\n"
    "      --metrics-file PATH rewrite Prometheus metrics to PATH atomically (for\n"
    "                          node_exporter's textfile collector)\n"
    "      --metrics-interval SECONDS  how often (default " STR(DEF_METRICS_EVERY) ")\n"
    "      --verify-interval SECONDS  compare the state with a fresh walk of every\n"
    "                          process this often, repairing differences (default "
    STR(DEF_VERIFY_EVERY) ";\n"
    "                          0: only on 'shmwatch verify')\n"
    "      --mode MODE         how attachments are counted: fentry (in the kernel's own\n"
    "                          counting points), tracepoint (syscall tracepoints and VMA\n"
    "                          recounts), or auto (default: fentry where the kernel\n"
    "                          allows it, else tracepoint); 'shmwatch status' says which\n"
    "      --priority-boost N  run at nice -N (default "
    STR(DEF_PRIORITY_BOOST) "; like auditd's priority_boost; 0: as\n"
    "                          started): a daemon that keeps up loses no events\n"
    "  -v, --verbose           debug logging (libbpf and verifier messages too)\n"
    "  -h, --help              this help\n"
    "  -V, --version           version\n"
    "\n"
    "Examples:\n"
    "  shmwatchd                                   run with the defaults\n"
    "  shmwatchd --socket /tmp/s.sock --log-file -  private socket, events on stdout\n"
    "  shmwatchd --mode tracepoint                 never try fentry\n"
    "  shmwatch who 393216                         then ask who holds a segment\n"
    "\n"
    "Exit status: 0 after SIGTERM/SIGINT, 1 on a runtime failure (BPF load, socket,\n"
    "log file), 2 on a usage error.\n";
/* clang-format on */

/* Parses an unsigned number with an optional K/M/G suffix, within [min, max]. */
static int parse_num(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	if (!*s || *s == '-')
		goto bad;
	v = strtoull(s, &end, 10);
	if (errno)
		goto bad;
	switch (*end) {
	case 'K':
	case 'k':
		v <<= 10, end++;
		break;
	case 'M':
	case 'm':
		v <<= 20, end++;
		break;
	case 'G':
	case 'g':
		v <<= 30, end++;
		break;
	}
	if (*end || v < min || v > max)
		goto bad;
	*out = v;
	return 0;
bad:
	fprintf(stderr, "shmwatchd: %s wants a number from %llu to %llu, not '%s'\n", opt,
		(unsigned long long)min, (unsigned long long)max, s);
	return -1;
}

enum {
	OPT_LOG_MAX = 256,
	OPT_LOG_KEEP,
	OPT_MAX_MMS,
	OPT_MAX_SHARERS,
	OPT_RING,
	OPT_RECENT,
	OPT_MAX_CLIENTS,
	OPT_MAX_PER_USER,
	OPT_ADMIN_RESERVE,
	OPT_CLIENT_TIMEOUT,
	OPT_LINGER,
	OPT_REALERT,
	OPT_ORPHAN,
	OPT_ALERT_EXEC,
	OPT_ALERT_TIMEOUT,
	OPT_ALERT_QUEUE,
	OPT_METRICS_FILE,
	OPT_METRICS_INTERVAL,
	OPT_VERIFY_INTERVAL,
	OPT_ADMIN_GROUP,
	OPT_MODE,
	OPT_PRIORITY_BOOST,
	OPT_MAX_HOLDINGS,
	OPT_MAX_SEGS
};

int shmw_daemon_opts_parse(int argc, char **argv, struct shmw_daemon_opts *o)
{
	static const struct option lopts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"log-file", required_argument, NULL, 'l'},
	    {"log-max-bytes", required_argument, NULL, OPT_LOG_MAX},
	    {"log-keep", required_argument, NULL, OPT_LOG_KEEP},
	    {"max-holders", required_argument, NULL, OPT_MAX_MMS},
	    {"max-sharers", required_argument, NULL, OPT_MAX_SHARERS},
	    {"max-holdings", required_argument, NULL, OPT_MAX_HOLDINGS},
	    {"max-segments", required_argument, NULL, OPT_MAX_SEGS},
	    {"ring-size", required_argument, NULL, OPT_RING},
	    {"recent", required_argument, NULL, OPT_RECENT},
	    {"max-clients", required_argument, NULL, OPT_MAX_CLIENTS},
	    {"max-clients-per-user", required_argument, NULL, OPT_MAX_PER_USER},
	    {"admin-reserve", required_argument, NULL, OPT_ADMIN_RESERVE},
	    {"client-timeout", required_argument, NULL, OPT_CLIENT_TIMEOUT},
	    {"linger-after", required_argument, NULL, OPT_LINGER},
	    {"realert", required_argument, NULL, OPT_REALERT},
	    {"orphan-after", required_argument, NULL, OPT_ORPHAN},
	    {"alert-exec", required_argument, NULL, OPT_ALERT_EXEC},
	    {"alert-timeout", required_argument, NULL, OPT_ALERT_TIMEOUT},
	    {"alert-queue", required_argument, NULL, OPT_ALERT_QUEUE},
	    {"metrics-file", required_argument, NULL, OPT_METRICS_FILE},
	    {"metrics-interval", required_argument, NULL, OPT_METRICS_INTERVAL},
	    {"verify-interval", required_argument, NULL, OPT_VERIFY_INTERVAL},
	    {"admin-group", required_argument, NULL, OPT_ADMIN_GROUP},
	    {"mode", required_argument, NULL, OPT_MODE},
	    {"priority-boost", required_argument, NULL, OPT_PRIORITY_BOOST},
	    {"verbose", no_argument, NULL, 'v'},
	    {"help", no_argument, NULL, 'h'},
	    {"version", no_argument, NULL, 'V'},
	    {0},
	};
	bool reserve_given = false;
	uint64_t v;
	uint32_t gid;
	int c;

	memset(o, 0, sizeof(*o));
	o->socket_path = SHMW_DEFAULT_SOCKET;
	o->log_path = SHMW_DEFAULT_LOG;
	o->log_max_bytes = (uint64_t)DEF_LOG_MAX_MIB << 20;
	o->log_keep = DEF_LOG_KEEP;
	o->max_mms = DEF_MAX_MMS;
	o->max_sharers = DEF_MAX_SHARERS;
	o->max_holdings = DEF_MAX_HOLDINGS;
	o->max_segs = DEF_MAX_SEGS;
	o->ring_bytes = DEF_RING_MIB << 20;
	o->recent = DEF_RECENT;
	o->max_clients = DEF_MAX_CLIENTS;
	o->max_clients_per_user = DEF_MAX_PER_USER;
	o->client_timeout = DEF_CLIENT_TIMEOUT;
	o->linger_after = DEF_LINGER_AFTER;
	o->realert = DEF_REALERT;
	o->orphan_after = DEF_ORPHAN_AFTER;
	o->alert_timeout = DEF_ALERT_TIMEOUT;
	o->alert_queue = DEF_ALERT_QUEUE;
	o->metrics_interval = DEF_METRICS_EVERY;
	o->verify_interval = DEF_VERIFY_EVERY;
	o->priority_boost = DEF_PRIORITY_BOOST;
	o->verbosity = LOG_INFO;
	optind = 1;
	while ((c = getopt_long(argc, argv, "s:l:vhV", lopts, NULL)) != -1) {
		switch (c) {
		case 's':
			if (strlen(optarg) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
				fprintf(stderr,
					"shmwatchd: socket path too long (max %zu bytes): %s\n",
					sizeof(((struct sockaddr_un *)0)->sun_path) - 1, optarg);
				return 2;
			}
			o->socket_path = optarg;
			break;
		case 'l':
			if (!*optarg) {
				fprintf(stderr, "shmwatchd: --log-file wants a path or '-'\n");
				return 2;
			}
			o->log_path = optarg;
			break;
		case OPT_LOG_MAX:
			if (parse_num("--log-max-bytes", optarg, 0, 1ULL << 40, &o->log_max_bytes))
				return 2;
			break;
		case OPT_LOG_KEEP:
			if (parse_num("--log-keep", optarg, 1, SHMW_EVENTLOG_KEEP_MAX, &v))
				return 2;
			o->log_keep = v;
			break;
		case OPT_MAX_MMS:
			if (parse_num("--max-holders", optarg, 16, 1 << 22, &v))
				return 2;
			o->max_mms = v;
			break;
		case OPT_MAX_HOLDINGS:
			if (parse_num("--max-holdings", optarg, 16, 1 << 24, &v))
				return 2;
			o->max_holdings = v;
			break;
		case OPT_MAX_SEGS:
			if (parse_num("--max-segments", optarg, 16, 1 << 24, &v))
				return 2;
			o->max_segs = v;
			break;
		case OPT_MAX_SHARERS:
			if (parse_num("--max-sharers", optarg, 16, 1 << 22, &v))
				return 2;
			o->max_sharers = v;
			break;
		case OPT_RING:
			if (parse_num("--ring-size", optarg, 4096, 1U << 30, &v))
				return 2;
			if (v & (v - 1)) {
				fprintf(stderr, "shmwatchd: --ring-size must be a power of two\n");
				return 2;
			}
			o->ring_bytes = v;
			break;
		case OPT_RECENT:
			if (parse_num("--recent", optarg, 0, 1 << 20, &v))
				return 2;
			o->recent = v;
			break;
		case OPT_MAX_CLIENTS:
			if (parse_num("--max-clients", optarg, 1, 1 << 16, &v))
				return 2;
			o->max_clients = v;
			break;
		case OPT_MAX_PER_USER:
			if (parse_num("--max-clients-per-user", optarg, 1, 1 << 16, &v))
				return 2;
			o->max_clients_per_user = v;
			break;
		case OPT_ADMIN_RESERVE:
			if (parse_num("--admin-reserve", optarg, 0, 1 << 16, &v))
				return 2;
			o->admin_reserve = v;
			reserve_given = true;
			break;
		case OPT_CLIENT_TIMEOUT:
			if (parse_num("--client-timeout", optarg, 1, 3600, &v))
				return 2;
			o->client_timeout = v;
			break;
		case OPT_LINGER:
			if (parse_num("--linger-after", optarg, 0, 10u * 365 * 86400, &v))
				return 2;
			o->linger_after = v;
			break;
		case OPT_REALERT:
			if (parse_num("--realert", optarg, 0, 10u * 365 * 86400, &v))
				return 2;
			o->realert = v;
			break;
		case OPT_ORPHAN:
			if (parse_num("--orphan-after", optarg, 0, 10u * 365 * 86400, &v))
				return 2;
			o->orphan_after = v;
			break;
		case OPT_ALERT_EXEC:
			if (!*optarg) {
				fprintf(stderr, "shmwatchd: --alert-exec wants a command\n");
				return 2;
			}
			o->alert_exec = optarg;
			break;
		case OPT_ALERT_TIMEOUT:
			if (parse_num("--alert-timeout", optarg, 1, 3600, &v))
				return 2;
			o->alert_timeout = v;
			break;
		case OPT_ALERT_QUEUE:
			if (parse_num("--alert-queue", optarg, 0, SHMW_HOOKS_MAX_QUEUED, &v))
				return 2;
			o->alert_queue = v;
			break;
		case OPT_METRICS_FILE:
			if (!*optarg) {
				fprintf(stderr, "shmwatchd: --metrics-file wants a path\n");
				return 2;
			}
			o->metrics_file = optarg;
			break;
		case OPT_METRICS_INTERVAL:
			if (parse_num("--metrics-interval", optarg, 1, 3600, &v))
				return 2;
			o->metrics_interval = v;
			break;
		case OPT_ADMIN_GROUP:
			if (shmw_group_gid(optarg, &gid) <= 0) {
				fprintf(stderr, "shmwatchd: --admin-group: no group '%s'\n",
					optarg);
				return 2;
			}
			o->admin_group = optarg;
			break;
		case OPT_VERIFY_INTERVAL:
			if (parse_num("--verify-interval", optarg, 0, 10u * 365 * 86400, &v))
				return 2;
			o->verify_interval = v;
			break;
		case OPT_PRIORITY_BOOST:
			if (parse_num("--priority-boost", optarg, 0, 20, &v))
				return 2;
			o->priority_boost = v;
			break;
		case OPT_MODE:
			if (shmw_mode_parse(optarg, &o->mode)) {
				fprintf(stderr,
					"shmwatchd: --mode wants auto, fentry or tracepoint, not "
					"'%s'\n",
					optarg);
				return 2;
			}
			break;
		case 'v':
			o->verbosity = LOG_DEBUG;
			break;
		case 'h':
			fputs(usage, stdout);
			return 1;
		case 'V':
			printf("shmwatchd %s\n", SHMW_VERSION);
			return 1;
		default:
			fprintf(stderr, "Try 'shmwatchd --help'.\n");
			return 2;
		}
	}
	/* Root must always find a free connection, and the others at least one. */
	if (!reserve_given)
		o->admin_reserve =
		    o->max_clients / 4 < DEF_ADMIN_RESERVE ? o->max_clients / 4 : DEF_ADMIN_RESERVE;
	else if (o->admin_reserve >= o->max_clients) {
		fprintf(
		    stderr,
		    "shmwatchd: --admin-reserve %u leaves other users no connection: it must be "
		    "less than --max-clients %u\n",
		    o->admin_reserve, o->max_clients);
		return 2;
	}
	if (optind < argc) {
		fprintf(stderr, "shmwatchd: unexpected argument '%s'\nTry 'shmwatchd --help'.\n",
			argv[optind]);
		return 2;
	}
	return 0;
}
