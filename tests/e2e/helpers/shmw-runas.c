/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * shmw-runas: runs a command as another user with no capabilities, what
 * `setpriv --reuid --regid --clear-groups --inh-caps=-all --bounding-set=-all` does, for the
 * guests of make test-kernels, whose busybox setpriv lacks those options.
 *
 *   shmw-runas UID GID [--groups GID,GID...] CMD ARG...
 *
 * Exits 125 when it cannot become that user (with the reason on stderr), else execs CMD.
 */
#include <errno.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/prctl.h>

#define MAX_GROUPS 64

static unsigned long num(const char *s, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > 0xfffffffful) {
		fprintf(stderr, "shmw-runas: bad %s: %s\n", what, s);
		exit(125);
	}
	return v;
}

int main(int argc, char **argv)
{
	gid_t groups[MAX_GROUPS];
	size_t ngroups = 0;
	uid_t uid;
	gid_t gid;
	int i = 3;

	if (argc < 4) {
		fprintf(stderr, "usage: shmw-runas UID GID [--groups G,...] CMD ARG...\n");
		return 125;
	}
	uid = (uid_t)num(argv[1], "uid");
	gid = (gid_t)num(argv[2], "gid");
	if (!strcmp(argv[i], "--groups")) {
		char *list = argv[i + 1], *tok, *save = NULL;

		if (!list || i + 2 >= argc) {
			fprintf(stderr, "shmw-runas: --groups wants a list and a command\n");
			return 125;
		}
		for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
			if (ngroups == MAX_GROUPS) {
				fprintf(stderr, "shmw-runas: more than %d groups\n", MAX_GROUPS);
				return 125;
			}
			groups[ngroups++] = (gid_t)num(tok, "group");
		}
		i += 2;
	}
	/* No capability can come back: the bounding set first, while we may still drop it. */
	for (int cap = 0; cap < 64; cap++)
		if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) && errno != EINVAL) {
			perror("shmw-runas: PR_CAPBSET_DROP");
			return 125;
		}
	if (setgroups(ngroups, groups) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid)) {
		perror("shmw-runas: becoming the user");
		return 125;
	}
	execvp(argv[i], argv + i);
	fprintf(stderr, "shmw-runas: %s: %s\n", argv[i], strerror(errno));
	return 127;
}
