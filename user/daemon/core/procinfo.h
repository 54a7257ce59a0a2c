/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* Names for numbers: uid to user name, cached (getpwuid_r is slow and may hit NSS). */
#ifndef SHMW_PROCINFO_H
#define SHMW_PROCINFO_H
#include <stddef.h>
#include <stdint.h>

/* The user name for uid, or the decimal uid when it has none. Never NULL; the returned
 * string lives until shmw_user_cache_clear(). */
const char *shmw_user_name(uint32_t uid);
void shmw_user_cache_clear(void);
/* The gid of group name: 1 found (in *gid), 0 no such group, -errno when the lookup failed.
 * Through NSS (getgrnam); the static build reads /etc/group only. */
int shmw_group_gid(const char *name, uint32_t *gid);

/* Details of one process for alerts: one /proc/PID file each, never a scan. Each writes
 * "" when the process is gone or the file unreadable, and returns 0 or -errno. */
/* The name the process gave itself (/proc/PID/comm), cut to len - 1 bytes, the rest of buf
 * zeroed. */
int shmw_proc_comm(uint32_t pid, char *buf, size_t len);
int shmw_proc_exe(uint32_t pid, char *buf, size_t len);
/* argv joined by spaces, control characters replaced. */
int shmw_proc_cmdline(uint32_t pid, char *buf, size_t len);
/* The cgroup v2 path ("0::/system.slice/x.service"), or the first line for cgroup v1. */
int shmw_proc_cgroup(uint32_t pid, char *buf, size_t len);
/* The container a cgroup path belongs to, as Docker, containerd/CRI, CRI-O and Podman name
 * their cgroups ("docker-<id>.scope", "/docker/<id>", "cri-containerd-<id>.scope",
 * "crio-<id>.scope", "libpod-<id>.scope", kubepods ".../<id>"): the 64-hex id, or "" when the
 * path is not a container's. Returns 1 if found, 0 if not. */
int shmw_container_id(const char *cgroup, char *id, size_t len);
/* The pid of a process inside its own pid namespace (last NSpid field); 0 if unknown. */
uint32_t shmw_proc_nspid(uint32_t pid);

/* What an admin needs to place a holder: read once per holder, kept with it. The strings are
 * interned and counted (thousands of holders share a few cgroups): 24 bytes per holder. */
struct shmw_procx {
	const char *cgroup;    /* NULL until read; "" when unreadable */
	const char *container; /* the container id of cgroup, or "" */
	uint32_t nspid;
};
/* Fills *x for pid on first use (one read of /proc/PID/cgroup and of /proc/PID/status);
 * returns x. Main thread only. */
const struct shmw_procx *shmw_procx_get(uint32_t pid, struct shmw_procx *x);
/* Forgets what *x held (its process changed or went); *x can be filled again. */
void shmw_procx_release(struct shmw_procx *x);
#endif
