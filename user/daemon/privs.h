/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Dropping what the daemon no longer needs once BPF is loaded and attached. */
#ifndef SHMW_PRIVS_H
#define SHMW_PRIVS_H
#include <stddef.h>

/*
 * Keeps only the capabilities the running daemon uses, in the effective, permitted and
 * bounding sets, clears the inheritable and ambient sets, and sets no_new_privs:
 *   CAP_SYS_ADMIN   setns() into other IPC namespaces to read their segment tables
 *   CAP_SYS_PTRACE  /proc/PID/exe and /proc/PID/ns/ipc of other users' processes
 *   CAP_IPC_OWNER   IPC_STAT on segments whatever their mode
 * Everything BPF-related keeps working on the fds already held (docs/design.md): ring
 * buffer, map reads, iterator links and new iterator links from a held program.
 * Returns 0, or -errno with a reason in err.
 */
int shmw_drop_privileges(char *err, size_t errlen);
#endif
