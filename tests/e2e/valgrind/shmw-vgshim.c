/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * LD_PRELOAD shim for running shmwatchd under valgrind's memcheck (tests/e2e/t_valgrind.sh).
 *
 * Memcheck's model of bpf(BPF_MAP_LOOKUP_ELEM) marks value_size bytes of the value buffer as
 * written. For a per-CPU map the kernel writes one (8-byte aligned) value per possible CPU, so
 * memcheck takes every CPU's value but the first for uninitialised, and reports each use of
 * them (shmwatchd sums its per-CPU counters) as an error that is not one. This shim wraps
 * libbpf's bpf_map_lookup_elem() and, after a successful lookup in a per-CPU map, tells memcheck
 * that the kernel wrote the whole buffer; bpf_map_lookup_batch() likewise (memcheck has no model
 * of it). It changes nothing else, and nothing outside valgrind (the client request is a no-op
 * there).
 */
#define _GNU_SOURCE
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <dlfcn.h>
#include <errno.h>
#include <linux/bpf.h>
#include <string.h>
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#else /* valgrind not installed: t_valgrind skips, the shim is never used */
#define VALGRIND_MAKE_MEM_DEFINED(addr, len) ((void)(addr), (void)(len))
#endif

typedef int (*lookup_fn)(int fd, const void *key, void *value);

static int percpu_type(__u32 type)
{
	return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	       type == BPF_MAP_TYPE_LRU_PERCPU_HASH || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

int bpf_map_lookup_elem(int fd, const void *key, void *value)
{
	static lookup_fn real;
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int ret;

	if (!real)
		real = (lookup_fn)dlsym(RTLD_NEXT, "bpf_map_lookup_elem");
	if (!real)
		return -1;
	ret = real(fd, key, value);
	if (ret == 0 && value) {
		memset(&info, 0, sizeof(info));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 && percpu_type(info.type)) {
			int ncpu = libbpf_num_possible_cpus();

			if (ncpu > 0)
				VALGRIND_MAKE_MEM_DEFINED(value,
							  (size_t)((info.value_size + 7) & ~7u) * ncpu);
		}
	}
	return ret;
}

typedef int (*batch_fn)(int fd, void *in_batch, void *out_batch, void *keys, void *values,
			__u32 *count, const struct bpf_map_batch_opts *opts);

/* Memcheck has no model of BPF_MAP_LOOKUP_BATCH ("unhandled eBPF command 24"): it takes what the
 * kernel wrote (count keys and values, the out token) for uninitialised. */
int bpf_map_lookup_batch(int fd, void *in_batch, void *out_batch, void *keys, void *values,
			 __u32 *count, const struct bpf_map_batch_opts *opts)
{
	static batch_fn real;
	struct bpf_map_info info;
	__u32 len = sizeof(info);
	int ret;

	if (!real)
		real = (batch_fn)dlsym(RTLD_NEXT, "bpf_map_lookup_batch");
	if (!real)
		return -1;
	ret = real(fd, in_batch, out_batch, keys, values, count, opts);
	/* ENOENT: the last batch, written like any other. */
	if ((ret == 0 || errno == ENOENT) && count) {
		memset(&info, 0, sizeof(info));
		VALGRIND_MAKE_MEM_DEFINED(count, sizeof(*count));
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
			size_t vsize = info.value_size;

			if (percpu_type(info.type))
				vsize = (size_t)((info.value_size + 7) & ~7u) *
					(size_t)libbpf_num_possible_cpus();
			VALGRIND_MAKE_MEM_DEFINED(out_batch, sizeof(__u32));
			VALGRIND_MAKE_MEM_DEFINED(keys, (size_t)info.key_size * *count);
			VALGRIND_MAKE_MEM_DEFINED(values, vsize * *count);
		}
	}
	return ret;
}
