/*
 * daemon: the watchdog as a long-running process ("dnswatchdog run").
 *
 * One libevent loop owns all state. Triggers (start-up, network change,
 * VPN (re)connect and its settle re-checks, drift of the hosts file, a
 * changed desired-state file, the periodic resync, resume from sleep, a
 * request on the control channel) only decide *when* a pass runs; the
 * desired state alone decides *what* it does.
 *
 * Coalescing: triggers within the quiet window make one pass, started at
 * most max_delay after the first of them, and named after the most telling
 * of them (a VPN reconnect over the route changes it brought); a trigger
 * that arrives while a pass runs makes exactly one more pass after it. A failed hosts write is
 * retried from timers (the loop keeps answering the control channel); a
 * trigger during that wait does not shorten it: every attempt re-renders
 * from the latest file and desired state anyway, and the extra pass runs
 * after the job ends. After the deadline the hosts file is "degraded" and
 * a slow retry keeps going until it converges.
 */
#ifndef DAEMON_H
#define DAEMON_H

#include "dwerr.h"

/* Requests from outside the loop, as bits for daemon_request. */
#define DAEMON_REQ_STOP		0x1u	/* stop cleanly */
#define DAEMON_REQ_RELOAD	0x2u	/* reload the config (SIGHUP, PARAMCHANGE) */
#define DAEMON_REQ_RESUME	0x4u	/* the machine resumed from sleep */

/* What a service manager hears about (Windows reports its states there);
 * every member may be NULL. */
struct daemon_hooks {
	/* In the loop once the daemon is up (its first pass scheduled): a
	 * Windows service reports SERVICE_RUNNING there. */
	void	(*started)(void *ctx);
	/* After a stop was asked for, once per step of the stop that is
	 * done (the last pass ended; the control channel, the event
	 * sources, the trace closed): a Windows service advances its
	 * STOP_PENDING checkpoint there, so a stop that hangs shows. */
	void	(*stopping)(void *ctx);
	void	 *ctx;
};

/* Runs the daemon in the foreground until SIGTERM or SIGINT (SIGHUP
 * reloads the config) or a DAEMON_REQ_STOP. config_path may be NULL (the
 * default config); hooks may be NULL. Returns 0 after a clean stop, or
 * -1 with err when it cannot start. */
int	daemon_run(const char *config_path, const struct daemon_hooks *hooks,
	    struct dwerr *err);

/* Asks the running daemon for the DAEMON_REQ_* in req. Safe from any
 * thread (a service control handler); it only records the request and
 * wakes the loop. A no-op when no daemon runs. */
void	daemon_request(unsigned req);

#endif
