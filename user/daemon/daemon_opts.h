/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* shmwatchd's command line. */
#ifndef SHMW_DAEMON_OPTS_H
#define SHMW_DAEMON_OPTS_H
#include <stdint.h>
#include "jsonproto.h" /* SHMW_DEFAULT_SOCKET */
#include "loader.h"

#define SHMW_DEFAULT_LOG "/var/log/shmwatch/events.jsonl"

struct shmw_daemon_opts {
	const char *socket_path;
	const char *log_path;
	uint64_t log_max_bytes;
	uint32_t log_keep;
	uint32_t max_mms;
	uint32_t max_sharers;
	uint32_t max_holdings;
	uint32_t max_segs;
	uint32_t ring_bytes;
	uint32_t recent; /* event lines kept for `events -n` */
	uint32_t max_clients;
	uint32_t max_clients_per_user; /* of a uid other than root and the admin group */
	uint32_t admin_reserve;	       /* of max_clients, for root and the admin group only */
	uint32_t client_timeout;       /* seconds: an idle or stalled client is closed */
	uint32_t linger_after;	       /* seconds; 0: no linger alerts */
	uint32_t realert;	       /* seconds; 0: alert once */
	uint32_t orphan_after;	       /* seconds; 0: no orphan alerts */
	const char *alert_exec;
	uint32_t alert_timeout; /* seconds */
	uint32_t alert_queue;	/* alerts waiting for a hook slot, at most */
	const char *metrics_file;
	uint32_t metrics_interval; /* seconds */
	uint32_t verify_interval;  /* seconds; 0: only on request */
	const char *admin_group;   /* members see every process, like root */
	enum shmw_mode mode;	   /* --mode; SHMW_MODE_AUTO by default */
	uint32_t priority_boost;   /* nice -N at start; 0: unchanged */
	int verbosity;
};

/* Returns 0 to run, 1 when --help/--version was printed (exit 0), or 2 on a usage error
 * (message printed). */
int shmw_daemon_opts_parse(int argc, char **argv, struct shmw_daemon_opts *o);
#endif
