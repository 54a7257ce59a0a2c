// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Open, size, load, attach; one cleanup path (see loader.h). */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "kallsyms.h"
#include "kfeatures.h"
#include "ksym_bpf.h"
#include "loader.h"
#include "log.h"
#include "mapshare.h"
#include "mounts.h"
#include "timefmt.h"
#include "shmwatch.skel.h"

static bool probing; /* trying fentry under --mode auto: a refusal is expected, not a warning */

/* libbpf speaks through our log: warnings as warnings, the rest at debug level. A message
 * can hold a whole verifier log (megabytes): it is formatted whole, not into a fixed buffer. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	int prio = level == LIBBPF_WARN && !probing ? LOG_WARNING : LOG_DEBUG;
	char *msg = NULL;
	int n;

	n = vasprintf(&msg, fmt, ap);
	if (n < 0)
		return 0;
	if (n && msg[n - 1] == '\n')
		msg[n - 1] = 0;
	shmw_log_lines(prio, msg); /* has "libbpf: "; the verifier log has many lines */
	free(msg);
	return 0;
}

static bool tracepoint_exists(const char *category, const char *event)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/events/%s/%s/format", shmw_tracefs(), category, event);
	return access(path, F_OK) == 0;
}

/* The syscalls on_vma_call runs on (bpf/shmwatch.bpf.c), at entry and exit, each with its
 * cookie: one program verified instead of one per call. */
static const struct {
	const char *name;
	enum shmw_call call;
} vma_calls[] = {
    {"munmap", SHMW_CALL_MUNMAP},
    {"mremap", SHMW_CALL_MREMAP},
    {"mmap", SHMW_CALL_MMAP},
    {"madvise", SHMW_CALL_MADVISE},
    {"remap_file_pages", SHMW_CALL_REMAP_FILE_PAGES},
    {"shmat", SHMW_CALL_SHMAT},
    {"shmdt", SHMW_CALL_SHMDT},
    {"mprotect", SHMW_CALL_SPLIT},
    {"pkey_mprotect", SHMW_CALL_SPLIT},
    {"mlock", SHMW_CALL_SPLIT},
    {"mlock2", SHMW_CALL_SPLIT},
    {"munlock", SHMW_CALL_SPLIT},
    {"mbind", SHMW_CALL_SPLIT},
    {"mseal", SHMW_CALL_SPLIT},
    /* Takes (start, len) as mprotect does, and cuts VMAs that have a bind policy. */
    {"set_mempolicy_home_node", SHMW_CALL_SPLIT},
};
_Static_assert(2 * sizeof(vma_calls) / sizeof(vma_calls[0]) <= SHMW_MAX_LINKS,
	       "a link at entry and at exit of each call");

/* Attaches prog to sys_enter_NAME and sys_exit_NAME of each call this kernel has (no mseal
 * before 6.10: then the call cannot happen). */
static int attach_vma_calls(struct shmw_bpf *b, struct bpf_program *prog)
{
	char tp[64];

	for (size_t i = 0; i < sizeof(vma_calls) / sizeof(vma_calls[0]); i++) {
		for (int exit = 0; exit < 2; exit++) {
			LIBBPF_OPTS(bpf_tracepoint_opts, o);
			struct bpf_link *l;

			snprintf(tp, sizeof(tp), "sys_%s_%s", exit ? "exit" : "enter",
				 vma_calls[i].name);
			if (!tracepoint_exists("syscalls", tp))
				continue;
			if (b->nlinks == SHMW_MAX_LINKS)
				return -E2BIG;
			o.bpf_cookie = vma_calls[i].call | (exit ? SHMW_CALL_EXIT : 0);
			l = bpf_program__attach_tracepoint_opts(prog, "syscalls", tp, &o);
			if (!l)
				return -errno;
			b->links[b->nlinks++] = l;
		}
	}
	return 0;
}

static void detach_more(struct shmw_bpf *b)
{
	while (b->nlinks)
		bpf_link__destroy(b->links[--b->nlinks]);
}

/*
 * Chooses the programs of a mode: fentry mode counts in ipc/shm.c (bpf/fentry.bpf.h, whose
 * programs are SEC("?...") and load only when asked); tracepoint mode recounts VMA ranges
 * around every syscall that can change them (on_vma_call). Everything else (fork, exec, exit,
 * exit_mmap, shmget, shmctl, uid and name changes, the iterators) runs in both. Syscall
 * tracepoint programs whose syscall this kernel lacks are not loaded: those calls then cannot
 * happen, so nothing is missed.
 */
static void select_programs(struct shmwatch *skel, enum shmw_mode mode)
{
	bool fentry = mode == SHMW_MODE_FENTRY;
	struct bpf_program *prog;

	bpf_program__set_autoload(skel->progs.fx_shm_mmap, fentry);
	bpf_program__set_autoload(skel->progs.fx_shm_open, fentry);
	bpf_program__set_autoload(skel->progs.fx_shm_close, fentry);
	bpf_program__set_autoload(skel->progs.on_vma_call, !fentry);
	bpf_object__for_each_program(prog, skel->obj)
	{
		const char *sec = bpf_program__section_name(prog);

		if (prog != skel->progs.on_vma_call && !strncmp(sec, "tracepoint/syscalls/", 20) &&
		    !tracepoint_exists("syscalls", sec + 20)) {
			log_info("kernel has no %s tracepoint: not tracing it", sec + 20);
			bpf_program__set_autoload(prog, false);
		}
	}
}

/* Start-up phases at debug level, in ms since shmw_bpf_start began (docs/design.md, "Start-up").
 */
static uint64_t t_start;

static void phase(const char *what)
{
	log_debug("start-up: %s after %.1f ms", what,
		  (double)(shmw_mono_ns() - t_start) / SHMW_NS_PER_MS);
}

const char *shmw_mode_name(enum shmw_mode m)
{
	switch (m) {
	case SHMW_MODE_FENTRY:
		return "fentry";
	case SHMW_MODE_TRACEPOINT:
		return "tracepoint";
	default:
		return "auto";
	}
}

int shmw_mode_parse(const char *s, enum shmw_mode *m)
{
	static const enum shmw_mode all[] = {SHMW_MODE_AUTO, SHMW_MODE_FENTRY,
					     SHMW_MODE_TRACEPOINT};

	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		if (!strcmp(s, shmw_mode_name(all[i]))) {
			*m = all[i];
			return 0;
		}
	}
	return -EINVAL;
}

/* "EPERM" rather than a sentence: the reason shows in status and metrics. */
static const char *errname(int err)
{
	const char *n = strerrorname_np(err);

	return n ? n : "unknown error";
}

/* Refuses to start on a kernel that cannot work at all, naming what it lacks. */
static int probe_features(char *err, size_t errlen)
{
	struct shmw_features f;

	shmw_features_btf(&f, SHMW_BTF_PATH);
	f.ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL);
	return shmw_features_missing(&f, err, errlen) ? -ENOTSUP : 0;
}

/*
 * --mode auto's look (0.2 ms) before trying fentry mode (~50 ms: a second open of the object,
 * its maps, its first programs): a one-instruction fexit program with no target. A kernel that
 * allows fentry refuses that one for its missing target (EINVAL); the capability checks that
 * come before (EPERM) pass for the tp_btf programs of tracepoint mode too. EPERM thus means the
 * kernel refuses fexit programs as such, before it looks at what they trace (our 6.18 hosts):
 * ours would be refused the same way. Returns EPERM then, else 0 (try fentry mode).
 */
static int fexit_refused(void)
{
	const struct bpf_insn insns[] = {
	    {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0},
	    {.code = BPF_JMP | BPF_EXIT},
	};
	LIBBPF_OPTS(bpf_prog_load_opts, o, .expected_attach_type = BPF_TRACE_FEXIT);
	int fd = bpf_prog_load(BPF_PROG_TYPE_TRACING, NULL, "GPL", insns, 2, &o);

	if (fd >= 0) {
		close(fd);
		return 0;
	}
	return errno == EPERM ? EPERM : 0;
}

/*
 * The kernel verifies one program at a time per load, and verifying is most of our start-up
 * (docs/design.md, "Start-up"). Two instances of the object, sharing one set of maps, each
 * load part of the programs, in two threads: the other instance takes on_vma_call (half of
 * the verifier's time) in tracepoint mode; in fentry mode, which has no on_vma_call,
 * on_exit_mmap and on_fork.
 */
static bool for_twin(const struct shmwatch *skel, const struct bpf_program *p, enum shmw_mode mode)
{
	if (mode == SHMW_MODE_TRACEPOINT)
		return p == skel->progs.on_vma_call;
	return p == skel->progs.on_exit_mmap || p == skel->progs.on_fork;
}

/* Splits the programs skel would load between skel and twin (opened and sized the same way),
 * with skel's attach choices. */
static void split_programs(struct shmwatch *skel, struct shmwatch *twin, enum shmw_mode mode)
{
	struct bpf_program *p, *t = NULL;

	bpf_object__for_each_program(p, skel->obj)
	{
		bool load = bpf_program__autoload(p);

		t = bpf_object__next_program(twin->obj, t);
		if (!t)
			break;
		bpf_program__set_autoload(t, load && for_twin(skel, p, mode));
		bpf_program__set_autoload(p, load && !for_twin(skel, p, mode));
		bpf_program__set_autoattach(t, bpf_program__autoattach(p));
	}
}

struct twin_load {
	struct shmwatch *skel;
	int ret;
};

static void *load_twin(void *arg)
{
	struct twin_load *l = arg;

	l->ret = shmwatch__load(l->skel);
	phase("the second instance loaded");
	return NULL;
}

/* Loads skel here and twin in a thread at once (twin NULL: skel alone). Returns 0 or -errno. */
static int load_both(struct shmwatch *skel, struct shmwatch *twin)
{
	struct twin_load l = {.skel = twin};
	pthread_t th;
	int ret, tret;

	if (!twin)
		return shmwatch__load(skel);
	tret = pthread_create(&th, NULL, load_twin, &l);
	if (tret)
		l.ret = shmwatch__load(twin); /* no thread: one after the other */
	ret = shmwatch__load(skel);
	phase("the first instance loaded");
	if (!tret)
		pthread_join(th, NULL);
	return ret ? ret : l.ret;
}

/* Opens the object, sizes its maps and sets its constants for mode. NULL with errno. Which
 * programs load is chosen after. */
static struct shmwatch *open_sized(const struct shmw_bpf *b, const struct shmw_bpf_opts *opts,
				   enum shmw_mode mode)
{
	struct shmwatch *skel = shmwatch__open();

	if (!skel)
		return NULL;
	skel->rodata->shm_mmap_addr = b->shm_mmap_addr;
	/* SHMWATCH_NO_VMA_ITER=1 takes the older kernels' path here too, to test it. */
	skel->rodata->no_vma_iter = getenv("SHMWATCH_NO_VMA_ITER") != NULL;
	skel->rodata->shm_close_addr = b->shm_close_addr;
	skel->rodata->fentry_mode = mode == SHMW_MODE_FENTRY;
	/* Maps without preallocation (BPF_F_NO_PREALLOC): a bound costs only its buckets. */
	if (bpf_map__set_max_entries(skel->maps.mms, opts->max_mms) ||
	    bpf_map__set_max_entries(skel->maps.holds, opts->max_holdings) ||
	    bpf_map__set_max_entries(skel->maps.mm_list, opts->max_holdings) ||
	    bpf_map__set_max_entries(skel->maps.segs, opts->max_segs) ||
	    bpf_map__set_max_entries(skel->maps.sharers, opts->max_sharers) ||
	    bpf_map__set_max_entries(skel->maps.owners, opts->max_sharers) ||
	    bpf_map__set_max_entries(skel->maps.events, opts->ring_bytes)) {
		shmwatch__destroy(skel);
		errno = EINVAL;
		return NULL;
	}
	return skel;
}

/* Opens, sizes, loads and attaches the programs of one mode (fentry or tracepoint). On failure
 * returns -errno with the reason in err, stage ("load", "attach") in *stage, and leaves nothing
 * behind. */
static int load_mode(struct shmw_bpf *b, const struct shmw_bpf_opts *opts, enum shmw_mode mode,
		     shmw_sample_fn sample_cb, void *ctx, const char **stage, char *err,
		     size_t errlen)
{
	/* SHMWATCH_ONE_LOAD=1: one instance, one load (to compare them). */
	bool one_load = getenv("SHMWATCH_ONE_LOAD") != NULL;
	struct shmwatch *skel, *twin = NULL;
	int ret;

	*stage = "open";
	phase("opening the BPF object");
	skel = open_sized(b, opts, mode);
	if (!skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open BPF object: %s", strerror(errno));
		return ret;
	}
	select_programs(skel, mode);
	/* Attached with cookies below, not by the skeleton to its section's tracepoint. */
	bpf_program__set_autoattach(skel->progs.on_vma_call, false);
	twin = one_load ? NULL : open_sized(b, opts, mode);
	if (!twin && !one_load)
		log_debug("cannot open a second instance of the BPF object (%s): one load",
			  strerror(errno));
	if (twin) {
		ret = shmw_maps_share(skel->obj, twin->obj, err, errlen);
		if (ret)
			goto fail;
		split_programs(skel, twin, mode);
	}
	phase("BPF object opened");
	*stage = "load";
	ret = load_both(skel, twin);
	if (ret) {
		snprintf(err, errlen, "cannot load BPF programs: %s", strerror(-ret));
		goto fail;
	}
	phase("BPF programs loaded");
	*stage = "attach";
	ret = shmwatch__attach(skel);
	if (!ret && twin)
		ret = shmwatch__attach(twin);
	if (ret) {
		snprintf(err, errlen, "cannot attach BPF programs: %s", strerror(-ret));
		goto fail;
	}
	if (mode == SHMW_MODE_TRACEPOINT) {
		ret = attach_vma_calls(b, twin ? twin->progs.on_vma_call : skel->progs.on_vma_call);
		if (ret) {
			snprintf(err, errlen, "cannot attach BPF programs: %s", strerror(-ret));
			goto fail;
		}
	}
	*stage = "start";
	/* The skeleton attached the iterator programs too: those links are the all-task walks. */
	b->iter_all = skel->links.seed_walk;
	b->iter_ns = skel->links.ns_walk;
	if (!b->iter_all || !b->iter_ns) {
		ret = -ENOENT;
		snprintf(err, errlen, "cannot create the task VMA iterator");
		goto fail;
	}
	b->rb = ring_buffer__new(bpf_map__fd(skel->maps.events), sample_cb, ctx, NULL);
	if (!b->rb) {
		ret = -errno;
		snprintf(err, errlen, "cannot map the ring buffer: %s", strerror(errno));
		goto fail;
	}
	b->skel = skel;
	b->twin = twin;
	return 0;
fail:
	b->iter_all = NULL;
	b->iter_ns = NULL;
	detach_more(b);
	shmwatch__destroy(twin);
	shmwatch__destroy(skel);
	return ret;
}

int shmw_bpf_start(struct shmw_bpf *b, const struct shmw_bpf_opts *opts, shmw_sample_fn sample_cb,
		   void *ctx, char *err, size_t errlen)
{
	/* Read in one pass. The open-coded VMA iterator (6.7+) is a kernel function: without it
	 * VMA changes are counted by walks the BPF side asks user space for (rescan.c). */
	struct shmw_ksym ks[] = {
	    {.name = "shm_mmap"}, {.name = "shm_close"}, {.name = "bpf_iter_task_vma_new"}};
	const char *stage = "";
	int ret;

	memset(b, 0, sizeof(*b));
	t_start = shmw_mono_ns();
	libbpf_set_print(libbpf_print);
	ret = probe_features(err, errlen);
	if (ret)
		return ret;
	ret = shmw_ensure_mounts(err, errlen);
	if (ret)
		return ret;
	phase("features probed, mounts checked");
	/* Asked of the kernel by a syscall program (5.16+), else read from /proc/kallsyms. */
	probing = true;
	ret = shmw_ksyms_bpf(ks, sizeof(ks) / sizeof(ks[0]));
	probing = false;
	if (ret) {
		log_debug("kernel symbol lookup by BPF: %s; reading /proc/kallsyms",
			  strerror(-ret));
		ret = shmw_ksyms("/proc/kallsyms", ks, sizeof(ks) / sizeof(ks[0]));
	}
	if (!ret)
		ret = ks[0].err;
	b->shm_mmap_addr = ks[0].addr;
	phase("kernel symbols found");
	if (ret) {
		snprintf(err, errlen,
			 "cannot find shm_mmap in /proc/kallsyms (%s): is CONFIG_SYSVIPC set, and "
			 "are we root?",
			 ret == -EPERM ? "addresses hidden" : strerror(-ret));
		return ret;
	}

	if (opts->mode != SHMW_MODE_TRACEPOINT) {
		ret = ks[1].err;
		b->shm_close_addr = ks[1].addr;
		if (ret) {
			stage = "setup";
			snprintf(err, errlen, "cannot find shm_close in /proc/kallsyms: %s",
				 strerror(-ret));
		} else if (opts->mode == SHMW_MODE_AUTO && fexit_refused()) {
			ret = -EPERM;
			stage = "load of a probe fexit program";
			snprintf(err, errlen, "the kernel refuses an fexit program with no target");
			phase("fentry mode refused (probe)");
		} else {
			probing = opts->mode == SHMW_MODE_AUTO;
			ret = load_mode(b, opts, SHMW_MODE_FENTRY, sample_cb, ctx, &stage, err,
					errlen);
			probing = false;
			phase(ret ? "fentry mode refused" : "fentry mode loaded and attached");
		}
		if (!ret) {
			b->mode = "fentry";
			snprintf(
			    b->mode_reason, sizeof(b->mode_reason), "%s",
			    opts->mode == SHMW_MODE_FENTRY
				? "forced by --mode fentry"
				: "the kernel allows fexit on shm_mmap, shm_open and shm_close");
			return 0;
		}
		if (opts->mode == SHMW_MODE_FENTRY) {
			char why[256];

			snprintf(why, sizeof(why), "%s", err);
			snprintf(
			    err, errlen,
			    "fentry mode refused by this kernel at %s (%s): %s (--mode auto falls "
			    "back to tracepoint mode; run with -v for libbpf's log)",
			    stage, errname(-ret), why);
			return ret;
		}
		log_debug("fentry mode refused at %s (%s): %s", stage, errname(-ret), err);
		snprintf(b->mode_reason, sizeof(b->mode_reason), "fentry refused: %s at %s",
			 errname(-ret), stage);
	} else {
		snprintf(b->mode_reason, sizeof(b->mode_reason), "forced by --mode tracepoint");
	}
	ret = load_mode(b, opts, SHMW_MODE_TRACEPOINT, sample_cb, ctx, &stage, err, errlen);
	if (ret) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen,
			 "%s (the kernel needs BTF, ring buffers and BPF iterators: Linux 6.1 or "
			 "later; run with -v for the verifier log)",
			 why);
		return ret;
	}
	b->mode = "tracepoint";
	phase("tracepoint mode loaded and attached");
	b->rescans = getenv("SHMWATCH_NO_VMA_ITER") || ks[2].err;
	if (b->rescans) {
		size_t n = strlen(b->mode_reason);

		/* Say how VMA changes are counted here: by walks on request (Linux < 6.7). */
		snprintf(b->mode_reason + n, sizeof(b->mode_reason) - n,
			 "; no VMA iterator: VMA changes recounted by walks on request");
	}
	return 0;
}

void shmw_bpf_stop(struct shmw_bpf *b)
{
	ring_buffer__free(b->rb);
	detach_more(b);
	shmwatch__destroy(b->twin);
	shmwatch__destroy(b->skel);
	memset(b, 0, sizeof(*b));
}

int shmw_bpf_ring_fd(const struct shmw_bpf *b)
{
	return ring_buffer__epoll_fd(b->rb);
}

int shmw_bpf_consume(struct shmw_bpf *b)
{
	return ring_buffer__consume(b->rb);
}

int shmw_bpf_stats(const struct shmw_bpf *b, uint64_t out[SHMW_STAT_MAX])
{
	int ncpu = libbpf_num_possible_cpus();
	int fd = bpf_map__fd(b->skel->maps.stats);

	if (ncpu <= 0)
		return ncpu;
	uint64_t vals[ncpu];

	for (uint32_t i = 0; i < SHMW_STAT_MAX; i++) {
		out[i] = 0;
		if (bpf_map_lookup_elem(fd, &i, vals))
			return -errno;
		for (int c = 0; c < ncpu; c++)
			out[i] += vals[c];
	}
	return 0;
}

void shmw_bpf_set_seeding(struct shmw_bpf *b, bool on)
{
	__atomic_store_n(&b->skel->data->seeding, on ? 1 : 0, __ATOMIC_SEQ_CST);
}

uint64_t shmw_bpf_version(const struct shmw_bpf *b)
{
	return __atomic_load_n(&b->skel->bss->version_counter, __ATOMIC_SEQ_CST);
}

/* Reads an iterator to its end; the program does its work as it is read. */
static int drain_iter(struct bpf_link *link)
{
	char buf[4096];
	int fd = bpf_iter_create(bpf_link__fd(link));
	ssize_t n;

	if (fd < 0)
		return -errno;
	for (;;) {
		n = read(fd, buf, sizeof(buf));
		if (n > 0)
			continue;
		if (n == 0)
			break;
		/* EAGAIN: the kernel stops after many objects with nothing read; go on. */
		if (errno == EAGAIN || errno == EINTR)
			continue;
		n = -errno;
		close(fd);
		return (int)n;
	}
	close(fd);
	return 0;
}

int shmw_bpf_walk(struct shmw_bpf *b, pid_t pid)
{
	DECLARE_LIBBPF_OPTS(bpf_iter_attach_opts, opts);
	union bpf_iter_link_info linfo;
	struct bpf_link *link;
	int ret;

	if (!pid)
		return drain_iter(b->iter_all);
	memset(&linfo, 0, sizeof(linfo));
	linfo.task.pid = pid;
	opts.link_info = &linfo;
	opts.link_info_len = sizeof(linfo);
	link = bpf_program__attach_iter(b->skel->progs.seed_walk, &opts);
	if (!link)
		return -errno;
	ret = drain_iter(link);
	bpf_link__destroy(link);
	return ret;
}

int shmw_bpf_mms_fd(const struct shmw_bpf *b)
{
	return bpf_map__fd(b->skel->maps.mms);
}

int shmw_bpf_holds_fd(const struct shmw_bpf *b)
{
	return bpf_map__fd(b->skel->maps.holds);
}

int shmw_bpf_list_fd(const struct shmw_bpf *b)
{
	return bpf_map__fd(b->skel->maps.mm_list);
}

int shmw_bpf_segs_fd(const struct shmw_bpf *b)
{
	return bpf_map__fd(b->skel->maps.segs);
}

int shmw_bpf_sharers_fd(const struct shmw_bpf *b)
{
	return bpf_map__fd(b->skel->maps.sharers);
}

void shmw_bpf_set_realtime_offset(struct shmw_bpf *b, int64_t off)
{
	__atomic_store_n(&b->skel->bss->realtime_offset, off, __ATOMIC_RELAXED);
}

int shmw_bpf_ns_walk(struct shmw_bpf *b, uint32_t ns_only, struct shmw_ns_row **rows, size_t *n)
{
	size_t cap = 0, len = 0;
	char *buf = NULL;
	int fd, ret = 0;

	*rows = NULL;
	*n = 0;
	__atomic_store_n(&b->skel->bss->ns_only, ns_only, __ATOMIC_SEQ_CST);
	fd = bpf_iter_create(bpf_link__fd(b->iter_ns));
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t r;

		if (cap - len < 4096) {
			size_t ncap = cap ? cap * 2 : 16384;
			char *nb = realloc(buf, ncap);

			if (!nb) {
				ret = -ENOMEM;
				break;
			}
			buf = nb;
			cap = ncap;
		}
		r = read(fd, buf + len, cap - len);
		if (r > 0) {
			len += (size_t)r;
			continue;
		}
		if (r == 0)
			break;
		/* EAGAIN: the kernel stops after many objects with nothing read; go on. */
		if (errno == EAGAIN || errno == EINTR)
			continue;
		ret = -errno;
		break;
	}
	close(fd);
	if (ret) {
		free(buf);
		return ret;
	}
	*rows = (struct shmw_ns_row *)buf;
	*n = len / sizeof(struct shmw_ns_row);
	return 0;
}
