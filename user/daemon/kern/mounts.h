/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* The pseudo file systems BPF tracing needs: tracefs (tracepoint ids) and bpffs. */
#ifndef SHMW_MOUNTS_H
#define SHMW_MOUNTS_H
#include <stddef.h>

/* Mounts tracefs at /sys/kernel/tracing and bpffs at /sys/fs/bpf when they are not
 * mounted yet. Returns 0, or -errno with a reason in err. */
int shmw_ensure_mounts(char *err, size_t errlen);
/* Where tracefs lives ("/sys/kernel/tracing", or the debugfs path on old setups). */
const char *shmw_tracefs(void);
#endif
