/*
 * fuzz_config: libFuzzer target for config_parse (pass/config.c).
 *
 * The input is the config JSON. Properties checked on every input (abort
 * with a message otherwise):
 *  - rejected: -1, *out NULL, err non-empty;
 *  - accepted: the hosts markers pass hosts_markers_check, every string
 *    setting is present and non-empty, the timings keep their documented
 *    relations, and the backoff policy passes backoff_check.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backoff.h"
#include "config.h"
#include "dwerr.h"
#include "hosts.h"

#define FUZZ_CONFIG_FILE	"/etc/dnswatchdog/config.json"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void	fuzz_config_fail(const char *what, const char *detail)
		    __attribute__((noreturn));

static void
fuzz_config_fail(const char *what, const char *detail)
{
	fprintf(stderr, "fuzz_config: property violated: %s%s%s\n", what,
	    detail != NULL ? ": " : "", detail != NULL ? detail : "");
	abort();
}

static void
fuzz_config_string(const char *s, const char *what)
{
	if (s == NULL || s[0] == '\0')
		fuzz_config_fail("an accepted config has a missing or empty "
		    "setting", what);
}

static void
fuzz_config_accepted(const struct config *cfg)
{
	struct hosts_markers	 m = { cfg->begin_marker, cfg->end_marker };
	struct dwerr		 err;
	size_t			 i;

	if (hosts_markers_check(&m, &err) != 0)
		fuzz_config_fail("accepted markers fail hosts_markers_check",
		    err.msg);
	if (cfg->path == NULL || strcmp(cfg->path, FUZZ_CONFIG_FILE) != 0)
		fuzz_config_fail("the config path is not the file read",
		    cfg->path);
	fuzz_config_string(cfg->desired_state, "desired_state");
	fuzz_config_string(cfg->hosts_path, "hosts.path");
	fuzz_config_string(cfg->nrpt_record_key, "nrpt.record_key");
	fuzz_config_string(cfg->nrpt_record_value, "nrpt.record_value");
	fuzz_config_string(cfg->control_socket, "control.socket");
	if (cfg->trace_jsonl != NULL)
		fuzz_config_string(cfg->trace_jsonl, "trace.jsonl");
	if (cfg->quiet_ms == 0 || cfg->max_delay_ms < cfg->quiet_ms)
		fuzz_config_fail("quiet_ms is 0 or above max_delay_ms", NULL);
	if (cfg->fight_rewrites == 0 ||
	    cfg->fight_rewrites > CONFIG_FIGHT_REWRITES_MAX)
		fuzz_config_fail("fight_rewrites is out of range", NULL);
	if (backoff_check(&cfg->backoff, &err) != 0)
		fuzz_config_fail("the accepted backoff policy fails "
		    "backoff_check", err.msg);
	if (cfg->nvpn_prefixes > CONFIG_MAX_VPN_PREFIXES ||
	    (cfg->nvpn_prefixes > 0 && cfg->vpn_prefixes == NULL))
		fuzz_config_fail("the VPN prefixes are inconsistent", NULL);
	for (i = 0; i < cfg->nvpn_prefixes; i++)
		fuzz_config_string(cfg->vpn_prefixes[i], "vpn.adapter_prefixes");
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config	*cfg = (struct config *)&cfg;
	struct dwerr	 err;
	int		 rc;

	memset(&err, 0, sizeof(err));
	rc = config_parse((const char *)data, size, FUZZ_CONFIG_FILE, &cfg,
	    &err);
	if (rc != 0) {
		if (rc != -1)
			fuzz_config_fail("config_parse returned neither 0 "
			    "nor -1", NULL);
		if (cfg != NULL)
			fuzz_config_fail("a rejected config left a result",
			    NULL);
		if (err.msg[0] == '\0' || err.count == 0)
			fuzz_config_fail("a rejected config has no message",
			    NULL);
		if (err.code != DWERR_INPUT && err.code != ENOMEM)
			fuzz_config_fail("a rejected config has an unexpected "
			    "error code", err.msg);
		return 0;
	}
	if (cfg == NULL)
		fuzz_config_fail("an accepted config has no result", NULL);
	fuzz_config_accepted(cfg);
	config_free(cfg);
	return 0;
}
