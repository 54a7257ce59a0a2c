// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/* The escaping of text other people chose (user/common/escape.c). */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "escape.h"

static char buf[1024];

static const char *esc(const char *s, size_t n, unsigned flags)
{
	size_t need = shmw_escape(buf, sizeof(buf), s, n, flags);

	return need < sizeof(buf) ? buf : "(too long)";
}

#define ESC(s)	 esc(s, sizeof(s) - 1, 0)
#define ESCQ(s)	 esc(s, sizeof(s) - 1, SHMW_ESC_QUOTE)
#define NEEDS(s) shmw_escape_needed(s, sizeof(s) - 1, 0)

static void test_ascii(void)
{
	CHECK_STR("plain text kept", ESC("python3 -m http.server"), "python3 -m http.server");
	CHECK("plain text needs nothing", !NEEDS("python3 -m http.server"));
	CHECK_STR("newline", ESC("a\nb"), "a\\nb");
	CHECK_STR("CR", ESC("a\rb"), "a\\rb");
	CHECK_STR("tab", ESC("a\tb"), "a\\tb");
	CHECK_STR("ESC", ESC("\033[2J"), "\\x1b[2J");
	CHECK_STR("DEL", ESC("a\177"), "a\\x7f");
	CHECK_STR("BEL and NUL", esc("\a\0z", 3, 0), "\\x07\\x00z");
	CHECK_STR("backslash doubled", ESC("a\\x1b"), "a\\\\x1b");
	CHECK("backslash needs escaping", NEEDS("a\\b"));
	CHECK_STR("quote kept without the flag", ESC("a\"b"), "a\"b");
	CHECK("quote needs nothing without the flag", !NEEDS("a\"b"));
	CHECK_STR("quote escaped with the flag", ESCQ("a\"b"), "a\\\"b");
	CHECK("quote needs escaping with the flag", shmw_escape_needed("a\"b", 3, SHMW_ESC_QUOTE));
	CHECK_STR("NULL is empty", esc(NULL, 5, 0), "");
	CHECK("NULL needs nothing", !shmw_escape_needed(NULL, 5, 0));
}

static void test_utf8(void)
{
	CHECK_STR("UTF-8 kept", ESC("caf\303\251 \342\202\254 \360\237\230\200"),
		  "caf\303\251 \342\202\254 \360\237\230\200");
	CHECK("UTF-8 needs nothing", !NEEDS("caf\303\251 \360\237\230\200"));
	CHECK_STR("byte 0xff", ESC("a\377b"), "a\\xffb");
	CHECK_STR("a lead byte at the end", ESC("a\303"), "a\\xc3");
	CHECK_STR("a lead byte before ASCII", ESC("\303a"), "\\xc3a");
	CHECK_STR("a lone continuation byte", ESC("\251"), "\\xa9");
	CHECK_STR("overlong NUL", ESC("\300\200"), "\\xc0\\x80");
	CHECK_STR("overlong 3-byte", ESC("\340\200\257"), "\\xe0\\x80\\xaf");
	CHECK_STR("surrogate", ESC("\355\240\200"), "\\xed\\xa0\\x80");
	CHECK_STR("past U+10FFFF", ESC("\364\220\200\200"), "\\xf4\\x90\\x80\\x80");
	CHECK_STR("cut 4-byte sequence", ESC("\360\237\230"), "\\xf0\\x9f\\x98");
	CHECK("invalid UTF-8 needs escaping", NEEDS("a\377"));
}

static void test_acting(void)
{
	CHECK_STR("C1 CSI (U+009B)",
		  ESC("\302\233"
		      "2J"),
		  "\\xc2\\x9b2J");
	CHECK_STR("C1 NEL (U+0085)", ESC("a\302\205b"), "a\\xc2\\x85b");
	CHECK_STR("U+00A0 kept", ESC("a\302\240b"), "a\302\240b");
	CHECK_STR("right-to-left override (U+202E)", ESC("a\342\200\256b"), "a\\xe2\\x80\\xaeb");
	CHECK_STR("line separator (U+2028)", ESC("a\342\200\250b"), "a\\xe2\\x80\\xa8b");
	CHECK_STR("right-to-left isolate (U+2067)", ESC("\342\201\247"), "\\xe2\\x81\\xa7");
	CHECK_STR("U+2030 kept", ESC("\342\200\260"), "\342\200\260");
	CHECK("bidi override needs escaping", NEEDS("\342\200\256"));
}

static void test_sizes(void)
{
	char small[8];
	size_t need;

	CHECK_INT("measure", shmw_escape(NULL, 0, "a\nb", 3, 0), 4);
	need = shmw_escape(small, sizeof(small), "abcd\033", 5, 0);
	CHECK_INT("cut: the whole length", need, 8);
	CHECK_STR("cut: never inside an escape", small, "abcd");
	need = shmw_escape(small, sizeof(small), "abcde\303\251", 7, 0);
	CHECK_INT("cut UTF-8: the whole length", need, 7);
	CHECK_STR("cut UTF-8: fits", small, "abcde\303\251");
	need = shmw_escape(small, 7, "abcde\303\251", 7, 0);
	CHECK_STR("cut UTF-8: never inside a sequence", small, "abcde");
	need = shmw_escape(small, 1, "abc", 3, 0);
	CHECK_STR("room for the NUL only", small, "");
	{
		char in[256], out[256 * SHMW_ESC_MAX + 1];

		for (int i = 0; i < 256; i++)
			in[i] = (char)i;
		need = shmw_escape(out, sizeof(out), in, sizeof(in), SHMW_ESC_QUOTE);
		CHECK("every byte: within SHMW_ESC_MAX per byte", need < sizeof(out));
		for (size_t i = 0; i < need; i++)
			if ((unsigned char)out[i] < 0x20 || (unsigned char)out[i] >= 0x7f) {
				CHECK("every byte: the result is printable ASCII", 0);
				return;
			}
		CHECK("every byte: the result is printable ASCII", 1);
	}
}

int main(void)
{
	test_ascii();
	test_utf8();
	test_acting();
	test_sizes();
	return CHECK_DONE();
}
