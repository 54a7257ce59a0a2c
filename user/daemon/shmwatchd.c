// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * shmwatchd: loads the BPF side, learns what already exists, then serves queries and the
 * event log from one epoll loop (ring buffer, signals, a 1 s timer, the client socket).
 */
#include <errno.h>
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <systemd/sd-daemon.h>
#include "alert_exec.h"
#include "daemon.h"
#include "eventlog.h"
#include "history.h"
#include "log.h"
#include "loop.h"
#include "metrics.h"
#include "privs.h"
#include "procinfo.h"
#include "requests.h"
#include "server.h"
#include "timefmt.h"

#define TICK_MS 250 /* linger alerts are due within a second of their time */
/* The BPF side wakes us at most once a millisecond (emit in bpf/shmwatch.bpf.c): a record
 * made within 1 ms of one that woke us comes without a wakeup. So for FOLLOWUP_MS after we last
 * read a record we look at the ring ourselves; a record is then never late by more. */
#define FOLLOWUP_MS 2

static void on_ring(struct shmw_watch *w, uint32_t events)
{
	(void)events;
	shmw_daemon_drain(w->ctx);
}

static void on_signal(struct shmw_watch *w, uint32_t events)
{
	struct shmw_daemon *d = w->ctx;
	struct signalfd_siginfo si;
	(void)events;

	while (read(w->fd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGCHLD) {
			if (d->pub.hooks)
				shmw_hooks_reap(d->pub.hooks);
			continue;
		}
		if (si.ssi_signo == SIGHUP) {
			log_info("SIGHUP: reopening the event log");
			shmw_eventlog_reopen(d->pub.log);
			continue;
		}
		log_info("%s: shutting down", strsignal((int)si.ssi_signo));
		d->quit = true;
	}
}

static void on_timer(struct shmw_watch *w, uint32_t events)
{
	uint64_t ticks;
	(void)events;

	if (read(w->fd, &ticks, sizeof(ticks)) == sizeof(ticks))
		shmw_daemon_tick(w->ctx);
}

static int setup_fds(struct shmw_daemon *d, struct shmw_watch *sig, struct shmw_watch *tmr,
		     struct shmw_watch *ring)
{
	struct itimerspec its = {.it_interval = {TICK_MS / 1000, (TICK_MS % 1000) * SHMW_NS_PER_MS},
				 .it_value = {TICK_MS / 1000, (TICK_MS % 1000) * SHMW_NS_PER_MS}};
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGHUP);
	sigaddset(&mask, SIGCHLD); /* --alert-exec hooks ending */
	if (sigprocmask(SIG_BLOCK, &mask, NULL))
		return -errno;
	signal(SIGPIPE, SIG_IGN); /* a reader of `--log-file -` may go away */
	sig->fd = signalfd(-1, &mask, SFD_NONBLOCK | SFD_CLOEXEC);
	tmr->fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (sig->fd < 0 || tmr->fd < 0 || timerfd_settime(tmr->fd, 0, &its, NULL))
		return -errno;
	sig->fn = on_signal;
	sig->ctx = d;
	tmr->fn = on_timer;
	tmr->ctx = d;
	ring->fd = shmw_bpf_ring_fd(&d->bpf);
	ring->fn = on_ring;
	ring->ctx = d;
	if (shmw_loop_add(sig, EPOLLIN) || shmw_loop_add(tmr, EPOLLIN) ||
	    shmw_loop_add(ring, EPOLLIN))
		return -errno;
	return 0;
}

int main(int argc, char **argv)
{
	struct shmw_watch sig = {.fd = -1}, tmr = {.fd = -1}, ring = {.fd = -1};
	struct shmw_bpf_opts bo;
	struct shmw_daemon d;
	char err[512] = "";
	int ret, status = 1;
	uint64_t last_read = 0;
	bool followup = false;

	/* A fixed threshold: glibc otherwise raises it when libbpf frees vmlinux BTF (megabytes,
	 * parsed once per load attempt), so later big blocks come from the heap and stay resident
	 * after free (about 9 MB of RssAnon for the life of the daemon, measured). */
	mallopt(M_MMAP_THRESHOLD, 128 * 1024);
	memset(&d, 0, sizeof(d));
	ret = shmw_daemon_opts_parse(argc, argv, &d.opts);
	if (ret)
		return ret == 1 ? 0 : 2;
	shmw_log_init("shmwatchd", d.opts.verbosity);
	/* Under load (a storm of attaches on every CPU) a daemon with a fair share falls behind the
	 * ring buffer and loses events, which it then repairs by walking every task: measured on
	 * 2 CPUs (with the forced wakeups of bpf/shmwatch.bpf.c emit), nice -5 kept up where nice 0
	 * lost 1-15% (docs/benchmarks.md). */
	if (d.opts.priority_boost) {
		errno = 0;
		if (nice(-(int)d.opts.priority_boost) == -1 && errno)
			log_warn("--priority-boost: cannot raise the priority: %s",
				 strerror(errno));
	}
	d.started_real = shmw_now_real();
	d.started_mono = shmw_mono_ns();
	shmw_state_init(&d.state);
	{
		struct shmw_life_opts lo = {
		    .linger_after = (uint64_t)d.opts.linger_after * SHMW_NS_PER_SEC,
		    .realert = (uint64_t)d.opts.realert * SHMW_NS_PER_SEC,
		    .orphan_after = (uint64_t)d.opts.orphan_after * SHMW_NS_PER_SEC,
		};

		shmw_life_init(&d.life, &lo, shmw_daemon_on_life, &d);
	}
	if (d.opts.alert_exec) {
		d.pub.hooks = shmw_hooks_new(d.opts.alert_exec, d.opts.alert_timeout,
					     SHMW_HOOKS_RUNNING, d.opts.alert_queue);
		if (!d.pub.hooks) {
			log_err("--alert-exec: %s", strerror(errno));
			return 1;
		}
	}
	d.pub.alert_queue = d.opts.alert_queue;
	shmw_publish_init(&d.pub, d.opts.recent); /* without memory: no recent lines */
	if (geteuid() != 0)
		log_warn("not running as root: loading BPF will most likely fail");
	if (shmw_loop_init()) {
		log_err("epoll: %s", strerror(errno));
		return 1;
	}
	/* The socket first: a second daemon is refused before it touches BPF or the log. */
	{
		struct shmw_server_opts so = {
		    .max_clients = d.opts.max_clients,
		    .max_per_user = d.opts.max_clients_per_user,
		    .admin_reserve = d.opts.admin_reserve,
		    .timeout_s = d.opts.client_timeout,
		    /* Only the default directory is made: a mistyped --socket fails. */
		    .make_dir = !strcmp(d.opts.socket_path, SHMW_DEFAULT_SOCKET),
		};

		d.pub.server = shmw_server_open(d.opts.socket_path, &so, shmw_requests_handle, &d,
						err, sizeof(err));
	}
	if (!d.pub.server) {
		log_err("%s", err);
		goto out;
	}
	if (d.opts.admin_group) {
		uint32_t gid;

		if (shmw_group_gid(d.opts.admin_group, &gid) <= 0) {
			log_err("--admin-group: no group '%s'", d.opts.admin_group);
			goto out;
		}
		shmw_server_set_admin_group(d.pub.server, gid);
	}
	/* Only the default directory is made: a mistyped --log-file fails, naming it. */
	d.pub.log = shmw_eventlog_open(
	    d.opts.log_path, d.opts.log_max_bytes, d.opts.log_keep,
	    SHMW_EVENTLOG_GZIP |
		(strcmp(d.opts.log_path, SHMW_DEFAULT_LOG) ? 0 : SHMW_EVENTLOG_MKDIR),
	    err, sizeof(err));
	if (!d.pub.log) {
		log_err("event log: %s", err);
		goto out;
	}
	if (d.opts.metrics_file && shmw_metrics_check_path(d.opts.metrics_file, err, sizeof(err))) {
		log_err("--metrics-file: %s", err);
		goto out;
	}
	bo.mode = d.opts.mode;
	bo.max_mms = d.opts.max_mms;
	bo.max_sharers = d.opts.max_sharers;
	bo.max_holdings = d.opts.max_holdings;
	bo.max_segs = d.opts.max_segs;
	bo.ring_bytes = d.opts.ring_bytes;
	ret = shmw_bpf_start(&d.bpf, &bo, shmw_daemon_on_sample, &d, err, sizeof(err));
	if (ret) {
		log_err("%s", err);
		goto out;
	}
	log_info("BPF loaded: %s mode (%s)", d.bpf.mode, d.bpf.mode_reason);
	malloc_trim(0); /* what loading freed goes back to the system */
	log_debug("start-up: BPF loaded after %.1f ms",
		  (double)(shmw_mono_ns() - d.started_mono) / SHMW_NS_PER_MS);
	if (shmw_daemon_seed(&d))
		goto out;
	log_debug("start-up: seeded after %.1f ms",
		  (double)(shmw_mono_ns() - d.started_mono) / SHMW_NS_PER_MS);
	/* The first periodic verify is one interval after start, not at the first tick. */
	d.last_verify = shmw_mono_ns();
	ret = setup_fds(&d, &sig, &tmr, &ring);
	if (ret) {
		log_err("event loop setup: %s", strerror(-ret));
		goto out;
	}
	/* Loaded, attached, mounted, bound: from here on the daemon needs far less. */
	if (shmw_drop_privileges(err, sizeof(err))) {
		log_err("%s", err);
		goto out;
	}
	/* Threads only now: each keeps the capabilities of the thread that made it. */
	shmw_eventlog_compress_pending(d.pub.log);
	if (strcmp(d.opts.log_path, "-") != 0) {
		d.hist = shmw_history_open(d.opts.log_path, err, sizeof(err));
		if (!d.hist) {
			log_err("%s", err);
			goto out;
		}
	}
	log_info("ready: %zu address spaces hold %llu attachments of %zu segments; socket %s, "
		 "log %s",
		 shmw_state_nmms(&d.state), (unsigned long long)d.state.nholdings,
		 shmw_state_nsegs(&d.state), d.opts.socket_path, d.opts.log_path);
	sd_notifyf(0, "READY=1\nSTATUS=tracking %llu attachments",
		   (unsigned long long)d.state.nholdings);
	/* Records may have come without a wakeup while we started. */
	last_read = shmw_mono_ns();
	followup = true;
	while (!d.quit) {
		uint64_t seen = d.events, now;

		ret = shmw_loop_once(followup ? FOLLOWUP_MS : -1);
		if (followup)
			shmw_daemon_drain(&d); /* records that came without a wakeup */
		now = shmw_mono_ns();
		if (d.events != seen)
			last_read = now;
		followup = now - last_read < FOLLOWUP_MS * SHMW_NS_PER_MS;
		shmw_server_reap(d.pub.server);
		shmw_server_tick(d.pub.server); /* idle and stalled clients */
		if (ret) {
			log_err("event loop: %s", strerror(-ret));
			goto out;
		}
	}
	status = 0;
out:
	sd_notify(0, "STOPPING=1");
	shmw_history_close(d.hist); /* lets go of the clients it holds, before they are freed */
	shmw_server_close(d.pub.server);
	if (d.bpf.skel)
		shmw_bpf_stop(&d.bpf);
	if (d.pub.log)
		shmw_eventlog_close(d.pub.log);
	shmw_state_clear(&d.state);
	shmw_life_clear(&d.life);
	if (d.pub.hooks)
		shmw_hooks_free(d.pub.hooks);
	shmw_publish_fini(&d.pub);
	free(d.resync_pids);
	if (sig.fd >= 0)
		close(sig.fd);
	if (tmr.fd >= 0)
		close(tmr.fd);
	shmw_loop_fini();
	return status;
}
