// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Maps made ahead of the loads (see mapshare.h). */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "mapshare.h"

/* Global data (.rodata, .data, .bss): one value, libbpf's initial contents (what the loader
 * set in the skeleton before the load); read-only to programs (.rodata) means frozen, as
 * libbpf does it, so that the verifier takes its values as constants (dead code of the other
 * mode is not verified). */
static int fill_global(struct bpf_map *m, int fd)
{
	size_t size = 0;
	const void *init = bpf_map__initial_value(m, &size);
	int zero = 0;

	if (init && size && bpf_map_update_elem(fd, &zero, init, 0))
		return -errno;
	if ((bpf_map__map_flags(m) & BPF_F_RDONLY_PROG) && bpf_map_freeze(fd))
		return -errno;
	return 0;
}

static int make_map(struct bpf_map *m, int btf_fd)
{
	LIBBPF_OPTS(bpf_map_create_opts, o, .map_flags = bpf_map__map_flags(m),
		    .map_extra = bpf_map__map_extra(m), .numa_node = bpf_map__numa_node(m));
	int fd, ret;

	/* With its BTF types, as libbpf makes it: bpftool and the verifier see the same map. */
	if (btf_fd >= 0 && bpf_map__btf_value_type_id(m)) {
		o.btf_fd = btf_fd;
		o.btf_key_type_id = bpf_map__btf_key_type_id(m);
		o.btf_value_type_id = bpf_map__btf_value_type_id(m);
	}
	fd = bpf_map_create(bpf_map__type(m), bpf_map__name(m), bpf_map__key_size(m),
			    bpf_map__value_size(m), bpf_map__max_entries(m), &o);
	if (fd < 0)
		return -errno;
	if (bpf_map__is_internal(m)) {
		ret = fill_global(m, fd);
		if (ret) {
			close(fd);
			return ret;
		}
	}
	return fd;
}

int shmw_maps_share(struct bpf_object *obj, struct bpf_object *twin, char *err, size_t errlen)
{
	const struct btf *btf = bpf_object__btf(obj);
	struct btf *kbtf = NULL;
	struct bpf_map *m;
	int ret = 0;

	/* The object's BTF as a copy in the kernel: libbpf loads its own at the object's load
	 * and refuses a BTF that has an fd already. */
	if (btf) {
		uint32_t size;
		const void *raw = btf__raw_data(btf, &size);

		kbtf = raw ? btf__new(raw, size) : NULL;
		if (!kbtf || btf__load_into_kernel(kbtf)) {
			ret = -errno;
			snprintf(err, errlen, "cannot load the BPF object's BTF: %s",
				 strerror(errno));
			btf__free(kbtf);
			return ret;
		}
	}
	bpf_object__for_each_map(m, obj)
	{
		struct bpf_map *t = bpf_object__find_map_by_name(twin, bpf_map__name(m));
		int fd = t ? make_map(m, kbtf ? btf__fd(kbtf) : -1) : -ENOENT;

		if (fd < 0) {
			ret = fd;
			snprintf(err, errlen, "cannot create map %s: %s", bpf_map__name(m),
				 strerror(-fd));
			break;
		}
		/* Each instance takes its own duplicate of the fd. */
		ret = bpf_map__reuse_fd(m, fd);
		if (!ret)
			ret = bpf_map__reuse_fd(t, fd);
		close(fd);
		if (ret) {
			snprintf(err, errlen, "cannot share map %s: %s", bpf_map__name(m),
				 strerror(-ret));
			break;
		}
	}
	btf__free(kbtf); /* the maps hold the kernel's reference to it */
	return ret;
}
