/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * Reading a whole BPF hash map: in batches (one syscall per many entries instead of two per
 * entry), key by key where the kernel or the map refuses batches. Entries may come and go
 * while it reads: what it returns is a consistent set of entries each as it was when read.
 */
#ifndef SHMW_MAPREAD_H
#define SHMW_MAPREAD_H
#include <stddef.h>
#include <stdint.h>

struct shmw_map_rows {
	void *keys; /* n keys of key_size bytes */
	void *vals; /* n values of val_size bytes */
	size_t n;
};

/* Reads every entry of the map at fd. Returns 0 (free rows with shmw_map_rows_free) or
 * -errno. */
int shmw_map_read_all(int fd, size_t key_size, size_t val_size, struct shmw_map_rows *rows);
void shmw_map_rows_free(struct shmw_map_rows *rows);
/* Counts the entries of the map at fd, reading them in batches into one batch's room. Returns 0
 * or -errno (*n 0). */
int shmw_map_count(int fd, size_t key_size, size_t val_size, uint64_t *n);
#endif
