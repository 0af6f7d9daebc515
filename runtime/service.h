/*
 * service: running as a system service, and managing its installation.
 *
 * Windows: the service "DnsWatchdog" under the SCM (service_win.c):
 *   dnswatchdog service install|uninstall|start|stop
 * and, for the MSI's custom actions, setup and cleanup (docs/decisions/
 * 0011-msi-actions.md),
 * and `run` under the SCM reports START_PENDING, RUNNING and
 * STOP_PENDING, and turns STOP, PRESHUTDOWN, POWEREVENT (resume) and
 * PARAMCHANGE into daemon_request calls. Elsewhere (service_none.c) the
 * commands explain that systemd runs the daemon (packaging/).
 */
#ifndef SERVICE_H
#define SERVICE_H

#include <stdbool.h>

#include "dwerr.h"

#define SERVICE_NAME		"DnsWatchdog"
#define SERVICE_DISPLAY_NAME	"DNS Watchdog"
#define SERVICE_DESCRIPTION	"Keeps the split DNS of the tunnel (NRPT rules " \
	"and a managed section of the hosts file) in line with its desired " \
	"state, across VPN reconnects and network changes."

/* The options of `dnswatchdog service`; NULL or "" is an option not
 * given (the MSI passes an unset property as ""). */
struct service_opts {
	bool		 keep;		/* uninstall: leave rules and section */
	const char	*config_from;	/* setup: the config file to copy in */
	const char	*follow;	/* setup: a tunnel, for a new config */
};

/* `dnswatchdog service <verb>`: install, uninstall, start, stop; setup
 * (the MSI registered the service: its folder, recovery actions and
 * config) and cleanup (removes the NRPT rules and the hosts section, as
 * uninstall does, and leaves the service to the MSI). opts may be NULL.
 * Returns a process exit code (0 on success) after printing what it did
 * or why it failed. */
int	service_command(const char *verb, const char *config_path,
	    const struct service_opts *opts);

/* `run`: under the service manager, runs the daemon as the service and
 * returns 0 with *handled true; in a console, returns with *handled
 * false so the caller runs the daemon in the foreground. */
int	service_run(const char *config_path, bool *handled, struct dwerr *err);

/* The events the service reports, numbered as the message table of the
 * program (runtime/messages.mc) numbers their texts: the Event IDs. */
enum service_event {
	SERVICE_EV_NOT_STARTED = 1,	/* error: it could not start */
	SERVICE_EV_CONFIG_INVALID = 2,	/* error: the config is invalid */
	SERVICE_EV_UNSAFE_FILES = 3,	/* error: others may change a file */
	SERVICE_EV_FAILED = 4,		/* error: it stopped after a failure */
	SERVICE_EV_DESIRED_INVALID = 5,	/* error: the desired state */
	SERVICE_EV_FIGHT = 6,		/* warning: another program fights */
	SERVICE_EV_HOSTS_FAILED = 7,	/* error: the hosts file is not written */
	SERVICE_EV_VERIFY_FAILED = 8	/* error: written, but does not work */
};

/* Reports a persistent failure (gave up, invalid desired state, a fight)
 * where an administrator looks: the Windows Event Log under the
 * "DnsWatchdog" source, as event ev with message inserted into its text;
 * a no-op elsewhere (the journal has stderr). */
void	service_report(enum service_event ev, const char *message);

#endif
