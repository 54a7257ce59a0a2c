// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Kernel symbol addresses asked of the kernel (see ksym_bpf.h). */
#include <errno.h>
#include <string.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "ksym_bpf.h"
#include "ksym.skel.h"

#define KSYM_MAX (sizeof(((struct ksym *)0)->bss->addrs) / sizeof(__u64))
#define KSYM_LEN sizeof(((struct ksym *)0)->bss->names[0])

int shmw_ksyms_bpf(struct shmw_ksym *syms, size_t n)
{
	LIBBPF_OPTS(bpf_test_run_opts, run);
	struct ksym *skel;
	size_t i;
	int ret;

	if (n > KSYM_MAX)
		return -E2BIG;
	skel = ksym__open_and_load();
	if (!skel)
		return -errno;
	for (i = 0; i < n; i++) {
		size_t len = strlen(syms[i].name) + 1;

		syms[i].err = -ENOENT;
		if (len > KSYM_LEN) {
			ret = -ENAMETOOLONG;
			goto out;
		}
		memcpy(skel->bss->names[i], syms[i].name, len);
		skel->bss->lens[i] = (__u32)len;
	}
	ret = bpf_prog_test_run_opts(bpf_program__fd(skel->progs.lookup), &run);
	if (ret) {
		ret = -errno;
		goto out;
	}
	for (i = 0; i < n; i++) {
		long e = skel->bss->errs[i];

		/* -EPERM: addresses hidden from us (as all-zero addresses in the file). */
		syms[i].err = e ? (int)e : skel->bss->addrs[i] ? 0 : -EPERM;
		syms[i].addr = e ? 0 : skel->bss->addrs[i];
	}
out:
	ksym__destroy(skel);
	return ret;
}
