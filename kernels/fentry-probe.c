// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * fentry-probe: for each of shm_open, shm_close, shm_mmap, do_shmat and shm_destroy, loads and
 * attaches an fentry program on it alone, makes the kernel call it, and prints one line:
 *
 *   fentry/shm_close: ok (fired 2 times)
 *   fentry/shm_close: load failed: Operation not permitted (EPERM)
 *   fentry/shm_close: attach failed: ...
 *
 * Exit 0 when every one is ok. Also reports whether tp_btf/sched_process_exit sees the exiting
 * task's mm (a line starting "tp_btf/sched_process_exit:"; not counted in the exit status).
 * -v prints libbpf's messages (the verifier log on failure).
 * Part of the static test build only (make static, make test-kernels); run in the qemu guests.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/shm.h>
#include <sys/wait.h>
#include <unistd.h>
#include <bpf/libbpf.h>
#include "fentry_probe.skel.h"

static const char *const fns[] = {"shm_open", "shm_close", "shm_mmap", "do_shmat", "shm_destroy"};
#define NFNS (sizeof(fns) / sizeof(fns[0]))

static int verbose;

static int print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	if (!verbose)
		return 0;
	return vfprintf(stdout, fmt, ap);
}

static const char *errname(int e)
{
	switch (e) {
	case EPERM:
		return "EPERM";
	case EACCES:
		return "EACCES";
	case EINVAL:
		return "EINVAL";
	case ENOENT:
		return "ENOENT";
	case ESRCH:
		return "ESRCH";
	case ENOTSUP:
		return "ENOTSUP";
	case EBUSY:
		return "EBUSY";
	case E2BIG:
		return "E2BIG";
	default:
		return "?";
	}
}

/* shmat (do_shmat, shm_mmap), a split (shm_open), IPC_RMID, shmdt (shm_close x2, and the last
 * one destroys the segment: shm_destroy). */
static int workload(void)
{
	long page = sysconf(_SC_PAGESIZE);
	int id = shmget(IPC_PRIVATE, 2 * page, IPC_CREAT | 0600);
	char *p;

	if (id < 0)
		return -errno;
	p = shmat(id, NULL, 0);
	if (p == (void *)-1) {
		int e = -errno;

		shmctl(id, IPC_RMID, NULL);
		return e;
	}
	p[0] = 1;
	if (mprotect(p, page, PROT_READ))
		perror("mprotect");
	shmctl(id, IPC_RMID, NULL);
	if (shmdt(p))
		return -errno;
	return 0;
}

/* tp_btf/sched_process_exit alone: fork a child that exits at once, report what the program
 * saw of its mm. */
static int exit_probe(void)
{
	struct fentry_probe *skel = fentry_probe__open();
	struct bpf_program *prog;
	int ret, status;
	pid_t pid;

	if (!skel) {
		printf("tp_btf/sched_process_exit: open failed: %s\n", strerror(errno));
		return 1;
	}
	bpf_object__for_each_program(prog, skel->obj)
	{
		bpf_program__set_autoload(prog, prog == skel->progs.probe_exit);
	}
	skel->bss->parent_tgid = (__u32)getpid();
	ret = fentry_probe__load(skel);
	if (!ret)
		ret = fentry_probe__attach(skel);
	if (ret) {
		printf("tp_btf/sched_process_exit: load/attach failed: %s (%s)\n", strerror(-ret),
		       errname(-ret));
		fentry_probe__destroy(skel);
		return 1;
	}
	pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, &status, 0);
	switch (skel->bss->exit_mm_seen) {
	case 1:
		printf("tp_btf/sched_process_exit: task->mm set (fires before exit_mm)\n");
		break;
	case 2:
		printf("tp_btf/sched_process_exit: task->mm NULL (fires after exit_mm: kernel < "
		       "6.16)\n");
		break;
	default:
		printf("tp_btf/sched_process_exit: did not fire for the child\n");
		ret = 1;
	}
	fentry_probe__destroy(skel);
	return ret ? 1 : 0;
}

int main(int argc, char **argv)
{
	int bad = 0;

	if (argc > 1 && !strcmp(argv[1], "-v"))
		verbose = 1;
	libbpf_set_print(print);
	exit_probe(); /* a fact to report, not a failure of the probe */
	for (size_t i = 0; i < NFNS; i++) {
		struct fentry_probe *skel = fentry_probe__open();
		struct bpf_program *prog, *mine = NULL;
		struct bpf_link *link;
		char sec[64];
		int ret;

		if (!skel) {
			printf("fentry/%s: open failed: %s\n", fns[i], strerror(errno));
			bad++;
			continue;
		}
		snprintf(sec, sizeof(sec), "fentry/%s", fns[i]);
		bpf_object__for_each_program(prog, skel->obj)
		{
			bool me = !strcmp(bpf_program__section_name(prog), sec);

			bpf_program__set_autoload(prog, me);
			if (me)
				mine = prog;
		}
		ret = fentry_probe__load(skel);
		if (ret) {
			printf("fentry/%s: load failed: %s (%s)\n", fns[i], strerror(-ret),
			       errname(-ret));
			bad++;
			fentry_probe__destroy(skel);
			continue;
		}
		link = bpf_program__attach(mine);
		if (!link) {
			ret = errno;
			printf("fentry/%s: attach failed: %s (%s)\n", fns[i], strerror(ret),
			       errname(ret));
			bad++;
			fentry_probe__destroy(skel);
			continue;
		}
		ret = workload();
		if (ret)
			printf("fentry/%s: (workload failed: %s)\n", fns[i], strerror(-ret));
		if (skel->bss->hits[i])
			printf("fentry/%s: ok (fired %llu times)\n", fns[i],
			       (unsigned long long)skel->bss->hits[i]);
		else {
			printf("fentry/%s: attached, but never fired\n", fns[i]);
			bad++;
		}
		bpf_link__destroy(link);
		fentry_probe__destroy(skel);
	}
	return bad ? 1 : 0;
}
