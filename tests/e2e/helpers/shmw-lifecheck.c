/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * shmw-lifecheck: checks that shmwatchd's event log tells each segment's life the way the
 * kernel lives it, for the end-to-end tests (t_difftest).
 *
 *   shmw-lifecheck [--ns INUM]... [--seg NS:SHMID]... [--forced INUM]... [--died INUM]...
 *		    [--kernel FILE] [--alive INUM]... [--gone INUM]... FILE...
 *
 * Reads the log (the FILEs in order, rotated ones first) and follows, for the segments it is
 * asked about (every segment of each --ns namespace, and each --seg), their lifecycle lines
 * (create, rmid, destroy, linger, linger_end, orphan) and their holders (replaylog.h: the log's
 * own attach, detach and vmas lines, address space by address space). A segment's life runs
 * from its create line to its destroy line; a shmid may have several, one after the other. The
 * rules, from the kernel's (ipc/shm.c):
 *   - no holder line (attach, vmas, detach) about a segment before its create, or after its
 *     destroy; no create while one lives (a reused shmid is destroyed first);
 *   - rmid, linger, linger_end, orphan and destroy name the generation of the create;
 *   - an rmid again in a life only while it is held (shmctl(IPC_RMID) of a marked segment
 *     succeeds: the first one of an unheld segment destroyed it); linger only after the first;
 *     orphan only before it;
 *   - destroy: cause "rmid" after the rmid with no holder left; a release (shmdt, exit, exec,
 *     munmap, ...) when the last holder went, after the rmid (or, in a --forced namespace, where
 *     kernel.shm_rmid_forced=1, without one); "vanished" only in a --forced namespace or one
 *     that --died (the kernel destroys what a namespace holds when it goes);
 *   - no segment is created with holders left over in the log.
 * With --kernel FILE (shmw-oracle dump's "seg NS SHMID KEY NATTCH PERMS SIZE CPID" lines),
 * after the log: each of our segments the kernel has, in an --alive namespace or named by
 * --seg, is alive in the log, and marked for destruction (rmid) there exactly when the kernel
 * says so (SHM_DEST in PERMS); no segment of an --alive or --gone namespace, or of --seg, that
 * the kernel does not have is alive in the log.
 *
 * Prints one line per broken rule, "FILE:LINE ns N shmid S: what", or "end ns N shmid S: what",
 * and a summary ("lifecheck: ...") on stderr. Exit 0 when no rule is broken, 1 otherwise, 2 on
 * a bad log line, 3 on usage errors.
 */
#include <inttypes.h>
#include <stdarg.h>

#define HELPER_NAME "shmw-lifecheck"
#include "replaylog.h"

#define MAX_LIST 4096

struct list {
	uint64_t v[MAX_LIST];
	size_t n;
};

static struct list our_ns, forced, died, alive, gone;
static struct seg_key *our_segs;
static size_t nour_segs;

enum phase { UNBORN, LIVE, DESTROYED };

struct life {
	struct seg_key k;
	enum phase phase;
	int rmid;
	int64_t gen;
	char where[96]; /* where it was created, or destroyed */
	int in_kernel;	/* --kernel: the kernel has it */
	int dest;	/* --kernel: marked for destruction there */
	UT_hash_handle hh;
};

static struct life *lives;
static unsigned long nbroken, nlines, ncreates, ndestroys;

static int in_list(const struct list *l, uint64_t v)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->v[i] == v)
			return 1;
	return 0;
}

static void add_list(struct list *l, const char *s)
{
	char *end;

	if (l->n == MAX_LIST) {
		fprintf(stderr, "shmw-lifecheck: more than %d namespaces in one list\n", MAX_LIST);
		exit(3);
	}
	errno = 0;
	l->v[l->n] = strtoull(s, &end, 10);
	if (errno || end == s || *end) {
		fprintf(stderr, "shmw-lifecheck: bad namespace '%s'\n", s);
		exit(3);
	}
	l->n++;
}

static int ours(uint64_t ns, uint64_t shmid)
{
	if (in_list(&our_ns, ns))
		return 1;
	for (size_t i = 0; i < nour_segs; i++)
		if (our_segs[i].ns == ns && our_segs[i].shmid == shmid)
			return 1;
	return 0;
}

static struct life *life_of(uint64_t ns, uint64_t shmid)
{
	struct seg_key k = {ns, shmid};
	struct life *l = NULL;

	HASH_FIND(hh, lives, &k, sizeof(k), l);
	if (!l) {
		l = xalloc(NULL, sizeof(*l));
		memset(l, 0, sizeof(*l));
		l->k = k;
		HASH_ADD(hh, lives, k, sizeof(l->k), l);
	}
	return l;
}

static void broken(const struct life *l, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void broken(const struct life *l, const char *fmt, ...)
{
	va_list ap;

	if (cur_file)
		printf("%s:%lu ns %" PRIu64 " shmid %" PRIu64 ": ", cur_file, cur_line, l->k.ns,
		       l->k.shmid);
	else
		printf("end ns %" PRIu64 " shmid %" PRIu64 ": ", l->k.ns, l->k.shmid);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	nbroken++;
}

static const char *phase_text(const struct life *l)
{
	return l->phase == UNBORN ? "before any create" : "after its destroy";
}

static void note_where(struct life *l, const char *what)
{
	snprintf(l->where, sizeof(l->where), "%s at %s:%lu", what, cur_file, cur_line);
}

/* Lifecycle events name a generation: the one of the life they are about. */
static void same_gen(const struct life *l, json_object *o, const char *event)
{
	json_object *v;
	int64_t g;

	if (!json_object_object_get_ex(o, "generation", &v)) {
		broken(l, "%s without a generation", event);
		return;
	}
	g = json_object_get_int64(v);
	if (g != l->gen)
		broken(l,
		       "%s of generation %" PRId64 ", the live segment is generation %" PRId64
		       " (%s)",
		       event, g, l->gen, l->where);
}

static void on_destroy(struct life *l, json_object *o)
{
	const char *cause = get_str(o, "cause");
	uint64_t held = seg_holders(l->k.ns, l->k.shmid);
	int is_forced = in_list(&forced, l->k.ns);

	if (!cause) {
		broken(l, "destroy without a cause");
	} else if (!strcmp(cause, "rmid")) {
		if (!l->rmid)
			broken(l, "destroy cause rmid without an rmid line");
		if (held)
			broken(l, "destroy cause rmid while the log has %" PRIu64 " holders", held);
	} else if (!strcmp(cause, "vanished")) {
		if (!is_forced && !in_list(&died, l->k.ns))
			broken(l,
			       "destroy cause vanished in a namespace that did not die and has "
			       "shm_rmid_forced=0%s",
			       l->rmid ? " (after an rmid)" : " (never marked by an rmid)");
	} else {
		if (held)
			broken(l, "destroy cause %s while the log has %" PRIu64 " holders", cause,
			       held);
		if (!l->rmid && !is_forced)
			broken(l,
			       "destroy cause %s of a segment never marked by an rmid, with "
			       "shm_rmid_forced=0",
			       cause);
	}
}

static void on_line(json_object *o, const char *event, const char *line)
{
	uint64_t ns, shmid;
	struct life *l;
	int holder;

	(void)line;
	nlines++;
	holder = !strcmp(event, "attach") || !strcmp(event, "detach") || !strcmp(event, "vmas");
	if (!holder && strcmp(event, "create") && strcmp(event, "rmid") &&
	    strcmp(event, "destroy") && strcmp(event, "linger") && strcmp(event, "linger_end") &&
	    strcmp(event, "orphan"))
		return;
	if (get_u64(o, "ns", &ns) || get_u64(o, "shmid", &shmid))
		die_line("a segment's line without ns or shmid", line);
	if (!ours(ns, shmid))
		return;
	l = life_of(ns, shmid);
	if (holder) {
		if (l->phase != LIVE)
			broken(l, "%s line %s%s%s", event, phase_text(l), *l->where ? ", " : "",
			       l->where);
		return;
	}
	if (!strcmp(event, "create")) {
		uint64_t held = seg_holders(ns, shmid);
		json_object *v;

		ncreates++;
		if (l->phase == LIVE)
			broken(
			    l,
			    "create while a segment with this shmid lives (%s, no destroy since)",
			    l->where);
		if (held)
			broken(l, "created while the log has %" PRIu64 " holders of the shmid",
			       held);
		l->phase = LIVE;
		l->rmid = 0;
		l->gen =
		    json_object_object_get_ex(o, "generation", &v) ? json_object_get_int64(v) : -1;
		note_where(l, "created");
		return;
	}
	if (l->phase != LIVE) {
		broken(l, "%s %s%s%s", event, phase_text(l), *l->where ? ", " : "", l->where);
		return;
	}
	same_gen(l, o, event);
	if (!strcmp(event, "rmid")) {
		/* IPC_RMID of a marked segment succeeds again (shmctl finds it by id until it is
		 * freed); one that nobody holds was freed at the first. */
		if (l->rmid && !seg_holders(ns, shmid))
			broken(l, "a second rmid of a segment nobody holds (%s)", l->where);
		l->rmid = 1;
	} else if (!strcmp(event, "linger")) {
		if (!l->rmid)
			broken(l, "linger of a segment not marked by an rmid");
	} else if (!strcmp(event, "orphan")) {
		if (l->rmid)
			broken(l, "orphan of a segment marked by an rmid");
	} else if (!strcmp(event, "destroy")) {
		ndestroys++;
		on_destroy(l, o);
		l->phase = DESTROYED;
		note_where(l, "destroyed");
	}
}

/* After the log: what the kernel has now. */
static void read_kernel(const char *path)
{
	FILE *f = fopen(path, "re");
	char line[256];

	if (!f) {
		fprintf(stderr, "shmw-lifecheck: %s: %s\n", path, strerror(errno));
		exit(3);
	}
	while (fgets(line, sizeof(line), f)) {
		uint64_t ns, shmid;
		unsigned perms;
		struct life *l;

		if (sscanf(line, "seg %" SCNu64 " %" SCNu64 " %*u %*u %o", &ns, &shmid, &perms) !=
		    3)
			continue;
		if (!ours(ns, shmid))
			continue;
		l = life_of(ns, shmid);
		l->in_kernel = 1;
		l->dest = (perms & 01000) != 0;
	}
	fclose(f);
}

static void check_end(void)
{
	struct life *l, *tmp;

	cur_file = NULL;
	HASH_ITER(hh, lives, l, tmp)
	{
		int ns_alive = in_list(&alive, l->k.ns), ns_gone = in_list(&gone, l->k.ns);
		int named = !in_list(&our_ns, l->k.ns); /* a --seg */

		if (l->in_kernel) {
			if (l->phase != LIVE)
				broken(l, "the kernel has it; the log %s",
				       l->phase == UNBORN ? "never created it" : l->where);
			else if (l->dest != l->rmid)
				broken(l, "the kernel says %s; the log has %s rmid (%s)",
				       l->dest ? "dest" : "active", l->rmid ? "an" : "no",
				       l->where);
		} else if ((ns_alive || ns_gone || named) && l->phase == LIVE) {
			broken(l, "the kernel no longer has it%s; alive in the log (%s)",
			       ns_gone ? " (nor its namespace)" : "", l->where);
		}
	}
}

static void usage(void)
{
	fprintf(stderr,
		"usage: shmw-lifecheck [--ns INUM]... [--seg NS:SHMID]... [--forced INUM]... "
		"[--died INUM]... [--kernel FILE] [--alive INUM]... [--gone INUM]... "
		"FILE...\n");
	exit(3);
}

int main(int argc, char **argv)
{
	const char *kernel = NULL;
	int i, nfiles = 0;
	struct life *l, *tmp;

	for (i = 1; i < argc && argv[i][0] == '-'; i += 2) {
		const char *v = argv[i + 1];

		if (i + 1 >= argc)
			usage();
		if (!strcmp(argv[i], "--ns")) {
			add_list(&our_ns, v);
		} else if (!strcmp(argv[i], "--forced")) {
			add_list(&forced, v);
		} else if (!strcmp(argv[i], "--died")) {
			add_list(&died, v);
		} else if (!strcmp(argv[i], "--alive")) {
			add_list(&alive, v);
		} else if (!strcmp(argv[i], "--gone")) {
			add_list(&gone, v);
		} else if (!strcmp(argv[i], "--kernel")) {
			kernel = v;
		} else if (!strcmp(argv[i], "--seg")) {
			char *end;
			uint64_t ns = strtoull(v, &end, 10), shmid;

			if (*end != ':')
				usage();
			shmid = strtoull(end + 1, &end, 10);
			if (*end)
				usage();
			our_segs = xalloc(our_segs, (nour_segs + 1) * sizeof(*our_segs));
			our_segs[nour_segs++] = (struct seg_key){ns, shmid};
		} else {
			usage();
		}
	}
	for (; i < argc; i++) {
		FILE *f = fopen(argv[i], "re");

		if (!f) {
			fprintf(stderr, "shmw-lifecheck: %s: %s\n", argv[i], strerror(errno));
			return 3;
		}
		replay_file(f, argv[i], on_line);
		fclose(f);
		nfiles++;
	}
	if (!nfiles)
		usage();
	if (kernel) {
		read_kernel(kernel);
		check_end();
	}
	fprintf(stderr,
		"lifecheck: %lu lines, %u shmids of ours, %lu creates, %lu destroys, %lu rules "
		"broken\n",
		nlines, HASH_COUNT(lives), ncreates, ndestroys, nbroken);
	HASH_ITER(hh, lives, l, tmp)
	{
		HASH_DEL(lives, l);
		free(l);
	}
	replay_free();
	free(our_segs);
	if (fflush(stdout))
		return 2;
	return nbroken ? 1 : 0;
}
