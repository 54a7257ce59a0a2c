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

/* Refuses (-EADDRINUSE, with the running daemon's pid in err) when a daemon answers on
 * path; removes a stale socket file otherwise. The directory of path is created (mode 0755)
 * only with make_dir (the default path); a missing one is an error otherwise. */
struct shmw_server *shmw_server_open(const char *path, bool make_dir, uint32_t max_clients,
				     shmw_request_fn fn, void *ctx, char *err, size_t errlen);
void shmw_server_close(struct shmw_server *s);
/* Closes clients marked for closing; call after each loop round. */
void shmw_server_reap(struct shmw_server *s);

/* Queues bytes for a client; a client that lets more than its limit pile up is dropped. */
void shmw_conn_send(struct shmw_conn *c, const char *data, size_t len);
/* Turns the connection into an event stream (`events -f`). */
void shmw_conn_follow(struct shmw_conn *c);
uid_t shmw_conn_uid(const struct shmw_conn *c);
/* Root or a member of the admin group: sees every process. */
bool shmw_conn_privileged(const struct shmw_conn *c);
/* Too many requests lately: the caller answers "busy" instead. */
bool shmw_conn_rate_limited(struct shmw_conn *c);
#define SHMW_AUDIENCE_ADMIN ((uint32_t)-1)
/* Sends a line to every following client allowed to see it: privileged clients see all;
 * others only lines whose audience is their uid (SHMW_AUDIENCE_ADMIN: nobody else). */
void shmw_server_broadcast(struct shmw_server *s, const char *line, size_t len, uint32_t audience);
uint32_t shmw_server_nclients(const struct shmw_server *s);
uint64_t shmw_server_dropped(const struct shmw_server *s);
#endif
