/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * What shmw-chaos and shmw-difftest share: a bounded population of worker processes that run
 * until a deadline, then stop where they are ("park"), each keeping what it holds, until the
 * supervisor that started them goes. Included once by each, after report.h.
 *
 * The counters are in a MAP_SHARED memfd mapping that every worker maps (after exec too): the
 * helper points `pop` at the struct shmw_pop inside its own shared struct. Workers learn that
 * the supervisor is gone from a pipe whose write end only the supervisor holds (`life_fd` is
 * the read end, inherited across fork and exec): it reads end-of-file then, even after SIGKILL.
 *
 * Random choices: xorshift64* over `rng`, one stream per program flow. Functions are inline so
 * that a helper may leave some unused.
 */
#ifndef SHMW_HELPER_POPULATION_H
#define SHMW_HELPER_POPULATION_H

#include <errno.h>
#include <poll.h>
#include <sched.h>
#include <stdint.h>
#include <time.h>
#include <unistd.h>

struct shmw_pop {
	int64_t deadline_ms; /* CLOCK_MONOTONIC */
	int max_procs;
	int alive;  /* workers (counted before they are created, uncounted before they exit) */
	int parked; /* workers stopped at the deadline */
};

static struct shmw_pop *pop;
static int life_fd = -1;
static uint64_t rng;

static inline int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline uint64_t rnd64(void)
{
	/* xorshift64* */
	rng ^= rng >> 12;
	rng ^= rng << 25;
	rng ^= rng >> 27;
	return rng * 0x2545F4914F6CDD1DULL;
}

static inline uint32_t rnd(uint32_t n)
{
	return (uint32_t)(rnd64() >> 32) % n;
}

/* splitmix64: a well-mixed, never-zero start for a stream derived from x. */
static inline uint64_t mix_seed(uint64_t x)
{
	x += 0x9E3779B97F4A7C15ULL;
	x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
	x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
	x ^= x >> 31;
	return x ? x : 1;
}

/* Takes one worker slot if the population is below max; 0 if it is full. */
static inline int take_slot(void)
{
	int a = __atomic_load_n(&pop->alive, __ATOMIC_RELAXED);

	while (a < pop->max_procs)
		if (__atomic_compare_exchange_n(&pop->alive, &a, a + 1, 0, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			return 1;
	return 0;
}

static inline void give_slot(void)
{
	__atomic_sub_fetch(&pop->alive, 1, __ATOMIC_RELAXED);
}

/* Leaves the population if it is above half of max (the caller then exits). */
static inline int may_exit(void)
{
	int a = __atomic_load_n(&pop->alive, __ATOMIC_RELAXED);

	while (a > pop->max_procs / 2)
		if (__atomic_compare_exchange_n(&pop->alive, &a, a - 1, 0, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			return 1;
	return 0;
}

/* Sleeps ms, or exits when the supervisor is gone (its end of the pipe closed: end of file).
 * Anything else on the pipe is a bug of ours: the helper's pop_trouble() says so. */
static void pop_trouble(const char *what, int err);

static inline void nap(int ms)
{
	struct pollfd p = {.fd = life_fd, .events = POLLIN};
	char c;
	ssize_t n;

	if (poll(&p, 1, ms) <= 0)
		return;
	if (p.revents & POLLNVAL)
		pop_trouble("the life pipe is not open", EBADF);
	n = read(life_fd, &c, 1);
	if (n == 0)
		_exit(0);
	pop_trouble(n > 0 ? "a byte on the life pipe" : "read of the life pipe", n < 0 ? errno : 0);
}

/* Blocks until the supervisor is gone, then exits. */
static inline __attribute__((noreturn)) void wait_end(void)
{
	for (;;) {
		char c;
		ssize_t n = read(life_fd, &c, 1);

		if (n == 0 || (n < 0 && errno != EINTR))
			_exit(0);
	}
}

/* Counts this worker as stopped, then blocks holding what it holds. */
static inline __attribute__((noreturn)) void park(void)
{
	__atomic_add_fetch(&pop->parked, 1, __ATOMIC_SEQ_CST);
	wait_end();
}

/* The supervisor: waits for the deadline, then for every worker to park. Returns how many
 * did, or -1 (with alive in *left) when some have not grace_ms after the deadline. */
static inline int wait_parked(int64_t grace_ms, int *left)
{
	while (now_ms() < pop->deadline_ms)
		usleep(100 * 1000);
	for (;;) {
		int parked = __atomic_load_n(&pop->parked, __ATOMIC_SEQ_CST);
		int alive = __atomic_load_n(&pop->alive, __ATOMIC_SEQ_CST);

		if (parked >= alive)
			return parked;
		if (now_ms() > pop->deadline_ms + grace_ms) {
			*left = alive - parked;
			return -1;
		}
		usleep(20 * 1000);
	}
}

#endif
