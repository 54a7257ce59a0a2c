/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * The client socket: AF_UNIX stream, created with its final mode, one request line at a time,
 * bounded buffers so that a slow or stuck client never holds up the loop or other clients.
 */
#ifndef SHMW_SERVER_H
#define SHMW_SERVER_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct shmw_server;
struct shmw_conn;

/* Called with each complete request line (newline stripped). */
typedef void (*shmw_request_fn)(void *ctx, struct shmw_conn *c, const char *line, size_t len);

/* Who may see everything: root, and members of this group (-1: nobody else). */
void shmw_server_set_admin_group(struct shmw_server *s, gid_t gid);

/*
 * What clients may take (shmwatchd(8), "Limits"). Root and the admin group ("admins") may
 * hold every connection; other users together at most max_clients - admin_reserve, each uid
 * at most max_per_user. A connection that has no request in progress and sends none, or does
 * not read its answer, for timeout_s seconds is closed (followers of `events -f` excepted).
 * While a client has answers unsent, its next requests wait in its socket: one answer at a
 * time is buffered per client. Unsent bytes are bounded per answer and per class of client
 * (admins, others): a client past a bound is dropped.
 */
struct shmw_server_opts {
	uint32_t max_clients;
	uint32_t max_per_user;
	uint32_t admin_reserve; /* < max_clients */
	uint32_t timeout_s;
	bool make_dir; /* create the socket's directory (the default path only) */
};

struct shmw_server_stats {
	uint64_t clients;
	uint64_t refused;      /* answered busy at connect: a limit above */
	uint64_t timed_out;    /* idle or not reading for timeout_s */
	uint64_t behind;       /* dropped past a bound of unsent bytes */
	uint64_t unsent_admin; /* buffer bytes held for admins' clients now */
	uint64_t unsent_users; /* and for the others' */
};

/* Refuses (-EADDRINUSE, with the running daemon's pid in err) when a daemon answers on
 * path; removes a stale socket file otherwise. The directory of path is created (mode 0755)
 * only with o->make_dir (the default path); a missing one is an error otherwise. Raises the
 * soft RLIMIT_NOFILE to room for max_clients (fewer, with a warning, when the hard limit is
 * lower). */
struct shmw_server *shmw_server_open(const char *path, const struct shmw_server_opts *o,
				     shmw_request_fn fn, void *ctx, char *err, size_t errlen);
void shmw_server_close(struct shmw_server *s);
/* Closes clients marked for closing; call after each loop round. */
void shmw_server_reap(struct shmw_server *s);
/* Closes idle and stalled clients (at most every 250 ms of calls); call after each loop round
 * (the daemon's tick bounds how late). */
void shmw_server_tick(struct shmw_server *s);
void shmw_server_stats(const struct shmw_server *s, struct shmw_server_stats *st);

/* Queues bytes for a client; a client that lets more than its limit pile up is dropped. */
void shmw_conn_send(struct shmw_conn *c, const char *data, size_t len);
/* The answer to c's request will come later (history.h): until shmw_conn_release, c is not
 * read, not timed out and not freed (a hang-up only marks it dead). */
void shmw_conn_hold(struct shmw_conn *c);
/* Reads c's requests again (and frees it at the next reap if it died meanwhile); send the
 * answer after this. */
void shmw_conn_release(struct shmw_conn *c);
/* Turns the connection into an event stream (`events -f`). */
void shmw_conn_follow(struct shmw_conn *c);
uid_t shmw_conn_uid(const struct shmw_conn *c);
/* The client's pid at connect (SO_PEERCRED, in our pid namespace; 0 when it has none here). */
pid_t shmw_conn_pid(const struct shmw_conn *c);
/* Root or a member of the admin group: sees every process. */
bool shmw_conn_privileged(const struct shmw_conn *c);
#define SHMW_CONN_RATE 200 /* requests a client may make in a second */
/* Too many requests lately: the caller answers "busy" instead. */
bool shmw_conn_rate_limited(struct shmw_conn *c);
#define SHMW_AUDIENCE_ADMIN ((uint32_t)-1)
/* Sends a line to every following client allowed to see it: privileged clients see all;
 * others only lines whose audience is their uid (SHMW_AUDIENCE_ADMIN: nobody else). */
void shmw_server_broadcast(struct shmw_server *s, const char *line, size_t len, uint32_t audience);
uint32_t shmw_server_nclients(const struct shmw_server *s);
/* Clients closed by the server: refused, timed out and dropped behind. */
uint64_t shmw_server_dropped(const struct shmw_server *s);
#endif
