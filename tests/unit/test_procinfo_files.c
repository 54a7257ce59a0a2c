// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* user/daemon/core/procinfo.c as the static build compiles it (SHMW_STATIC: names from the
 * passwd and group files, no NSS), over files made here: names found by uid and groups by
 * name, the first entry of a uid winning as in glibc, comments and malformed lines skipped,
 * an entry longer than the first buffer (the buffer grows), no file at all (numbers). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char pw_path[64] = "/tmp/shmw-pw.XXXXXX";
static char gr_path[64] = "/tmp/shmw-gr.XXXXXX";
#define PW_FILE pw_path
#define GR_FILE gr_path
#define SHMW_STATIC
#include "../../user/daemon/core/procinfo.c"

#include "check.h"

static int make_file(char *path, const char *text)
{
	int fd = mkstemp(path);
	FILE *f;

	if (fd < 0)
		return -1;
	f = fdopen(fd, "w");
	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

int main(void)
{
	char *big = malloc(20000), *pw = malloc(21000);
	uint32_t gid = 12345;

	memset(big, 'g', 19999);
	big[19999] = 0;
	snprintf(pw, 21000,
		 "root:x:0:0:root:/root:/bin/bash\n"
		 "# a comment\n"
		 "garbage line without colons\n"
		 "oracle:x:1001:1001:Oracle:/home/oracle:/bin/sh\n"
		 "shadowed:x:1001:1001::/:/bin/sh\n"
		 "longone:x:1002:1002:%s:/:/bin/sh\n"
		 "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n",
		 big);
	if (make_file(pw_path, pw) || make_file(gr_path, "root:x:0:\ndba:x:501:oracle,sap\n"
							 "nogroup:x:65534:\n")) {
		printf("FAIL cannot write the test files in /tmp\n");
		return 1;
	}
	CHECK_STR("uid 0 from the file", shmw_user_name(0), "root");
	CHECK_STR("uid 1001: the first entry wins", shmw_user_name(1001), "oracle");
	CHECK_STR("uid 1002: an entry of 20 kB (the buffer grows)", shmw_user_name(1002),
		  "longone");
	CHECK_STR("uid 65534, after the long entry", shmw_user_name(65534), "nobody");
	CHECK_STR("an unknown uid is its number", shmw_user_name(4242), "4242");
	CHECK_INT("group dba found", shmw_group_gid("dba", &gid), 1);
	CHECK_INT("group dba's gid", gid, 501);
	CHECK_INT("group nogroup found", shmw_group_gid("nogroup", &gid), 1);
	CHECK_INT("group nogroup's gid", gid, 65534);
	CHECK_INT("no group oracle (a user, not a group)", shmw_group_gid("oracle", &gid), 0);
	CHECK_INT("no group 'db' (no prefix match)", shmw_group_gid("db", &gid), 0);

	unlink(pw_path);
	unlink(gr_path);
	shmw_user_cache_clear();
	CHECK_STR("no passwd file: uid 0 is its number", shmw_user_name(0), "0");
	CHECK_INT("no group file: no group", shmw_group_gid("dba", &gid), 0);
	free(big);
	free(pw);
	return CHECK_DONE();
}
