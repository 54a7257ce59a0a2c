/* SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause) */
/*
 * shmw-text: checks on the text the daemon writes, for the end-to-end tests.
 *
 *   shmw-text check FILE
 *	Every line of FILE is safe to show on a terminal: valid UTF-8 (no overlong forms, no
 *	surrogates, nothing past U+10FFFF) without C0 controls (tab, CR and ESC included; the
 *	newline that ends a line is fine), DEL or C1 controls (U+0080-U+009F). Prints
 *	"LINE: why: text" (the text with bytes escaped as \xNN) for the first 10 bad lines and
 *	exits 1; exits 0 when every line passes.
 *   shmw-text whole FILE
 *	FILE is empty or ends with a newline: no line was left cut. Otherwise prints how many
 *	bytes follow the last newline and exits 1.
 *
 * Exit 2 on usage errors or when FILE cannot be read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static unsigned char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t cap = 0;

	*len = 0;
	if (!f) {
		perror(path);
		exit(2);
	}
	for (;;) {
		size_t n;

		if (*len + 65536 > cap) {
			cap = cap ? cap * 2 : 1 << 20;
			buf = realloc(buf, cap);
			if (!buf)
				exit(2);
		}
		n = fread(buf + *len, 1, cap - *len, f);
		*len += n;
		if (n == 0)
			break;
	}
	if (ferror(f)) {
		perror(path);
		exit(2);
	}
	fclose(f);
	return buf;
}

/* Why the line [p, p + n) is not safe text, or NULL. */
static const char *bad_reason(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		unsigned cp, need;

		if (c < 0x20)
			return "control byte";
		if (c == 0x7f)
			return "DEL";
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			cp = c & 0x07;
		} else {
			return "invalid UTF-8";
		}
		if (i + need >= n)
			return "invalid UTF-8 (cut)";
		for (unsigned k = 1; k <= need; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return "invalid UTF-8";
			cp = cp << 6 | (p[i + k] & 0x3f);
		}
		if ((need == 2 && cp < 0x800) || (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return "invalid UTF-8";
		if (cp >= 0x80 && cp <= 0x9f)
			return "C1 control";
		i += need + 1;
	}
	return NULL;
}

static void show(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n && i < 400; i++) {
		if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
			putchar(p[i]);
		else
			printf("\\x%02x", p[i]);
	}
	putchar('\n');
}

static int cmd_check(const char *path)
{
	size_t len, start = 0, lineno = 0;
	unsigned char *buf = slurp(path, &len);
	int bad = 0;

	while (start < len) {
		unsigned char *nl = memchr(buf + start, '\n', len - start);
		size_t n = nl ? (size_t)(nl - (buf + start)) : len - start;
		const char *why = bad_reason(buf + start, n);

		lineno++;
		if (why && bad++ < 10) {
			printf("%zu: %s: ", lineno, why);
			show(buf + start, n);
		}
		start += n + 1;
	}
	free(buf);
	if (bad)
		printf("%d bad lines of %zu\n", bad, lineno);
	return bad ? 1 : 0;
}

static int cmd_whole(const char *path)
{
	size_t len, tail = 0;
	unsigned char *buf = slurp(path, &len);

	while (tail < len && buf[len - 1 - tail] != '\n')
		tail++;
	free(buf);
	if (!tail)
		return 0;
	printf("%zu bytes after the last newline of %zu\n", tail, len);
	return 1;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "check"))
		return cmd_check(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "whole"))
		return cmd_whole(argv[2]);
	fprintf(stderr, "usage: shmw-text check FILE | whole FILE\n");
	return 2;
}
