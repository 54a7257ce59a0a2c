/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * shmw-zcat FILE...: each file's content to stdout, gzip files decompressed (every member),
 * plain files as they are: what the scenarios read the event log's rotated files with
 * (path.N.gz) where busybox may have no zcat. Exit 1 naming a file that cannot be read.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <zlib.h>

int main(int argc, char **argv)
{
	char buf[1 << 16];

	for (int i = 1; i < argc; i++) {
		gzFile z = gzopen(argv[i], "rb");
		int n;

		if (!z) {
			fprintf(stderr, "shmw-zcat: %s: %s\n", argv[i],
				strerror(errno ? errno : ENOMEM));
			return 1;
		}
		while ((n = gzread(z, buf, sizeof(buf))) > 0)
			if (fwrite(buf, 1, (size_t)n, stdout) != (size_t)n) {
				perror("shmw-zcat: stdout");
				return 1;
			}
		if (n < 0) {
			int e;

			fprintf(stderr, "shmw-zcat: %s: %s\n", argv[i], gzerror(z, &e));
			return 1;
		}
		gzclose(z);
	}
	return fflush(stdout) ? 1 : 0;
}
