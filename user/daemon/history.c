// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The history thread (see history.h). The thread touches only files and the jobs handed to it;
 * clients, the state and the loop stay the loop's. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "eventlog.h"
#include "history.h"
#include "log.h"
#include "loop.h"
#include "server.h"

struct job {
	struct shmw_conn *conn;
	struct shmw_lq q;
	struct shmw_jbuf answer;
	int err;
	struct job *next;
};

struct shmw_history {
	struct shmw_watch w; /* the eventfd: answers ready */
	char *path;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct job *todo, **todo_tail, *done;
	unsigned queued; /* todo + the one running */
	bool stop;
	volatile int cancel;
};

static void *history_main(void *arg)
{
	struct shmw_history *h = arg;

	pthread_mutex_lock(&h->mu);
	for (;;) {
		struct shmw_logset ls;
		struct job *j;
		uint64_t one = 1;

		while (!h->todo && !h->stop)
			pthread_cond_wait(&h->cv, &h->mu);
		if (h->stop)
			break;
		j = h->todo;
		h->todo = j->next;
		if (!h->todo)
			h->todo_tail = &h->todo;
		pthread_mutex_unlock(&h->mu);

		/* The set opened with no rotation in between; read after, outside the lock. */
		shmw_eventlog_lock_set();
		j->err = shmw_logset_open(&ls, h->path);
		shmw_eventlog_unlock_set();
		if (!j->err) {
			j->q.cancel = &h->cancel;
			j->err = shmw_lq_run(&ls, &j->q, &j->answer, NULL);
			shmw_logset_close(&ls);
		}

		pthread_mutex_lock(&h->mu);
		j->next = h->done;
		h->done = j;
		/* A failed write leaves the counter raised already: the loop reads it anyway. */
		if (write(h->w.fd, &one, sizeof(one)) < 0)
			(void)0;
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

static void answer(struct job *j)
{
	shmw_conn_release(j->conn);
	if (!j->err) {
		shmw_conn_send(j->conn, j->answer.p, j->answer.len);
	} else {
		char msg[256], *line;

		snprintf(msg, sizeof(msg), "cannot read the event log: %s", strerror(-j->err));
		line = shmw_error_line("internal", msg);
		if (line) {
			shmw_conn_send(j->conn, line, strlen(line));
			free(line);
		}
	}
	shmw_jbuf_free(&j->answer);
	free(j);
}

static void ready(struct shmw_watch *w, uint32_t events)
{
	struct shmw_history *h = w->ctx;
	struct job *done, *rev = NULL;
	uint64_t n;

	(void)events;
	if (read(h->w.fd, &n, sizeof(n)) < 0)
		(void)0; /* EAGAIN: another wakeup took it; the list says what is done */
	pthread_mutex_lock(&h->mu);
	done = h->done;
	h->done = NULL;
	pthread_mutex_unlock(&h->mu);
	/* Oldest first. */
	while (done) {
		struct job *next = done->next;

		done->next = rev;
		rev = done;
		done = next;
	}
	while (rev) {
		struct job *next = rev->next;

		pthread_mutex_lock(&h->mu);
		h->queued--;
		pthread_mutex_unlock(&h->mu);
		answer(rev);
		rev = next;
	}
}

struct shmw_history *shmw_history_open(const char *path, char *err, size_t errlen)
{
	struct shmw_history *h = calloc(1, sizeof(*h));
	int r;

	if (!h || !(h->path = strdup(path))) {
		free(h);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	h->todo_tail = &h->todo;
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	h->w.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	h->w.fn = ready;
	h->w.ctx = h;
	if (h->w.fd < 0 || shmw_loop_add(&h->w, EPOLLIN) < 0) {
		snprintf(err, errlen, "history: eventfd: %s", strerror(errno));
		goto fail;
	}
	r = pthread_create(&h->thread, NULL, history_main, h);
	if (r) {
		snprintf(err, errlen, "history: cannot start its thread: %s", strerror(r));
		shmw_loop_del(&h->w);
		goto fail;
	}
	return h;
fail:
	if (h->w.fd >= 0)
		close(h->w.fd);
	free(h->path);
	free(h);
	return NULL;
}

int shmw_history_submit(struct shmw_history *h, struct shmw_conn *c, const struct shmw_lq *q)
{
	struct job *j;

	pthread_mutex_lock(&h->mu);
	if (h->queued >= SHMW_HISTORY_QUEUE) {
		pthread_mutex_unlock(&h->mu);
		return -EBUSY;
	}
	pthread_mutex_unlock(&h->mu);
	j = calloc(1, sizeof(*j));
	if (!j)
		return -ENOMEM;
	j->conn = c;
	j->q = *q;
	shmw_conn_hold(c);
	pthread_mutex_lock(&h->mu);
	h->queued++;
	*h->todo_tail = j;
	h->todo_tail = &j->next;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	return 0;
}

void shmw_history_close(struct shmw_history *h)
{
	struct job *j, *next;

	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	h->stop = true;
	h->cancel = 1;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->thread, NULL);
	shmw_loop_del(&h->w);
	close(h->w.fd);
	/* Whatever was not answered: the clients are let go, the server closes them. */
	for (int list = 0; list < 2; list++) {
		for (j = list ? h->done : h->todo; j; j = next) {
			next = j->next;
			shmw_conn_release(j->conn);
			shmw_jbuf_free(&j->answer);
			free(j);
		}
	}
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
	free(h->path);
	free(h);
}
