/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* What a kernel must offer before shmwatchd can run at all, and the message that names what it
 * lacks. Pure: the loader probes, this file judges and words it (tests/unit/test_kfeatures.c). */
#ifndef SHMW_KFEATURES_H
#define SHMW_KFEATURES_H
#include <stddef.h>

#define SHMW_BTF_PATH "/sys/kernel/btf/vmlinux"

struct shmw_features {
	const char *btf_path; /* the kernel's BTF, which CO-RE, tp_btf and fentry need */
	int btf_errno;	      /* 0: readable; else why not */
	int ringbuf; /* BPF_MAP_TYPE_RINGBUF: 1 works, 0 unknown to the kernel, <0 -errno */
};

/* Fills btf_path and btf_errno from the file at path. */
void shmw_features_btf(struct shmw_features *f, const char *path);

/* 0 when nothing is missing; else the number of missing features, and a message naming each
 * (and what would provide it) in err. */
int shmw_features_missing(const struct shmw_features *f, char *err, size_t errlen);
#endif
