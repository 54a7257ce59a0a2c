// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * Prometheus text exposition format 0.0.4 (see metrics.h). Naming follows the Prometheus
 * conventions: one prefix, base units as suffixes (_bytes, _seconds), counters end in _total,
 * a label where summing over it makes sense (segments by status, events by type), and the
 * version in an _info gauge of value 1 rather than in every series.
 */
#include "metrics.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#define P "shmwatch_"

static const char *const status_names[SHMW_MS_NSTATUS] = {
    [SHMW_MS_ACTIVE] = "active",
    [SHMW_MS_DEST] = "dest",
};

static const char *const event_names[SHMW_ME_NEVENTS] = {
    [SHMW_ME_ATTACH] = "attach",   [SHMW_ME_DETACH] = "detach",
    [SHMW_ME_VMAS] = "vmas",	   [SHMW_ME_RMID] = "rmid",
    [SHMW_ME_CREATE] = "create",   [SHMW_ME_DESTROY] = "destroy",
    [SHMW_ME_LINGER] = "linger",   [SHMW_ME_LINGER_END] = "linger_end",
    [SHMW_ME_ORPHAN] = "orphan",   [SHMW_ME_RESYNC] = "resync",
    [SHMW_ME_OWNER] = "owner",	   [SHMW_ME_SHARE] = "share",
    [SHMW_ME_UNSHARE] = "unshare",
};

int shmw_metrics_event_index(const char *name)
{
	for (int i = 0; i < SHMW_ME_NEVENTS; i++)
		if (!strcmp(name, event_names[i]))
			return i;
	return -1;
}

static const char *const alert_names[SHMW_MA_NALERTS] = {
    [SHMW_MA_LINGER] = "linger",
    [SHMW_MA_LINGER_END] = "linger_end",
    [SHMW_MA_ORPHAN] = "orphan",
};

static const char *const drop_names[SHMW_MD_NREASONS] = {
    [SHMW_MD_REFUSED] = "refused",
    [SHMW_MD_TIMEOUT] = "timeout",
    [SHMW_MD_BEHIND] = "behind",
};

static const char *const class_names[SHMW_MC_NCLASSES] = {
    [SHMW_MC_ADMIN] = "admin",
    [SHMW_MC_USER] = "user",
};

static const char *const map_names[SHMW_MM_NMAPS] = {
    [SHMW_MM_MMS] = "mms",
    [SHMW_MM_SHARERS] = "sharers",
    [SHMW_MM_HOLDS] = "holds",
    [SHMW_MM_SEGS] = "segs",
};

/* HELP text: backslash and newline escaped. */
static void put_help(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

/* A label value: backslash, double quote and newline escaped. */
static void put_label_value(FILE *f, const char *s)
{
	for (; s && *s; s++) {
		if (*s == '\\')
			fputs("\\\\", f);
		else if (*s == '"')
			fputs("\\\"", f);
		else if (*s == '\n')
			fputs("\\n", f);
		else
			fputc(*s, f);
	}
}

static void family(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s ", name);
	put_help(f, help);
	fprintf(f, "\n# TYPE %s %s\n", name, type);
}

/* name, or name{label="value"} when label is set. */
static void series(FILE *f, const char *name, const char *label, const char *value)
{
	fputs(name, f);
	if (label) {
		fprintf(f, "{%s=\"", label);
		put_label_value(f, value);
		fputs("\"}", f);
	}
	fputc(' ', f);
}

static void sample_u64(FILE *f, const char *name, const char *label, const char *value, uint64_t v)
{
	series(f, name, label, value);
	fprintf(f, "%" PRIu64 "\n", v);
}

/* The shortest decimal that reads back as the same double (62.5, not 62.500000000000000),
 * and the spellings Prometheus uses for the special values. */
static void sample_double(FILE *f, const char *name, double v)
{
	char buf[40];

	series(f, name, NULL, NULL);
	if (isnan(v)) {
		fputs("NaN\n", f);
		return;
	}
	if (isinf(v)) {
		fputs(v > 0 ? "+Inf\n" : "-Inf\n", f);
		return;
	}
	/* Whole numbers (a start time, an age in seconds) in plain digits, not 1.7643204e+09. */
	if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(int64_t)v) {
		fprintf(f, "%.0f\n", v);
		return;
	}
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, sizeof(buf), "%.*g", prec, v);
		if (strtod(buf, NULL) == v)
			break;
	}
	fprintf(f, "%s\n", buf);
}

/* One family with one series per label value. */
static void labelled(FILE *f, const char *name, const char *type, const char *help,
		     const char *label, const char *const *names, const uint64_t *vals, size_t n)
{
	family(f, name, type, help);
	for (size_t i = 0; i < n; i++)
		sample_u64(f, name, label, names[i], vals[i]);
}

static void single(FILE *f, const char *name, const char *type, const char *help, uint64_t v)
{
	family(f, name, type, help);
	sample_u64(f, name, NULL, NULL, v);
}

static void render(FILE *f, const struct shmw_metrics *m)
{
	const struct shmw_hook_stats *h = &m->hooks;
	const char *const results[] = {"success", "failure", "timeout"};
	const uint64_t finished[] = {h->succeeded, h->failed, h->timed_out};

	labelled(f, P "segments", "gauge",
		 "System V shared memory segments the kernel has, by status (dest: marked for "
		 "destruction, still attached).",
		 "status", status_names, m->segments, SHMW_MS_NSTATUS);
	labelled(f, P "segment_bytes", "gauge", "Total size of those segments, by status.",
		 "status", status_names, m->segment_bytes, SHMW_MS_NSTATUS);
	single(f, P "attachments", "gauge", "Segments held, counted once per process and segment.",
	       m->attachments);
	single(f, P "holder_processes", "gauge", "Processes holding at least one segment.",
	       m->holder_processes);
	single(f, P "lingering_segments", "gauge",
	       "Segments marked for destruction that some process still holds.", m->lingering);
	family(f, P "lingering_oldest_seconds", "gauge",
	       "How long the oldest lingering segment has been marked for destruction (0 when "
	       "none lingers).");
	sample_double(f, P "lingering_oldest_seconds", m->lingering_oldest_s);
	single(f, P "orphan_segments", "gauge",
	       "Segments not marked for destruction that nobody has held for --orphan-after "
	       "seconds.",
	       m->orphans);
	labelled(f, P "events_total", "counter", "Events logged, by type.", "event", event_names,
		 m->events, SHMW_ME_NEVENTS);
	single(f, P "events_lost_total", "counter",
	       "Event records the kernel dropped because the BPF ring buffer was full; each "
	       "triggers a resync.",
	       m->events_lost);
	single(f, P "resyncs_total", "counter",
	       "Passes that walked processes again (after lost events, a full map, verify) and "
	       "found and repaired differences.",
	       m->resyncs);
	single(f, P "rescans_total", "counter",
	       "Walks of one address space that the kernel side asked for because it could not "
	       "count a change itself (kernels without the open-coded VMA iterator, before 6.7).",
	       m->rescans);
	single(f, P "bpf_map_full_total", "counter",
	       "BPF map updates that failed because the map was full.", m->map_full);
	single(f, P "mm_incomplete_total", "counter",
	       "Times the kernel side could not keep an address space's counts (a BPF map full, "
	       "its record busy on another CPU, a miscount): that address space was walked again.",
	       m->mm_incomplete);
	single(f, P "ipc_namespaces", "gauge",
	       "IPC namespaces known (each with a process in it, or segments held from elsewhere).",
	       m->namespaces);
	labelled(f, P "bpf_map_entries", "gauge", "Entries in a BPF map.", "map", map_names,
		 m->map_entries, SHMW_MM_NMAPS);
	labelled(f, P "bpf_map_max_entries", "gauge",
		 "Capacity of a BPF map (max_entries); tracking degrades to resyncs when it is "
		 "reached.",
		 "map", map_names, m->map_max_entries, SHMW_MM_NMAPS);
	single(f, P "clients", "gauge", "Clients connected to the daemon socket.", m->clients);
	labelled(f, P "clients_dropped_total", "counter",
		 "Clients the daemon closed itself: refused at connect (--max-clients, "
		 "--max-clients-per-user, --admin-reserve), idle or not reading for "
		 "--client-timeout, or past a bound of unsent bytes.",
		 "reason", drop_names, m->clients_dropped, SHMW_MD_NREASONS);
	labelled(f, P "client_unsent_bytes", "gauge",
		 "Memory of the buffers of answers to clients (unsent bytes and room for more): "
		 "of root's and the admin group's (at most 64 MiB), of other users' (at most "
		 "16 MiB).",
		 "class", class_names, m->client_unsent_bytes, SHMW_MC_NCLASSES);
	labelled(f, P "alerts_total", "counter",
		 "Alerts raised (logged, and run through --alert-exec when set), by type; "
		 "linger_end is the all-clear for a linger alert.",
		 "alert", alert_names, m->alerts, SHMW_MA_NALERTS);
	single(f, P "alert_hooks_started_total", "counter", "--alert-exec hook processes started.",
	       h->started);
	labelled(f, P "alert_hooks_finished_total", "counter",
		 "--alert-exec hooks that ended: exit status 0, non-zero exit or killed by a "
		 "signal, or killed by shmwatchd after the timeout.",
		 "result", results, finished, 3);
	single(f, P "alert_hooks_dropped_total", "counter",
	       "Alerts whose --alert-exec hook never ran: every hook slot was taken and the queue "
	       "(--alert-queue) was full.",
	       h->dropped);
	single(f, P "alert_hooks_spawn_errors_total", "counter",
	       "--alert-exec hooks that could not be started (out of memory, fork or exec "
	       "failed).",
	       h->spawn_errors);
	single(f, P "alert_hooks_running", "gauge", "--alert-exec hooks running now.", h->running);
	single(f, P "alert_hooks_queued", "gauge",
	       "Alerts waiting for a free --alert-exec slot now (at most --alert-queue).",
	       h->queued);
	single(f, P "log_write_errors_total", "counter",
	       "Event log lines that could not be written (a full disk, an I/O error, a reader "
	       "that stopped reading the log's pipe).",
	       m->log_errors);
	single(f, P "log_partial_lines_cut_total", "counter",
	       "Writes of the event log that a full disk took only in part: the file was cut back "
	       "to its last whole line (the lines lost are in log_write_errors_total).",
	       m->log_cuts);
	family(f, P "start_time_seconds", "gauge",
	       "When the daemon started, in seconds since the Unix epoch.");
	sample_double(f, P "start_time_seconds", m->start_time_s);
	family(f, P "info", "gauge", "Daemon version and tracing mode; the value is always 1.");
	fputs(P "info{version=\"", f);
	put_label_value(f, m->version ? m->version : "");
	fputs("\",mode=\"", f);
	put_label_value(f, m->mode ? m->mode : "");
	fputs("\"} 1\n", f);
}

char *shmw_metrics_render(const struct shmw_metrics *m)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	bool bad;

	if (!m) {
		errno = EINVAL;
		return NULL;
	}
	f = open_memstream(&text, &len);
	if (!f)
		return NULL;
	render(f, m);
	/* A memstream fails only for lack of memory; ferror and fclose both tell. */
	bad = ferror(f);
	if (fclose(f) || bad) {
		free(text);
		errno = ENOMEM;
		return NULL;
	}
	return text;
}

static int write_all(int fd, const char *s, size_t len)
{
	while (len) {
		ssize_t n = write(fd, s, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		if (n == 0)
			return -EIO;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

int shmw_metrics_write_file(const char *path, const char *text)
{
	char *tmp;
	int fd, err;

	if (!path || !*path || !text)
		return -EINVAL;
	if (asprintf(&tmp, "%s.tmp.%d", path, (int)getpid()) < 0)
		return -ENOMEM;
	/* O_NOFOLLOW: a symlink planted at the temp name must not redirect the write. No
	 * O_EXCL: a temp file left by a crash of an earlier daemon with the same pid is ours
	 * to overwrite. */
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		err = -errno;
		free(tmp);
		return err;
	}
	/* The daemon's umask may be strict (for its socket); node_exporter runs as another
	 * user and must be able to read the file. */
	err = fchmod(fd, 0644) ? -errno : 0;
	if (!err)
		err = write_all(fd, text, strlen(text));
	/* Without fsync a crash soon after the rename can leave an empty file behind the new
	 * name. The directory is not fsynced: losing the rename in a crash only brings back the
	 * previous, complete file, and the next interval rewrites it. */
	if (!err && fsync(fd))
		err = -errno;
	if (close(fd) && !err)
		err = -errno;
	if (!err && rename(tmp, path))
		err = -errno;
	if (err)
		unlink(tmp);
	free(tmp);
	return err;
}

int shmw_metrics_check_path(const char *path, char *err, size_t errlen)
{
	const char *slash = strrchr(path, '/');
	char dir[4096];
	struct stat st;

	if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
		snprintf(err, errlen,
			 "%s is a symbolic link: not followed (give the file's own path)", path);
		return -ELOOP;
	}
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
	if (stat(dir, &st) < 0) {
		int e = errno;

		if (e == ENOENT)
			snprintf(err, errlen, "directory %s does not exist (it is not created)",
				 dir);
		else
			snprintf(err, errlen, "directory %s: %s", dir, strerror(e));
		return -e;
	}
	if (!S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s is not a directory", dir);
		return -ENOTDIR;
	}
	return 0;
}

void shmw_metrics_file_result(const char *path, int ret)
{
	/* One daemon writes one metrics file. */
	static bool failing;

	if (!ret) {
		if (failing)
			log_info("--metrics-file %s: written again", path);
		failing = false;
		return;
	}
	if (failing)
		return;
	failing = true;
	if (ret == -ELOOP)
		log_warn("--metrics-file %s: a symbolic link is in the way of its temporary file "
			 "(%s.tmp.%d): not followed; not writing it (further failures are not "
			 "logged)",
			 path, path, (int)getpid());
	else
		log_warn("--metrics-file %s: %s (further failures are not logged)", path,
			 strerror(-ret));
}
