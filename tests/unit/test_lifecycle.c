// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests for the segment lifecycle and the linger/orphan alerts (user/daemon/core/lifecycle.c).
 */
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "lifecycle.h"

#define S  SHMW_NS_PER_SEC
#define NS 4026531839u

struct rec {
	enum shmw_life_event ev;
	int32_t shmid;
	int64_t generation;
	const char *cause;
	uint32_t cause_num;
	uint32_t by_pid;
	uint32_t repeats;
	const char *reason;
};

static struct rec log_[64];
static int nlog;

static void cb(void *ctx, enum shmw_life_event ev, const struct shmw_lseg *s,
	       const struct shmw_life_info *info)
{
	(void)ctx;
	if (nlog >= 64)
		abort();
	log_[nlog++] = (struct rec){
	    .ev = ev,
	    .shmid = s->shmid,
	    .generation = s->generation,
	    .cause = info->cause_name,
	    .cause_num = info->cause,
	    .by_pid = info->by ? info->by->pid : 0,
	    .repeats = s->repeats,
	    .reason = info->reason,
	};
}

static int count(enum shmw_life_event ev)
{
	int n = 0;

	for (int i = 0; i < nlog; i++)
		n += log_[i].ev == ev;
	return n;
}

static const struct rec *last(enum shmw_life_event ev)
{
	for (int i = nlog - 1; i >= 0; i--)
		if (log_[i].ev == ev)
			return &log_[i];
	return NULL;
}

static struct shmw_kseg kseg(int32_t shmid, int64_t ctime, int64_t nattch, bool dest)
{
	struct shmw_kseg k = {
	    .ns = NS,
	    .shmid = shmid,
	    .key = dest ? 0 : 0x1234abcd,
	    .perms = 0640 | (dest ? SHMW_SHM_DEST : 0),
	    .size = 4096,
	    .cpid = 100,
	    .lpid = 101,
	    .nattch = nattch,
	    .ctime = ctime,
	    .dtime = 0,
	};
	return k;
}

static void test_create_rmid_destroy(void)
{
	struct shmw_life_opts o = {.linger_after = 60 * S, .realert = 600 * S};
	struct shmw_actor creator = {.pid = 42, .uid = 1000, .comm = "oracle"};
	struct shmw_actor remover = {.pid = 43, .uid = 1000, .comm = "sqlplus"};
	struct shmw_actor stray = {.pid = 44, .uid = 1000, .comm = "python"};
	struct shmw_life l;
	struct shmw_kseg k = kseg(7, 1000, 0, false);
	uint64_t t0 = 2000 * S;

	nlog = 0;
	shmw_life_init(&l, &o, cb, NULL);
	shmw_life_created(&l, NS, &k, &creator, t0);
	CHECK_INT("create", count(SHMW_LIFE_CREATE), 1);
	CHECK_STR("create cause shmget", last(SHMW_LIFE_CREATE)->cause, "shmget");
	CHECK_INT("create names the creator", last(SHMW_LIFE_CREATE)->by_pid, 42);
	CHECK_INT("create's generation is when the event says it was made (ns)",
		  last(SHMW_LIFE_CREATE)->generation, t0);
	shmw_life_held(&l, NS, 7, 1);

	/* Marked while attached: rmid, no destroy, the linger clock starts. The event carries
	 * the key the segment was made with. */
	shmw_life_rmid(&l, NS, &k, &remover, 1, t0 + 2 * S);
	CHECK_INT("rmid event", count(SHMW_LIFE_RMID), 1);
	CHECK_INT("rmid names the remover", last(SHMW_LIFE_RMID)->by_pid, 43);
	CHECK_INT("still there: no destroy", count(SHMW_LIFE_DESTROY), 0);
	CHECK_INT("original key kept after the kernel reports 0", shmw_life_find(&l, NS, 7)->key,
		  0x1234abcd);

	shmw_life_tick(&l, t0 + 61 * S);
	CHECK_INT("not lingering before linger-after", count(SHMW_LIFE_LINGER), 0);
	shmw_life_tick(&l, t0 + 62 * S);
	CHECK_INT("one linger alert at linger-after", count(SHMW_LIFE_LINGER), 1);
	shmw_life_tick(&l, t0 + 63 * S);
	CHECK_INT("no repeat before realert", count(SHMW_LIFE_LINGER), 1);
	shmw_life_tick(&l, t0 + 662 * S);
	CHECK_INT("repeat after realert", count(SHMW_LIFE_LINGER), 2);
	CHECK_INT("alerts counted: the second alert is repeat 1 (repeats - 1)",
		  last(SHMW_LIFE_LINGER)->repeats, 2);
	{
		const struct shmw_lseg *v[4];

		CHECK_INT("listed as lingering", shmw_life_lingering(&l, v, 4), 1);
	}
	{
		struct shmw_lseg_id ids[2];
		struct shmw_life_totals t;
		struct shmw_kseg other = kseg(8, 1000, 0, false);
		uint32_t *nss;

		other.ns = NS + 1;
		other.size = 8192;
		shmw_life_created(&l, other.ns, &other, &creator, t0 + 3 * S);
		CHECK_INT("one marked", shmw_life_marked(&l, ids, 2), 1);
		CHECK("the marked one", ids[0].ns == NS && ids[0].shmid == 7);
		CHECK_INT("two namespaces", shmw_life_namespaces(&l, &nss), 2);
		CHECK("each once", nss && nss[0] != nss[1]);
		free(nss);
		shmw_life_totals(&l, &t);
		CHECK("totals: one active of 8192 bytes, one marked of 4096",
		      t.segments[0] == 1 && t.bytes[0] == 8192 && t.segments[1] == 1 &&
			  t.bytes[1] == 4096);
		CHECK("totals: lingering since its rmid",
		      t.lingering == 1 && t.lingering_since == t0 + 2 * S && !t.orphans);
		shmw_life_destroyed(&l, other.ns, 8, SHMW_CAUSE_SHMCTL, "rmid", NULL, t0 + 4 * S);
		CHECK_INT("destroyed again", count(SHMW_LIFE_DESTROY), 1);
		nlog--; /* forget it: the checks below count destroys */
	}

	/* The stray holder exits: the kernel frees it, and the release is named. */
	shmw_life_destroyed(&l, NS, 7, SHMW_CAUSE_EXIT, NULL, &stray, t0 + 700 * S);
	CHECK_INT("linger_end on destroy", count(SHMW_LIFE_LINGER_END), 1);
	CHECK_STR("linger_end reason", last(SHMW_LIFE_LINGER_END)->reason, "destroyed");
	CHECK_INT("destroy", count(SHMW_LIFE_DESTROY), 1);
	CHECK_INT("destroy cause is the release", last(SHMW_LIFE_DESTROY)->cause_num,
		  SHMW_CAUSE_EXIT);
	CHECK_INT("destroy names the releaser", last(SHMW_LIFE_DESTROY)->by_pid, 44);
	CHECK("forgotten", shmw_life_find(&l, NS, 7) == NULL);
	shmw_life_tick(&l, t0 + 2000 * S);
	CHECK_INT("no alert after the end", count(SHMW_LIFE_LINGER), 2);
	shmw_life_clear(&l);
}

static void test_rmid_unattached_and_reuse(void)
{
	struct shmw_life_opts o = {.linger_after = 5 * S};
	struct shmw_actor a = {.pid = 1, .comm = "x"};
	struct shmw_life l;
	struct shmw_kseg k = kseg(9, 500, 0, false);

	nlog = 0;
	shmw_life_init(&l, &o, cb, NULL);
	shmw_life_reconcile(&l, NS, &k, 1, true, 1000 * S);
	CHECK_INT("start-up table gives create", count(SHMW_LIFE_CREATE), 1);
	CHECK_STR("cause seed at start-up", last(SHMW_LIFE_CREATE)->cause, "seed");
	shmw_life_rmid(&l, NS, &k, &a, 0, 1001 * S);
	CHECK_INT("rmid of an unattached segment", count(SHMW_LIFE_RMID), 1);
	shmw_life_destroyed(&l, NS, 9, SHMW_CAUSE_SHMCTL, "rmid", &a, 1001 * S);
	CHECK_STR("destroyed at once, cause rmid", last(SHMW_LIFE_DESTROY)->cause, "rmid");
	CHECK("rmid came before destroy", nlog >= 2 && log_[nlog - 2].ev == SHMW_LIFE_RMID);

	/* A new segment under an id we still hold a record for: the old one ended. */
	k = kseg(11, 500, 1, true);
	shmw_life_reconcile(&l, NS, &k, 1, false, 1002 * S);
	k = kseg(11, 777, 0, false);
	shmw_life_created(&l, NS, &k, &a, 1003 * S);
	CHECK_INT("reused id: old generation destroyed (the kernel's ctime, whole seconds)",
		  last(SHMW_LIFE_DESTROY)->generation, 500 * S);
	CHECK_INT("reused id: new generation created (the event's time)",
		  last(SHMW_LIFE_CREATE)->generation, 1003 * S);
	CHECK("new generation starts clean", !shmw_life_find(&l, NS, 11)->dest);
	shmw_life_tick(&l, 2000 * S);
	CHECK_INT("no linger for the new generation", count(SHMW_LIFE_LINGER), 0);
	shmw_life_clear(&l);
}

static void test_vanish_and_orphans(void)
{
	struct shmw_life_opts o = {.orphan_after = 10 * S, .linger_after = 1 * S};
	struct shmw_life l;
	struct shmw_kseg k[2] = {kseg(1, 100, 0, false), kseg(2, 100, 0, true)};
	const struct shmw_lseg *v[4];

	nlog = 0;
	k[0].dtime = 150; /* last detached at 150 s */
	shmw_life_init(&l, &o, cb, NULL);
	shmw_life_reconcile(&l, NS, k, 2, true, 155 * S);
	shmw_life_tick(&l, 159 * S);
	CHECK_INT("not an orphan before orphan-after (counted from dtime)", count(SHMW_LIFE_ORPHAN),
		  0);
	shmw_life_tick(&l, 160 * S);
	CHECK_INT("orphan after orphan-after since the last detach", count(SHMW_LIFE_ORPHAN), 1);
	CHECK_INT("the orphan is the unmarked one", last(SHMW_LIFE_ORPHAN)->shmid, 1);
	CHECK_INT("orphans lists it", shmw_life_orphans(&l, v, 4), 1);
	shmw_life_tick(&l, 500 * S);
	CHECK_INT("reported once", count(SHMW_LIFE_ORPHAN), 1);
	CHECK_INT("dest and unattached never lingers", count(SHMW_LIFE_LINGER), 0);

	/* Attached again: no longer an orphan. */
	k[0].nattch = 1;
	shmw_life_update(&l, NS, 1, &k[0], 501 * S);
	CHECK_INT("held again: not listed", shmw_life_orphans(&l, v, 4), 0);

	/* The namespace's table no longer has them. */
	shmw_life_reconcile(&l, NS, NULL, 0, false, 600 * S);
	/* An IPC_RMID's event may still be on its way: vanished only after a grace period. */
	CHECK_INT("missing segments wait for their rmid", count(SHMW_LIFE_DESTROY), 0);
	shmw_life_tick(&l, 600 * S + S / 4);
	CHECK_INT("still within the grace period", count(SHMW_LIFE_DESTROY), 0);
	shmw_life_tick(&l, 601 * S);
	CHECK_INT("vanished segments destroyed", count(SHMW_LIFE_DESTROY), 2);
	if (count(SHMW_LIFE_DESTROY))
		CHECK_STR("cause vanished", last(SHMW_LIFE_DESTROY)->cause, "vanished");
	shmw_life_clear(&l);
}

static void test_released_not_destroyed(void)
{
	struct shmw_life_opts o = {.linger_after = 1 * S};
	struct shmw_actor a = {.pid = 5, .comm = "a"};
	struct shmw_life l;
	struct shmw_kseg k = kseg(3, 10, 1, true);

	nlog = 0;
	shmw_life_init(&l, &o, cb, NULL);
	shmw_life_rmid(&l, NS, &k, &a, 1, 100 * S);
	shmw_life_update(&l, NS, 3, &k, 100 * S);
	shmw_life_tick(&l, 102 * S);
	CHECK_INT("lingering", count(SHMW_LIFE_LINGER), 1);
	/* The kernel still lists it with nattch 0 (a reference we cannot see went away later). */
	k.nattch = 0;
	shmw_life_update(&l, NS, 3, &k, 103 * S);
	shmw_life_tick(&l, 103 * S);
	CHECK_INT("linger_end when released", count(SHMW_LIFE_LINGER_END), 1);
	CHECK_STR("reason released", last(SHMW_LIFE_LINGER_END)->reason, "released");
	shmw_life_clear(&l);
}

static void test_orphan_clock_precision(void)
{
	struct shmw_life_opts o = {.orphan_after = 1 * S};
	struct shmw_actor a = {.pid = 7, .comm = "pg"};
	struct shmw_life l;
	/* Created at 100.8 s; the kernel's ctime says 100 (whole seconds). */
	struct shmw_kseg k = kseg(4, 100, 0, false);
	uint64_t t = 100 * S + 800000000ull;

	nlog = 0;
	shmw_life_init(&l, &o, cb, NULL);
	shmw_life_created(&l, NS, &k, &a, t);
	shmw_life_tick(&l, t + 300000000ull);
	CHECK_INT("orphan clock starts at the traced create, not the kernel's second",
		  count(SHMW_LIFE_ORPHAN), 0);
	shmw_life_held(&l, NS, 4, 1);
	shmw_life_tick(&l, t + 5 * S);
	CHECK_INT("an attach seen by the tracer keeps it from being an orphan",
		  count(SHMW_LIFE_ORPHAN), 0);
	/* Released at t + 5.5 s: orphan 1 s later, not earlier. */
	shmw_life_released(&l, NS, 4, t + 5 * S + 500000000ull);
	shmw_life_tick(&l, t + 6 * S + 400000000ull);
	CHECK_INT("not an orphan 0.9 s after the release", count(SHMW_LIFE_ORPHAN), 0);
	shmw_life_tick(&l, t + 6 * S + 600000000ull);
	CHECK_INT("1.1 s after the release: not before a reconcile read the last user",
		  count(SHMW_LIFE_ORPHAN), 0);
	k.lpid = 9;
	k.atime = 104;
	k.dtime = 105;
	shmw_life_reconcile(&l, NS, &k, 1, false, t + 6 * S + 700000000ull);
	shmw_life_tick(&l, t + 6 * S + 800000000ull);
	CHECK_INT("orphan once reconciled, 1.3 s after the release", count(SHMW_LIFE_ORPHAN), 1);
	CHECK_INT("the alert's last user is the kernel's", shmw_life_find(&l, NS, 4)->lpid, 9);
	shmw_life_clear(&l);
}

static void test_ipc_set_keeps_segment(void)
{
	struct shmw_life_opts o = {0};
	struct shmw_actor a = {.pid = 100, .comm = "db"};
	struct shmw_life l;
	struct shmw_kseg k = kseg(5, 1000, 1, false);

	nlog = 0;
	shmw_life_init(&l, &o, cb, NULL);
	shmw_life_created(&l, NS, &k, &a, 1000 * S);
	/* IPC_SET (chmod) bumps shm_ctime; creator, size and key stay. */
	k.ctime = 1005;
	k.perms = 0600;
	shmw_life_update(&l, NS, 5, &k, 1006 * S);
	CHECK_INT("IPC_SET: no destroy", count(SHMW_LIFE_DESTROY), 0);
	CHECK_INT("IPC_SET: no second create", count(SHMW_LIFE_CREATE), 1);
	CHECK_INT("IPC_SET: generation kept", shmw_life_find(&l, NS, 5)->generation, 1000 * S);
	CHECK_INT("IPC_SET: new mode seen", shmw_life_find(&l, NS, 5)->perms, 0600);
	/* Another creator under the same id: another segment. */
	k.ctime = 1010;
	k.cpid = 200;
	shmw_life_update(&l, NS, 5, &k, 1011 * S);
	CHECK_INT("other creator: the old one ended", count(SHMW_LIFE_DESTROY), 1);
	shmw_life_clear(&l);
}

static void test_restore_and_forget(void)
{
	struct shmw_life_opts o = {.linger_after = 10 * S};
	struct shmw_lseg s = {.ns = NS,
			      .shmid = 8,
			      .generation = 900 * S,
			      .key = 0x42,
			      .dest = true,
			      .dest_since = 950 * S,
			      .rmid_known = true};
	struct shmw_kseg k = kseg(8, 900, 1, true);
	struct shmw_life l;
	const struct shmw_lseg *got;

	nlog = 0;
	s.remover.pid = 77;
	shmw_life_init(&l, &o, cb, NULL);
	shmw_life_restore(&l, &s);
	CHECK_INT("restore reports nothing", nlog, 0);
	/* The start-up table has it (key 0 once marked): the log's segment, no second create. */
	shmw_life_reconcile(&l, NS, &k, 1, true, 1000 * S);
	CHECK_INT("a segment the log knows gets no create", count(SHMW_LIFE_CREATE), 0);
	got = shmw_life_find(&l, NS, 8);
	CHECK("kept", got != NULL);
	if (got) {
		CHECK_INT("removal time from the log", got->dest_since, 950 * S);
		CHECK_INT("remover from the log", got->remover.pid, 77);
		CHECK_INT("key from the log", got->key, 0x42);
	}
	shmw_life_tick(&l, 961 * S);
	CHECK_INT("linger clock from the log's removal", count(SHMW_LIFE_LINGER), 1);
	shmw_life_forget(&l, NS, 8);
	CHECK("forgotten", shmw_life_find(&l, NS, 8) == NULL);
	CHECK_INT("forget reports nothing", count(SHMW_LIFE_DESTROY), 0);
	shmw_life_clear(&l);
}

static void test_locked(void)
{
	struct shmw_life_opts o = {0};
	struct shmw_kseg k = kseg(12, 10, 1, false);
	struct shmw_life l;

	nlog = 0;
	k.perms |= SHMW_SHM_LOCKED;
	shmw_life_init(&l, &o, cb, NULL);
	shmw_life_reconcile(&l, NS, &k, 1, true, 20 * S);
	CHECK("SHM_LOCK seen", shmw_life_find(&l, NS, 12)->locked);
	CHECK_INT("perms without the status bits", shmw_life_find(&l, NS, 12)->perms, 0640);
	shmw_life_clear(&l);
}

/* What the kernel's table says ahead of the ring: a segment gone from it (an exit's destroy
 * still in the ring) and one new in it (its shmget's create still in the ring). */
static void test_table_ahead_of_ring(void)
{
	struct shmw_life_opts o = {0};
	struct shmw_actor a = {.pid = 100, .comm = "a"};
	struct shmw_kseg k = kseg(7, 100, 1, true), nk = kseg(8, 299, 0, false);
	struct shmw_life l;

	nlog = 0;
	shmw_life_init(&l, &o, cb, NULL);
	shmw_life_created(&l, NS, &k, &a, 100 * S);
	shmw_life_update(&l, NS, 7, NULL, 200 * S);
	CHECK_INT("gone from the table: not vanished at once", count(SHMW_LIFE_DESTROY), 0);
	l.behind = true;
	shmw_life_tick(&l, 201 * S);
	CHECK_INT("not vanished while the ring is behind", count(SHMW_LIFE_DESTROY), 0);
	l.behind = false;
	shmw_life_tick(&l, 202 * S);
	CHECK_INT("vanished once the ring caught up", count(SHMW_LIFE_DESTROY), 1);

	/* Made a second ago: its create event is likely on the way, not found by a reconcile. */
	shmw_life_reconcile(&l, NS, &nk, 1, false, 300 * S);
	CHECK_INT("a fresh segment is not created by a reconcile", count(SHMW_LIFE_CREATE), 1);
	shmw_life_reconcile(&l, NS, &nk, 1, false, 302 * S);
	CHECK_INT("found by a later reconcile", count(SHMW_LIFE_CREATE), 2);
	shmw_life_clear(&l);
}

/* A second IPC_RMID of a marked segment is logged, but the linger clock and the remover named in
 * the alert stay those of the first; a tick whose clock was read before an rmid's (now earlier
 * than dest_since) does not count as a lingering that long. */
static void test_second_rmid_and_early_clock(void)
{
	struct shmw_life_opts o = {.linger_after = 60 * S, .realert = 600 * S};
	struct shmw_actor first = {.pid = 50, .uid = 0, .comm = "postgres"};
	struct shmw_actor again = {.pid = 51, .uid = 0, .comm = "ipcrm"};
	struct shmw_life l;
	struct shmw_kseg k = kseg(9, 1000, 1, false);
	uint64_t t0 = 5000 * S;

	nlog = 0;
	shmw_life_init(&l, &o, cb, NULL);
	shmw_life_created(&l, NS, &k, &first, t0);
	shmw_life_held(&l, NS, 9, 1);
	shmw_life_rmid(&l, NS, &k, &first, 1, t0 + 10 * S);
	shmw_life_tick(&l, t0 + 10 * S - 1000);
	CHECK_INT("a tick read before the rmid: not lingering", count(SHMW_LIFE_LINGER), 0);
	shmw_life_rmid(&l, NS, &k, &again, 1, t0 + 50 * S);
	CHECK_INT("both rmids logged", count(SHMW_LIFE_RMID), 2);
	CHECK_INT("the second names its caller", last(SHMW_LIFE_RMID)->by_pid, 51);
	shmw_life_tick(&l, t0 + 71 * S);
	CHECK_INT("lingering counted from the first rmid", count(SHMW_LIFE_LINGER), 1);
	CHECK("the remover is the first one", shmw_life_find(&l, NS, 9)->remover.pid == 50);
	shmw_life_clear(&l);
}

int main(void)
{
	test_second_rmid_and_early_clock();
	test_restore_and_forget();
	test_locked();
	test_ipc_set_keeps_segment();
	test_orphan_clock_precision();
	test_create_rmid_destroy();
	test_rmid_unattached_and_reuse();
	test_vanish_and_orphans();
	test_released_not_destroyed();
	test_table_ahead_of_ring();
	return CHECK_DONE();
}
