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

/* Runs the daemon in the foreground until SIGTERM or SIGINT (SIGHUP
 * reloads the config). config_path may be NULL (the default config).
 * Returns 0 after a clean stop, or -1 with err when it cannot start. */
int	daemon_run(const char *config_path, struct dwerr *err);

#endif
