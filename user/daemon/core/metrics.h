/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The daemon's numbers as Prometheus text exposition (format 0.0.4), for the `metrics` request
 * and for node_exporter's textfile collector (--metrics-file). The daemon fills a plain struct;
 * rendering knows the names, help texts and types. Every series is always present (0 when
 * nothing happened), so rate() and absent() work from the first scrape.
 *
 * Families (all prefixed shmwatch_):
 *   segments{status}  segment_bytes{status}  attachments  holder_processes
 *   lingering_segments  lingering_oldest_seconds  orphan_segments
 *   events_total{event}  events_lost_total  resyncs_total  rescans_total  bpf_map_full_total
 *   mm_incomplete_total  ipc_namespaces  bpf_map_entries{map}  bpf_map_max_entries{map}  clients
 *   clients_dropped_total{reason}  client_unsent_bytes{class}
 *   alerts_total{alert}  alert_hooks_started_total  alert_hooks_finished_total{result}
 *   alert_hooks_dropped_total  alert_hooks_spawn_errors_total  alert_hooks_running
 *   alert_hooks_queued
 *   log_write_errors_total  log_partial_lines_cut_total  start_time_seconds  info{version,mode}
 */
#ifndef SHMW_METRICS_H
#define SHMW_METRICS_H
#include <stddef.h>
#include <stdint.h>

/* What the --alert-exec runner counts (alert_exec.h) since shmw_hooks_new(). started ==
 * succeeded + failed + timed_out + running. Every alert given to shmw_hooks_run() (with valid
 * arguments) ends up started, a spawn error, dropped, or still queued. */
struct shmw_hook_stats {
	uint64_t started;      /* hook processes created */
	uint64_t succeeded;    /* exited with status 0 */
	uint64_t failed;       /* exited non-zero, or killed by a signal we did not send */
	uint64_t timed_out;    /* killed by us (SIGKILL to the group) after timeout_s */
	uint64_t dropped;      /* never run: every slot taken and the queue full */
	uint64_t spawn_errors; /* not started: memfd, environment or posix_spawn failed */
	uint64_t running;      /* started and not yet reaped */
	uint64_t queued;       /* waiting for a free slot now */
};

enum shmw_metrics_status { SHMW_MS_ACTIVE, SHMW_MS_DEST, SHMW_MS_NSTATUS };

/* Event types as in the event log (docs/protocol.md), one counter each. */
enum shmw_metrics_event {
	SHMW_ME_ATTACH,
	SHMW_ME_DETACH,
	SHMW_ME_VMAS,
	SHMW_ME_RMID,
	SHMW_ME_CREATE,
	SHMW_ME_DESTROY,
	SHMW_ME_LINGER,
	SHMW_ME_LINGER_END,
	SHMW_ME_ORPHAN,
	SHMW_ME_RESYNC,
	SHMW_ME_OWNER,
	SHMW_ME_SHARE,
	SHMW_ME_UNSHARE,
	SHMW_ME_NEVENTS
};

/* Alerts raised: logged, and given to --alert-exec when set. linger_end is the all-clear. */
enum shmw_metrics_alert { SHMW_MA_LINGER, SHMW_MA_LINGER_END, SHMW_MA_ORPHAN, SHMW_MA_NALERTS };

/* Clients the daemon closed itself, by reason: refused at connect (--max-clients,
 * --max-clients-per-user, --admin-reserve), closed after --client-timeout, dropped past a bound
 * of unsent bytes. */
enum shmw_metrics_drop { SHMW_MD_REFUSED, SHMW_MD_TIMEOUT, SHMW_MD_BEHIND, SHMW_MD_NREASONS };
/* Root and the admin group, other users. */
enum shmw_metrics_class { SHMW_MC_ADMIN, SHMW_MC_USER, SHMW_MC_NCLASSES };

/* The BPF maps whose fill level matters: when one is full, tracking degrades to resyncs. */
enum shmw_metrics_map { SHMW_MM_MMS, SHMW_MM_SHARERS, SHMW_MM_HOLDS, SHMW_MM_SEGS, SHMW_MM_NMAPS };

struct shmw_metrics {
	/* Gauges: the state now. */
	uint64_t segments[SHMW_MS_NSTATUS];	 /* segments the kernel has, by status */
	uint64_t segment_bytes[SHMW_MS_NSTATUS]; /* their total size */
	uint64_t attachments;			 /* (process, segment) pairs held */
	uint64_t holder_processes;		 /* processes holding at least one segment */
	uint64_t lingering;			 /* dest and still held */
	double lingering_oldest_s;		 /* how long the oldest has been dest; 0: none */
	uint64_t orphans;			 /* active, nobody held it for --orphan-after */
	uint64_t map_entries[SHMW_MM_NMAPS];
	uint64_t map_max_entries[SHMW_MM_NMAPS];
	uint64_t clients;				/* connected clients */
	uint64_t client_unsent_bytes[SHMW_MC_NCLASSES]; /* buffers of unsent answers */
	uint64_t namespaces;				/* IPC namespaces known */

	/* Counters: since the daemon started. */
	uint64_t events[SHMW_ME_NEVENTS];
	uint64_t events_lost;	/* ring buffer full: records dropped in the kernel */
	uint64_t resyncs;	/* full or partial rewalks of processes */
	uint64_t rescans;	/* walks of one address space asked for by BPF */
	uint64_t map_full;	/* BPF map updates that failed because the map was full */
	uint64_t mm_incomplete; /* BPF could not keep an address space's counts: walked again */
	uint64_t alerts[SHMW_MA_NALERTS];
	uint64_t clients_dropped[SHMW_MD_NREASONS];
	struct shmw_hook_stats hooks; /* all 0 without --alert-exec */
	uint64_t log_errors;	      /* event log lines not written (full disk, I/O errors) */
	uint64_t log_cuts;	      /* writes cut back to the last whole line */

	double start_time_s; /* Unix time the daemon started, seconds */
	const char *version; /* NULL: "" */
	const char *mode;    /* "fentry", "tracepoint"; NULL: "" */
};

/* The counter index of an event type as named in the log ("attach", ...), or -1. */
int shmw_metrics_event_index(const char *name);

/* The exposition text, every line newline-terminated; caller frees. NULL with errno ENOMEM. */
char *shmw_metrics_render(const struct shmw_metrics *m);

/*
 * Replaces path with text atomically, for the textfile collector: writes "path.tmp.PID" in the
 * same directory (a name the collector, which reads only *.prom, skips), fsyncs it, renames it
 * over path. The file has mode 0644 whatever the umask. A reader sees the old file or the new
 * one, never a part. Returns 0 or -errno; on failure path is untouched and the temp file gone.
 */
int shmw_metrics_write_file(const char *path, const char *text);
/* At start-up: can path be written so? Its directory must exist (none is made) and path must
 * not be a symbolic link (it would be replaced, not followed: refused, so that a planted link
 * is noticed). 0, or -errno with the reason in err. */
int shmw_metrics_check_path(const char *path, char *err, size_t errlen);
/* Logs what a shmw_metrics_write_file() of path returned: a failure once per streak of them
 * (a warning naming the reason; a symlink in the way of the temporary file said as such), and
 * the end of a streak. */
void shmw_metrics_file_result(const char *path, int ret);
#endif
