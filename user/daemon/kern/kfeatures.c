// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Required kernel features and the refusal message (see kfeatures.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "kfeatures.h"

void shmw_features_btf(struct shmw_features *f, const char *path)
{
	f->btf_path = path;
	f->btf_errno = access(path, R_OK) ? errno : 0;
}

/* Appends to err at *off, never past errlen. */
static void add(char *err, size_t errlen, size_t *off, const char *fmt, const char *a,
		const char *b)
{
	int n;

	if (*off >= errlen)
		return;
	n = snprintf(err + *off, errlen - *off, fmt, a, b);
	if (n > 0)
		*off += (size_t)n;
}

int shmw_features_missing(const struct shmw_features *f, char *err, size_t errlen)
{
	size_t off = 0;
	int missing = 0;

	if (errlen)
		err[0] = 0;
	add(err, errlen, &off, "%s%s", "this kernel cannot run shmwatchd; missing: ", "");
	if (f->btf_errno) {
		add(err, errlen, &off,
		    "kernel BTF (%s: %s; the kernel needs CONFIG_DEBUG_INFO_BTF=y)",
		    f->btf_path ? f->btf_path : SHMW_BTF_PATH, strerror(f->btf_errno));
		missing++;
	}
	if (f->ringbuf <= 0) {
		add(err, errlen, &off, "%sBPF ring buffer maps (%s)", missing ? "; " : "",
		    f->ringbuf == 0 ? "Linux 5.8 or later" : strerror(-f->ringbuf));
		missing++;
	}
	if (!missing && errlen)
		err[0] = 0;
	return missing;
}
