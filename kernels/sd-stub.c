// SPDX-License-Identifier: (LGPL-2.1 OR BSD-2-Clause)
/*
 * sd_notify stand-ins for the static test build only (make static, make test-kernels): Debian
 * ships no libsystemd.a, and the qemu guests have no systemd. Returning 0 is what libsystemd
 * itself returns when $NOTIFY_SOCKET is unset ("not run by systemd"). Never linked into build/.
 */
#include <systemd/sd-daemon.h>

int sd_notify(int unset_environment, const char *state)
{
	(void)unset_environment;
	(void)state;
	return 0;
}

int sd_notifyf(int unset_environment, const char *format, ...)
{
	(void)unset_environment;
	(void)format;
	return 0;
}
