// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Open, size, load, attach; one cleanup path (see loader.h). */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include "kallsyms.h"
#include "loader.h"
#include "log.h"
#include "mounts.h"
#include "shmwatch.skel.h"

static bool probing; /* set while probing features: failures are expected then */

/* libbpf speaks through our log: warnings as warnings, the rest at debug level. */
static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char buf[1024];
	size_t n;

	if (probing && level != LIBBPF_WARN)
		return 0;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	n = strlen(buf);
	if (n && buf[n - 1] == '\n')
		buf[n - 1] = 0;
	shmw_log(level == LIBBPF_WARN ? LOG_WARNING : LOG_DEBUG, "%s", buf); /* has "libbpf: " */
	return 0;
}

static bool tracepoint_exists(const char *category, const char *event)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/events/%s/%s/format", shmw_tracefs(), category, event);
	return access(path, F_OK) == 0;
}

/* Syscall tracepoint programs whose syscall this kernel lacks (mseal before 6.10) are not
 * loaded; those calls then cannot happen, so nothing is missed. */
static void skip_missing_syscalls(struct shmwatch *skel)
{
	struct bpf_program *prog;

	bpf_object__for_each_program(prog, skel->obj)
	{
		const char *sec = bpf_program__section_name(prog);
		const char *ev;

		if (strncmp(sec, "tracepoint/syscalls/", 20) != 0)
			continue;
		ev = sec + 20;
		if (!tracepoint_exists("syscalls", ev)) {
			log_info("kernel has no %s tracepoint: not tracing it", ev);
			bpf_program__set_autoload(prog, false);
		}
	}
}

/* The open-coded VMA iterator (6.7+): without it VMA changes are counted by walks that the
 * BPF side asks user space for (SHMW_EV_RESCAN, rescan.c). */
static bool kernel_has_vma_iter(void)
{
	struct btf *btf = btf__load_vmlinux_btf();
	bool has;

	if (!btf)
		return false;
	has = btf__find_by_name_kind(btf, "bpf_iter_task_vma_new", BTF_KIND_FUNC) > 0;
	btf__free(btf);
	return has;
}

int shmw_bpf_start(struct shmw_bpf *b, const struct shmw_bpf_opts *opts,
		   ring_buffer_sample_fn sample_cb, void *ctx, char *err, size_t errlen)
{
	struct shmwatch *skel = NULL;
	int ret;

	memset(b, 0, sizeof(*b));
	libbpf_set_print(libbpf_print);
	ret = shmw_ensure_mounts(err, errlen);
	if (ret)
		return ret;
	ret = shmw_ksym_addr("/proc/kallsyms", "shm_mmap", &b->shm_mmap_addr);
	if (ret) {
		snprintf(err, errlen,
			 "cannot find shm_mmap in /proc/kallsyms (%s): is CONFIG_SYSVIPC set, and "
			 "are we root?",
			 ret == -EPERM ? "addresses hidden" : strerror(-ret));
		return ret;
	}
	skel = shmwatch__open();
	if (!skel) {
		ret = -errno;
		snprintf(err, errlen, "cannot open BPF object: %s", strerror(errno));
		return ret;
	}
	skel->rodata->shm_mmap_addr = b->shm_mmap_addr;
	/* SHMWATCH_NO_VMA_ITER=1 takes the older kernels' path here too, to test it. */
	skel->rodata->no_vma_iter = getenv("SHMWATCH_NO_VMA_ITER") != NULL;
	b->rescans = skel->rodata->no_vma_iter || !kernel_has_vma_iter();
	if (bpf_map__set_max_entries(skel->maps.mms, opts->max_mms) ||
	    bpf_map__set_max_entries(skel->maps.segs, opts->max_mms) ||
	    bpf_map__set_max_entries(skel->maps.sharers, opts->max_sharers) ||
	    bpf_map__set_max_entries(skel->maps.events, opts->ring_bytes)) {
		ret = -EINVAL;
		snprintf(err, errlen, "bad map sizes");
		goto fail;
	}
	skip_missing_syscalls(skel);
	ret = shmwatch__load(skel);
	if (ret) {
		snprintf(err, errlen,
			 "cannot load BPF programs: %s (kernel needs BTF, ring buffers and the "
			 "task VMA iterator: Linux 6.1 or later; run with -v for the verifier log)",
			 strerror(-ret));
		goto fail;
	}
	ret = shmwatch__attach(skel);
	if (ret) {
		snprintf(err, errlen, "cannot attach BPF programs: %s", strerror(-ret));
		goto fail;
	}
	/* The skeleton attached the iterator program too: that link is the all-task walk. */
	b->iter_all = skel->links.seed_walk;
	if (!b->iter_all) {
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
	b->mode = "tracepoint";
	b->mode_reason = b->rescans
			     ? "syscall and scheduler tracepoints; VMA changes recounted by "
			       "walks of the address space from user space (no open-coded VMA "
			       "iterator: Linux before 6.7)"
			     : "syscall and scheduler tracepoints with VMA-range recounts (fentry "
			       "mode is not built yet)";
	return 0;
fail:
	b->iter_all = NULL;
	shmwatch__destroy(skel);
	return ret;
}

void shmw_bpf_stop(struct shmw_bpf *b)
{
	ring_buffer__free(b->rb);
	shmwatch__destroy(b->skel);
	memset(b, 0, sizeof(*b));
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

int shmw_bpf_segs_fd(const struct shmw_bpf *b)
{
	return bpf_map__fd(b->skel->maps.segs);
}

int shmw_bpf_sharers_fd(const struct shmw_bpf *b)
{
	return bpf_map__fd(b->skel->maps.sharers);
}
