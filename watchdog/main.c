/*
 * dnswatchdog: command line.
 *
 *   dnswatchdog [--config FILE] [-v|-q] once [--dry-run]
 *   dnswatchdog [--config FILE] [-v|-q] plan
 *   dnswatchdog validate FILE
 *   dnswatchdog version
 *
 * Exit codes: 0 converged or nothing to do; 1 could not converge; 2 invalid
 * config or desired state (nothing changed); 64 usage error.
 */
#define _POSIX_C_SOURCE 200809L

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "desired.h"
#include "log.h"
#include "platform.h"
#include "reconcile.h"
#include "trace.h"

#define EXIT_NOT_CONVERGED	1
#define EXIT_INVALID		2
#define EXIT_USAGE		64

#ifndef DW_VERSION
#define DW_VERSION "0.0.0"
#endif

static const char main_usage[] =
"usage: dnswatchdog [--config FILE] [-v | -q] COMMAND [ARGS]\n"
"\n"
"Keeps the DNS state a tunnel needs in line with a desired-state file:\n"
"a managed section of the hosts file.\n"
"\n"
"commands:\n"
"  once [--dry-run]   run one reconcile pass, then exit\n"
"  plan               print what 'once' would change; change nothing\n"
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
"2 invalid config or desired state (nothing changed), 64 usage error.\n";

static const char once_usage[] =
"usage: dnswatchdog [--config FILE] once [--dry-run]\n"
"\n"
"Runs one reconcile pass: reads the desired state, brings the managed\n"
"artifacts in line (on Linux: the hosts file), retrying a failed write\n"
"with backoff until the deadline, then exits. A pass that finds\n"
"everything right writes nothing.\n"
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

/* Parses a command's options: only --help (and --dry-run for once). */
static int
main_command_opts(int argc, char **argv, const char *usage, bool *dry_run)
{
	static const struct option opts[] = {
		{ "help", no_argument, NULL, 'h' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	int	 ch;

	optind = 0;	/* restart scanning for the command's own argv */
	while ((ch = getopt_long(argc, argv, "+hn", opts, NULL)) != -1) {
		switch (ch) {
		case 'h':
			fputs(usage, stdout);
			exit(0);
		case 'n':
			if (dry_run != NULL) {
				*dry_run = true;
				break;
			}
			/* FALLTHROUGH */
		default:
			fputs(usage, stderr);
			return -1;
		}
	}
	return 0;
}

static int
main_validate(int argc, char **argv)
{
	struct desired_state	*ds = NULL;
	struct dwerr		 err;

	if (main_command_opts(argc, argv, validate_usage, NULL) != 0)
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

static int
main_reconcile(const char *config_path, int argc, char **argv,
    enum reconcile_mode mode)
{
	struct reconcile_opts	 opts = { mode, "once", stdout };
	struct reconcile_summary sum;
	struct config		*cfg;
	struct trace		*t;
	struct dwerr		 err;
	bool			 dry_run = false;

	if (mode == RECONCILE_PLAN) {
		if (main_command_opts(argc, argv, plan_usage, NULL) != 0)
			return EXIT_USAGE;
		opts.trigger = "plan";
	} else if (main_command_opts(argc, argv, once_usage, &dry_run) != 0)
		return EXIT_USAGE;
	if (optind != argc) {
		fputs(mode == RECONCILE_PLAN ? plan_usage : once_usage, stderr);
		return EXIT_USAGE;
	}
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
	    trace_add_jsonl(t, cfg->trace_jsonl, &err) != 0)
		log_error("tracing off: %s", err.msg);
	reconcile_once(cfg, t, &opts, &sum);
	trace_free(t);
	config_free(cfg);
	if (sum.input_invalid)
		return EXIT_INVALID;
	if (sum.result == RECONCILE_NOOP || sum.result == RECONCILE_CONVERGED)
		return 0;
	return EXIT_NOT_CONVERGED;
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
	if (strcmp(cmd, "version") == 0) {
		if (main_command_opts(argc, argv, version_usage, NULL) != 0)
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
