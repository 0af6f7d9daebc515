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
#include "follow.h"

#define CONFIG_MAX_BYTES	(1u << 20)	/* a config is small */
#define CONFIG_MAX_DEPTH	8u
#define CONFIG_MAX_VPN_PREFIXES	32u

#define CONFIG_QUIET_MS_DEFAULT		500u	/* triggers within it: one pass */
#define CONFIG_MAX_DELAY_MS_DEFAULT	3000u	/* ...but no later than this */
#define CONFIG_RESYNC_MS_DEFAULT	600000u	/* periodic pass, +/-10 % */
#define CONFIG_SLOW_RETRY_MS_DEFAULT	60000u	/* after giving up */
#define CONFIG_SETTLE1_MS_DEFAULT	2000u	/* re-checks after a VPN came up */
#define CONFIG_SETTLE2_MS_DEFAULT	15000u
#define CONFIG_FIGHT_REWRITES_DEFAULT	5u	/* more rewrites than this... */
#define CONFIG_FIGHT_REWRITES_MAX	63u	/* (the daemon remembers 64) */
#define CONFIG_FIGHT_WINDOW_MS_DEFAULT	60000u	/* ...within this is a fight */
#define CONFIG_FIGHT_MAX_DELAY_MS_DEFAULT 300000u
#define CONFIG_TRACE_MAX_BYTES_DEFAULT	(16u << 20)	/* then trace.jsonl.1 */
#define CONFIG_TRACE_MAX_BYTES_MIN	1024u
#define CONFIG_TRACE_MAX_BYTES_MAX	(1u << 30)

#define CONFIG_IFNAME_BYTES		16u	/* IF_NAMESIZE */
#define CONFIG_RESOLVED_STATE_DEFAULT	"resolved-link.json"

struct config {
	char			*path;		/* the file read, NULL for defaults */
	char			*desired_state;	/* the desired-state file */
	bool			 hosts_enabled;	/* manage the hosts file at all */
	char			*hosts_path;
	char			*begin_marker;
	char			*end_marker;
	char			*trace_jsonl;	/* JSON Lines trace, NULL: off */
	uint32_t		 trace_max_bytes; /* rotated to .1 past this */
	bool			 nrpt_enabled;	/* manage NRPT rules (Windows) */
	char			*nrpt_record_key;   /* HKLM\<key> holds the record */
	char			*nrpt_record_value; /* REG_MULTI_SZ of owned IDs */
	struct backoff_policy	 backoff;
	/* The daemon ("run"). */
	char			*control_socket;
	uint32_t		 quiet_ms;
	uint32_t		 max_delay_ms;
	uint32_t		 resync_ms;	/* 0: no periodic pass */
	uint32_t		 slow_retry_ms;
	uint32_t		 settle_ms[2];	/* 0: that re-check is off */
	uint32_t		 fight_rewrites;
	uint32_t		 fight_window_ms;
	uint32_t		 fight_max_delay_ms;
	char			**vpn_prefixes;
	size_t			 nvpn_prefixes;
	/* Follow mode (docs/follow.md): no desired-state file; what the
	 * tunnel left is learned and put back. Its hosts markers are
	 * begin_marker and end_marker above. */
	bool			 follow_enabled;
	char			*follow_tunnel;	/* "coder", "tailscale", or a name */
	char			*follow_record_key;	/* under HKLM */
	char			*follow_record_value;
	char			*follow_adapter_guid;	/* NULL: none */
	char			*follow_adapter_name;	/* NULL: none */
	char			*follow_state;	/* the learned-state file */
	bool			 follow_require_adapter;
	uint32_t		 follow_forget_after_ms;
	/* Linux: the rules as systemd-resolved settings of one link
	 * (docs/linux.md). */
	bool			 resolved_enabled;
	char			*resolved_link;	/* a name, or its start */
	bool			 resolved_default_route;
	char			*resolved_state; /* the record of what we set */
};

#define CONFIG_FORGET_AFTER_MS_MAX	(30u * 86400000u)	/* 30 days */

/* The tunnel cfg follows, as policy/follow.h describes one (pointing
 * into cfg). Only when cfg->follow_enabled. */
void	config_follow_tunnel(const struct config *cfg, struct follow_tunnel *t);

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
