/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/* One set of maps for two opened instances of a BPF object, made before either loads, so that
 * the two can load (and the kernel verify their programs) at the same time. */
#ifndef SHMW_MAPSHARE_H
#define SHMW_MAPSHARE_H
#include <stddef.h>

struct bpf_object;

/* Creates each map of obj as its load would (sizes, flags, BTF types, the initial contents of
 * its global data, .rodata frozen) and gives it to obj and to twin, an instance of the same
 * object opened and sized the same way. Returns 0, or -errno with a reason in err. */
int shmw_maps_share(struct bpf_object *obj, struct bpf_object *twin, char *err, size_t errlen);
#endif
