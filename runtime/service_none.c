/*
 * service: platforms where systemd (or the admin) runs the daemon (see
 * service.h). The service commands say how to do it there; `run` always
 * runs in the foreground; failures reach the journal through stderr.
 */
#include "service.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define SERVICE_EXIT_FAILED	1
#define SERVICE_EXIT_USAGE	64

int
service_command(const char *verb, const char *config_path,
    const struct service_opts *opts)
{
	static const struct {
		const char	*verb;
		const char	*instead;
	} verbs[] = {
		{ "install", "systemctl enable --now dnswatchdog" },
		{ "uninstall", "systemctl disable --now dnswatchdog" },
		{ "start", "systemctl start dnswatchdog" },
		{ "stop", "systemctl stop dnswatchdog" },
		{ "setup", "systemctl enable --now dnswatchdog" },
		{ "cleanup", "systemctl disable --now dnswatchdog" },
	};
	size_t	 i;

	(void)config_path;
	(void)opts;
	for (i = 0; verb != NULL && i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(verb, verbs[i].verb) != 0)
			continue;
		fprintf(stderr, "dnswatchdog: 'service %s' manages the Windows "
		    "service; on this platform systemd runs the daemon: install "
		    "packaging/dnswatchdog.service, then: %s\n", verb,
		    verbs[i].instead);
		return SERVICE_EXIT_FAILED;
	}
	fprintf(stderr, "dnswatchdog: unknown service command '%s'; try "
	    "install, uninstall, start or stop\n", verb != NULL ? verb : "");
	return SERVICE_EXIT_USAGE;
}

int
service_run(const char *config_path, bool *handled, struct dwerr *err)
{
	(void)config_path;
	(void)err;
	*handled = false;
	return 0;
}

void
service_report(enum service_event ev, const char *message)
{
	(void)ev;
	(void)message;
}
