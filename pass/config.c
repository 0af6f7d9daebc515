/* config: the watchdog's settings (see config.h). */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dwstr.h"
#include "hosts.h"
#include "jsonv.h"
#include "nrpt_store.h"
#include "platform.h"

#define CONFIG_DESIRED_DEFAULT	"desired.json"	/* beside the config file */
#define CONFIG_MS_MAX		86400000u	/* one day */

/* The folder part of file ("." when it has none), malloc'd. */
static char *
config_dir(const char *file)
{
	const char	*slash = NULL, *p;

	for (p = file; *p != '\0'; p++)
		if (*p == '/' || *p == '\\')
			slash = p;
	if (slash == NULL)
		return dwstr_dup(".");
	if (slash == file)
		return dwstr_dup("/");
	return dwstr_ndup(file, (size_t)(slash - file));
}

/* rel resolved against dir, malloc'd. */
static char *
config_resolve(const char *dir, const char *rel)
{
	size_t	 ld, lr;
	char	*out;

	if (platform_path_is_absolute(rel) || dir == NULL)
		return dwstr_dup(rel);
	ld = strlen(dir);
	lr = strlen(rel);
	if ((out = malloc(ld + lr + 2)) == NULL)
		return NULL;
	memcpy(out, dir, ld);
	/* Join with the separator the folder already uses. */
	if (ld > 0 && dir[ld - 1] != '/' && dir[ld - 1] != '\\')
		out[ld++] = strchr(dir, '\\') != NULL ? '\\' : '/';
	memcpy(out + ld, rel, lr + 1);
	return out;
}

/* Replaces *dst with the string at obj.key (a path when dir is set). */
static void
config_string(struct jsonv *v, const cJSON *obj, const char *key,
    const char *path, const char *dir, char **dst)
{
	const cJSON	*it = cJSON_GetObjectItemCaseSensitive(obj, key);
	char		 p[JSONV_PATH_BYTES];
	char		*val;

	if (it == NULL)
		return;
	snprintf(p, sizeof(p), "%s.%s", path, key);
	if (!cJSON_IsString(it) || it->valuestring[0] == '\0') {
		jsonv_fail(v, p, "must be a non-empty string, not %s",
		    cJSON_IsString(it) ? "an empty string" : jsonv_type(it));
		return;
	}
	val = dir != NULL ? config_resolve(dir, it->valuestring) :
	    dwstr_dup(it->valuestring);
	if (val == NULL) {
		v->oom = true;
		return;
	}
	free(*dst);
	*dst = val;
}

/* A whole number at obj.key, from min to max. */
static void
config_uint(struct jsonv *v, const cJSON *obj, const char *path,
    const char *key, uint32_t min, uint32_t max, const char *unit,
    uint32_t *dst)
{
	const cJSON	*it = cJSON_GetObjectItemCaseSensitive(obj, key);
	char		 p[JSONV_PATH_BYTES];

	if (it == NULL)
		return;
	snprintf(p, sizeof(p), "%s.%s", path, key);
	/* Range first: casting an out-of-range double is undefined. */
	if (!cJSON_IsNumber(it) || !(it->valuedouble >= min &&
	    it->valuedouble <= max) ||
	    it->valuedouble != (double)(uint32_t)it->valuedouble) {
		jsonv_fail(v, p, "must be a whole number of %s from %u to %u",
		    unit, min, max);
		return;
	}
	*dst = (uint32_t)it->valuedouble;
}

static void
config_ms(struct jsonv *v, const cJSON *obj, const char *path,
    const char *key, uint32_t min, uint32_t *dst)
{
	config_uint(v, obj, path, key, min, CONFIG_MS_MAX, "milliseconds", dst);
}

static void
config_free_prefixes(struct config *cfg)
{
	size_t	 i;

	for (i = 0; i < cfg->nvpn_prefixes; i++)
		free(cfg->vpn_prefixes[i]);
	free(cfg->vpn_prefixes);
	cfg->vpn_prefixes = NULL;
	cfg->nvpn_prefixes = 0;
}

/* The platform's own list (adapter descriptions on Windows, interface
 * names on Linux), copied so that the config owns what it frees. */
static int
config_prefixes_default(struct config *cfg)
{
	const char *const	*def = platform_default_vpn_prefixes();
	size_t			 n;

	for (n = 0; def[n] != NULL; n++)
		;
	if ((cfg->vpn_prefixes = calloc(n, sizeof(char *))) == NULL)
		return -1;
	for (cfg->nvpn_prefixes = 0; cfg->nvpn_prefixes < n; cfg->nvpn_prefixes++)
		if ((cfg->vpn_prefixes[cfg->nvpn_prefixes] =
		    dwstr_dup(def[cfg->nvpn_prefixes])) == NULL)
			return -1;
	return 0;
}

static void
config_prefixes(struct jsonv *v, const cJSON *sec, struct config *cfg)
{
	const cJSON	*arr = cJSON_GetObjectItemCaseSensitive(sec,
			    "adapter_prefixes"), *it;
	char		 p[JSONV_PATH_BYTES];
	size_t		 i = 0;
	int		 n;

	if (arr == NULL)
		return;
	if (!cJSON_IsArray(arr) ||
	    (n = cJSON_GetArraySize(arr)) > (int)CONFIG_MAX_VPN_PREFIXES) {
		jsonv_fail(v, "$.vpn.adapter_prefixes",
		    "must be an array of at most %u strings",
		    CONFIG_MAX_VPN_PREFIXES);
		return;
	}
	config_free_prefixes(cfg);
	if (n > 0 && (cfg->vpn_prefixes = calloc((size_t)n,
	    sizeof(char *))) == NULL) {
		v->oom = true;
		return;
	}
	cJSON_ArrayForEach(it, arr) {
		snprintf(p, sizeof(p), "$.vpn.adapter_prefixes[%zu]", i++);
		if (!cJSON_IsString(it) || it->valuestring[0] == '\0') {
			jsonv_fail(v, p, "must be a non-empty string");
			continue;
		}
		if ((cfg->vpn_prefixes[cfg->nvpn_prefixes] =
		    dwstr_dup(it->valuestring)) == NULL) {
			v->oom = true;
			return;
		}
		cfg->nvpn_prefixes++;
	}
}

static void
config_settle(struct jsonv *v, const cJSON *sec, struct config *cfg)
{
	const cJSON	*arr = cJSON_GetObjectItemCaseSensitive(sec, "settle_ms");
	const cJSON	*it;
	size_t		 i = 0;

	if (arr == NULL)
		return;
	if (!cJSON_IsArray(arr) || cJSON_GetArraySize(arr) > 2) {
		jsonv_fail(v, "$.vpn.settle_ms",
		    "must be an array of at most 2 delays in milliseconds");
		return;
	}
	cfg->settle_ms[0] = cfg->settle_ms[1] = 0;
	cJSON_ArrayForEach(it, arr) {
		if (!cJSON_IsNumber(it) || !(it->valuedouble >= 0 &&
		    it->valuedouble <= CONFIG_MS_MAX) ||
		    it->valuedouble != (double)(uint32_t)it->valuedouble) {
			jsonv_fail(v, "$.vpn.settle_ms",
			    "must hold whole numbers of milliseconds from 0 to %u",
			    CONFIG_MS_MAX);
			return;
		}
		cfg->settle_ms[i++] = (uint32_t)it->valuedouble;
	}
}

static void
config_real(struct jsonv *v, const cJSON *obj, const char *key, double min,
    double max, double *dst)
{
	const cJSON	*it = cJSON_GetObjectItemCaseSensitive(obj, key);
	char		 p[JSONV_PATH_BYTES];

	if (it == NULL)
		return;
	snprintf(p, sizeof(p), "$.backoff.%s", key);
	if (!cJSON_IsNumber(it) || !(it->valuedouble >= min && it->valuedouble <= max)) {
		jsonv_fail(v, p, "must be a number from %g to %g", min, max);
		return;
	}
	*dst = it->valuedouble;
}

static void
config_bool(struct jsonv *v, const cJSON *obj, const char *key,
    const char *path, bool *dst)
{
	const cJSON	*it = cJSON_GetObjectItemCaseSensitive(obj, key);
	char		 p[JSONV_PATH_BYTES];

	if (it == NULL)
		return;
	snprintf(p, sizeof(p), "%s.%s", path, key);
	if (!cJSON_IsBool(it))
		jsonv_fail(v, p, "must be true or false, not %s", jsonv_type(it));
	else
		*dst = cJSON_IsTrue(it);
}

/* A registry key path under HKLM (backslashes between names) or a value
 * name: printable ASCII, no empty names, no leading or trailing '\\'. */
static void
config_regname(struct jsonv *v, const char *path, const char *s, bool is_key)
{
	size_t	 i, n = strlen(s);

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e ||
		    (!is_key && s[i] == '\\')) {
			jsonv_fail(v, path, "must be printable ASCII%s",
			    is_key ? "" : " without '\\'");
			return;
		}
	if (is_key && (s[0] == '\\' || s[n - 1] == '\\' ||
	    strstr(s, "\\\\") != NULL))
		jsonv_fail(v, path, "must be a key path under HKLM like "
		    "\"SOFTWARE\\\\DnsWatchdog\" (no empty names)");
}

/* An object-valued section, or NULL after reporting a wrong type. */
static const cJSON *
config_section(struct jsonv *v, const cJSON *root, const char *key,
    const char *const *keys)
{
	const cJSON	*sec = cJSON_GetObjectItemCaseSensitive(root, key);
	char		 p[JSONV_PATH_BYTES];

	if (sec == NULL)
		return NULL;
	snprintf(p, sizeof(p), "$.%s", key);
	if (!cJSON_IsObject(sec)) {
		jsonv_fail(v, p, "must be an object, not %s", jsonv_type(sec));
		return NULL;
	}
	jsonv_keys(v, sec, p, keys);
	return sec;
}

/* A tunnel name of our own: the state file is named after it. */
static bool
config_tunnel_name_ok(const char *s)
{
	size_t	 n = strlen(s), i;

	if (n == 0 || n > 32)
		return false;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '-' || s[i] == '_'))
			return false;
	return true;
}

/* Copies the known tunnel t into cfg. */
static int
config_follow_known(struct config *cfg, const struct follow_tunnel *t)
{
	free(cfg->begin_marker);
	free(cfg->end_marker);
	cfg->follow_tunnel = dwstr_dup(t->name);
	cfg->follow_record_key = dwstr_dup(t->record_key);
	cfg->follow_record_value = dwstr_dup(t->record_value);
	cfg->begin_marker = dwstr_dup(t->begin_marker);
	cfg->end_marker = dwstr_dup(t->end_marker);
	cfg->follow_adapter_guid = t->adapter_guid != NULL ?
	    dwstr_dup(t->adapter_guid) : NULL;
	cfg->follow_adapter_name = t->adapter_name != NULL ?
	    dwstr_dup(t->adapter_name) : NULL;
	if (cfg->follow_tunnel == NULL || cfg->follow_record_key == NULL ||
	    cfg->follow_record_value == NULL || cfg->begin_marker == NULL ||
	    cfg->end_marker == NULL || (t->adapter_guid != NULL &&
	    cfg->follow_adapter_guid == NULL) || (t->adapter_name != NULL &&
	    cfg->follow_adapter_name == NULL))
		return -1;
	return 0;
}

/* $.follow.tunnel as an object: a tunnel spelled out. */
static void
config_follow_custom(struct jsonv *v, const cJSON *o, struct config *cfg)
{
	static const char *const keys[] = { "name", "record_key",
	    "record_value", "begin_marker", "end_marker", "adapter_guid",
	    "adapter_name", NULL };
	const char	*p = "$.follow.tunnel";

	jsonv_keys(v, o, p, keys);
	if ((cfg->follow_tunnel = dwstr_dup("custom")) == NULL ||
	    (cfg->follow_record_value = dwstr_dup(
	    NRPT_RECORD_VALUE_DEFAULT)) == NULL) {
		v->oom = true;
		return;
	}
	config_string(v, o, "name", p, NULL, &cfg->follow_tunnel);
	config_string(v, o, "record_key", p, NULL, &cfg->follow_record_key);
	config_string(v, o, "record_value", p, NULL, &cfg->follow_record_value);
	config_string(v, o, "begin_marker", p, NULL, &cfg->begin_marker);
	config_string(v, o, "end_marker", p, NULL, &cfg->end_marker);
	config_string(v, o, "adapter_guid", p, NULL, &cfg->follow_adapter_guid);
	config_string(v, o, "adapter_name", p, NULL, &cfg->follow_adapter_name);
	if (v->nerr > 0 || v->oom)
		return;
	if (!config_tunnel_name_ok(cfg->follow_tunnel))
		jsonv_fail(v, "$.follow.tunnel.name", "must be 1 to 32 "
		    "lower-case letters, digits, '-' or '_'");
	if (cfg->follow_record_key == NULL)
		jsonv_fail(v, p, "must have \"record_key\" (the key under HKLM "
		    "that holds the tunnel's list of rule IDs)");
	else
		config_regname(v, "$.follow.tunnel.record_key",
		    cfg->follow_record_key, true);
	config_regname(v, "$.follow.tunnel.record_value",
	    cfg->follow_record_value, false);
	if (cJSON_GetObjectItemCaseSensitive(o, "begin_marker") == NULL ||
	    cJSON_GetObjectItemCaseSensitive(o, "end_marker") == NULL)
		jsonv_fail(v, p, "must have \"begin_marker\" and "
		    "\"end_marker\" (the lines around the tunnel's hosts "
		    "section)");
}

/* $.follow: the tunnel to follow, and how. */
static void
config_follow(struct jsonv *v, const cJSON *root, const cJSON *sec,
    const char *dir, struct config *cfg)
{
	const cJSON			*tun = cJSON_GetObjectItemCaseSensitive(
					    sec, "tunnel"), *hosts;
	const struct follow_tunnel	*known;
	char				 name[64];

	if (cJSON_GetObjectItemCaseSensitive(root, "desired_state") != NULL) {
		jsonv_fail(v, "$.follow", "cannot be used with "
		    "$.desired_state: follow learns the desired state from "
		    "the tunnel; remove one of the two");
		return;
	}
	hosts = cJSON_GetObjectItemCaseSensitive(root, "hosts");
	if (cJSON_IsObject(hosts) && (cJSON_GetObjectItemCaseSensitive(hosts,
	    "begin_marker") != NULL || cJSON_GetObjectItemCaseSensitive(hosts,
	    "end_marker") != NULL)) {
		jsonv_fail(v, "$.follow", "cannot be used with "
		    "$.hosts.begin_marker or $.hosts.end_marker: the markers "
		    "are the tunnel's (set them in $.follow.tunnel)");
		return;
	}
	if (tun == NULL) {
		jsonv_fail(v, "$.follow", "must have \"tunnel\": %s, or an "
		    "object that spells the tunnel out",
		    follow_tunnel_names());
		return;
	}
	if (cJSON_IsString(tun)) {
		if ((known = follow_tunnel_find(tun->valuestring)) == NULL) {
			jsonv_fail(v, "$.follow.tunnel", "must be %s, or an "
			    "object that spells the tunnel out",
			    follow_tunnel_names());
			return;
		}
		if (config_follow_known(cfg, known) != 0) {
			v->oom = true;
			return;
		}
	} else if (cJSON_IsObject(tun)) {
		config_follow_custom(v, tun, cfg);
		if (v->nerr > 0 || v->oom)
			return;
	} else {
		jsonv_fail(v, "$.follow.tunnel", "must be %s, or an object, "
		    "not %s", follow_tunnel_names(), jsonv_type(tun));
		return;
	}
	cfg->follow_enabled = true;
	cfg->follow_require_adapter = true;
	cfg->follow_forget_after_ms = FOLLOW_FORGET_AFTER_MS_DEFAULT;
	config_bool(v, sec, "require_adapter", "$.follow",
	    &cfg->follow_require_adapter);
	config_uint(v, sec, "$.follow", "forget_after_ms", 1000,
	    CONFIG_FORGET_AFTER_MS_MAX, "milliseconds",
	    &cfg->follow_forget_after_ms);
	snprintf(name, sizeof(name), "follow-%s.json", cfg->follow_tunnel);
	if ((cfg->follow_state = config_resolve(platform_default_state_dir(),
	    name)) == NULL) {
		v->oom = true;
		return;
	}
	config_string(v, sec, "state", "$.follow", dir, &cfg->follow_state);
	/* Our own record there would make the tunnel's rules ours to
	 * delete. */
	if (dwstr_casecmp(cfg->nrpt_record_key, cfg->follow_record_key) == 0)
		jsonv_fail(v, "$.nrpt.record_key", "is the tunnel's own record "
		    "(%s); in follow mode the watchdog keeps its own record "
		    "elsewhere: remove $.nrpt.record_key", cfg->follow_record_key);
	if (cfg->follow_require_adapter && cfg->follow_adapter_guid == NULL &&
	    cfg->follow_adapter_name == NULL)
		jsonv_fail(v, "$.follow.require_adapter", "is true, but the "
		    "tunnel names no adapter (adapter_guid or adapter_name)");
}

void
config_follow_tunnel(const struct config *cfg, struct follow_tunnel *t)
{
	t->name = cfg->follow_tunnel;
	t->record_key = cfg->follow_record_key;
	t->record_value = cfg->follow_record_value;
	t->begin_marker = cfg->begin_marker;
	t->end_marker = cfg->end_marker;
	t->adapter_guid = cfg->follow_adapter_guid;
	t->adapter_name = cfg->follow_adapter_name;
}

/* The resolved section: the link is required once it is enabled; the
 * record of what was set goes to the state folder unless said. */
static void
config_resolved(struct jsonv *v, const cJSON *sec, const char *dir,
    struct config *cfg)
{
	config_bool(v, sec, "enabled", "$.resolved", &cfg->resolved_enabled);
	config_string(v, sec, "link", "$.resolved", NULL, &cfg->resolved_link);
	config_bool(v, sec, "default_route", "$.resolved",
	    &cfg->resolved_default_route);
	config_string(v, sec, "state", "$.resolved", dir, &cfg->resolved_state);
	if (cfg->resolved_link != NULL &&
	    strlen(cfg->resolved_link) >= CONFIG_IFNAME_BYTES)
		jsonv_fail(v, "$.resolved.link", "must be an interface name or "
		    "the start of one, at most %u characters",
		    CONFIG_IFNAME_BYTES - 1);
	else if (cfg->resolved_link != NULL &&
	    strpbrk(cfg->resolved_link, "/ \t\n") != NULL)
		jsonv_fail(v, "$.resolved.link", "must be an interface name or "
		    "the start of one (no '/' or white space)");
	if (cfg->resolved_enabled && cfg->resolved_link == NULL)
		jsonv_fail(v, "$.resolved.link", "is required when "
		    "$.resolved.enabled is true: name the tunnel's interface, "
		    "such as \"tun0\", or the start of its name, such as \"tun\"");
}

static struct config *
config_defaults(const char *file)
{
	struct config	*cfg;
	char		*dir;

	if ((cfg = calloc(1, sizeof(*cfg))) == NULL)
		return NULL;
	backoff_defaults(&cfg->backoff);
	cfg->hosts_enabled = true;
	cfg->nrpt_enabled = true;
	cfg->control_socket = dwstr_dup(platform_default_control());
	cfg->quiet_ms = CONFIG_QUIET_MS_DEFAULT;
	cfg->max_delay_ms = CONFIG_MAX_DELAY_MS_DEFAULT;
	cfg->resync_ms = CONFIG_RESYNC_MS_DEFAULT;
	cfg->slow_retry_ms = CONFIG_SLOW_RETRY_MS_DEFAULT;
	cfg->settle_ms[0] = CONFIG_SETTLE1_MS_DEFAULT;
	cfg->settle_ms[1] = CONFIG_SETTLE2_MS_DEFAULT;
	cfg->fight_rewrites = CONFIG_FIGHT_REWRITES_DEFAULT;
	cfg->fight_window_ms = CONFIG_FIGHT_WINDOW_MS_DEFAULT;
	cfg->fight_max_delay_ms = CONFIG_FIGHT_MAX_DELAY_MS_DEFAULT;
	cfg->trace_max_bytes = CONFIG_TRACE_MAX_BYTES_DEFAULT;
	if (config_prefixes_default(cfg) != 0) {
		config_free(cfg);
		return NULL;
	}
	cfg->nrpt_record_key = dwstr_dup(NRPT_RECORD_KEY_DEFAULT);
	cfg->nrpt_record_value = dwstr_dup(NRPT_RECORD_VALUE_DEFAULT);
	dir = config_dir(file != NULL ? file : platform_default_config());
	cfg->path = file != NULL ? dwstr_dup(file) : NULL;
	cfg->desired_state = dir != NULL ?
	    config_resolve(dir, CONFIG_DESIRED_DEFAULT) : NULL;
	cfg->hosts_path = dwstr_dup(platform_default_hosts());
	cfg->resolved_state = config_resolve(platform_default_state_dir(),
	    CONFIG_RESOLVED_STATE_DEFAULT);
	cfg->begin_marker = dwstr_dup(HOSTS_BEGIN_MARKER_DEFAULT);
	cfg->end_marker = dwstr_dup(HOSTS_END_MARKER_DEFAULT);
	free(dir);
	if ((file != NULL && cfg->path == NULL) || cfg->desired_state == NULL ||
	    cfg->hosts_path == NULL || cfg->begin_marker == NULL ||
	    cfg->end_marker == NULL || cfg->nrpt_record_key == NULL ||
	    cfg->nrpt_record_value == NULL || cfg->control_socket == NULL ||
	    cfg->resolved_state == NULL) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

int
config_parse(const char *text, size_t len, const char *file,
    struct config **out, struct dwerr *err)
{
	static const char *const top[] = { "desired_state", "hosts", "nrpt",
	    "trace", "backoff", "daemon", "vpn", "control", "follow",
	    "resolved", NULL };
	static const char *const rk[] = { "enabled", "link", "default_route",
	    "state", NULL };
	static const char *const fk[] = { "tunnel", "state",
	    "require_adapter", "forget_after_ms", NULL };
	static const char *const dk[] = { "quiet_ms", "max_delay_ms",
	    "resync_ms", "slow_retry_ms", "fight_rewrites", "fight_window_ms",
	    "fight_max_delay_ms", NULL };
	static const char *const vk[] = { "adapter_prefixes", "settle_ms", NULL };
	static const char *const ck[] = { "socket", NULL };
	static const char *const nk[] = { "enabled", "record_key",
	    "record_value", NULL };
	static const char *const hk[] = { "enabled", "path", "begin_marker",
	    "end_marker", NULL };
	static const char *const tk[] = { "jsonl", "max_bytes", NULL };
	static const char *const bk[] = { "initial_ms", "multiplier",
	    "max_interval_ms", "deadline_ms", "jitter", NULL };
	struct jsonv	 v;
	struct config	*cfg = NULL;
	const cJSON	*sec;
	cJSON		*root;
	char		*dir = NULL;

	*out = NULL;
	jsonv_init(&v, file, err);
	if ((root = jsonv_parse(&v, text, len, CONFIG_MAX_BYTES,
	    CONFIG_MAX_DEPTH)) == NULL)
		return jsonv_done(&v);
	if ((cfg = config_defaults(file)) == NULL ||
	    (dir = config_dir(file != NULL ? file : ".")) == NULL) {
		v.oom = true;
		goto done;
	}
	if (!cJSON_IsObject(root)) {
		jsonv_fail(&v, "$", "must be an object, not %s", jsonv_type(root));
		goto done;
	}
	jsonv_keys(&v, root, "$", top);
	config_string(&v, root, "desired_state", "$", dir, &cfg->desired_state);
	if ((sec = config_section(&v, root, "hosts", hk)) != NULL) {
		config_bool(&v, sec, "enabled", "$.hosts", &cfg->hosts_enabled);
		config_string(&v, sec, "path", "$.hosts", dir, &cfg->hosts_path);
		config_string(&v, sec, "begin_marker", "$.hosts", NULL,
		    &cfg->begin_marker);
		config_string(&v, sec, "end_marker", "$.hosts", NULL,
		    &cfg->end_marker);
	}
	if ((sec = config_section(&v, root, "nrpt", nk)) != NULL) {
		config_bool(&v, sec, "enabled", "$.nrpt", &cfg->nrpt_enabled);
		config_string(&v, sec, "record_key", "$.nrpt", NULL,
		    &cfg->nrpt_record_key);
		config_string(&v, sec, "record_value", "$.nrpt", NULL,
		    &cfg->nrpt_record_value);
		config_regname(&v, "$.nrpt.record_key", cfg->nrpt_record_key, true);
		config_regname(&v, "$.nrpt.record_value", cfg->nrpt_record_value,
		    false);
	}
	if ((sec = config_section(&v, root, "daemon", dk)) != NULL) {
		config_ms(&v, sec, "$.daemon", "quiet_ms", 1, &cfg->quiet_ms);
		config_ms(&v, sec, "$.daemon", "max_delay_ms", 1,
		    &cfg->max_delay_ms);
		config_ms(&v, sec, "$.daemon", "resync_ms", 0, &cfg->resync_ms);
		config_ms(&v, sec, "$.daemon", "slow_retry_ms", 1000,
		    &cfg->slow_retry_ms);
		config_uint(&v, sec, "$.daemon", "fight_rewrites", 1,
		    CONFIG_FIGHT_REWRITES_MAX, "rewrites", &cfg->fight_rewrites);
		config_ms(&v, sec, "$.daemon", "fight_window_ms", 1,
		    &cfg->fight_window_ms);
		config_ms(&v, sec, "$.daemon", "fight_max_delay_ms", 1,
		    &cfg->fight_max_delay_ms);
		if (cfg->max_delay_ms < cfg->quiet_ms)
			jsonv_fail(&v, "$.daemon.max_delay_ms",
			    "must not be below quiet_ms");
	}
	if ((sec = config_section(&v, root, "vpn", vk)) != NULL) {
		config_prefixes(&v, sec, cfg);
		config_settle(&v, sec, cfg);
	}
	if ((sec = config_section(&v, root, "control", ck)) != NULL)
		config_string(&v, sec, "socket", "$.control", dir,
		    &cfg->control_socket);
	if ((sec = config_section(&v, root, "trace", tk)) != NULL) {
		config_string(&v, sec, "jsonl", "$.trace", dir, &cfg->trace_jsonl);
		config_uint(&v, sec, "$.trace", "max_bytes",
		    CONFIG_TRACE_MAX_BYTES_MIN, CONFIG_TRACE_MAX_BYTES_MAX,
		    "bytes", &cfg->trace_max_bytes);
	}
	if ((sec = config_section(&v, root, "backoff", bk)) != NULL) {
		struct dwerr	 berr;

		config_ms(&v, sec, "$.backoff", "initial_ms", 1,
		    &cfg->backoff.initial_ms);
		config_real(&v, sec, "multiplier", 1.0, 100.0,
		    &cfg->backoff.multiplier);
		config_ms(&v, sec, "$.backoff", "max_interval_ms", 1,
		    &cfg->backoff.max_interval_ms);
		config_ms(&v, sec, "$.backoff", "deadline_ms", 0,
		    &cfg->backoff.deadline_ms);
		config_real(&v, sec, "jitter", 0.0, 1.0, &cfg->backoff.jitter);
		if (v.nerr == 0 && backoff_check(&cfg->backoff, &berr) != 0)
			jsonv_fail(&v, "$.backoff", "%s", berr.msg);
	}
	if ((sec = config_section(&v, root, "follow", fk)) != NULL)
		config_follow(&v, root, sec, dir, cfg);
	if ((sec = config_section(&v, root, "resolved", rk)) != NULL)
		config_resolved(&v, sec, dir, cfg);
	if (v.nerr == 0) {
		struct hosts_markers	 m = { cfg->begin_marker, cfg->end_marker };
		struct dwerr		 merr;

		if (hosts_markers_check(&m, &merr) != 0)
			jsonv_fail(&v, "$.hosts", "%s", merr.msg);
	}
done:
	cJSON_Delete(root);
	free(dir);
	if (jsonv_done(&v) != 0) {
		config_free(cfg);
		return -1;
	}
	*out = cfg;
	return 0;
}

int
config_load(const char *file, struct config **out, struct dwerr *err)
{
	const char	*path = file != NULL ? file : platform_default_config();
	char		*text;
	size_t		 len;
	int		 rc;

	*out = NULL;
	if (platform_read_file(path, CONFIG_MAX_BYTES, &text, &len, err) != 0) {
		if (file == NULL && err != NULL && err->code == PLATFORM_E_NOENT) {
			/* No config anywhere: run on the built-in defaults. */
			dwerr_reset(err);
			if ((*out = config_defaults(NULL)) == NULL) {
				dwerr_set(err, ENOMEM, "out of memory");
				return -1;
			}
			return 0;
		}
		dwerr_prefix(err, "cannot read the config: ");
		return -1;
	}
	rc = config_parse(text, len, path, out, err);
	free(text);
	return rc;
}

void
config_free(struct config *cfg)
{
	if (cfg == NULL)
		return;
	free(cfg->path);
	free(cfg->desired_state);
	free(cfg->hosts_path);
	free(cfg->begin_marker);
	free(cfg->end_marker);
	free(cfg->trace_jsonl);
	free(cfg->nrpt_record_key);
	free(cfg->nrpt_record_value);
	free(cfg->control_socket);
	free(cfg->follow_tunnel);
	free(cfg->follow_record_key);
	free(cfg->follow_record_value);
	free(cfg->follow_adapter_guid);
	free(cfg->follow_adapter_name);
	free(cfg->follow_state);
	free(cfg->resolved_link);
	free(cfg->resolved_state);
	config_free_prefixes(cfg);
	free(cfg);
}
