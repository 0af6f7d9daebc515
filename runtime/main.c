/*
 * dnswatchdog: command line.
 *
 *   dnswatchdog [--config FILE] [-v|-q] run
 *   dnswatchdog [--config FILE] [-v|-q] once [--dry-run]
 *   dnswatchdog [--config FILE] [-v|-q] plan
 *   dnswatchdog [--config FILE] status [--json]
 *   dnswatchdog [--config FILE] reconcile
 *   dnswatchdog [--config FILE] doctor [--json] [--bundle FILE]
 *   dnswatchdog validate FILE
 *   dnswatchdog version
 *
 * Exit codes: 0 converged or nothing to do; 1 could not converge; 2 invalid
 * config or desired state (nothing changed); 3 no daemon answered; 64 usage
 * error.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "archive.h"
#include "config.h"
#include "control_client.h"
#include "daemon.h"
#include "desired.h"
#include "doctor.h"
#include "log.h"
#include "platform.h"
#include "reconcile.h"
#include "service.h"
#include "trace.h"
#include "trace_etw.h"
#include "verify.h"

#define EXIT_NOT_CONVERGED	1
#define EXIT_INVALID		2
#define EXIT_NO_DAEMON		3
#define CONTROL_TIMEOUT_MS	5000	/* status, reload */
#define EXIT_USAGE		64

#ifndef DW_VERSION
#define DW_VERSION "0.0.0"
#endif

static const char main_usage[] =
"usage: dnswatchdog [--config FILE] [-v | -q] COMMAND [ARGS]\n"
"\n"
"Keeps the DNS state a tunnel needs in line with a desired-state file:\n"
"a managed section of the hosts file, and the split-DNS rules as NRPT\n"
"rules (Windows) or systemd-resolved link settings (Linux, with\n"
"\"resolved\" in the config: docs/linux.md).\n"
"With \"follow\" in the config, the desired state is what an unmodified\n"
"tunnel left, learned and put back after a wipe (docs/follow.md).\n"
"\n"
"commands:\n"
"  run                run the watchdog in the foreground (the daemon)\n"
"  once [--dry-run]   run one reconcile pass, then exit\n"
"  status [--json]    ask the running daemon how things stand\n"
"  reconcile          ask the running daemon for a pass now\n"
"  service VERB       install, uninstall, start or stop the Windows service\n"
"  plan               print what 'once' would change; change nothing\n"
"  doctor [--json]    read everything, change nothing, say what is wrong\n"
"  validate FILE      check a desired-state file\n"
"  version            print the version\n"
"  help [COMMAND]     print this text, or a command's\n"
"\n"
"options:\n"
"  -c, --config FILE  config file (default: %s)\n"
"  -v, --verbose      also print debug messages\n"
"  -q, --quiet        print errors only\n"
"  -h, --help         print this text\n"
"\n"
"exit codes: 0 converged or nothing to do, 1 could not converge,\n"
"2 invalid config or desired state (nothing changed), 3 no daemon\n"
"answered, 64 usage error.\n";

static const char run_usage[] =
"usage: dnswatchdog [--config FILE] run\n"
"\n"
"Runs the watchdog in the foreground: a pass at start, then one whenever\n"
"the network changes, a VPN connects, someone edits the hosts file or the\n"
"desired-state file changes, on a periodic resync, and on request over\n"
"the control socket. SIGTERM or SIGINT stop it; SIGHUP reloads the config.\n"
"\n"
"exit: 0 after a clean stop, 2 invalid config, 1 could not start.\n";

static const char status_usage[] =
"usage: dnswatchdog [--config FILE] status [--json]\n"
"\n"
"Asks the running daemon, through the control socket of the config, how\n"
"each artifact stands, what the last pass did, and its counters.\n"
"\n"
"  -j, --json  print the daemon's reply as it is (one JSON object)\n"
"\n"
"exit: 0 answered, 3 no daemon answered.\n";

static const char service_usage[] =
"usage: dnswatchdog [--config FILE] service install|uninstall|start|stop\n"
"       dnswatchdog [--config FILE] service --keep uninstall\n"
"\n"
"Windows: installs the DnsWatchdog service (automatic start, LocalSystem,\n"
"after Dnscache, restarted after 1 s, 5 s and 30 s on failure), removes it,\n"
"starts or stops it. Uninstall first removes the NRPT rules and the hosts\n"
"section the watchdog manages, unless --keep. Elsewhere systemd runs the\n"
"daemon: see packaging/dnswatchdog.service.\n"
"\n"
"  -k, --keep  uninstall only: leave the rules and the section in place\n"
"\n"
"The MSI runs two more, as SYSTEM (docs/install.md):\n"
"  service [--config-from FILE] [--follow TUNNEL] setup\n"
"              after it registered the service: the recovery actions and\n"
"              the rest of install's settings, the protected folder of\n"
"              the config, and the config copied from FILE (it must be a\n"
"              valid config) or, with no config yet, one that follows\n"
"              TUNNEL (docs/follow.md)\n"
"  service cleanup\n"
"              on uninstall: removes the rules and the section, as\n"
"              uninstall does, and leaves the service to the MSI\n"
"\n"
"exit: 0 done, 1 failed, 64 usage.\n";

static const char reconcile_usage[] =
"usage: dnswatchdog [--config FILE] reconcile\n"
"\n"
"Asks the running daemon for a pass now and waits for its result.\n"
"\n"
"exit: 0 converged or nothing to do, 1 could not converge, 3 no daemon\n"
"answered.\n";

static const char once_usage[] =
"usage: dnswatchdog [--config FILE] once [--dry-run]\n"
"\n"
"Runs one reconcile pass: reads the desired state (in follow mode:\n"
"learns the tunnel's, or puts it back), brings the managed\n"
"artifacts in line (on Linux: the hosts file), retrying a failed write\n"
"with backoff until the deadline, then exits. A pass that finds\n"
"everything right writes nothing. Then, written or not, checks that\n"
"the managed names resolve as desired through the system's resolver\n"
"and prints a line per artifact ('verified: ...', 'NOT verified: ...');\n"
"a failed check does not change the exit code.\n"
"\n"
"  -n, --dry-run  only print what would change (same as 'plan')\n"
"\n"
"exit: 0 converged or no-op, 1 could not converge, 2 invalid input.\n";

static const char plan_usage[] =
"usage: dnswatchdog [--config FILE] plan\n"
"\n"
"Prints, per artifact, what 'once' would change, and changes nothing.\n"
"\n"
"exit: 0 plan printed, 1 an artifact cannot be managed, 2 invalid input.\n";

static const char doctor_usage[] =
"usage: dnswatchdog [--config FILE] doctor [--json] [--bundle FILE]\n"
"\n"
"Reads the NRPT tables (every rule, with the product that owns it), the\n"
"hosts file and its section, the desired state, the running daemon, and\n"
"resolves the managed names through the system's resolver; changes\n"
"nothing. Prints a verdict (ok, degraded, broken) and every finding,\n"
"each with a code that docs/troubleshooting.md explains.\n"
"\n"
"  -j, --json         print the report as one JSON object\n"
"  -b, --bundle FILE  also write a support bundle (.zip, or .tar.gz)\n"
"\n"
"exit: 0 ok, 1 degraded or broken (or the bundle could not be written),\n"
"2 invalid config, 64 usage (a bundle name that is neither .zip nor\n"
".tar.gz).\n";

static const char validate_usage[] =
"usage: dnswatchdog validate FILE\n"
"\n"
"Checks a desired-state file. Prints a summary and exits 0 when it is\n"
"valid; prints every problem (file, JSON path, reason) on stderr and\n"
"exits 2 when it is not.\n";

static const char version_usage[] =
"usage: dnswatchdog version\n"
"\n"
"Prints the version.\n";

static uint64_t
main_clock(void *ctx)
{
	(void)ctx;
	return platform_wall_us();
}

/* Parses a command's options: --help, and the one flag the command has
 * (flag_name NULL: none). Leaves optind at the first operand. */
static int
main_command_opts(int argc, char **argv, const char *usage,
    const char *flag_name, bool *flag)
{
	struct option	 opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ flag_name, no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 }
	};
	char		 shorts[8] = "+h";
	int		 ch;

	if (flag_name == NULL)
		opts[1].name = NULL;
	else {
		shorts[2] = flag_name[0];
		shorts[3] = '\0';
	}
	optind = 0;	/* restart scanning for the command's own argv */
	while ((ch = getopt_long(argc, argv, shorts, opts, NULL)) != -1) {
		if (ch == 'h') {
			fputs(usage, stdout);
			exit(0);
		}
		if (flag_name != NULL && (ch == 'f' || ch == flag_name[0])) {
			*flag = true;
			continue;
		}
		fputs(usage, stderr);
		return -1;
	}
	return 0;
}

/* Checks that a command got no operands. */
static int
main_no_operands(int argc, const char *usage)
{
	if (optind == argc)
		return 0;
	fputs(usage, stderr);
	return -1;
}

static int
main_validate(int argc, char **argv)
{
	struct desired_state	*ds = NULL;
	struct dwerr		 err;

	if (main_command_opts(argc, argv, validate_usage, NULL, NULL) != 0)
		return EXIT_USAGE;
	if (argc - optind != 1) {
		fputs(validate_usage, stderr);
		return EXIT_USAGE;
	}
	if (reconcile_read_desired(argv[optind], &ds, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		if (err.truncated)
			fprintf(stderr, "%s: (more problems not shown)\n",
			    argv[optind]);
		return EXIT_INVALID;
	}
	printf("%s: valid (%zu NRPT rules, %zu hosts entries, %zu names)\n",
	    argv[optind], ds->nnrpt, ds->nhosts, desired_host_names(ds));
	desired_free(ds);
	return 0;
}

/* After once: verifies what the pass left (traced under its activity)
 * and prints a line per artifact. */
static void
main_verify(const struct config *cfg, struct trace *t,
    const struct desired_state *ds, const uint8_t activity[16])
{
	struct verify_report	 rep;
	size_t			 cursor = 0;

	if (verify_run(cfg, ds, &cursor, &rep) != 0) {
		log_error("verification: out of memory");
		return;
	}
	trace_activity_begin(t, activity);
	verify_trace(t, &rep);
	trace_activity_end(t);
	verify_print(&rep, stdout);
}

static int
main_reconcile(const char *config_path, int argc, char **argv,
    enum reconcile_mode mode)
{
	struct reconcile_opts	 opts = { mode, "once", stdout };
	struct reconcile_summary sum;
	struct desired_state	*ds;
	struct config		*cfg;
	struct trace		*t;
	struct dwerr		 err;
	bool			 dry_run = false;

	if (mode == RECONCILE_PLAN) {
		if (main_command_opts(argc, argv, plan_usage, NULL, NULL) != 0 ||
		    main_no_operands(argc, plan_usage) != 0)
			return EXIT_USAGE;
		opts.trigger = "plan";
	} else if (main_command_opts(argc, argv, once_usage, "dry-run",
	    &dry_run) != 0 || main_no_operands(argc, once_usage) != 0)
		return EXIT_USAGE;
	if (dry_run)
		opts.mode = RECONCILE_PLAN;
	if (config_load(config_path, &cfg, &err) != 0) {
		log_error("%s", err.msg);
		return EXIT_INVALID;
	}
	if ((t = trace_new(main_clock, NULL)) == NULL) {
		log_error("out of memory");
		config_free(cfg);
		return EXIT_NOT_CONVERGED;
	}
	/* A plan changes nothing, not even the trace file. */
	if (cfg->trace_jsonl != NULL && opts.mode == RECONCILE_APPLY &&
	    trace_add_jsonl(t, cfg->trace_jsonl, cfg->trace_max_bytes, NULL,
	    &err) != 0)
		log_error("tracing off: %s", err.msg);
	if (opts.mode == RECONCILE_APPLY && trace_add_etw(t, &err) != 0 &&
	    err.code != ENOTSUP)
		log_error("ETW tracing off: %s", err.msg);
	reconcile_once_keep(cfg, t, &opts, &sum, &ds);
	/* Applied: whether it works, seen through the system's resolver
	 * (always, written or not: the exit code stays the pass's). */
	if (opts.mode == RECONCILE_APPLY && ds != NULL)
		main_verify(cfg, t, ds, sum.activity);
	desired_free(ds);
	trace_free(t);
	config_free(cfg);
	if (sum.input_invalid)
		return EXIT_INVALID;
	if (sum.result == RECONCILE_NOOP || sum.result == RECONCILE_CONVERGED)
		return 0;
	return EXIT_NOT_CONVERGED;
}

static int
main_run(const char *config_path, int argc, char **argv)
{
	struct dwerr	 err;
	bool		 handled;
	int		 rc;

	if (main_command_opts(argc, argv, run_usage, NULL, NULL) != 0 ||
	    main_no_operands(argc, run_usage) != 0)
		return EXIT_USAGE;
	/* Under the service manager, the service runs the daemon. */
	rc = service_run(config_path, &handled, &err);
	if (handled) {
		if (rc != 0)
			log_error("%s", err.msg);
		return rc;
	}
	if (daemon_run(config_path, NULL, &err) != 0) {
		log_error("%s", err.msg);
		return err.code == DWERR_INPUT ? EXIT_INVALID : EXIT_NOT_CONVERGED;
	}
	return 0;
}

/* Sends cmd to the daemon of the config; *reply is the caller's. */
static int
main_call(const char *config_path, const char *cmd, int timeout_ms,
    char **reply)
{
	struct config	*cfg;
	struct dwerr	 err;
	int		 rc;

	if (config_load(config_path, &cfg, &err) != 0) {
		log_error("%s", err.msg);
		return EXIT_INVALID;
	}
	rc = control_call(cfg->control_socket, cmd, timeout_ms, reply, &err);
	config_free(cfg);
	if (rc != 0) {
		log_error("%s", err.msg);
		return EXIT_NO_DAEMON;
	}
	return 0;
}

static const char *
main_str(const cJSON *obj, const char *key)
{
	const cJSON	*it = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(it) ? it->valuestring : NULL;
}

static double
main_num(const cJSON *obj, const char *key)
{
	const cJSON	*it = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNumber(it) ? it->valuedouble : 0;
}

/* Follow mode: the tunnel, and what is learned of it. */
static void
main_print_follow(const cJSON *o)
{
	const char	*s;

	printf("follow         %s: ", main_str(o, "tunnel"));
	if (cJSON_GetObjectItemCaseSensitive(o, "alive") == NULL)
		printf("no pass yet");
	else {
		printf("adapter %s", cJSON_IsTrue(
		    cJSON_GetObjectItemCaseSensitive(o, "alive")) ? "up" :
		    "gone");
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o,
		    "learned")))
			printf("; learned %.0f rule keys and %.0f host lines "
			    "%.0f s ago", main_num(o, "rules"),
			    main_num(o, "host_lines"),
			    main_num(o, "age_ms") / 1000);
		else
			printf("; nothing learned yet");
		if ((s = main_str(o, "standing_down")) != NULL)
			printf("; standing down (%s)", s);
	}
	printf("\n  kept in %s\n", main_str(o, "state_file"));
	if ((s = main_str(o, "error")) != NULL)
		printf("  %s\n", s);
}

/* The last verification, from the status reply. */
static void
main_print_verify(const cJSON *o)
{
	static const char *const arts[] = { "hosts", "nrpt" };
	const cJSON	*a;
	const char	*s;
	size_t		 i;
	bool		 checked = false;

	for (i = 0; i < sizeof(arts) / sizeof(arts[0]); i++)
		if ((a = cJSON_GetObjectItemCaseSensitive(o, arts[i])) !=
		    NULL && !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a,
		    "skipped")))
			checked = true;
	if (cJSON_GetObjectItemCaseSensitive(o, "verified") == NULL)
		printf("verification   running, none done yet\n");
	else
		printf("verification   %s, %.0f ms ago%s\n",
		    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o,
		    "verified")) ? "FAILED" : checked ? "as desired" :
		    "nothing checked",
		    main_num(o, "ended_ms_ago"),
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o,
		    "running")) ? " (another running)" : "");
	for (i = 0; i < sizeof(arts) / sizeof(arts[0]); i++) {
		if ((a = cJSON_GetObjectItemCaseSensitive(o, arts[i])) == NULL)
			continue;
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(a,
		    "skipped")))
			printf("  %-5s not verified: %s\n", arts[i],
			    main_str(a, "class"));
		else if (main_num(a, "failed") == 0)
			printf("  %-5s %.0f checked, all as desired\n", arts[i],
			    main_num(a, "checked"));
		else
			printf("  %-5s %.0f of %.0f failed: %s\n", arts[i],
			    main_num(a, "failed"), main_num(a, "checked"),
			    main_str(a, "class"));
		if ((s = main_str(a, "detail")) != NULL)
			printf("        %s\n", s);
	}
}

/* The systemd-resolved line: the link and what it holds. */
static void
main_print_resolved(const cJSON *o)
{
	const cJSON	*a, *it;
	const char	*s;
	int		 k;

	if ((s = main_str(o, "state")) == NULL || strcmp(s, "disabled") == 0)
		return;
	printf("resolved       %s (ifindex %.0f): %s", main_str(o, "link"),
	    main_num(o, "ifindex"), s);
	for (k = 0; k < 2; k++) {
		a = cJSON_GetObjectItemCaseSensitive(o, k == 0 ? "servers" :
		    "domains");
		if (a == NULL)
			continue;
		printf("; %s", k == 0 ? "dns" : "domains");
		cJSON_ArrayForEach(it, a) {
			if (cJSON_IsString(it))
				printf(" %s", it->valuestring);
		}
	}
	if ((it = cJSON_GetObjectItemCaseSensitive(o, "default_route")) != NULL)
		printf("; default route %s", cJSON_IsTrue(it) ? "yes" : "no");
	putchar('\n');
	if ((s = main_str(o, "reason")) != NULL)
		printf("  %s\n", s);
}

/* Prints the daemon's status reply for a person. */
static void
main_print_status(const cJSON *r)
{
	const cJSON	*o;
	const char	*s;

	if ((o = cJSON_GetObjectItemCaseSensitive(r, "follow")) != NULL)
		main_print_follow(o);
	else {
		o = cJSON_GetObjectItemCaseSensitive(r, "desired_state");
		printf("desired state  %s: %s\n", main_str(o, "path"),
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "valid")) ?
		    "valid" : cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o,
		    "in_force")) ? "INVALID, the last good one stays in force" :
		    "INVALID, none in force");
		if ((s = main_str(o, "error")) != NULL)
			printf("  %s\n", s);
	}
	o = cJSON_GetObjectItemCaseSensitive(r, "hosts");
	printf("hosts          %s: %s", main_str(o, "path"), main_str(o, "state"));
	if (cJSON_GetObjectItemCaseSensitive(o, "attempt") != NULL)
		printf(" (attempt %.0f, next in %.0f ms)", main_num(o, "attempt"),
		    main_num(o, "next_attempt_ms"));
	if (cJSON_GetObjectItemCaseSensitive(o, "next_retry_ms") != NULL)
		printf(" (next try in %.0f ms)", main_num(o, "next_retry_ms"));
	putchar('\n');
	if ((s = main_str(o, "error")) != NULL)
		printf("  %s\n", s);
	o = cJSON_GetObjectItemCaseSensitive(r, "nrpt");
	printf("nrpt           %s\n", main_str(o, "state"));
	if ((o = cJSON_GetObjectItemCaseSensitive(r, "resolved")) != NULL)
		main_print_resolved(o);
	o = cJSON_GetObjectItemCaseSensitive(r, "fight");
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "active"))) {
		s = main_str(o, "artifact");
		printf("fight          %s; repairs wait %.0f ms\n",
		    s != NULL && strcmp(s, "nrpt") == 0 ? "our NRPT rules keep "
		    "being removed or changed" : s != NULL &&
		    strcmp(s, "resolved") == 0 ? "the link's resolved settings "
		    "keep being reverted or changed" : "another program keeps "
		    "rewriting the hosts file", main_num(o, "delay_ms"));
	}
	o = cJSON_GetObjectItemCaseSensitive(r, "trace");
	if ((s = main_str(o, "path")) != NULL) {
		printf("trace          %s: %s, %.0f of %.0f bytes, "
		    "%.0f events, %.0f rotations\n", s,
		    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "open")) ?
		    "open" : "NOT OPEN", main_num(o, "bytes"),
		    main_num(o, "max_bytes"), main_num(o, "events"),
		    main_num(o, "rotations"));
		if (main_num(o, "write_errors") > 0 ||
		    main_num(o, "dropped_events") > 0)
			printf("  %.0f write errors, %.0f events dropped\n",
			    main_num(o, "write_errors"),
			    main_num(o, "dropped_events"));
		if ((s = main_str(o, "last_error")) != NULL)
			printf("  %s\n", s);
	}
	if ((o = cJSON_GetObjectItemCaseSensitive(r, "verify")) != NULL)
		main_print_verify(o);
	o = cJSON_GetObjectItemCaseSensitive(r, "last_pass");
	if ((s = main_str(o, "trigger")) != NULL)
		printf("last pass      %s (%s), %.0f us, %.0f ms ago\n",
		    main_str(o, "result"), s, main_num(o, "duration_us"),
		    main_num(o, "ended_ms_ago"));
	o = cJSON_GetObjectItemCaseSensitive(r, "counters");
	printf("counters       %.0f passes (%.0f no-op), %.0f writes, %.0f "
	    "triggers (%.0f coalesced)\n", main_num(o, "passes"),
	    main_num(o, "noop_passes"), main_num(o, "writes"),
	    main_num(o, "triggers"), main_num(o, "coalesced_triggers"));
}

static int
main_status(const char *config_path, int argc, char **argv)
{
	cJSON		*r;
	const char	*s;
	char		*reply;
	bool		 json = false;
	int		 rc;

	if (main_command_opts(argc, argv, status_usage, "json", &json) != 0 ||
	    main_no_operands(argc, status_usage) != 0)
		return EXIT_USAGE;
	if ((rc = main_call(config_path, "status", CONTROL_TIMEOUT_MS,
	    &reply)) != 0)
		return rc;
	r = cJSON_Parse(reply);
	if (cJSON_IsFalse(cJSON_GetObjectItemCaseSensitive(r, "ok"))) {
		/* Refused (too many clients): no status to print. */
		if (json)
			printf("%s\n", reply);
		else if ((s = main_str(r, "error")) != NULL)
			log_error("the daemon refused: %s", s);
		else
			log_error("the daemon refused: %s", reply);
		rc = EXIT_NOT_CONVERGED;
	} else if (json || r == NULL)
		printf("%s\n", reply);
	else
		main_print_status(r);
	cJSON_Delete(r);
	free(reply);
	return rc;
}

static int
main_reconcile_cmd(const char *config_path, int argc, char **argv)
{
	struct config	*cfg;
	struct dwerr	 err;
	cJSON		*r;
	char		*reply;
	int		 rc, timeout;

	if (main_command_opts(argc, argv, reconcile_usage, NULL, NULL) != 0 ||
	    main_no_operands(argc, reconcile_usage) != 0)
		return EXIT_USAGE;
	if (config_load(config_path, &cfg, &err) != 0) {
		log_error("%s", err.msg);
		return EXIT_INVALID;
	}
	/* The request may wait for a running pass (retrying a locked file
	 * up to its deadline) and then for its own. */
	timeout = 2 * (int)(cfg->max_delay_ms + cfg->backoff.deadline_ms) +
	    CONTROL_TIMEOUT_MS;
	config_free(cfg);
	if ((rc = main_call(config_path, "reconcile", timeout, &reply)) != 0)
		return rc;
	printf("%s\n", reply);
	r = cJSON_Parse(reply);
	rc = r != NULL && cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(r, "ok")) ?
	    0 : EXIT_NOT_CONVERGED;
	cJSON_Delete(r);
	free(reply);
	return rc;
}

static int
main_doctor(const char *config_path, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "json", no_argument, NULL, 'j' },
		{ "bundle", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 }
	};
	struct doctor_opts	 dopts;
	enum archive_kind	 kind;
	struct config		*cfg;
	struct dwerr		 err;
	cJSON			*report;
	char			*reply = NULL, *text;
	const char		*bundle = NULL;
	bool			 json = false;
	int			 ch, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "+hjb:", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			fputs(doctor_usage, stdout);
			return 0;
		case 'j':
			json = true;
			break;
		case 'b':
			bundle = optarg;
			break;
		default:
			fputs(doctor_usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (main_no_operands(argc, doctor_usage) != 0)
		return EXIT_USAGE;
	if (bundle != NULL && archive_kind_of(bundle, &kind, &err) != 0) {
		log_error("%s", err.msg);
		return EXIT_USAGE;
	}
	if (config_load(config_path, &cfg, &err) != 0) {
		log_error("%s", err.msg);
		return EXIT_INVALID;
	}
	memset(&dopts, 0, sizeof(dopts));
	dopts.verify = true;
	dopts.version = DW_VERSION;
	dopts.daemon_checked = true;
	dopts.daemon_running = control_call(cfg->control_socket, "status",
	    CONTROL_TIMEOUT_MS, &reply, &err) == 0;
	dopts.daemon_error = dopts.daemon_running ? NULL : err.msg;
	free(reply);
	if (doctor_run(cfg, &dopts, &report) != 0) {
		log_error("out of memory");
		config_free(cfg);
		return EXIT_NOT_CONVERGED;
	}
	rc = strcmp(doctor_verdict(report), "ok") == 0 ? 0 :
	    EXIT_NOT_CONVERGED;
	if (json) {
		if ((text = cJSON_PrintUnformatted(report)) == NULL) {
			log_error("out of memory");
			rc = EXIT_NOT_CONVERGED;
		} else {
			printf("%s\n", text);
			cJSON_free(text);
		}
	} else
		doctor_print(report, stdout);
	if (bundle != NULL && doctor_bundle(cfg, report, bundle, &err) != 0) {
		log_error("%s", err.msg);
		rc = EXIT_NOT_CONVERGED;
	} else if (bundle != NULL && !json)
		printf("support bundle written to %s\n", bundle);
	cJSON_Delete(report);
	config_free(cfg);
	return rc;
}

static int
main_service(const char *config_path, int argc, char **argv)
{
	static const struct option	 opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "keep", no_argument, NULL, 'k' },
		{ "config-from", required_argument, NULL, 'C' },
		{ "follow", required_argument, NULL, 'F' },
		{ NULL, 0, NULL, 0 }
	};
	struct service_opts		 so = { false, NULL, NULL };
	int				 ch;

	optind = 0;	/* restart scanning for the command's own argv */
	while ((ch = getopt_long(argc, argv, "+hk", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			fputs(service_usage, stdout);
			return 0;
		case 'k':
			so.keep = true;
			break;
		case 'C':
			so.config_from = optarg;
			break;
		case 'F':
			so.follow = optarg;
			break;
		default:
			fputs(service_usage, stderr);
			return EXIT_USAGE;
		}
	}
	if (argc - optind != 1) {
		fputs(service_usage, stderr);
		return EXIT_USAGE;
	}
	return service_command(argv[optind], config_path, &so);
}

static int
main_help(const char *cmd)
{
	if (cmd == NULL)
		printf(main_usage, platform_default_config());
	else if (strcmp(cmd, "once") == 0)
		fputs(once_usage, stdout);
	else if (strcmp(cmd, "plan") == 0)
		fputs(plan_usage, stdout);
	else if (strcmp(cmd, "validate") == 0)
		fputs(validate_usage, stdout);
	else if (strcmp(cmd, "version") == 0)
		fputs(version_usage, stdout);
	else if (strcmp(cmd, "run") == 0)
		fputs(run_usage, stdout);
	else if (strcmp(cmd, "status") == 0)
		fputs(status_usage, stdout);
	else if (strcmp(cmd, "reconcile") == 0)
		fputs(reconcile_usage, stdout);
	else if (strcmp(cmd, "service") == 0)
		fputs(service_usage, stdout);
	else if (strcmp(cmd, "doctor") == 0)
		fputs(doctor_usage, stdout);
	else {
		fprintf(stderr, "dnswatchdog: no command '%s'\n", cmd);
		return EXIT_USAGE;
	}
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	const char	*config_path = NULL, *cmd;
	int		 ch;

	platform_harden();
	while ((ch = getopt_long(argc, argv, "+c:vqh", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			config_path = optarg;
			break;
		case 'v':
			log_set_verbosity(2);
			break;
		case 'q':
			log_set_verbosity(0);
			break;
		case 'h':
			return main_help(NULL);
		default:
			fprintf(stderr, main_usage, platform_default_config());
			return EXIT_USAGE;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, main_usage, platform_default_config());
		return EXIT_USAGE;
	}
	cmd = argv[optind];
	argc -= optind;
	argv += optind;
	if (strcmp(cmd, "once") == 0)
		return main_reconcile(config_path, argc, argv, RECONCILE_APPLY);
	if (strcmp(cmd, "plan") == 0)
		return main_reconcile(config_path, argc, argv, RECONCILE_PLAN);
	if (strcmp(cmd, "validate") == 0)
		return main_validate(argc, argv);
	if (strcmp(cmd, "run") == 0)
		return main_run(config_path, argc, argv);
	if (strcmp(cmd, "status") == 0)
		return main_status(config_path, argc, argv);
	if (strcmp(cmd, "reconcile") == 0)
		return main_reconcile_cmd(config_path, argc, argv);
	if (strcmp(cmd, "service") == 0)
		return main_service(config_path, argc, argv);
	if (strcmp(cmd, "doctor") == 0)
		return main_doctor(config_path, argc, argv);
	if (strcmp(cmd, "version") == 0) {
		if (main_command_opts(argc, argv, version_usage, NULL, NULL) != 0 ||
		    main_no_operands(argc, version_usage) != 0)
			return EXIT_USAGE;
		printf("dnswatchdog %s\n", DW_VERSION);
		return 0;
	}
	if (strcmp(cmd, "help") == 0)
		return main_help(argc > 1 ? argv[1] : NULL);
	fprintf(stderr, "dnswatchdog: unknown command '%s'\n", cmd);
	fprintf(stderr, main_usage, platform_default_config());
	return EXIT_USAGE;
}
