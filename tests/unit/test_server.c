// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The client socket's limits (user/daemon/server.c), with the real event loop and real connections.
 * Other users' connections are made with seteuid (SO_PEERCRED records the effective uid at
 * connect): those checks need root and are skipped otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "loop.h"
#include "server.h"

static char dir[] = "/tmp/shmw-test-server.XXXXXX";
static char sock[128];
static int handled;
static char *big;
static struct shmw_conn *held; /* "hold": answered later by the test, as history.c does */

/* "hello" answers "ok"; "big N" N bytes and a newline; "follow" turns into a follower. */
static void handle(void *ctx, struct shmw_conn *c, const char *line, size_t len)
{
	(void)ctx;
	handled++;
	if (len > 4 && !strncmp(line, "big ", 4)) {
		size_t n = strtoul(line + 4, NULL, 10);

		shmw_conn_send(c, big, n);
		shmw_conn_send(c, "\n", 1);
	} else if (len == 4 && !strncmp(line, "hold", 4)) {
		held = c;
		shmw_conn_hold(c);
	} else if (len == 6 && !strncmp(line, "follow", 6)) {
		shmw_conn_follow(c);
		shmw_conn_send(c, "following\n", 10);
	} else {
		shmw_conn_send(c, "ok\n", 3);
	}
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs the loop (as the daemon's main loop does) for about ms. */
static void spin(struct shmw_server *s, int ms)
{
	double end = now_s() + ms / 1000.0;

	do {
		shmw_loop_once(10);
		shmw_server_reap(s);
		shmw_server_tick(s);
	} while (now_s() < end);
}

static int client(uid_t as)
{
	struct sockaddr_un a = {.sun_family = AF_UNIX};
	int fd, rcv = 4096;

	if (as && seteuid(as))
		return -1;
	strcpy(a.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	if (connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		fd = -1;
	}
	if (as && seteuid(0))
		abort();
	return fd;
}

static void say(int fd, const char *s)
{
	if (send(fd, s, strlen(s), MSG_NOSIGNAL) != (ssize_t)strlen(s))
		printf("     send failed: %s\n", strerror(errno));
}

/* What the server sent fd so far (at most len - 1 bytes), without waiting; "" if nothing, and
 * "<eof>" appended when it closed the connection. */
static const char *got(int fd, char *buf, size_t len)
{
	size_t n = 0;

	for (;;) {
		ssize_t r = recv(fd, buf + n, len - 1 - n, MSG_DONTWAIT);

		if (r > 0) {
			n += (size_t)r;
			if (n < len - 1)
				continue;
		} else if (r == 0 && n + 6 < len) {
			memcpy(buf + n, "<eof>", 5);
			n += 5;
		}
		break;
	}
	buf[n] = '\0';
	return buf;
}

static struct shmw_server *open_server(uint32_t max, uint32_t per_user, uint32_t reserve,
				       uint32_t timeout_s)
{
	struct shmw_server_opts o = {.max_clients = max,
				     .max_per_user = per_user,
				     .admin_reserve = reserve,
				     .timeout_s = timeout_s};
	char err[256] = "";
	struct shmw_server *s = shmw_server_open(sock, &o, handle, NULL, err, sizeof(err));

	if (!s)
		printf("     open: %s\n", err);
	return s;
}

static void test_basic(void)
{
	struct shmw_server *s = open_server(10, 8, 2, 5);
	char buf[256];
	int fd;

	CHECK("basic open", s != NULL);
	if (!s)
		return;
	fd = client(0);
	say(fd, "hello\n");
	spin(s, 50);
	CHECK_STR("basic answer", got(fd, buf, sizeof(buf)), "ok\n");
	/* Requests sent at once are served one per turn of the loop, in order. */
	handled = 0;
	say(fd, "hello\nhello\nhello\n");
	shmw_loop_once(100);
	CHECK_INT("one request per turn", handled, 1);
	spin(s, 50);
	CHECK_INT("the others on the next turns", handled, 3);
	CHECK_STR("answers in order", got(fd, buf, sizeof(buf)), "ok\nok\nok\n");
	close(fd);
	shmw_server_close(s);
}

/* While an answer is unsent, the next requests wait in the socket. */
static void test_pause(void)
{
	struct shmw_server *s = open_server(10, 8, 2, 30);
	struct shmw_server_stats st;
	char buf[4096];
	size_t total = 0;
	int fd;

	CHECK("pause open", s != NULL);
	if (!s)
		return;
	fd = client(0);
	handled = 0;
	say(fd, "big 1000000\nhello\nhello\n");
	spin(s, 100);
	CHECK_INT("pause: one request handled while its answer is unsent", handled, 1);
	shmw_server_stats(s, &st);
	/* (The class is root's, or other users' when the test does not run as root.) */
	CHECK("pause: the answer is held", st.unsent_admin + st.unsent_users >= 900000);
	for (double end = now_s() + 5; total < 1000001 + 6 && now_s() < end;) {
		ssize_t r = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);

		if (r > 0)
			total += (size_t)r;
		spin(s, 1);
	}
	CHECK_INT("pause: all read", total, 1000001 + 6);
	CHECK_INT("pause: then the others handled", handled, 3);
	shmw_server_stats(s, &st);
	CHECK("pause: the big buffer is freed once sent",
	      st.unsent_admin + st.unsent_users <= 4096);
	close(fd);
	shmw_server_close(s);
}

static void test_timeout(void)
{
	struct shmw_server *s = open_server(10, 8, 2, 1);
	struct shmw_server_stats st;
	char buf[64];
	int idle, part, fol, asked;

	CHECK("timeout open", s != NULL);
	if (!s)
		return;
	idle = client(0);
	part = client(0);
	fol = client(0);
	asked = client(0);
	say(part, "hel"); /* no newline: no request */
	say(fol, "follow\n");
	say(asked, "big 1000000\n"); /* never read */
	spin(s, 1700);
	CHECK_STR("timeout: idle closed", got(idle, buf, sizeof(buf)), "<eof>");
	CHECK_STR("timeout: a partial request closed", got(part, buf, sizeof(buf)), "<eof>");
	CHECK_STR("timeout: a follower stays", got(fol, buf, sizeof(buf)), "following\n");
	shmw_server_stats(s, &st);
	CHECK_INT("timeout: counted (idle, partial, not reading)", st.timed_out, 3);
	CHECK_INT("timeout: the follower is the one client left", st.clients, 1);
	CHECK("timeout: nothing held but the follower's small buffer",
	      st.unsent_admin + st.unsent_users <= 4096);
	close(idle);
	close(part);
	close(fol);
	close(asked);
	shmw_server_close(s);
}

/* Other users: per uid, all together (the reserve), and their unsent bytes. */
static void test_users(void)
{
	struct shmw_server *s;
	struct shmw_server_stats st;
	int fds[16], n = 0, open = 0, busy = 0, per_uid = 0;
	char buf[256];

	if (geteuid() != 0) {
		printf("     (other users' limits need root: skipped)\n");
		return;
	}
	s = open_server(10, 3, 4, 30);
	CHECK("users open", s != NULL);
	if (!s)
		return;
	for (int i = 0; i < 5; i++)
		fds[n++] = client(65534);
	for (int i = 0; i < 5; i++)
		fds[n++] = client(65533);
	spin(s, 50);
	for (int i = 0; i < n; i++) {
		got(fds[i], buf, sizeof(buf));
		if (!buf[0])
			open++;
		else if (strstr(buf, "\"busy\"") && strstr(buf, "<eof>"))
			busy++;
		per_uid += strstr(buf, "--max-clients-per-user 3") != NULL;
	}
	CHECK_INT("users: 3 per uid, 6 in all kept", open, 6);
	CHECK_INT("users: the rest answered busy and closed", busy, 4);
	CHECK_INT("users: two of them for the per-uid limit, saying so", per_uid, 2);
	fds[n++] = client(65532);
	spin(s, 50);
	CHECK("users: a third uid finds no room left (the reserve)",
	      strstr(got(fds[n - 1], buf, sizeof(buf)), "kept for root") != NULL);
	for (int i = 0; i < 4; i++) {
		fds[n++] = client(0);
		say(fds[n - 1], "hello\n");
	}
	spin(s, 50);
	open = 0;
	for (int i = n - 4; i < n; i++)
		open += !strcmp(got(fds[i], buf, sizeof(buf)), "ok\n");
	CHECK_INT("users: root gets the 4 kept", open, 4);
	fds[n++] = client(0);
	spin(s, 50);
	CHECK("users: past --max-clients root too is refused",
	      strstr(got(fds[n - 1], buf, sizeof(buf)), "too many clients") != NULL);
	shmw_server_stats(s, &st);
	CHECK_INT("users: refusals counted", st.refused, 6);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	shmw_server_close(s);

	/* Unsent answers of other users: 16 MiB in all, counted by buffer. */
	s = open_server(10, 5, 2, 30);
	if (!s)
		return;
	n = 0;
	for (int i = 0; i < 3; i++) {
		fds[n++] = client(65534);
		say(fds[n - 1], "big 7000000\n");
	}
	spin(s, 100);
	shmw_server_stats(s, &st);
	CHECK_INT("users: the third 7 MB answer does not fit in 16 MiB: dropped", st.behind, 1);
	CHECK("users: held within 16 MiB", st.unsent_users <= (16u << 20));
	CHECK("users: two answers held", st.unsent_users >= 14000000);
	for (int i = 0; i < n; i++)
		close(fds[i]);
	spin(s, 50);
	shmw_server_stats(s, &st);
	CHECK_INT("users: all freed when they go", st.unsent_users, 0);
	shmw_server_close(s);
}

/* A held connection (history.c): not read, not timed out, not freed while held, even when its
 * client hangs up; answered after its release. */
static void test_hold(void)
{
	struct shmw_server *s = open_server(10, 8, 2, 1);
	char buf[256];
	int fd;

	CHECK("hold open", s != NULL);
	if (!s)
		return;
	fd = client(0);
	held = NULL;
	handled = 0;
	say(fd, "hold\nhello\n");
	spin(s, 1600); /* past the 1 s timeout */
	CHECK("hold: held", held != NULL);
	CHECK_INT("hold: the next request waits", handled, 1);
	CHECK_STR("hold: not timed out, nothing sent", got(fd, buf, sizeof(buf)), "");
	shmw_conn_release(held);
	shmw_conn_send(held, "later\n", 6);
	spin(s, 50);
	CHECK_INT("hold: then the next request", handled, 2);
	CHECK_STR("hold: the answer, then the next", got(fd, buf, sizeof(buf)), "later\nok\n");
	/* The client hangs up while held: the connection stays until released. */
	held = NULL;
	say(fd, "hold\n");
	spin(s, 50);
	CHECK("hold again: held", held != NULL);
	close(fd);
	spin(s, 50);
	CHECK_INT("hold: a hung-up held client still counted", shmw_server_nclients(s), 1);
	if (held) {
		shmw_conn_release(held);
		shmw_conn_send(held, "late\n", 5); /* to a dead connection: dropped */
	}
	spin(s, 50);
	CHECK_INT("hold: freed once released", shmw_server_nclients(s), 0);
	shmw_server_close(s);
}

int main(void)
{
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(sock, sizeof(sock), "%s/sock", dir);
	chmod(dir, 0755);
	big = malloc(16u << 20);
	if (!big || shmw_loop_init())
		return 1;
	memset(big, 'x', 16u << 20);
	test_basic();
	test_pause();
	test_timeout();
	test_users();
	test_hold();
	shmw_loop_fini();
	free(big);
	unlink(sock);
	rmdir(dir);
	return CHECK_DONE();
}
