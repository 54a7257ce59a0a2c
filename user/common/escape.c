// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* Text for people from bytes other people chose: see escape.h. */
#include "escape.h"

#include <stdint.h>

/* The length of the valid UTF-8 sequence at s (at most n bytes), 0 if it is not one. Only
 * multi-byte sequences: ASCII is the caller's. Follows RFC 3629's table: no overlong forms, no
 * surrogates (U+D800-U+DFFF), nothing past U+10FFFF. *cp gets the code point. */
static size_t utf8_len(const unsigned char *s, size_t n, uint32_t *cp)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t len;

	if (c >= 0xc2 && c <= 0xdf) {
		len = 2;
		*cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		*cp = c & 0x0f;
		if (c == 0xe0)
			lo = 0xa0; /* overlong below */
		else if (c == 0xed)
			hi = 0x9f; /* surrogates above */
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		*cp = c & 0x07;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f; /* past U+10FFFF above */
	} else {
		return 0;
	}
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		*cp = *cp << 6 | (s[i] & 0x3f);
	}
	return len;
}

/* Characters that act on the text around them instead of showing. */
static bool acts(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

struct out {
	char *p;
	size_t room; /* bytes left for text; the NUL is kept out of it */
	size_t need;
	bool full; /* something did not fit: write nothing after it */
};

static void put(struct out *o, const char *s, size_t n)
{
	o->need += n;
	if (o->full || n > o->room) {
		o->full = true;
		return;
	}
	for (size_t i = 0; i < n; i++)
		*o->p++ = s[i];
	o->room -= n;
}

static void put_hex(struct out *o, unsigned char c)
{
	static const char hex[] = "0123456789abcdef";
	char e[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};

	put(o, e, 4);
}

/* The escape of one ASCII byte, or NULL when it is kept. */
static const char *ascii_escape(unsigned char c, unsigned flags)
{
	switch (c) {
	case '\n':
		return "\\n";
	case '\r':
		return "\\r";
	case '\t':
		return "\\t";
	case '\\':
		return "\\\\";
	case '"':
		return flags & SHMW_ESC_QUOTE ? "\\\"" : NULL;
	default:
		return NULL;
	}
}

size_t shmw_escape(char *dst, size_t dstlen, const char *src, size_t n, unsigned flags)
{
	const unsigned char *s = (const unsigned char *)(src ? src : "");
	struct out o = {.p = dst, .room = dstlen ? dstlen - 1 : 0};

	if (!src)
		n = 0;
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		const char *e;
		uint32_t cp;
		size_t len;

		if (c < 0x80) {
			e = ascii_escape(c, flags);
			if (e)
				put(&o, e, 2);
			else if (c < 0x20 || c == 0x7f)
				put_hex(&o, c);
			else
				put(&o, (const char *)&s[i], 1);
			i++;
			continue;
		}
		len = utf8_len(s + i, n - i, &cp);
		if (!len) {
			put_hex(&o, c);
			i++;
		} else if (acts(cp)) {
			for (size_t k = 0; k < len; k++)
				put_hex(&o, s[i + k]);
			i += len;
		} else {
			put(&o, (const char *)s + i, len);
			i += len;
		}
	}
	if (dstlen)
		*o.p = '\0';
	return o.need;
}

bool shmw_escape_needed(const char *src, size_t n, unsigned flags)
{
	const unsigned char *s = (const unsigned char *)src;

	if (!src)
		return false;
	for (size_t i = 0; i < n;) {
		unsigned char c = s[i];
		uint32_t cp;
		size_t len;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f || ascii_escape(c, flags))
				return true;
			i++;
			continue;
		}
		len = utf8_len(s + i, n - i, &cp);
		if (!len || acts(cp))
			return true;
		i += len;
	}
	return false;
}
