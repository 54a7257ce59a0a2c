// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Unit tests for user/daemon/core/state.c: the user-space mirror of the BPF maps, fed by hand-made
 * events and snapshots. After every step the hash tables are walked again to check that nholdings,
 * the segment index and the pid index agree with what the mms hold. */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "state.h"

#define NS1 4026531839u
#define NS2 4026532500u

static struct shmw_state st;
static uint64_t next_version = 1;

/* ---- building events ---- */

static struct shmw_event mkev(uint32_t type, uint64_t version, uint64_t mm, uint32_t pid,
			      uint32_t ns, uint32_t shmid, uint32_t nvma)
{
	struct shmw_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.ts = 1000 + version;
	ev.version = version;
	ev.mm = mm;
	ev.type = type;
	ev.cause = SHMW_CAUSE_SHMAT;
	ev.ns = ns;
	ev.shmid = shmid;
	ev.key = 0x1000 + shmid;
	ev.size = 4096u * (shmid + 1);
	ev.since = 500 + shmid;
	ev.nvma = nvma;
	ev.pid = pid;
	ev.actor = pid;
	ev.uid = 1000;
	ev.how = SHMW_CAUSE_SHMAT;
	snprintf(ev.comm, sizeof(ev.comm), "p%u", pid);
	return ev;
}

/* Applies a holder event (attach, detach or vmas) with the next global version. */
static enum shmw_change hold(uint32_t type, uint64_t mm, uint32_t pid, uint32_t ns, uint32_t shmid,
			     uint32_t nvma)
{
	struct shmw_event ev = mkev(type, next_version++, mm, pid, ns, shmid, nvma);

	return shmw_state_apply(&st, &ev);
}

static enum shmw_change owner(uint64_t mm, uint32_t pid)
{
	struct shmw_event ev = mkev(SHMW_EV_OWNER, next_version++, mm, pid, 0, 0, 0);

	return shmw_state_apply(&st, &ev);
}

static enum shmw_change share(uint32_t type, uint64_t mm, uint32_t owner_pid, uint32_t sharer)
{
	struct shmw_event ev = mkev(type, next_version++, mm, owner_pid, 0, 0, 0);

	ev.actor = sharer;
	snprintf(ev.comm, sizeof(ev.comm), "s%u", sharer);
	return shmw_state_apply(&st, &ev);
}

/* ---- looking at the state ---- */

static const struct shmw_mmst *mm_of(uint32_t pid)
{
	const struct shmw_sharerst *sh = (const void *)1;

	return shmw_state_mm_of_pid(&st, pid, &sh);
}

static bool seg_has_mm(const struct shmw_seg *seg, uint64_t mm)
{
	for (uint32_t i = 0; seg && i < seg->nmms; i++)
		if (seg->mms[i]->mm == mm)
			return true;
	return false;
}

static uint32_t nvma_of(uint64_t mm, uint32_t ns, uint32_t shmid)
{
	struct shmw_mmst *m = NULL;
	const struct shmw_mm_seg *s;

	HASH_FIND(hh, st.mms, &mm, sizeof(mm), m);
	if (!m)
		return 0;
	s = shmw_mm_seg_of(m, ns, shmid);
	return s ? s->nvma : 0;
}

static bool has_mm(uint64_t mm)
{
	struct shmw_mmst *m = NULL;

	HASH_FIND(hh, st.mms, &mm, sizeof(mm), m);
	return m != NULL;
}

/*
 * Recounts everything from the hash tables and compares with nholdings and the indexes:
 * every held slot has its mm in the segment's list and vice versa, no mm is empty, no segment
 * has no holder, and the pid index holds exactly the mms marked pid_indexed, under their tgid.
 */
static void check_consistent(const char *step)
{
	const struct shmw_mmst *m, *mt;
	const struct shmw_seg *seg, *segt;
	uint64_t slots = 0, listed = 0;
	size_t indexed = 0;
	bool ok = true;
	char name[160];

	HASH_ITER(hh, st.mms, m, mt)
	{
		int held = 0;

		for (uint32_t i = 0; i < m->nsegs; i++) {
			const struct shmw_mm_seg *s = &m->segs[i];

			if (!s->nvma) {
				printf("  (%s: mm 0x%llx keeps a free slot)\n", step,
				       (unsigned long long)m->mm);
				ok = false;
				continue;
			}
			held++;
			slots++;
			seg = shmw_state_seg(&st, s->ns, s->shmid);
			if (!seg_has_mm(seg, m->mm)) {
				printf("  (%s: mm 0x%llx slot %u/%u not in the segment index)\n",
				       step, (unsigned long long)m->mm, s->ns, s->shmid);
				ok = false;
			}
			for (uint32_t j = i + 1; j < m->nsegs; j++)
				if (m->segs[j].nvma && m->segs[j].ns == s->ns &&
				    m->segs[j].shmid == s->shmid)
					ok = false; /* one segment in two slots */
		}
		if (!held) {
			printf("  (%s: empty mm 0x%llx kept)\n", step, (unsigned long long)m->mm);
			ok = false;
		}
		if (m->pid_indexed) {
			const struct shmw_mmst *p = NULL;

			indexed++;
			HASH_FIND(hh_pid, st.by_pid, &m->tgid, sizeof(m->tgid), p);
			if (p != m)
				ok = false;
		}
	}
	HASH_ITER(hh, st.segs, seg, segt)
	{
		if (!seg->nmms)
			ok = false;
		for (uint32_t i = 0; i < seg->nmms; i++) {
			listed++;
			if (!shmw_mm_seg_of(seg->mms[i], seg->ns, seg->shmid))
				ok = false;
			for (uint32_t j = i + 1; j < seg->nmms; j++)
				if (seg->mms[i] == seg->mms[j])
					ok = false;
		}
	}
	if (HASH_CNT(hh_pid, st.by_pid) != indexed)
		ok = false;

	snprintf(name, sizeof(name), "%s: nholdings equals held slots", step);
	CHECK_INT(name, st.nholdings, slots);
	snprintf(name, sizeof(name), "%s: nholdings equals segment index entries", step);
	CHECK_INT(name, st.nholdings, listed);
	snprintf(name, sizeof(name), "%s: indexes consistent", step);
	CHECK(name, ok);
}

/* ---- events ---- */

static void test_attach_detach(void)
{
	const struct shmw_sharerst *sh = (const void *)1;
	const struct shmw_seg *seg;
	const struct shmw_mmst *m;
	uint64_t v;

	shmw_state_init(&st);
	CHECK_INT("attach returns ATTACH", hold(SHMW_EV_ATTACH, 0xa000, 100, NS1, 5, 1),
		  SHMW_CHG_ATTACH);
	CHECK_INT("attach one mm", shmw_state_nmms(&st), 1);
	CHECK_INT("attach one seg", shmw_state_nsegs(&st), 1);
	seg = shmw_state_seg(&st, NS1, 5);
	CHECK("attach seg indexed", seg != NULL);
	CHECK_INT("attach seg one holder", seg ? seg->nmms : 0, 1);
	CHECK("attach seg holder is the mm", seg_has_mm(seg, 0xa000));
	CHECK_INT("attach seg key", seg ? seg->key : 0, 0x1005);
	CHECK_INT("attach seg size", seg ? seg->size : 0, 6 * 4096);
	CHECK("attach seg other ns absent", shmw_state_seg(&st, NS2, 5) == NULL);
	m = shmw_state_mm_of_pid(&st, 100, &sh);
	CHECK("attach pid index", m && m->mm == 0xa000);
	CHECK("attach pid not sharer", sh == NULL);
	CHECK_INT("attach mm tgid", m ? m->tgid : 0, 100);
	CHECK_INT("attach mm uid", m ? m->uid : 0, 1000);
	CHECK_STR("attach mm comm", m ? m->comm : NULL, "p100");
	CHECK_INT("attach nvma", nvma_of(0xa000, NS1, 5), 1);
	CHECK_INT("attach slot since",
		  m && shmw_mm_seg_of(m, NS1, 5) ? shmw_mm_seg_of(m, NS1, 5)->since : 0, 505);
	CHECK_INT("attach slot how",
		  m && shmw_mm_seg_of(m, NS1, 5) ? shmw_mm_seg_of(m, NS1, 5)->how : 0,
		  SHMW_CAUSE_SHMAT);
	CHECK_INT("attach nholdings", st.nholdings, 1);
	check_consistent("attach");

	/* Second shmat of the same segment: absolute count 2, still one holder. */
	CHECK_INT("second vma returns VMAS", hold(SHMW_EV_VMAS, 0xa000, 100, NS1, 5, 2),
		  SHMW_CHG_VMAS);
	seg = shmw_state_seg(&st, NS1, 5);
	CHECK_INT("second vma one holder", seg ? seg->nmms : 0, 1);
	CHECK_INT("second vma one mm", shmw_state_nmms(&st), 1);
	CHECK_INT("second vma nvma 2", nvma_of(0xa000, NS1, 5), 2);
	CHECK_INT("second vma nholdings", st.nholdings, 1);
	check_consistent("second vma");

	/* Stale: not newer than what the mm already reflects. */
	v = next_version - 1;
	{
		struct shmw_event same = mkev(SHMW_EV_VMAS, v, 0xa000, 100, NS1, 5, 7);
		struct shmw_event older = mkev(SHMW_EV_DETACH, v - 1, 0xa000, 100, NS1, 5, 0);
		struct shmw_event other = mkev(SHMW_EV_ATTACH, v, 0xa000, 100, NS1, 6, 1);

		CHECK_INT("stale same version ignored", shmw_state_apply(&st, &same),
			  SHMW_CHG_NONE);
		CHECK_INT("stale same version nvma kept", nvma_of(0xa000, NS1, 5), 2);
		CHECK_INT("stale older detach ignored", shmw_state_apply(&st, &older),
			  SHMW_CHG_NONE);
		CHECK("stale older detach keeps holder", shmw_state_seg(&st, NS1, 5) != NULL);
		CHECK_INT("stale attach ignored", shmw_state_apply(&st, &other), SHMW_CHG_NONE);
		CHECK("stale attach adds no segment", shmw_state_seg(&st, NS1, 6) == NULL);
	}
	check_consistent("stale");

	/* A newer event that repeats the count changes nothing. */
	CHECK_INT("same count returns NONE", hold(SHMW_EV_VMAS, 0xa000, 100, NS1, 5, 2),
		  SHMW_CHG_NONE);
	CHECK_INT("split to 3 returns VMAS", hold(SHMW_EV_VMAS, 0xa000, 100, NS1, 5, 3),
		  SHMW_CHG_VMAS);
	CHECK_INT("munmap to 1 returns VMAS", hold(SHMW_EV_VMAS, 0xa000, 100, NS1, 5, 1),
		  SHMW_CHG_VMAS);
	CHECK_INT("nvma back to 1", nvma_of(0xa000, NS1, 5), 1);
	check_consistent("vmas changes");

	/* Detach to 0: holder, mm and (last holder) segment go. */
	CHECK_INT("detach returns DETACH", hold(SHMW_EV_DETACH, 0xa000, 100, NS1, 5, 0),
		  SHMW_CHG_DETACH);
	CHECK_INT("detach no mm", shmw_state_nmms(&st), 0);
	CHECK_INT("detach no seg", shmw_state_nsegs(&st), 0);
	CHECK("detach seg gone", shmw_state_seg(&st, NS1, 5) == NULL);
	CHECK("detach pid gone", mm_of(100) == NULL);
	CHECK("detach pid index empty", st.by_pid == NULL);
	CHECK_INT("detach nholdings 0", st.nholdings, 0);
	check_consistent("detach");

	/* Detach of something we never saw creates nothing. */
	CHECK_INT("unknown detach returns NONE", hold(SHMW_EV_DETACH, 0xb000, 101, NS1, 5, 0),
		  SHMW_CHG_NONE);
	CHECK_INT("unknown detach no mm", shmw_state_nmms(&st), 0);
	CHECK("unknown detach no pid", mm_of(101) == NULL);
	/* RMID and OVERFLOW are the caller's business. */
	{
		struct shmw_event ev = mkev(SHMW_EV_RMID, next_version++, 0, 102, NS1, 5, 0);

		CHECK_INT("rmid returns NONE", shmw_state_apply(&st, &ev), SHMW_CHG_NONE);
		ev = mkev(SHMW_EV_OVERFLOW, next_version++, 0xc000, 102, NS1, 5, 1);
		CHECK_INT("overflow returns NONE", shmw_state_apply(&st, &ev), SHMW_CHG_NONE);
		CHECK_INT("overflow adds no mm", shmw_state_nmms(&st), 0);
	}
	check_consistent("unknown detach");
	shmw_state_clear(&st);
}

static void test_two_mms_one_seg(void)
{
	const struct shmw_seg *seg;

	shmw_state_init(&st);
	CHECK_INT("two mms: first attach", hold(SHMW_EV_ATTACH, 0xa000, 100, NS1, 5, 1),
		  SHMW_CHG_ATTACH);
	CHECK_INT("two mms: second attach", hold(SHMW_EV_ATTACH, 0xb000, 200, NS1, 5, 1),
		  SHMW_CHG_ATTACH);
	seg = shmw_state_seg(&st, NS1, 5);
	CHECK_INT("two mms: seg has two holders", seg ? seg->nmms : 0, 2);
	CHECK("two mms: holder a", seg_has_mm(seg, 0xa000));
	CHECK("two mms: holder b", seg_has_mm(seg, 0xb000));
	CHECK_INT("two mms: one seg", shmw_state_nsegs(&st), 1);
	CHECK_INT("two mms: two mms", shmw_state_nmms(&st), 2);
	CHECK("two mms: pid 100", mm_of(100) && mm_of(100)->mm == 0xa000);
	CHECK("two mms: pid 200", mm_of(200) && mm_of(200)->mm == 0xb000);
	CHECK_INT("two mms: nholdings 2", st.nholdings, 2);
	check_consistent("two mms");

	CHECK_INT("two mms: first detach", hold(SHMW_EV_DETACH, 0xa000, 100, NS1, 5, 0),
		  SHMW_CHG_DETACH);
	seg = shmw_state_seg(&st, NS1, 5);
	CHECK("two mms: seg stays after first detach", seg != NULL);
	CHECK_INT("two mms: one holder left", seg ? seg->nmms : 0, 1);
	CHECK("two mms: b still holds", seg_has_mm(seg, 0xb000));
	CHECK("two mms: a no longer holds", !seg_has_mm(seg, 0xa000));
	CHECK("two mms: pid 100 gone", mm_of(100) == NULL);
	check_consistent("two mms first detach");

	CHECK_INT("two mms: last detach", hold(SHMW_EV_DETACH, 0xb000, 200, NS1, 5, 0),
		  SHMW_CHG_DETACH);
	CHECK("two mms: seg gone after last detach", shmw_state_seg(&st, NS1, 5) == NULL);
	CHECK_INT("two mms: nholdings 0", st.nholdings, 0);
	check_consistent("two mms last detach");
	shmw_state_clear(&st);
}

static void test_one_mm_many_segs(void)
{
	uint32_t ns[4];

	shmw_state_init(&st);
	hold(SHMW_EV_ATTACH, 0xa000, 100, NS1, 5, 1);
	hold(SHMW_EV_ATTACH, 0xa000, 100, NS1, 6, 1);
	hold(SHMW_EV_ATTACH, 0xa000, 100, NS1, 7, 2);
	/* Same shmid in another IPC namespace (setns between two shmat). */
	CHECK_INT("many segs: colliding shmid attach", hold(SHMW_EV_ATTACH, 0xa000, 100, NS2, 5, 1),
		  SHMW_CHG_ATTACH);
	CHECK_INT("many segs: one mm", shmw_state_nmms(&st), 1);
	CHECK_INT("many segs: four segs", shmw_state_nsegs(&st), 4);
	CHECK_INT("many segs: nholdings 4", st.nholdings, 4);
	CHECK_INT("many segs: ns1/7 nvma", nvma_of(0xa000, NS1, 7), 2);
	CHECK_INT("many segs: ns2/5 key",
		  shmw_state_seg(&st, NS2, 5) ? shmw_state_seg(&st, NS2, 5)->key : 0, 0x1005);
	check_consistent("many segs");

	/* namespaces_of: shmid 5 exists in both namespaces. */
	memset(ns, 0, sizeof(ns));
	CHECK_INT("namespaces_of 5 count", shmw_state_namespaces_of(&st, 5, ns, 4), 2);
	CHECK("namespaces_of 5 both",
	      (ns[0] == NS1 && ns[1] == NS2) || (ns[0] == NS2 && ns[1] == NS1));
	CHECK_INT("namespaces_of 6 count", shmw_state_namespaces_of(&st, 6, ns, 4), 1);
	CHECK_INT("namespaces_of 6 ns", ns[0], NS1);
	CHECK_INT("namespaces_of unknown", shmw_state_namespaces_of(&st, 99, ns, 4), 0);
	ns[1] = 0xdead;
	CHECK_INT("namespaces_of max 1 still counts", shmw_state_namespaces_of(&st, 5, ns, 1), 2);
	CHECK("namespaces_of max 1 fills one", (ns[0] == NS1 || ns[0] == NS2) && ns[1] == 0xdead);
	CHECK_INT("namespaces_of max 0", shmw_state_namespaces_of(&st, 5, NULL, 0), 2);

	CHECK_INT("many segs: detach ns1/6", hold(SHMW_EV_DETACH, 0xa000, 100, NS1, 6, 0),
		  SHMW_CHG_DETACH);
	CHECK_INT("many segs: mm stays", shmw_state_nmms(&st), 1);
	CHECK_INT("many segs: three segs", shmw_state_nsegs(&st), 3);
	CHECK("many segs: ns1/6 gone", shmw_state_seg(&st, NS1, 6) == NULL);
	CHECK("many segs: pid kept", mm_of(100) && mm_of(100)->mm == 0xa000);
	check_consistent("many segs detach one");

	CHECK_INT("many segs: detach ns1/5", hold(SHMW_EV_DETACH, 0xa000, 100, NS1, 5, 0),
		  SHMW_CHG_DETACH);
	CHECK("many segs: ns2/5 untouched", shmw_state_seg(&st, NS2, 5) != NULL);
	CHECK_INT("many segs: namespaces_of 5 now one", shmw_state_namespaces_of(&st, 5, ns, 4), 1);
	CHECK_INT("many segs: namespaces_of 5 is ns2", ns[0], NS2);
	/* A freed slot is reused. */
	CHECK_INT("many segs: reattach ns1/6", hold(SHMW_EV_ATTACH, 0xa000, 100, NS1, 6, 1),
		  SHMW_CHG_ATTACH);
	check_consistent("many segs reattach");

	hold(SHMW_EV_DETACH, 0xa000, 100, NS1, 6, 0);
	hold(SHMW_EV_DETACH, 0xa000, 100, NS1, 7, 0);
	CHECK_INT("many segs: mm stays until the last", shmw_state_nmms(&st), 1);
	hold(SHMW_EV_DETACH, 0xa000, 100, NS2, 5, 0);
	CHECK_INT("many segs: all gone", shmw_state_nmms(&st) + shmw_state_nsegs(&st), 0);
	check_consistent("many segs all detached");
	shmw_state_clear(&st);
}

static void test_owner(void)
{
	const struct shmw_sharerst *sh = NULL;
	const struct shmw_mmst *m;

	shmw_state_init(&st);
	hold(SHMW_EV_ATTACH, 0xa000, 100, NS1, 5, 1);
	CHECK_INT("owner: sharer joins", share(SHMW_EV_SHARE, 0xa000, 100, 101), SHMW_CHG_SHARE);
	CHECK_INT("owner: returns OWNER", owner(0xa000, 101), SHMW_CHG_OWNER);
	m = shmw_state_mm_of_pid(&st, 101, &sh);
	CHECK("owner: new pid finds mm", m && m->mm == 0xa000);
	CHECK("owner: new pid is owner, not sharer", sh == NULL);
	CHECK_INT("owner: tgid", m ? m->tgid : 0, 101);
	CHECK_STR("owner: comm", m ? m->comm : NULL, "p101");
	CHECK("owner: old pid gone", mm_of(100) == NULL);
	CHECK_INT("owner: heir no longer a sharer", shmw_state_sharers_of(&st, 0xa000, NULL, NULL),
		  0);
	CHECK("owner: still one holder",
	      shmw_state_seg(&st, NS1, 5) && shmw_state_seg(&st, NS1, 5)->nmms == 1);
	check_consistent("owner");

	/* Stale owner event. */
	{
		struct shmw_event ev = mkev(SHMW_EV_OWNER, next_version - 1, 0xa000, 102, 0, 0, 0);

		CHECK_INT("owner: stale ignored", shmw_state_apply(&st, &ev), SHMW_CHG_NONE);
		CHECK("owner: stale keeps pid", mm_of(101) && mm_of(101)->tgid == 101);
		CHECK("owner: stale adds no pid", mm_of(102) == NULL);
	}
	/* Owner event for an mm we do not have. */
	CHECK_INT("owner: unknown mm", owner(0xf000, 103), SHMW_CHG_NONE);
	CHECK("owner: unknown mm adds no pid", mm_of(103) == NULL);

	/* A holder event naming another pid also moves the index. */
	CHECK_INT("owner: vmas naming pid 104", hold(SHMW_EV_VMAS, 0xa000, 104, NS1, 5, 2),
		  SHMW_CHG_VMAS);
	CHECK("owner: pid 104 indexed", mm_of(104) && mm_of(104)->mm == 0xa000);
	CHECK("owner: pid 101 unindexed", mm_of(101) == NULL);
	check_consistent("owner via vmas");

	CHECK_INT("owner: detach", hold(SHMW_EV_DETACH, 0xa000, 104, NS1, 5, 0), SHMW_CHG_DETACH);
	CHECK("owner: pid 104 gone", mm_of(104) == NULL);
	CHECK("owner: pid index empty", st.by_pid == NULL);
	check_consistent("owner detach");
	shmw_state_clear(&st);
}

static void test_exec(void)
{
	const struct shmw_seg *seg;
	const struct shmw_mmst *m;

	shmw_state_init(&st);
	/* pid 300 holds seg 5 in mm A; a CLONE_VM sibling keeps A alive while 300 execs. */
	hold(SHMW_EV_ATTACH, 0xa000, 300, NS1, 5, 1);
	/* After exec, pid 300 attaches seg 6 in its new mm B. */
	CHECK_INT("exec: new mm attach", hold(SHMW_EV_ATTACH, 0xb000, 300, NS1, 6, 1),
		  SHMW_CHG_ATTACH);
	m = mm_of(300);
	CHECK("exec: pid index moves to new mm", m && m->mm == 0xb000);
	CHECK_INT("exec: both mms held", shmw_state_nmms(&st), 2);
	seg = shmw_state_seg(&st, NS1, 5);
	CHECK("exec: old mm still a holder", seg_has_mm(seg, 0xa000));
	CHECK("exec: old mm not pid indexed", seg && seg->nmms == 1 && !seg->mms[0]->pid_indexed);
	CHECK_INT("exec: old mm keeps its tgid", seg && seg->nmms ? seg->mms[0]->tgid : 0, 300);
	check_consistent("exec");

	/* An event on the old mm naming the same pid does not take the index back. */
	CHECK_INT("exec: old mm vmas", hold(SHMW_EV_VMAS, 0xa000, 300, NS1, 5, 2), SHMW_CHG_VMAS);
	CHECK("exec: index stays on new mm", mm_of(300) && mm_of(300)->mm == 0xb000);
	check_consistent("exec old vmas");

	/* The old mm's exit_mmap. */
	CHECK_INT("exec: old mm detach", hold(SHMW_EV_DETACH, 0xa000, 300, NS1, 5, 0),
		  SHMW_CHG_DETACH);
	CHECK("exec: old mm gone", !has_mm(0xa000));
	CHECK("exec: seg 5 gone", shmw_state_seg(&st, NS1, 5) == NULL);
	m = mm_of(300);
	CHECK("exec: index still on new mm after old detach", m && m->mm == 0xb000);
	CHECK("exec: new mm still indexed", m && m->pid_indexed);
	CHECK_INT("exec: one mm left", shmw_state_nmms(&st), 1);
	check_consistent("exec old detach");

	CHECK_INT("exec: new mm detach", hold(SHMW_EV_DETACH, 0xb000, 300, NS1, 6, 0),
		  SHMW_CHG_DETACH);
	CHECK("exec: all gone", mm_of(300) == NULL && st.by_pid == NULL && st.mms == NULL);
	check_consistent("exec new detach");

	/* Exec, then a sibling takes the old mm over (OWNER): both pids indexed. */
	hold(SHMW_EV_ATTACH, 0xa000, 300, NS1, 5, 1);
	hold(SHMW_EV_ATTACH, 0xb000, 300, NS1, 6, 1);
	CHECK_INT("exec: sibling takes old mm", owner(0xa000, 301), SHMW_CHG_OWNER);
	CHECK("exec: sibling indexed to old mm", mm_of(301) && mm_of(301)->mm == 0xa000);
	CHECK("exec: execer still on new mm", mm_of(300) && mm_of(300)->mm == 0xb000);
	check_consistent("exec then owner");
	shmw_state_clear(&st);
}

struct sharer_seen {
	uint32_t n;
	uint32_t tgids[8];
};

static void collect_sharer(void *p, const struct shmw_sharerst *sh)
{
	struct sharer_seen *s = p;

	if (s->n < 8)
		s->tgids[s->n] = sh->tgid;
	s->n++;
}

static void test_sharers(void)
{
	const struct shmw_sharerst *sh = NULL;
	struct sharer_seen seen = {0};
	const struct shmw_mmst *m;

	shmw_state_init(&st);
	hold(SHMW_EV_ATTACH, 0xa000, 100, NS1, 5, 1);
	hold(SHMW_EV_ATTACH, 0xb000, 200, NS1, 5, 1);
	CHECK_INT("sharer: share returns SHARE", share(SHMW_EV_SHARE, 0xa000, 100, 400),
		  SHMW_CHG_SHARE);
	m = shmw_state_mm_of_pid(&st, 400, &sh);
	CHECK("sharer: mm_of_pid finds owner's mm", m && m->mm == 0xa000);
	CHECK("sharer: *sharer set", sh != NULL);
	CHECK_INT("sharer: sharer tgid", sh ? sh->tgid : 0, 400);
	CHECK_INT("sharer: sharer mm", sh ? sh->mm : 0, 0xa000);
	CHECK_STR("sharer: sharer comm", sh ? sh->comm : NULL, "s400");
	CHECK("sharer: owner still owner", mm_of(100) && mm_of(100)->tgid == 100);
	shmw_state_mm_of_pid(&st, 100, &sh);
	CHECK("sharer: owner lookup clears *sharer", sh == NULL);
	CHECK_INT("sharer: sharers_of a", shmw_state_sharers_of(&st, 0xa000, collect_sharer, &seen),
		  1);
	CHECK("sharer: callback saw 400", seen.n == 1 && seen.tgids[0] == 400);
	CHECK_INT("sharer: sharers_of b", shmw_state_sharers_of(&st, 0xb000, NULL, NULL), 0);
	CHECK_INT("sharer: a sharer is not a holding", st.nholdings, 2);
	CHECK("sharer: state_sharer finds it",
	      shmw_state_sharer(&st, 400) && shmw_state_sharer(&st, 400)->mm == 0xa000);
	CHECK("sharer: state_sharer of an owner", shmw_state_sharer(&st, 100) == NULL);
	CHECK("sharer: state_mm finds a", shmw_state_mm(&st, 0xa000) == mm_of(100));
	CHECK("sharer: state_mm of nothing held", shmw_state_mm(&st, 0xc000) == NULL);
	CHECK_INT("sharer: holders are the owners and the sharer", shmw_state_nholders(&st), 3);
	CHECK("sharer: NS1 held", shmw_state_ns_held(&st, NS1));
	CHECK("sharer: NS2 not held", !shmw_state_ns_held(&st, NS2));
	check_consistent("sharer");

	/* A second sharer on b; unshare with the wrong mm is ignored. */
	share(SHMW_EV_SHARE, 0xb000, 200, 401);
	CHECK_INT("sharer: unshare wrong mm ignored", share(SHMW_EV_UNSHARE, 0xb000, 200, 400),
		  SHMW_CHG_NONE);
	CHECK("sharer: still sharing after wrong unshare",
	      shmw_state_mm_of_pid(&st, 400, &sh) && sh && sh->mm == 0xa000);
	CHECK_INT("sharer: unshare returns UNSHARE", share(SHMW_EV_UNSHARE, 0xa000, 100, 400),
		  SHMW_CHG_UNSHARE);
	CHECK("sharer: gone after unshare", shmw_state_mm_of_pid(&st, 400, &sh) == NULL);
	CHECK("sharer: *sharer NULL after unshare", sh == NULL);
	CHECK_INT("sharer: unshare twice", share(SHMW_EV_UNSHARE, 0xa000, 100, 400), SHMW_CHG_NONE);
	CHECK_INT("sharer: b keeps its sharer", shmw_state_sharers_of(&st, 0xb000, NULL, NULL), 1);
	CHECK("sharer: unknown pid", shmw_state_mm_of_pid(&st, 999, &sh) == NULL && sh == NULL);
	/* A sharer of an mm that holds nothing is no holder. */
	share(SHMW_EV_SHARE, 0xc000, 300, 402);
	CHECK_INT("sharer: a sharer of nothing held is no holder", shmw_state_nholders(&st), 3);
	check_consistent("unshare");
	shmw_state_clear(&st);
	CHECK("sharer: clear empties sharers", st.sharers == NULL);
}

/* ---- snapshots ---- */

struct change {
	enum shmw_change chg;
	uint64_t mm;
	uint32_t tgid;
	uint32_t ns, shmid, nvma;
	uint32_t sharer;
};

static struct change changes[64];
static size_t nchanges;

static void on_change(void *ctx, enum shmw_change chg, const struct shmw_mmst *mm,
		      const struct shmw_mm_seg *seg, uint32_t sharer_tgid)
{
	struct change *c;

	(void)ctx;
	if (nchanges >= sizeof(changes) / sizeof(changes[0]))
		return;
	c = &changes[nchanges++];
	memset(c, 0, sizeof(*c));
	c->chg = chg;
	c->mm = mm ? mm->mm : 0;
	c->tgid = mm ? mm->tgid : 0;
	if (seg) {
		c->ns = seg->ns;
		c->shmid = seg->shmid;
		c->nvma = seg->nvma;
	}
	c->sharer = sharer_tgid;
}

/* How many reported changes match (0 fields are wildcards except chg). */
static size_t nchanged(enum shmw_change chg, uint64_t mm, uint32_t shmid, uint32_t nvma)
{
	size_t n = 0;

	for (size_t i = 0; i < nchanges; i++)
		if (changes[i].chg == chg && (!mm || changes[i].mm == mm) &&
		    (!shmid || changes[i].shmid == shmid) && changes[i].nvma == nvma)
			n++;
	return n;
}

#define MAXREC 8
#define MAXSEG 1100
/* A record of a snapshot, with room for its holdings. */
struct test_rec {
	struct shmw_snap_mm snap;
	struct shmw_mm_seg segs[MAXSEG];
};
static uint64_t keys[MAXREC];
static struct test_rec recs[MAXREC];
static size_t nrecs;
static uint32_t sh_tgids[MAXREC];
static struct shmw_sharer shs[MAXREC];
static size_t nshs;

static void snap_reset(void)
{
	memset(keys, 0, sizeof(keys));
	memset(recs, 0, sizeof(recs));
	memset(sh_tgids, 0, sizeof(sh_tgids));
	memset(shs, 0, sizeof(shs));
	nrecs = nshs = 0;
}

static struct test_rec *snap_mm(uint64_t mm, uint32_t tgid, uint32_t flags, uint64_t version)
{
	struct test_rec *r = &recs[nrecs];

	keys[nrecs++] = mm;
	r->snap.version = version;
	r->snap.flags = flags;
	r->snap.tgid = tgid;
	r->snap.uid = 1000;
	snprintf(r->snap.comm, sizeof(r->snap.comm), "p%u", tgid);
	return r;
}

/* Holding number slot of r (holdings at nvma 0 may sit between, as staged ones do). */
static void snap_seg(struct test_rec *r, int slot, uint32_t ns, uint32_t shmid, uint32_t nvma)
{
	struct shmw_mm_seg *s = &r->segs[slot];

	if ((uint32_t)slot >= r->snap.nsegs)
		r->snap.nsegs = (uint32_t)slot + 1;

	s->ns = ns;
	s->shmid = shmid;
	s->key = 0x1000 + shmid;
	s->size = 4096u * (shmid + 1);
	s->since = 700;
	s->nvma = nvma;
	s->how = SHMW_CAUSE_SEED;
}

static void snap_sharer(uint32_t tgid, uint64_t mm)
{
	sh_tgids[nshs] = tgid;
	shs[nshs].mm = mm;
	shs[nshs].since = 800;
	shs[nshs].uid = 1000;
	snprintf(shs[nshs].comm, sizeof(shs[nshs].comm), "s%u", tgid);
	nshs++;
}

static void sync_with(uint64_t version, shmw_change_cb cb)
{
	struct shmw_snap_mm v[MAXREC];

	for (size_t i = 0; i < nrecs; i++) {
		v[i] = recs[i].snap;
		v[i].segs = recs[i].segs;
	}
	nchanges = 0;
	shmw_state_sync(&st, keys, v, nrecs, sh_tgids, shs, nshs, version, 0, 0, cb, NULL);
}

static void sync_snap(uint64_t version)
{
	sync_with(version, on_change);
}

static void test_sync(void)
{
	const struct shmw_sharerst *sh = NULL;
	const struct shmw_seg *seg;
	const struct shmw_mmst *m;
	struct test_rec *r;

	shmw_state_init(&st);

	/* From empty: every holder is an ATTACH; unseeded records are skipped. */
	snap_reset();
	r = snap_mm(0xa000, 500, SHMW_MM_SEEDED, 900);
	snap_seg(r, 0, NS1, 20, 1);
	snap_seg(r, 3, NS1, 21, 3); /* slots need not be packed */
	r = snap_mm(0xb000, 501, SHMW_MM_SEEDED | SHMW_MM_EXITING, 901);
	snap_seg(r, 0, NS1, 20, 1);
	r = snap_mm(0xc000, 502, 0, 902); /* not seeded: counts not exact */
	snap_seg(r, 0, NS1, 22, 1);
	r = snap_mm(0xd000, 503, SHMW_MM_OVERFLOW, 903); /* not seeded either */
	snap_seg(r, 0, NS1, 20, 1);
	r = snap_mm(0xe000, 504, SHMW_MM_SEEDED, 904); /* seeded, holds nothing */
	snap_sharer(505, 0xa000);
	sync_snap(1000);
	CHECK_INT("sync empty: changes", nchanges, 4);
	CHECK_INT("sync empty: attach a/20", nchanged(SHMW_CHG_ATTACH, 0xa000, 20, 1), 1);
	CHECK_INT("sync empty: attach a/21", nchanged(SHMW_CHG_ATTACH, 0xa000, 21, 3), 1);
	CHECK_INT("sync empty: attach b/20", nchanged(SHMW_CHG_ATTACH, 0xb000, 20, 1), 1);
	CHECK_INT("sync empty: share", nchanged(SHMW_CHG_SHARE, 0xa000, 0, 0), 1);
	CHECK_INT("sync empty: share names sharer",
		  nchanges == 4 && changes[3].chg == SHMW_CHG_SHARE ? changes[3].sharer : 0, 505);
	CHECK_INT("sync empty: nothing for unseeded c", nchanged(SHMW_CHG_ATTACH, 0xc000, 0, 1), 0);
	CHECK("sync empty: unseeded c absent", !has_mm(0xc000) && mm_of(502) == NULL);
	CHECK("sync empty: unseeded d absent", !has_mm(0xd000) && mm_of(503) == NULL);
	CHECK("sync empty: unseeded seg absent", shmw_state_seg(&st, NS1, 22) == NULL);
	CHECK("sync empty: empty e absent", !has_mm(0xe000) && mm_of(504) == NULL);
	CHECK_INT("sync empty: mms", shmw_state_nmms(&st), 2);
	CHECK_INT("sync empty: segs", shmw_state_nsegs(&st), 2);
	CHECK_INT("sync empty: nholdings", st.nholdings, 3);
	seg = shmw_state_seg(&st, NS1, 20);
	CHECK_INT("sync empty: 20 two holders", seg ? seg->nmms : 0, 2);
	CHECK_INT("sync empty: seg key", seg ? seg->key : 0, 0x1014);
	CHECK_INT("sync empty: a/21 nvma", nvma_of(0xa000, NS1, 21), 3);
	m = mm_of(500);
	CHECK("sync empty: pid 500", m && m->mm == 0xa000);
	CHECK_INT("sync empty: a version", m ? m->version : 0, 900);
	CHECK_INT("sync empty: a flags", m ? m->flags : 0, SHMW_MM_SEEDED);
	CHECK("sync empty: pid 501", mm_of(501) && mm_of(501)->mm == 0xb000);
	m = shmw_state_mm_of_pid(&st, 505, &sh);
	CHECK("sync empty: sharer 505", m && m->mm == 0xa000 && sh && sh->tgid == 505);
	CHECK_INT("sync empty: sharer since", sh ? sh->since : 0, 800);
	CHECK_INT("sync empty: floor", st.floor, 1000);
	check_consistent("sync empty");

	/* The same snapshot again reports nothing. */
	sync_snap(1000);
	CHECK_INT("sync same: no changes", nchanges, 0);
	CHECK_INT("sync same: nholdings", st.nholdings, 3);
	check_consistent("sync same");

	/* Events the snapshot already reflects are ignored, newer ones apply. */
	{
		struct shmw_event ev = mkev(SHMW_EV_ATTACH, 999, 0xf000, 600, NS1, 30, 1);

		CHECK_INT("floor: older attach ignored", shmw_state_apply(&st, &ev), SHMW_CHG_NONE);
		CHECK("floor: older attach adds nothing", !has_mm(0xf000) && mm_of(600) == NULL);
		ev = mkev(SHMW_EV_DETACH, 1000, 0xa000, 500, NS1, 20, 0);
		CHECK_INT("floor: equal detach ignored", shmw_state_apply(&st, &ev), SHMW_CHG_NONE);
		CHECK_INT("floor: equal detach keeps holder", nvma_of(0xa000, NS1, 20), 1);
		ev = mkev(SHMW_EV_SHARE, 1000, 0xa000, 500, 0, 0, 0);
		ev.actor = 606;
		CHECK_INT("floor: equal share ignored", shmw_state_apply(&st, &ev), SHMW_CHG_NONE);
		CHECK("floor: equal share adds no sharer", mm_of(606) == NULL);
		ev = mkev(SHMW_EV_UNSHARE, 1000, 0xa000, 500, 0, 0, 0);
		ev.actor = 505;
		CHECK_INT("floor: equal unshare ignored", shmw_state_apply(&st, &ev),
			  SHMW_CHG_NONE);
		CHECK("floor: sharer kept", mm_of(505) != NULL);
		ev = mkev(SHMW_EV_OWNER, 950, 0xa000, 607, 0, 0, 0);
		CHECK_INT("floor: older owner ignored", shmw_state_apply(&st, &ev), SHMW_CHG_NONE);
		CHECK("floor: owner kept", mm_of(500) && mm_of(607) == NULL);
		ev = mkev(SHMW_EV_VMAS, 1001, 0xa000, 500, NS1, 20, 2);
		CHECK_INT("floor: newer vmas applies", shmw_state_apply(&st, &ev), SHMW_CHG_VMAS);
		CHECK_INT("floor: newer vmas nvma", nvma_of(0xa000, NS1, 20), 2);
	}
	check_consistent("floor");

	/* Differences: the snapshot wins and reports each. */
	snap_reset();
	r = snap_mm(0xa000, 505, SHMW_MM_SEEDED, 1900); /* owner 500 -> its sharer 505 */
	snap_seg(r, 1, NS1, 20, 4);			/* nvma 2 -> 4 */
	snap_seg(r, 2, NS1, 23, 1);			/* new; 21 is gone */
	/* b (501) is gone altogether. */
	r = snap_mm(0xf000, 520, SHMW_MM_SEEDED, 1901); /* missing mm */
	snap_seg(r, 0, NS1, 20, 1);
	snap_seg(r, 1, NS2, 20, 2);
	r = snap_mm(0xc000, 502, 0, 1902); /* still not seeded */
	snap_seg(r, 0, NS1, 22, 1);
	snap_sharer(521, 0xf000); /* 505 is gone, 521 is new */
	sync_snap(2000);
	CHECK_INT("sync diff: owner", nchanged(SHMW_CHG_OWNER, 0xa000, 0, 0), 1);
	CHECK_INT("sync diff: owner reports new tgid",
		  nchanges && changes[0].chg == SHMW_CHG_OWNER ? changes[0].tgid : 0, 505);
	CHECK_INT("sync diff: vmas a/20", nchanged(SHMW_CHG_VMAS, 0xa000, 20, 4), 1);
	CHECK_INT("sync diff: attach a/23", nchanged(SHMW_CHG_ATTACH, 0xa000, 23, 1), 1);
	CHECK_INT("sync diff: detach a/21", nchanged(SHMW_CHG_DETACH, 0xa000, 21, 0), 1);
	CHECK_INT("sync diff: detach b/20", nchanged(SHMW_CHG_DETACH, 0xb000, 20, 0), 1);
	CHECK_INT("sync diff: attach f/ns1/20", nchanged(SHMW_CHG_ATTACH, 0xf000, 20, 1), 1);
	CHECK_INT("sync diff: attach f/ns2/20", nchanged(SHMW_CHG_ATTACH, 0xf000, 20, 2), 1);
	CHECK_INT("sync diff: unshare 505",
		  nchanged(SHMW_CHG_UNSHARE, 0, 0, 0) == 1 &&
			  changes[nchanges - 1].chg == SHMW_CHG_UNSHARE
		      ? changes[nchanges - 1].sharer
		      : 0,
		  505);
	CHECK_INT("sync diff: share", nchanged(SHMW_CHG_SHARE, 0xf000, 0, 0), 1);
	CHECK_INT("sync diff: total changes", nchanges, 9);
	CHECK_INT("sync diff: nothing for c", nchanged(SHMW_CHG_ATTACH, 0xc000, 0, 1), 0);
	CHECK("sync diff: b gone", !has_mm(0xb000) && mm_of(501) == NULL);
	CHECK("sync diff: pid 505 is a", mm_of(505) && mm_of(505)->mm == 0xa000);
	CHECK("sync diff: pid 500 gone", mm_of(500) == NULL);
	CHECK("sync diff: pid 520 is f", mm_of(520) && mm_of(520)->mm == 0xf000);
	CHECK("sync diff: 21 gone", shmw_state_seg(&st, NS1, 21) == NULL);
	CHECK_INT("sync diff: a/20 nvma", nvma_of(0xa000, NS1, 20), 4);
	CHECK_INT("sync diff: f/ns2/20 nvma", nvma_of(0xf000, NS2, 20), 2);
	m = shmw_state_mm_of_pid(&st, 505, &sh);
	CHECK("sync diff: 505 owns a, no longer shares it", m && m->mm == 0xa000 && !sh);
	m = shmw_state_mm_of_pid(&st, 521, &sh);
	CHECK("sync diff: 521 shares f", m && m->mm == 0xf000 && sh && sh->tgid == 521);
	CHECK_INT("sync diff: mms", shmw_state_nmms(&st), 2);
	CHECK_INT("sync diff: segs", shmw_state_nsegs(&st), 3);
	CHECK_INT("sync diff: nholdings", st.nholdings, 4);
	CHECK_INT("sync diff: floor", st.floor, 2000);
	check_consistent("sync diff");

	/* Older than the new floor: ignored. */
	{
		struct shmw_event ev = mkev(SHMW_EV_DETACH, 1999, 0xf000, 520, NS1, 20, 0);

		CHECK_INT("floor 2: older detach ignored", shmw_state_apply(&st, &ev),
			  SHMW_CHG_NONE);
		CHECK_INT("floor 2: holder kept", nvma_of(0xf000, NS1, 20), 1);
		ev.version = 2001;
		CHECK_INT("floor 2: newer detach applies", shmw_state_apply(&st, &ev),
			  SHMW_CHG_DETACH);
	}
	check_consistent("floor 2");

	/* A seeded record that now holds nothing: its mm goes. */
	snap_reset();
	r = snap_mm(0xa000, 505, SHMW_MM_SEEDED, 2900);
	snap_seg(r, 0, NS1, 20, 4);
	snap_seg(r, 1, NS1, 23, 1);
	snap_mm(0xf000, 520, SHMW_MM_SEEDED, 2901);
	snap_sharer(521, 0xf000);
	sync_snap(3000);
	CHECK_INT("sync emptied: detach f", nchanged(SHMW_CHG_DETACH, 0xf000, 20, 0), 1);
	CHECK_INT("sync emptied: changes", nchanges, 1);
	CHECK("sync emptied: f gone", !has_mm(0xf000) && mm_of(520) == NULL);
	CHECK_INT("sync emptied: nholdings", st.nholdings, 2);
	check_consistent("sync emptied");

	/* Empty snapshot: everything is detached and unshared. */
	snap_reset();
	sync_snap(4000);
	CHECK_INT("sync to empty: detaches", nchanged(SHMW_CHG_DETACH, 0xa000, 0, 0), 2);
	CHECK_INT("sync to empty: unshare", nchanged(SHMW_CHG_UNSHARE, 0, 0, 0), 1);
	CHECK_INT("sync to empty: changes", nchanges, 3);
	CHECK_INT("sync to empty: nothing held", shmw_state_nmms(&st) + shmw_state_nsegs(&st), 0);
	CHECK("sync to empty: no pid index, no sharers", st.by_pid == NULL && st.sharers == NULL);
	CHECK_INT("sync to empty: nholdings", st.nholdings, 0);
	check_consistent("sync to empty");

	/* A NULL callback is allowed. */
	snap_reset();
	r = snap_mm(0xa000, 530, SHMW_MM_SEEDED, 4900);
	snap_seg(r, 0, NS1, 20, 1);
	sync_with(5000, NULL);
	CHECK("sync no callback: applied", mm_of(530) && st.floor == 5000);
	check_consistent("sync no callback");
	shmw_state_clear(&st);
}

/* An mm holding a thousand segments (SAP, Oracle): every one is recorded and reported, and a
 * snapshot that swaps one of its segments for another is mirrored exactly. No bound but
 * memory. */
static void test_many_segments_one_mm(void)
{
	const uint32_t n = 1000;
	struct test_rec *r;

	shmw_state_init(&st);
	for (uint32_t i = 0; i < n; i++)
		hold(SHMW_EV_ATTACH, 0xf000, 900, NS1, 100 + i, 1);
	CHECK_INT("1000 segments: all held", st.nholdings, n);
	CHECK_INT("1000 segments: one more is reported",
		  hold(SHMW_EV_ATTACH, 0xf000, 900, NS1, 5000, 1), SHMW_CHG_ATTACH);
	CHECK_INT("1000 segments: one more is held", nvma_of(0xf000, NS1, 5000), 1);
	check_consistent("1000 segments");

	snap_reset();
	r = snap_mm(0xf000, 900, SHMW_MM_SEEDED, next_version++);
	for (uint32_t i = 0; i < n; i++)
		snap_seg(r, (int)i, NS1, 101 + i, 1);
	sync_snap(next_version++);
	CHECK_INT("1000 segments sync: new segment held", nvma_of(0xf000, NS1, 100 + n), 1);
	CHECK_INT("1000 segments sync: lost segments gone",
		  nvma_of(0xf000, NS1, 100) + nvma_of(0xf000, NS1, 5000), 0);
	CHECK_INT("1000 segments sync: as many held as the snapshot has", st.nholdings, n);
	CHECK_INT("1000 segments sync: attach reported",
		  nchanged(SHMW_CHG_ATTACH, 0xf000, 100 + n, 1), 1);
	CHECK_INT("1000 segments sync: detach reported", nchanged(SHMW_CHG_DETACH, 0xf000, 100, 0),
		  1);
	check_consistent("1000 segments sync");
	shmw_state_clear(&st);
}

static void test_clear(void)
{
	shmw_state_init(&st);
	next_version = 10;
	for (uint32_t i = 0; i < 40; i++) {
		/* 40 mms over 10 segments in two namespaces: segment holder arrays grow. */
		hold(SHMW_EV_ATTACH, 0x10000 + i * 0x1000, 700 + i, i % 2 ? NS2 : NS1, i % 5, 1);
		hold(SHMW_EV_ATTACH, 0x10000 + i * 0x1000, 700 + i, NS1, 100 + i % 3, 2);
		if (i % 4 == 0)
			share(SHMW_EV_SHARE, 0x10000 + i * 0x1000, 700 + i, 900 + i);
	}
	CHECK_INT("clear: built mms", shmw_state_nmms(&st), 40);
	CHECK_INT("clear: built segs", shmw_state_nsegs(&st), 13);
	CHECK_INT("clear: built nholdings", st.nholdings, 80);
	CHECK("clear: ns1/100 holders",
	      shmw_state_seg(&st, NS1, 100) && shmw_state_seg(&st, NS1, 100)->nmms == 14);
	check_consistent("clear built");
	/* Owners exec (new mms, same tgids) so some mms are out of the pid index. */
	for (uint32_t i = 0; i < 40; i += 3)
		hold(SHMW_EV_ATTACH, 0x90000 + i * 0x1000, 700 + i, NS1, 200, 1);
	check_consistent("clear exec'd");
	shmw_state_clear(&st);
	CHECK_INT("clear: no mms", shmw_state_nmms(&st), 0);
	CHECK_INT("clear: no segs", shmw_state_nsegs(&st), 0);
	CHECK("clear: tables empty",
	      !st.mms && !st.segs && !st.by_pid && !st.sharers && !st.nholdings && !st.floor);
	/* Usable again after a clear. */
	CHECK_INT("clear: reusable", hold(SHMW_EV_ATTACH, 0xa000, 100, NS1, 5, 1), SHMW_CHG_ATTACH);
	check_consistent("clear reused");
	shmw_state_clear(&st);
}

/* A snapshot naming another process at an mm address we know: the address was reused after
 * the old mm went while nobody watched (a restart, lost events). Not an owner change. */
static void test_sync_reused_address(void)
{
	struct test_rec *r;

	shmw_state_init(&st);
	snap_reset();
	r = snap_mm(0xd000, 700, SHMW_MM_SEEDED, 100);
	snap_seg(r, 0, NS1, 40, 1);
	sync_snap(200);
	snap_reset();
	r = snap_mm(0xd000, 701, SHMW_MM_SEEDED, 300); /* not a sharer of 0xd000 */
	snap_seg(r, 0, NS1, 41, 2);
	sync_snap(400);
	CHECK_INT("reused address: no owner change", nchanged(SHMW_CHG_OWNER, 0xd000, 0, 0), 0);
	CHECK_INT("reused address: old holding detached", nchanged(SHMW_CHG_DETACH, 0xd000, 40, 0),
		  1);
	CHECK_INT("reused address: new holding attached", nchanged(SHMW_CHG_ATTACH, 0xd000, 41, 2),
		  1);
	CHECK("reused address: old pid gone", mm_of(700) == NULL);
	CHECK("reused address: new pid holds", mm_of(701) && mm_of(701)->mm == 0xd000);
	check_consistent("reused address");
	shmw_state_clear(&st);
}

int main(void)
{
	test_sync_reused_address();
	test_attach_detach();
	test_two_mms_one_seg();
	test_one_mm_many_segs();
	test_owner();
	test_exec();
	test_sharers();
	test_sync();
	test_many_segments_one_mm();
	test_clear();
	return CHECK_DONE();
}
