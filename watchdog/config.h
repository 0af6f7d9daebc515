/*
 * config: the watchdog's own settings (JSON; every key optional).
 *
 * config_parse is pure (the fuzzer and the tests call it on bytes);
 * config_load reads a file and resolves relative paths against its folder.
 * Unknown keys are errors, reported as "FILE: $.json.path: reason".
 */
#ifndef CONFIG_H
#define CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "backoff.h"
#include "dwerr.h"

#define CONFIG_MAX_BYTES	(1u << 20)	/* a config is small */
#define CONFIG_MAX_DEPTH	8u

struct config {
	char			*path;		/* the file read, NULL for defaults */
	char			*desired_state;	/* the desired-state file */
	bool			 hosts_enabled;	/* manage the hosts file at all */
	char			*hosts_path;
	char			*begin_marker;
	char			*end_marker;
	char			*trace_jsonl;	/* JSON Lines trace, NULL: off */
	bool			 nrpt_enabled;	/* manage NRPT rules (Windows) */
	char			*nrpt_record_key;   /* HKLM\<key> holds the record */
	char			*nrpt_record_value; /* REG_MULTI_SZ of owned IDs */
	struct backoff_policy	 backoff;
};

/* Parses len bytes of config JSON read from file (which also anchors
 * relative paths: they resolve against its folder). *out is the caller's
 * (free with config_free). Returns 0, or -1 with every problem in err. */
int	config_parse(const char *text, size_t len, const char *file,
	    struct config **out, struct dwerr *err);

/* Reads and parses file. With file NULL, reads the platform's default
 * config if it exists and otherwise uses the built-in defaults. */
int	config_load(const char *file, struct config **out, struct dwerr *err);

/* Frees a config; NULL is a no-op. */
void	config_free(struct config *cfg);

#endif
