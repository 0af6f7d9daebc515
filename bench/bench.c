/*
 * bench: the benchmarks behind docs/performance.md (`make bench`).
 *
 * In process, through the project's own code:
 *   passes   a no-op and a changing pass on a 150,000-line hosts file with
 *            10,000 managed entries and 1,000 NRPT domains, beside the floor
 *            (read + scan; read + write + fsync + rename of the same bytes);
 *   growth   how the cost grows with foreign lines and managed entries.
 * Against the real daemon (`dnswatchdog run`, scratch folders under /tmp,
 * each with its own control socket; /etc/hosts is never touched):
 *   idle     context switches over 60 s and resident memory;
 *   wipe     a wiped section to its repair (median, default timers);
 *   storm    10,000 triggers a second for 10 s: passes, CPU, peak RSS;
 *   release  time from a failing hosts-file rename becoming possible again
 *            to the section on disk (LD_PRELOAD fault shim).
 *
 * Under Wine (bench/bench_win.c, which scripts/bench.sh runs and whose
 * JSON it passes with --wine-json):
 *   wipe_nrpt  a deleted NRPT rule key to the rule back (default settings).
 *
 * Prints a Markdown table on stdout, progress on stderr, and writes every
 * number to the JSON file given with --json.
 */
#define _GNU_SOURCE

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "control_client.h"
#include "desired.h"
#include "hosts.h"
#include "hostsfile.h"
#include "hostspass.h"
#include "log.h"
#include "nrpt.h"
#include "nrpt_store.h"
#include "trace.h"

#ifndef DW_BENCH_DAEMON
#define DW_BENCH_DAEMON "dnswatchdog"
#endif
#ifndef DW_BENCH_SHIM
#define DW_BENCH_SHIM ""
#endif

#define MAIN_FOREIGN	150000u
#define MAIN_ENTRIES	10000u
#define MAIN_DOMAINS	1000u
#define DOMAINS_PER_RULE 100u
#define STORM_RATE	10000u		/* triggers a second */
#define STORM_SECONDS	10u
#define IDLE_SECONDS	60u
#define QUIET_MS	500u		/* the daemon's default quiet window */

static char	 scratch[256];		/* /tmp/dwbench-XXXXXX */
static cJSON	*results;
static int	 reps_main = 21;
static int	 reps_growth = 11;
static const char *daemon_bin = DW_BENCH_DAEMON;
static const char *shim_lib = DW_BENCH_SHIM;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static const cJSON *jget(const cJSON *, const char *, const char *);
static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void
die(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	fputs("bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

static void
note(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	fputs("bench: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static uint64_t
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void
sleep_ms(double ms)
{
	struct timespec	 ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)((ms - (double)ts.tv_sec * 1000) * 1e6);
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static void *
xmalloc(size_t n)
{
	void	*p = malloc(n > 0 ? n : 1);

	if (p == NULL)
		die("out of memory");
	return p;
}

static char *
xstrdup(const char *s)
{
	return s == NULL ? NULL : strcpy(xmalloc(strlen(s) + 1), s);
}

/* ---- samples ---------------------------------------------------------- */

struct series {
	double	*ms;
	size_t	 n;
};

static void
series_add(struct series *s, uint64_t ns)
{
	s->ms = realloc(s->ms, (s->n + 1) * sizeof(*s->ms));
	if (s->ms == NULL)
		die("out of memory");
	s->ms[s->n++] = (double)ns / 1e6;
}

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
series_min(struct series *s)
{
	qsort(s->ms, s->n, sizeof(*s->ms), cmp_double);
	return s->ms[0];
}

static double
series_median(struct series *s)
{
	qsort(s->ms, s->n, sizeof(*s->ms), cmp_double);
	return s->n % 2 ? s->ms[s->n / 2] :
	    (s->ms[s->n / 2 - 1] + s->ms[s->n / 2]) / 2;
}

/* The 90th percentile, by nearest rank. */
static double
series_p90(struct series *s)
{
	size_t	 r = (s->n * 9 + 9) / 10;

	qsort(s->ms, s->n, sizeof(*s->ms), cmp_double);
	return s->ms[r > 0 ? r - 1 : 0];
}

static cJSON *
series_json(struct series *s)
{
	cJSON	*o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "runs", (double)s->n);
	cJSON_AddNumberToObject(o, "min_ms", series_min(s));
	cJSON_AddNumberToObject(o, "median_ms", series_median(s));
	cJSON_AddNumberToObject(o, "p90_ms", series_p90(s));
	cJSON_AddNumberToObject(o, "max_ms", s->ms[s->n - 1]);
	return o;
}

/* ---- files ------------------------------------------------------------ */

static void
put_file(const char *path, const char *buf, size_t len)
{
	FILE	*f = fopen(path, "wb");

	if (f == NULL || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
		die("cannot write %s: %s", path, strerror(errno));
}

/* Reads a whole file with open/fstat/read, as simply as it can be done;
 * a NUL follows the bytes (the wipe looks for its markers with strstr). */
static char *
floor_read(const char *path, size_t *len)
{
	struct stat	 st;
	char		*buf;
	size_t		 got = 0;
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1 ||
	    fstat(fd, &st) == -1)
		die("cannot read %s: %s", path, strerror(errno));
	buf = xmalloc((size_t)st.st_size + 1);
	while (got < (size_t)st.st_size &&
	    (n = read(fd, buf + got, (size_t)st.st_size - got)) > 0)
		got += (size_t)n;
	close(fd);
	buf[got] = '\0';
	*len = got;
	return buf;
}

/* The no-op floor: read the file once and find every line in it. */
static size_t
floor_read_scan(const char *path)
{
	size_t		 len, lines = 0;
	char		*buf = floor_read(path, &len);
	const char	*p = buf, *end = buf + len, *nl;

	while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		lines++;
		p = nl + 1;
	}
	free(buf);
	return lines;
}

/* The changing floor: read the file, write the same bytes to a temp file
 * beside it, fsync, rename over it. */
static void
floor_rewrite(const char *path, const char *tmp)
{
	size_t	 len, off = 0;
	char	*buf = floor_read(path, &len);
	ssize_t	 n;
	int	 fd;

	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)) == -1)
		die("cannot create %s: %s", tmp, strerror(errno));
	while (off < len && (n = write(fd, buf + off, len - off)) > 0)
		off += (size_t)n;
	if (off != len || fsync(fd) == -1 || close(fd) == -1 ||
	    rename(tmp, path) == -1)
		die("cannot rewrite %s: %s", path, strerror(errno));
	free(buf);
}

/* ---- inputs ----------------------------------------------------------- */

struct text {
	char	*p;
	size_t	 len, cap;
};

static void text_add(struct text *t, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
text_add(struct text *t, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	for (;;) {
		va_start(ap, fmt);
		n = vsnprintf(t->p + t->len, t->cap - t->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			die("vsnprintf");
		if ((size_t)n < t->cap - t->len)
			break;
		t->cap = (t->cap + (size_t)n + 1) * 2;
		if ((t->p = realloc(t->p, t->cap)) == NULL)
			die("out of memory");
	}
	t->len += (size_t)n;
}

/*
 * A desired state with nhosts entries (one name each) and ndomains NRPT
 * domains in rules of DOMAINS_PER_RULE. Variant 1 differs from variant 0 in
 * the last entry's address and the first rule's server.
 */
static char *
desired_json(size_t nhosts, size_t ndomains, int variant, size_t *len)
{
	struct text	 t = { NULL, 0, 0 };
	size_t		 i;

	t.cap = 64 + nhosts * 64 + ndomains * 32;
	t.p = xmalloc(t.cap);
	text_add(&t, "{\"version\":1,\"nrpt\":[");
	for (i = 0; i < ndomains; i++) {
		if (i % DOMAINS_PER_RULE == 0)
			text_add(&t, "%s{\"domains\":[", i > 0 ? "," : "");
		text_add(&t, "%s\"d%zu.corp.example\"",
		    i % DOMAINS_PER_RULE ? "," : "", i);
		if (i % DOMAINS_PER_RULE == DOMAINS_PER_RULE - 1 || i + 1 == ndomains)
			text_add(&t, "],\"servers\":[\"%s\",\"fd7a:115c:a1e0::53\"]}",
			    variant && i < DOMAINS_PER_RULE ? "100.100.100.101" :
			    "100.100.100.100");
	}
	text_add(&t, "],\"hosts\":[");
	for (i = 0; i < nhosts; i++) {
		if (variant && i + 1 == nhosts)
			text_add(&t, "%s{\"address\":\"10.255.255.254\",", i ? "," : "");
		else
			text_add(&t, "%s{\"address\":\"10.%zu.%zu.%zu\",", i ? "," : "",
			    (i >> 16) & 255, (i >> 8) & 255, i & 255);
		text_add(&t, "\"names\":[\"h%zu.bench.coder\"]}", i);
	}
	text_add(&t, "]}\n");
	*len = t.len;
	return t.p;
}

static struct desired_state *
desired_make(size_t nhosts, size_t ndomains, int variant)
{
	struct desired_state	*ds;
	struct dwerr		 err;
	size_t			 len;
	char			*json = desired_json(nhosts, ndomains, variant, &len);

	if (desired_parse(json, len, "bench", &ds, &err) != 0)
		die("desired state: %s", err.msg);
	free(json);
	return ds;
}

/* Writes a hosts file of nforeign ad-block lines with the section for ds,
 * rendered by the project's own renderer. Returns its size. */
static size_t
hosts_make(const char *path, size_t nforeign, const struct desired_state *ds)
{
	const struct hosts_markers m = { HOSTS_BEGIN_MARKER_DEFAULT,
				    HOSTS_END_MARKER_DEFAULT };
	struct text	 t = { NULL, 0, 0 };
	struct hosts_doc *doc;
	struct dwerr	 err;
	char		*out;
	size_t		 outlen, i;
	bool		 changed;

	t.cap = 128 + nforeign * 32;
	t.p = xmalloc(t.cap);
	text_add(&t, "127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost\n");
	for (i = 0; i < nforeign; i++)
		text_add(&t, "0.0.0.0 ad%zu.example.com\n", i);
	if (hosts_parse(t.p, t.len, &m, HOSTS_EOL_LF, &doc, &err) != 0 ||
	    hosts_render(doc, ds, &out, &outlen, &changed, &err) != 0)
		die("hosts: %s", err.msg);
	put_file(path, out, outlen);
	hosts_doc_free(doc);
	free(out);
	free(t.p);
	return outlen;
}

/* ---- NRPT: the planner against a fake live set ------------------------- */

struct idgen {
	unsigned	 base, next;
};

static void
idgen_fn(void *ctx, char id[NRPT_ID_BYTES])
{
	struct idgen	*g = ctx;

	snprintf(id, NRPT_ID_BYTES, "{%08x-0000-4000-8000-%012x}", g->base,
	    ++g->next);
}

static const struct nrpt_params nrpt_bench_params = { NRPT_RULE_VERSION,
						    NRPT_RULE_COMMENT };

static int
fake_record_set(void *ctx, char *const *ids, size_t nids, struct dwerr *err)
{
	(void)ids;
	(void)err;
	*(size_t *)ctx += nids > 0;
	return 0;
}

static int
fake_rule_write(void *ctx, const struct nrpt_rule *rule, unsigned values,
    struct dwerr *err)
{
	(void)rule;
	(void)values;
	(void)err;
	(*(size_t *)ctx)++;
	return 0;
}

static int
fake_rule_delete(void *ctx, const char *id, struct dwerr *err)
{
	(void)id;
	(void)err;
	(*(size_t *)ctx)++;
	return 0;
}

static const struct nrpt_store_ops fake_ops = {
	fake_record_set, fake_rule_write, fake_rule_delete
};

/* The live set a store would read after ds had been applied to it. */
static void
nrpt_live_for(const struct desired_state *ds, unsigned base,
    struct nrpt_live *live)
{
	struct idgen	 g = { base, 0 };
	struct nrpt_plan *plan;
	struct dwerr	 err;
	size_t		 i, k;

	memset(live, 0, sizeof(*live));
	if (nrpt_plan_make(ds, NULL, &nrpt_bench_params, idgen_fn, &g, &plan,
	    &err) != 0)
		die("nrpt: %s", err.msg);
	live->rules = calloc(plan->nactions + 1, sizeof(*live->rules));
	live->owned = calloc(plan->nowned_after + 1, sizeof(*live->owned));
	if (live->rules == NULL || live->owned == NULL)
		die("out of memory");
	for (i = 0; i < plan->nactions; i++) {
		const struct nrpt_rule	*s = &plan->actions[i].want;
		struct nrpt_rule	*d = &live->rules[live->nrules++];

		*d = *s;
		d->id = xstrdup(s->id);
		d->names = calloc(s->nnames + 1, sizeof(*d->names));
		if (d->names == NULL)
			die("out of memory");
		for (k = 0; k < s->nnames; k++)
			d->names[k] = xstrdup(s->names[k]);
		d->servers = xstrdup(s->servers);
		d->comment = xstrdup(s->comment);
		d->ipsec_ca = xstrdup(s->ipsec_ca);
		d->display = xstrdup(s->display);
	}
	for (i = 0; i < plan->nowned_after; i++)
		live->owned[live->nowned++] = xstrdup(plan->owned_after[i]);
	nrpt_plan_free(plan);
}

/* One NRPT part of a pass: plan, and apply through the fake store when the
 * plan changes something. Returns the number of store calls. */
static size_t
nrpt_step(const struct desired_state *ds, const struct nrpt_live *live)
{
	struct idgen		 g = { 0xbe, 0 };
	struct nrpt_plan	*plan;
	struct nrpt_apply_result res;
	struct dwerr		 err;
	size_t			 calls = 0;

	if (nrpt_plan_make(ds, live, &nrpt_bench_params, idgen_fn, &g, &plan,
	    &err) != 0)
		die("nrpt: %s", err.msg);
	if (!nrpt_plan_is_noop(plan) &&
	    nrpt_apply(plan, live, &fake_ops, &calls, &res, &err) != 0)
		die("nrpt apply: %s", err.msg);
	nrpt_plan_free(plan);
	return calls;
}

/* ---- one in-process workload ------------------------------------------ */

struct work {
	char			 dir[320];
	char			 hosts[400];
	char			 tmp[400];
	struct config		*cfg;
	struct trace		*trace;
	struct desired_state	*ds[2];
	struct nrpt_live	 live[2];
	bool			 nrpt;
	int			 cur;	/* the variant the file holds now */
	size_t			 bytes, lines;
};

static void
work_init(struct work *w, const char *name, size_t nforeign, size_t nentries,
    size_t ndomains)
{
	char		 cfgtext[1200];
	struct dwerr	 err;

	memset(w, 0, sizeof(*w));
	snprintf(w->dir, sizeof(w->dir), "%s/%s", scratch, name);
	if (mkdir(w->dir, 0755) == -1 && errno != EEXIST)
		die("mkdir %s: %s", w->dir, strerror(errno));
	snprintf(w->hosts, sizeof(w->hosts), "%s/hosts", w->dir);
	snprintf(w->tmp, sizeof(w->tmp), "%s/hosts.floor-tmp", w->dir);
	snprintf(cfgtext, sizeof(cfgtext), "{\"desired_state\":\"%s/desired.json\","
	    "\"hosts\":{\"path\":\"%s\"},\"nrpt\":{\"enabled\":false}}",
	    w->dir, w->hosts);
	if (config_parse(cfgtext, strlen(cfgtext), "bench-config.json", &w->cfg,
	    &err) != 0)
		die("config: %s", err.msg);
	if ((w->trace = trace_new(NULL, NULL)) == NULL)
		die("out of memory");
	w->ds[0] = desired_make(nentries, ndomains, 0);
	w->ds[1] = desired_make(nentries, ndomains, 1);
	w->nrpt = ndomains > 0;
	if (w->nrpt) {
		nrpt_live_for(w->ds[0], 0xa0, &w->live[0]);
		nrpt_live_for(w->ds[1], 0xa1, &w->live[1]);
		if (nrpt_step(w->ds[0], &w->live[0]) != 0 ||
		    nrpt_step(w->ds[1], &w->live[0]) == 0)
			die("nrpt: the fake live set does not behave");
	}
	w->bytes = hosts_make(w->hosts, nforeign, w->ds[0]);
	w->cur = 0;
	w->lines = floor_read_scan(w->hosts);
}

static void
work_free(struct work *w)
{
	config_free(w->cfg);
	trace_free(w->trace);
	desired_free(w->ds[0]);
	desired_free(w->ds[1]);
	nrpt_live_clear(&w->live[0]);
	nrpt_live_clear(&w->live[1]);
	unlink(w->hosts);
	unlink(w->tmp);
	rmdir(w->dir);
}

/* A no-op pass: hosts read + parse + render (nothing to write), and the NRPT
 * planner finding every rule right. */
static void
pass_noop(struct work *w)
{
	struct hostspass	*hp;

	if ((hp = hostspass_new(w->cfg, w->ds[w->cur], w->trace)) == NULL)
		die("out of memory");
	if (hostspass_check(hp, false, NULL) != HOSTSPASS_NOOP)
		die("the no-op pass wanted to write");
	hostspass_free(hp);
	if (w->nrpt && nrpt_step(w->ds[w->cur], &w->live[w->cur]) != 0)
		die("the no-op NRPT plan changed something");
}

/* The write job as the pass driver runs it, the retries slept here, up to
 * the write: the watch of the replaced file that follows (100 ms in which
 * nobody writes it here) is waiting, not work, and is left out. */
static bool
bench_write(struct hostspass *hp)
{
	struct hostsjob		*job;
	enum hostsjob_state	 st;
	uint32_t		 delay;
	bool			 ok, transient;

	if ((job = hostspass_job(hp, platform_mono_ms())) == NULL)
		die("out of memory");
	while ((st = hostsjob_attempt(job, platform_mono_ms(),
	    platform_random01(), &delay)) == HOSTSJOB_RETRY &&
	    !hostsjob_wrote(job))
		platform_sleep_ms(delay);
	if (st == HOSTSJOB_RETRY)
		st = HOSTSJOB_DONE;
	ok = hostspass_finish(hp, job, st, NULL, &transient) &&
	    hostsjob_wrote(job);
	hostsjob_free(job);
	return ok;
}

/* A changing pass: the other variant. hostspass_check (read, parse,
 * render), then the write job as `once` runs it (cleanup, read, parse and
 * render again, hostsfile_write: temp, fsync, rename, fsync the folder);
 * the NRPT planner and the applier through a counting store. */
static void
pass_change(struct work *w)
{
	struct hostspass	*hp;
	int			 next = !w->cur;

	if ((hp = hostspass_new(w->cfg, w->ds[next], w->trace)) == NULL)
		die("out of memory");
	if (hostspass_check(hp, false, NULL) != HOSTSPASS_WRITE)
		die("the changing pass found nothing to write");
	if (!bench_write(hp))
		die("the changing pass did not write");
	hostspass_free(hp);
	if (w->nrpt && nrpt_step(w->ds[next], &w->live[w->cur]) == 0)
		die("the changing NRPT plan changed nothing");
	w->cur = next;
}

struct measured {
	struct series	 noop, floor_noop, change, floor_change;
};

static void
measure(struct work *w, int reps, struct measured *m)
{
	uint64_t	 t;
	int		 i;

	memset(m, 0, sizeof(*m));
	for (i = -2; i < reps; i++) {	/* two warm-up rounds */
		t = now_ns();
		floor_read_scan(w->hosts);
		t = now_ns() - t;
		if (i >= 0)
			series_add(&m->floor_noop, t);
		t = now_ns();
		pass_noop(w);
		t = now_ns() - t;
		if (i >= 0)
			series_add(&m->noop, t);
		t = now_ns();
		floor_rewrite(w->hosts, w->tmp);
		t = now_ns() - t;
		if (i >= 0)
			series_add(&m->floor_change, t);
		t = now_ns();
		pass_change(w);
		t = now_ns() - t;
		if (i >= 0)
			series_add(&m->change, t);
	}
}

static cJSON *
measured_json(struct work *w, struct measured *m)
{
	cJSON	*o = cJSON_CreateObject();

	cJSON_AddNumberToObject(o, "file_bytes", (double)w->bytes);
	cJSON_AddNumberToObject(o, "file_lines", (double)w->lines);
	cJSON_AddItemToObject(o, "noop_pass", series_json(&m->noop));
	cJSON_AddItemToObject(o, "noop_floor", series_json(&m->floor_noop));
	cJSON_AddItemToObject(o, "changing_pass", series_json(&m->change));
	cJSON_AddItemToObject(o, "changing_floor", series_json(&m->floor_change));
	return o;
}

/* ---- 1. the passes ---------------------------------------------------- */

static void
bench_passes(void)
{
	struct work	 w;
	struct measured	 m;
	struct series	 parse = { NULL, 0 }, cjson = { NULL, 0 };
	struct desired_state *ds;
	struct dwerr	 err;
	cJSON		*o;
	char		*json;
	size_t		 len;
	double		 rn, rc, rp;
	int		 i;

	note("passes: %u foreign lines, %u entries, %u NRPT domains, %d runs",
	    MAIN_FOREIGN, MAIN_ENTRIES, MAIN_DOMAINS, reps_main);
	work_init(&w, "passes", MAIN_FOREIGN, MAIN_ENTRIES, MAIN_DOMAINS);
	measure(&w, reps_main, &m);
	o = measured_json(&w, &m);
	rn = series_median(&m.noop) / series_median(&m.floor_noop);
	rc = series_median(&m.change) / series_median(&m.floor_change);
	cJSON_AddNumberToObject(o, "noop_ratio", rn);
	cJSON_AddNumberToObject(o, "changing_ratio", rc);
	cJSON_AddBoolToObject(o, "noop_target_met", rn <= 2.0);
	cJSON_AddBoolToObject(o, "changing_target_met", rc <= 3.0);

	/* The desired-state parse: the daemon does it only when the file
	 * changes, not on every pass; shown apart, beside cJSON alone on the
	 * same bytes (parse + delete), interleaved. */
	json = desired_json(MAIN_ENTRIES, MAIN_DOMAINS, 0, &len);
	for (i = -2; i < reps_main; i++) {
		uint64_t t = now_ns();
		cJSON	*tree;

		if (desired_parse(json, len, "bench", &ds, &err) != 0)
			die("desired: %s", err.msg);
		desired_free(ds);
		t = now_ns() - t;
		if (i >= 0)
			series_add(&parse, t);
		t = now_ns();
		if ((tree = cJSON_ParseWithLength(json, len)) == NULL)
			die("cJSON_Parse refused the desired state");
		cJSON_Delete(tree);
		t = now_ns() - t;
		if (i >= 0)
			series_add(&cjson, t);
	}
	cJSON_AddItemToObject(o, "desired_parse", series_json(&parse));
	cJSON_AddItemToObject(o, "cjson_parse_delete", series_json(&cjson));
	rp = series_median(&parse) / series_median(&cjson);
	cJSON_AddNumberToObject(o, "desired_parse_ratio", rp);
	cJSON_AddBoolToObject(o, "desired_parse_target_met", rp <= 1.3);
	cJSON_AddNumberToObject(o, "desired_bytes", (double)len);
	free(json);
	cJSON_AddItemToObject(results, "passes", o);
	work_free(&w);
}

/* ---- 2. growth -------------------------------------------------------- */

/* At most linear when the cost per unit (line or entry) at the largest
 * size is no more than 2x the cost per unit at the size before it; the
 * floor's own ratio is recorded beside it. */
static cJSON *
growth_run(const char *what, const size_t *sizes, size_t n, size_t fixed_other,
    bool vary_foreign)
{
	cJSON	*arr = cJSON_CreateArray(), *o;
	double	 per[8][3] = { { 0 } };
	size_t	 i, k;
	char	 name[64];

	for (i = 0; i < n; i++) {
		struct work	 w;
		struct measured	 m;
		int		 reps = reps_growth;
		size_t		 nf = vary_foreign ? sizes[i] : fixed_other;
		size_t		 ne = vary_foreign ? fixed_other : sizes[i];

		if (nf >= 1000000 && reps > 7)
			reps = 7;
		note("growth: %zu foreign lines, %zu entries, %d runs", nf, ne, reps);
		snprintf(name, sizeof(name), "growth-%s-%zu", what, sizes[i]);
		work_init(&w, name, nf, ne, 0);
		measure(&w, reps, &m);
		o = measured_json(&w, &m);
		cJSON_AddNumberToObject(o, "foreign_lines", (double)nf);
		cJSON_AddNumberToObject(o, "entries", (double)ne);
		per[i][0] = series_median(&m.noop) * 1000 / (double)sizes[i];
		per[i][1] = series_median(&m.change) * 1000 / (double)sizes[i];
		per[i][2] = series_median(&m.floor_noop) * 1000 / (double)sizes[i];
		cJSON_AddNumberToObject(o, "noop_us_per_unit", per[i][0]);
		cJSON_AddNumberToObject(o, "changing_us_per_unit", per[i][1]);
		cJSON_AddNumberToObject(o, "noop_floor_us_per_unit", per[i][2]);
		cJSON_AddItemToArray(arr, o);
		work_free(&w);
	}
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "runs", arr);
	for (k = 0; k < 3; k++) {
		static const char *const key[] = { "noop", "changing", "noop_floor" };
		char	 kname[64];
		double	 r = per[n - 1][k] / per[n - 2][k];

		snprintf(kname, sizeof(kname), "%s_per_unit_last_ratio", key[k]);
		cJSON_AddNumberToObject(o, kname, r);
		if (k < 2) {
			snprintf(kname, sizeof(kname), "%s_at_most_linear", key[k]);
			cJSON_AddBoolToObject(o, kname, r <= 2.0);
		}
	}
	return o;
}

static void
bench_growth(void)
{
	static const size_t foreign[] = { 1000, 10000, 100000, 1000000 };
	static const size_t entries[] = { 10, 1000, 100000 };
	cJSON	*o = cJSON_CreateObject();

	cJSON_AddItemToObject(o, "foreign",
	    growth_run("foreign", foreign, 4, 100, true));
	cJSON_AddItemToObject(o, "entries",
	    growth_run("entries", entries, 3, 10000, false));
	cJSON_AddItemToObject(results, "growth", o);
}

/* ---- the daemon ------------------------------------------------------- */

struct daemon {
	pid_t	 pid;
	char	 dir[320];
	char	 cfg[400];
	char	 sock[400];
	char	 hosts[400];
	char	 log[400];
	char	 flag[400];
};

/* A scratch folder with a config, a desired state and a hosts file. */
static void
daemon_setup(struct daemon *d, const char *name, size_t nforeign,
    size_t nentries, size_t ndomains, const char *extra)
{
	char		 path[480], cfg[1024];
	char		*json;
	size_t		 len;
	struct desired_state *ds;

	memset(d, 0, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "%s/%s", scratch, name);
	if (mkdir(d->dir, 0755) == -1 && errno != EEXIST)
		die("mkdir %s: %s", d->dir, strerror(errno));
	snprintf(d->cfg, sizeof(d->cfg), "%s/config.json", d->dir);
	snprintf(d->sock, sizeof(d->sock), "%s/control.sock", d->dir);
	snprintf(d->hosts, sizeof(d->hosts), "%s/hosts", d->dir);
	snprintf(d->log, sizeof(d->log), "%s/daemon.log", d->dir);
	snprintf(d->flag, sizeof(d->flag), "%s/fail-renames", d->dir);
	snprintf(cfg, sizeof(cfg), "{\"desired_state\":\"desired.json\","
	    "\"hosts\":{\"path\":\"hosts\"},\"control\":{\"socket\":"
	    "\"control.sock\"}%s}\n", extra);
	put_file(d->cfg, cfg, strlen(cfg));
	json = desired_json(nentries, ndomains, 0, &len);
	snprintf(path, sizeof(path), "%s/desired.json", d->dir);
	put_file(path, json, len);
	free(json);
	/* The file starts without the section: the start pass writes it. */
	ds = desired_new();
	hosts_make(d->hosts, nforeign, ds);
	desired_free(ds);
}

static void
daemon_start(struct daemon *d, bool shim)
{
	pid_t	 pid;
	int	 fd;

	if ((pid = fork()) == -1)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		if (shim) {
			setenv("LD_PRELOAD", shim_lib, 1);
			setenv("DW_FAULT_RENAME_WHILE", d->flag, 1);
		}
		if ((fd = open(d->log, O_WRONLY | O_CREAT | O_TRUNC, 0644)) != -1) {
			dup2(fd, 2);
			close(fd);
		}
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			close(fd);
		}
		execl(daemon_bin, daemon_bin, "--config", d->cfg, "run", (char *)NULL);
		_exit(127);
	}
	d->pid = pid;
}

static void
daemon_stop(struct daemon *d)
{
	int	 i, st;

	if (d->pid <= 0)
		return;
	kill(d->pid, SIGTERM);
	for (i = 0; i < 500; i++) {
		if (waitpid(d->pid, &st, WNOHANG) == d->pid) {
			d->pid = 0;
			return;
		}
		sleep_ms(10);
	}
	kill(d->pid, SIGKILL);
	waitpid(d->pid, &st, 0);
	d->pid = 0;
}

static cJSON *
daemon_status(struct daemon *d)
{
	struct dwerr	 err;
	char		*reply = NULL;
	cJSON		*j;

	if (control_call(d->sock, "status", 2000, &reply, &err) != 0)
		return NULL;
	j = cJSON_Parse(reply);
	free(reply);
	return j;
}

static double
jnum(const cJSON *j, const char *obj, const char *key)
{
	const cJSON	*o = obj != NULL ? cJSON_GetObjectItemCaseSensitive(j, obj) : j;
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static bool
jtrue(const cJSON *j, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, key));
}

static const char *
jstr(const cJSON *j, const char *obj, const char *key)
{
	const cJSON	*o = cJSON_GetObjectItemCaseSensitive(j, obj);
	const cJSON	*v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/* Waits until the daemon has run at least min_passes and nothing is
 * running or pending; returns its status (the caller frees it). */
static cJSON *
daemon_wait_settled(struct daemon *d, double min_passes, double timeout_ms)
{
	uint64_t	 end = now_ns() + (uint64_t)(timeout_ms * 1e6);
	cJSON		*j;

	for (;;) {
		if ((j = daemon_status(d)) != NULL) {
			if (jnum(j, "counters", "passes") >= min_passes &&
			    !jtrue(j, "pass_running") && !jtrue(j, "pass_pending"))
				return j;
			cJSON_Delete(j);
		}
		if (now_ns() > end)
			die("daemon in %s did not settle (see %s)", d->dir, d->log);
		if (d->pid > 0 && waitpid(d->pid, NULL, WNOHANG) == d->pid)
			die("daemon in %s exited (see %s)", d->dir, d->log);
		sleep_ms(20);
	}
}

struct procinfo {
	double	 cpu_s;			/* utime + stime */
	long	 vmrss_kb, vmhwm_kb;
	long	 vctx, nvctx;
};

static void
proc_read(pid_t pid, struct procinfo *pi)
{
	char		 path[64], buf[4096], *p;
	unsigned long	 ut = 0, stm = 0;
	FILE		*f;
	size_t		 n;

	memset(pi, 0, sizeof(*pi));
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* After "pid (comm) ": state is field 3, utime 14, stime 15. */
	if ((p = strrchr(buf, ')')) == NULL ||
	    sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	    &ut, &stm) != 2)
		die("cannot parse %s", path);
	pi->cpu_s = (double)(ut + stm) / (double)sysconf(_SC_CLK_TCK);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((f = fopen(path, "r")) == NULL)
		die("%s: %s", path, strerror(errno));
	while (fgets(buf, sizeof(buf), f) != NULL) {
		sscanf(buf, "VmRSS: %ld", &pi->vmrss_kb);
		sscanf(buf, "VmHWM: %ld", &pi->vmhwm_kb);
		sscanf(buf, "voluntary_ctxt_switches: %ld", &pi->vctx);
		sscanf(buf, "nonvoluntary_ctxt_switches: %ld", &pi->nvctx);
	}
	fclose(f);
}

/* ---- 4. idle (sampled on a thread while the in-process benchmarks run) -- */

struct idle {
	struct daemon	 d[2];
	const char	*label[2];
	struct procinfo	 before[2], after[2];
	double		 passes_before[2], passes_after[2];
	double		 seconds;
	pthread_t	 th;
};

static void *
idle_sampler(void *arg)
{
	struct idle	*id = arg;
	uint64_t	 t0 = now_ns();
	int		 k;
	cJSON		*j;

	sleep_ms(IDLE_SECONDS * 1000.0);
	for (k = 0; k < 2; k++)
		proc_read(id->d[k].pid, &id->after[k]);
	id->seconds = (double)(now_ns() - t0) / 1e9;
	/* The status request itself wakes the daemon: ask only afterwards. */
	for (k = 0; k < 2; k++) {
		if ((j = daemon_status(&id->d[k])) != NULL) {
			id->passes_after[k] = jnum(j, "counters", "passes");
			cJSON_Delete(j);
		}
	}
	return NULL;
}

static void
idle_begin(struct idle *id)
{
	int	 k;
	cJSON	*j;

	memset(id, 0, sizeof(*id));
	id->label[0] = "small";
	id->label[1] = "large";
	/* small: the demo's size; large: the benchmark's hosts file. */
	daemon_setup(&id->d[0], "idle-small", 2, 2, 1, "");
	daemon_setup(&id->d[1], "idle-large", MAIN_FOREIGN, MAIN_ENTRIES,
	    MAIN_DOMAINS, "");
	for (k = 0; k < 2; k++)
		daemon_start(&id->d[k], false);
	for (k = 0; k < 2; k++) {
		j = daemon_wait_settled(&id->d[k], 1, 20000);
		id->passes_before[k] = jnum(j, "counters", "passes");
		cJSON_Delete(j);
	}
	sleep_ms(1000);		/* let the last reply and inotify echoes pass */
	for (k = 0; k < 2; k++)
		proc_read(id->d[k].pid, &id->before[k]);
	note("idle: two daemons sampled over %u s in the background", IDLE_SECONDS);
	if (pthread_create(&id->th, NULL, idle_sampler, id) != 0)
		die("pthread_create");
}

static void
idle_end(struct idle *id)
{
	cJSON	*o = cJSON_CreateObject(), *e;
	int	 k;

	pthread_join(id->th, NULL);
	cJSON_AddNumberToObject(o, "seconds", id->seconds);
	for (k = 0; k < 2; k++) {
		long	 cs = (id->after[k].vctx - id->before[k].vctx) +
		    (id->after[k].nvctx - id->before[k].nvctx);

		e = cJSON_CreateObject();
		cJSON_AddNumberToObject(e, "context_switches", (double)cs);
		cJSON_AddNumberToObject(e, "voluntary",
		    (double)(id->after[k].vctx - id->before[k].vctx));
		cJSON_AddNumberToObject(e, "nonvoluntary",
		    (double)(id->after[k].nvctx - id->before[k].nvctx));
		cJSON_AddNumberToObject(e, "cpu_s",
		    id->after[k].cpu_s - id->before[k].cpu_s);
		cJSON_AddNumberToObject(e, "passes",
		    id->passes_after[k] - id->passes_before[k]);
		cJSON_AddNumberToObject(e, "vmrss_kb", (double)id->after[k].vmrss_kb);
		cJSON_AddNumberToObject(e, "vmhwm_kb", (double)id->after[k].vmhwm_kb);
		cJSON_AddBoolToObject(e, "no_wakeups_met", cs == 0);
		cJSON_AddBoolToObject(e, "rss_met", id->after[k].vmrss_kb < 4096);
		cJSON_AddItemToObject(o, id->label[k], e);
		daemon_stop(&id->d[k]);
	}
	cJSON_AddItemToObject(results, "idle", o);
}

/* ---- wipe: from a wiped section to its repair --------------------------- */

#define WIPE_RUNS	21u
#define WIPE_TARGET_MS	50.0	/* median, default settings */
#define WIPE_FOREIGN	1000u	/* foreign lines of the file */
#define WIPE_ENTRIES	10u

/* The file without its managed section, as another program writes it. */
static char *
wipe_strip(const char *all, size_t *len)
{
	const char	*b = strstr(all, "# DnsWatchdogSectionStart");
	const char	*e = strstr(all, "# DnsWatchdogSectionEnd");
	char		*out;

	if (b == NULL || e == NULL || (e = strchr(e, '\n')) == NULL)
		die("wipe: no section in the daemon's file");
	out = xmalloc(strlen(all) + 1);
	memcpy(out, all, (size_t)(b - all));
	strcpy(out + (b - all), e + 1);
	*len = strlen(out);
	return out;
}

/* Median time from a rewrite of the file without the section (by another
 * program, after a quiet period) to the section back in the file, with
 * the daemon's default timers. Each wipe stands for one wipe: 21 of them
 * within a minute are what the fight detection is for (from the sixth
 * repair on, each would wait 1, 2, 4... s by design), so fight_rewrites
 * is raised to its maximum, 63, as for the release benchmark. */
static void
bench_wipe(void)
{
	struct daemon	 d;
	struct series	 s;
	cJSON		*j, *o;
	char		*all, *wiped, *now;
	size_t		 len, wlen;
	uint64_t	 t0, waited;
	unsigned	 i;

	note("wipe: %u wipes of the section, default timers", WIPE_RUNS);
	memset(&s, 0, sizeof(s));
	daemon_setup(&d, "wipe", WIPE_FOREIGN, WIPE_ENTRIES, 0,
	    ",\"daemon\":{\"fight_rewrites\":63}");
	daemon_start(&d, false);
	cJSON_Delete(daemon_wait_settled(&d, 1, 20000));
	if ((all = floor_read(d.hosts, &len)) == NULL)
		die("wipe: cannot read %s", d.hosts);
	wiped = wipe_strip(all, &wlen);
	for (i = 0; i < WIPE_RUNS; i++) {
		/* A quiet period first: the wipe is news. */
		sleep_ms(QUIET_MS + 100);
		t0 = now_ns();
		put_file(d.hosts, wiped, wlen);
		for (;;) {
			if ((now = floor_read(d.hosts, &len)) != NULL &&
			    strstr(now, "# DnsWatchdogSectionEnd") != NULL) {
				free(now);
				break;
			}
			free(now);
			waited = now_ns() - t0;
			if (waited > 10000000000ull)
				die("wipe: not repaired in 10 s (see %s)", d.log);
			sleep_ms(0.2);
		}
		series_add(&s, now_ns() - t0);
		cJSON_Delete(daemon_wait_settled(&d, 1, 20000));
	}
	j = daemon_status(&d);
	o = cJSON_CreateObject();
	cJSON_AddItemToObject(o, "restored", series_json(&s));
	cJSON_AddNumberToObject(o, "target_ms", WIPE_TARGET_MS);
	cJSON_AddBoolToObject(o, "target_met",
	    series_median(&s) <= WIPE_TARGET_MS);
	cJSON_AddNumberToObject(o, "passes", jnum(j, "counters", "passes"));
	cJSON_AddItemToObject(results, "wipe", o);
	cJSON_Delete(j);
	free(all);
	free(wiped);
	daemon_stop(&d);
}

/* ---- wipe_nrpt: the same for an NRPT rule key, under Wine --------------- */

/* Adds what bench_win wrote (its numbers, or {"error": why}) to the
 * results; a missing or unreadable file is an error too. */
static void
wine_load(const char *path)
{
	char		 buf[16384], why[512];
	size_t		 len = 0;
	FILE		*f;
	cJSON		*j = NULL;

	if ((f = fopen(path, "r")) != NULL) {
		len = fread(buf, 1, sizeof(buf) - 1, f);
		fclose(f);
		buf[len] = '\0';
		j = cJSON_Parse(buf);
	}
	if (cJSON_IsObject(jget(j, "restored", NULL)) ||
	    cJSON_IsString(jget(j, "error", NULL))) {
		cJSON_AddItemToObject(results, "wipe_nrpt", j);
		return;
	}
	cJSON_Delete(j);
	snprintf(why, sizeof(why), "no result in %s", path);
	j = cJSON_CreateObject();
	cJSON_AddStringToObject(j, "error", why);
	cJSON_AddItemToObject(results, "wipe_nrpt", j);
}

/* ---- 3. trigger storm -------------------------------------------------- */

static void
bench_storm(void)
{
	static const char line[] = "0.0.0.0 storm.example.com\n";
	struct daemon	 d;
	struct procinfo	 p0, p1;
	cJSON		*j0, *j1, *o;
	uint64_t	 t0, dur = (uint64_t)STORM_SECONDS * 1000000000u, el;
	uint64_t	 sent = 0, due;
	double		 secs, windows, passes;
	int		 fd;

	note("storm: %u triggers a second for %u s", STORM_RATE, STORM_SECONDS);
	daemon_setup(&d, "storm", MAIN_FOREIGN, MAIN_ENTRIES, MAIN_DOMAINS, "");
	daemon_start(&d, false);
	j0 = daemon_wait_settled(&d, 1, 20000);
	proc_read(d.pid, &p0);
	t0 = now_ns();
	for (;;) {
		el = now_ns() - t0;
		if (el >= dur)
			break;
		due = el * STORM_RATE / 1000000000u + 1;
		if (sent >= due) {
			sleep_ms(0.05);
			continue;
		}
		while (sent < due) {
			/* One trigger: an append by another program. */
			if ((fd = open(d.hosts, O_WRONLY | O_APPEND | O_CLOEXEC)) == -1 ||
			    write(fd, line, sizeof(line) - 1) != (ssize_t)sizeof(line) - 1 ||
			    close(fd) == -1)
				die("append: %s", strerror(errno));
			sent++;
		}
	}
	secs = (double)(now_ns() - t0) / 1e9;
	/* The last pass comes a quiet window after the last trigger. */
	sleep_ms(QUIET_MS * 2);
	j1 = daemon_wait_settled(&d, 1, 30000);
	proc_read(d.pid, &p1);
	passes = jnum(j1, "counters", "passes") - jnum(j0, "counters", "passes");
	windows = secs * 1000 / QUIET_MS;
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "seconds", secs);
	cJSON_AddNumberToObject(o, "appends", (double)sent);
	cJSON_AddNumberToObject(o, "rate_per_s", (double)sent / secs);
	cJSON_AddNumberToObject(o, "triggers_seen",
	    jnum(j1, "counters", "triggers") - jnum(j0, "counters", "triggers"));
	cJSON_AddNumberToObject(o, "triggers_coalesced",
	    jnum(j1, "counters", "coalesced_triggers") -
	    jnum(j0, "counters", "coalesced_triggers"));
	cJSON_AddNumberToObject(o, "passes", passes);
	cJSON_AddNumberToObject(o, "writes",
	    jnum(j1, "counters", "writes") - jnum(j0, "counters", "writes"));
	cJSON_AddNumberToObject(o, "quiet_windows", windows);
	cJSON_AddNumberToObject(o, "cpu_s", p1.cpu_s - p0.cpu_s);
	cJSON_AddNumberToObject(o, "vmhwm_kb", (double)p1.vmhwm_kb);
	cJSON_AddNumberToObject(o, "vmrss_kb_after", (double)p1.vmrss_kb);
	/* One pass per quiet window of the storm, and the trailing one. */
	cJSON_AddBoolToObject(o, "target_met", passes <= windows + 1);
	cJSON_AddItemToObject(results, "storm", o);
	cJSON_Delete(j0);
	cJSON_Delete(j1);
	daemon_stop(&d);
}

/* ---- 5. release of a failing hosts file -------------------------------- */

static void
bench_release(void)
{
	static const double holds[] = { 100, 500, 2000 };
	struct daemon	 d;
	struct stat	 st;
	struct desired_state *none;
	cJSON		*arr = cJSON_CreateArray(), *o, *j;
	char		 drift[480];
	ino_t		 ino;
	uint64_t	 tfail, t0, t1;
	double		 announced, attempt;
	size_t		 i, len;
	char		*got;
	int		 trial;

	if (shim_lib[0] == '\0' || access(shim_lib, R_OK) != 0)
		die("the fault shim is missing: %s", shim_lib);
	note("release: hosts renames failing while a flag file exists");
	daemon_setup(&d, "release", MAIN_FOREIGN, MAIN_ENTRIES, MAIN_DOMAINS,
	    ",\"daemon\":{\"fight_rewrites\":63}");
	snprintf(drift, sizeof(drift), "%s/hosts.drift", d.dir);
	none = desired_new();
	hosts_make(drift, MAIN_FOREIGN, none);	/* the file without section */
	desired_free(none);
	daemon_start(&d, true);
	cJSON_Delete(daemon_wait_settled(&d, 1, 20000));
	for (i = 0; i < sizeof(holds) / sizeof(holds[0]); i++) {
		for (trial = 0; trial < 2; trial++) {
			put_file(d.flag, "", 0);
			/* Another program replaces the file, without the section. */
			{
				char	 cmd[1024];

				snprintf(cmd, sizeof(cmd), "%s.tmp", drift);
				got = floor_read(drift, &len);
				put_file(cmd, got, len);
				free(got);
				if (rename(cmd, d.hosts) == -1)
					die("rename: %s", strerror(errno));
			}
			/* Wait for the first failed attempt. */
			for (;;) {
				if ((j = daemon_status(&d)) != NULL) {
					bool f = strcmp(jstr(j, "hosts", "state"),
					    "pending_retry") == 0;

					cJSON_Delete(j);
					if (f)
						break;
				}
				sleep_ms(2);
			}
			tfail = now_ns();
			sleep_ms(holds[i]);
			j = daemon_status(&d);
			announced = j ? jnum(j, "hosts", "next_attempt_ms") : -1;
			attempt = j ? jnum(j, "hosts", "attempt") : -1;
			cJSON_Delete(j);
			if (stat(d.hosts, &st) == -1)
				die("stat: %s", strerror(errno));
			ino = st.st_ino;
			t0 = now_ns();
			unlink(d.flag);
			/* The rename is atomic: the new inode is the section. */
			for (;;) {
				if (stat(d.hosts, &st) == 0 && st.st_ino != ino)
					break;
				if (now_ns() - t0 > 40000000000u)
					die("the file was never written");
				sleep_ms(0.2);
			}
			t1 = now_ns();
			got = floor_read(d.hosts, &len);
			if (memmem(got, len, HOSTS_BEGIN_MARKER_DEFAULT,
			    strlen(HOSTS_BEGIN_MARKER_DEFAULT)) == NULL)
				die("the rewritten file has no section");
			free(got);
			cJSON_Delete(daemon_wait_settled(&d, 1, 20000));
			o = cJSON_CreateObject();
			cJSON_AddNumberToObject(o, "held_ms",
			    (double)(t0 - tfail) / 1e6);
			cJSON_AddNumberToObject(o, "failed_attempts", attempt);
			cJSON_AddNumberToObject(o, "announced_next_attempt_ms",
			    announced);
			cJSON_AddNumberToObject(o, "release_to_written_ms",
			    (double)(t1 - t0) / 1e6);
			cJSON_AddItemToArray(arr, o);
			note("release: held %.0f ms, written %.1f ms after the release",
			    (double)(t0 - tfail) / 1e6, (double)(t1 - t0) / 1e6);
		}
	}
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "file_bytes", (double)(st.st_size));
	cJSON_AddItemToObject(o, "trials", arr);
	cJSON_AddItemToObject(results, "release", o);
	daemon_stop(&d);
	unlink(drift);
}

/* ---- 6. whole-process once --------------------------------------------- */

/* Starts argv[0] (a path) in dir with no input and no output. */
static pid_t
spawn_in(const char *dir, char *const argv[])
{
	pid_t	 pid;
	int	 fd;

	if ((pid = fork()) == -1)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		if (chdir(dir) == -1)
			_exit(126);
		if ((fd = open("/dev/null", O_RDWR)) != -1) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

static void
reap(pid_t pid, const char *what)
{
	int	 st;

	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("%s failed (status %d)", what, st);
}

/* Runs a shell command in dir; returns the wall time of the process. */
static uint64_t
time_sh(const char *dir, const char *cmd)
{
	char *const	 argv[] = { "/bin/sh", "-c", (char *)cmd, NULL };
	uint64_t	 t = now_ns();

	reap(spawn_in(dir, argv), cmd);
	return now_ns() - t;
}

/*
 * Runs `dnswatchdog once` in d's folder. *written gets the time from the
 * start to the rename of the hosts file (inotify IN_MOVED_TO in the folder),
 * 0 when nothing was renamed; returns the time to the process's exit.
 */
static uint64_t
time_once(struct daemon *d, uint64_t *written)
{
	char *const	 argv[] = { (char *)daemon_bin, "--config", d->cfg,
			    "once", NULL };
	char		 buf[4096] __attribute__((aligned(8)));
	struct inotify_event *ev;
	struct pollfd	 pfd[2];
	uint64_t	 t0, t1 = 0, t2 = 0;
	ssize_t		 n;
	pid_t		 pid;
	int		 in, st;

	if ((in = inotify_init1(IN_CLOEXEC | IN_NONBLOCK)) == -1 ||
	    inotify_add_watch(in, d->dir, IN_MOVED_TO) == -1)
		die("inotify: %s", strerror(errno));
	t0 = now_ns();
	pid = spawn_in(d->dir, argv);
	/* The rename and the exit, each seen as it happens. */
	pfd[0].fd = in;
	pfd[0].events = POLLIN;
	if ((pfd[1].fd = (int)syscall(SYS_pidfd_open, pid, 0)) == -1)
		die("pidfd_open: %s", strerror(errno));
	pfd[1].events = POLLIN;
	while (t2 == 0) {
		if (poll(pfd, 2, -1) == -1) {
			if (errno == EINTR)
				continue;
			die("poll: %s", strerror(errno));
		}
		if (pfd[1].revents != 0)
			t2 = now_ns();
		while ((n = read(in, buf, sizeof(buf))) > 0) {
			for (char *p = buf; p < buf + n; p += sizeof(*ev) + ev->len) {
				ev = (struct inotify_event *)(void *)p;
				if (ev->len > 0 && strcmp(ev->name, "hosts") == 0 &&
				    t1 == 0)
					t1 = now_ns();
			}
		}
	}
	while (waitpid(pid, &st, 0) == -1)
		if (errno != EINTR)
			die("waitpid: %s", strerror(errno));
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		die("dnswatchdog once failed (status %d; see %s)", st, d->dir);
	close(pfd[1].fd);
	close(in);
	*written = t1 != 0 ? t1 - t0 : 0;
	return t2 - t0;
}

static void
bench_once(void)
{
	struct daemon	 d;
	struct series	 noop = { NULL, 0 }, fl_noop = { NULL, 0 };
	struct series	 chg = { NULL, 0 }, chg_all = { NULL, 0 };
	struct series	 fl_chg = { NULL, 0 };
	char		 path[480];
	char		*json[2];
	size_t		 len[2];
	uint64_t	 t, w;
	cJSON		*o;
	double		 rn, rc;
	int		 i, cur = 0;

	note("once: whole-process dnswatchdog once, %u foreign lines, %u entries, "
	    "%d runs", MAIN_FOREIGN, MAIN_ENTRIES, reps_main);
	/* NRPT off: on Linux it has no store; the hosts part is measured. */
	daemon_setup(&d, "once", MAIN_FOREIGN, MAIN_ENTRIES, MAIN_DOMAINS,
	    ",\"nrpt\":{\"enabled\":false}");
	json[0] = desired_json(MAIN_ENTRIES, MAIN_DOMAINS, 0, &len[0]);
	json[1] = desired_json(MAIN_ENTRIES, MAIN_DOMAINS, 1, &len[1]);
	snprintf(path, sizeof(path), "%s/desired.json", d.dir);
	time_once(&d, &w);		/* writes the section */
	for (i = -2; i < reps_main; i++) {
		t = time_sh(d.dir, "cat hosts | wc -l");
		if (i >= 0)
			series_add(&fl_noop, t);
		t = time_once(&d, &w);
		if (w != 0)
			die("the no-op once wrote the hosts file");
		if (i >= 0)
			series_add(&noop, t);
		t = time_sh(d.dir, "cat hosts > tmp && sync tmp && mv tmp hosts2");
		if (i >= 0)
			series_add(&fl_chg, t);
		cur = !cur;
		put_file(path, json[cur], len[cur]);
		t = time_once(&d, &w);
		if (w == 0)
			die("the changing once did not write the hosts file");
		if (i >= 0) {
			series_add(&chg_all, t);
			series_add(&chg, w);
		}
	}
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "desired_bytes", (double)len[0]);
	cJSON_AddItemToObject(o, "noop_once", series_json(&noop));
	cJSON_AddItemToObject(o, "noop_floor", series_json(&fl_noop));
	cJSON_AddItemToObject(o, "changing_once_to_rename", series_json(&chg));
	cJSON_AddItemToObject(o, "changing_once_to_exit", series_json(&chg_all));
	cJSON_AddItemToObject(o, "changing_floor", series_json(&fl_chg));
	rn = series_median(&noop) / series_median(&fl_noop);
	rc = series_median(&chg) / series_median(&fl_chg);
	cJSON_AddNumberToObject(o, "noop_ratio", rn);
	cJSON_AddNumberToObject(o, "changing_ratio", rc);
	cJSON_AddBoolToObject(o, "noop_target_met", rn <= 2.0);
	cJSON_AddBoolToObject(o, "changing_target_met", rc <= 3.0);
	cJSON_AddItemToObject(results, "once", o);
	free(json[0]);
	free(json[1]);
}

/* ---- the machine and the report ---------------------------------------- */

static void
machine(void)
{
	cJSON		*o = cJSON_CreateObject();
	struct utsname	 u;
	char		 buf[512], model[256] = "unknown";
	long		 memkb = 0;
	FILE		*f;

	if ((f = fopen("/proc/cpuinfo", "r")) != NULL) {
		while (fgets(buf, sizeof(buf), f) != NULL)
			if (sscanf(buf, "model name : %255[^\n]", model) == 1)
				break;
		fclose(f);
	}
	if ((f = fopen("/proc/meminfo", "r")) != NULL) {
		while (fgets(buf, sizeof(buf), f) != NULL)
			if (sscanf(buf, "MemTotal: %ld", &memkb) == 1)
				break;
		fclose(f);
	}
	uname(&u);
	cJSON_AddNumberToObject(o, "nproc", (double)sysconf(_SC_NPROCESSORS_ONLN));
	cJSON_AddStringToObject(o, "cpu", model);
	cJSON_AddNumberToObject(o, "mem_total_kb", (double)memkb);
	snprintf(buf, sizeof(buf), "%s %s %s", u.sysname, u.release, u.machine);
	cJSON_AddStringToObject(o, "kernel", buf);
	cJSON_AddStringToObject(o, "scratch", scratch);
	cJSON_AddItemToObject(results, "machine", o);
}

static const cJSON *
jget(const cJSON *j, const char *a, const char *b)
{
	const cJSON	*o = cJSON_GetObjectItemCaseSensitive(j, a);

	return b != NULL ? cJSON_GetObjectItemCaseSensitive(o, b) : o;
}

static double
jd(const cJSON *j, const char *a, const char *b)
{
	const cJSON	*v = jget(j, a, b);

	return cJSON_IsNumber(v) ? v->valuedouble : -1;
}

static const char *
met(const cJSON *j, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(j, key)) ?
	    "met" : "missed";
}

static void
report(void)
{
	const cJSON	*p = jget(results, "passes", NULL), *g, *e, *r;
	const char	*k;

	printf("| benchmark | result | target |\n| --- | --- | --- |\n");
	if (p != NULL) {
		printf("| no-op pass, %.0f lines (%.1f MB), %u entries, %u NRPT domains "
		    "| min %.2f ms, median %.2f ms | |\n", jd(p, "file_lines", NULL),
		    jd(p, "file_bytes", NULL) / 1e6, MAIN_ENTRIES, MAIN_DOMAINS,
		    jd(p, "noop_pass", "min_ms"), jd(p, "noop_pass", "median_ms"));
		printf("| floor: read + memchr scan | min %.2f ms, median %.2f ms | |\n",
		    jd(p, "noop_floor", "min_ms"), jd(p, "noop_floor", "median_ms"));
		printf("| no-op / floor (medians) | %.2fx | within 2x: %s |\n",
		    jd(p, "noop_ratio", NULL), met(p, "noop_target_met"));
		printf("| changing pass (write: temp, fsync, rename) | min %.2f ms, "
		    "median %.2f ms | |\n", jd(p, "changing_pass", "min_ms"),
		    jd(p, "changing_pass", "median_ms"));
		printf("| floor: read + write + fsync + rename | min %.2f ms, "
		    "median %.2f ms | |\n", jd(p, "changing_floor", "min_ms"),
		    jd(p, "changing_floor", "median_ms"));
		printf("| changing / floor (medians) | %.2fx | within 3x: %s |\n",
		    jd(p, "changing_ratio", NULL), met(p, "changing_target_met"));
		printf("| desired-state parse + free (%.0f bytes; on change only) | "
		    "min %.2f ms, median %.2f ms | |\n", jd(p, "desired_bytes", NULL),
		    jd(p, "desired_parse", "min_ms"),
		    jd(p, "desired_parse", "median_ms"));
		printf("| cJSON_Parse + cJSON_Delete of the same bytes | min %.2f ms, "
		    "median %.2f ms | |\n", jd(p, "cjson_parse_delete", "min_ms"),
		    jd(p, "cjson_parse_delete", "median_ms"));
		printf("| desired_parse / cJSON (medians) | %.2fx | within 1.3x: %s |\n",
		    jd(p, "desired_parse_ratio", NULL),
		    met(p, "desired_parse_target_met"));
	}
	if ((g = jget(results, "growth", NULL)) != NULL) {
		for (int w = 0; w < 2; w++) {
			const cJSON *grp = jget(g, w ? "entries" : "foreign", NULL);

			cJSON_ArrayForEach(e, jget(grp, "runs", NULL)) {
				printf("| growth: %.0f foreign lines, %.0f entries | no-op "
				    "%.3f ms (floor %.3f), changing %.3f ms (floor %.3f) "
				    "| |\n", jd(e, "foreign_lines", NULL),
				    jd(e, "entries", NULL),
				    jd(e, "noop_pass", "median_ms"),
				    jd(e, "noop_floor", "median_ms"),
				    jd(e, "changing_pass", "median_ms"),
				    jd(e, "changing_floor", "median_ms"));
			}
			printf("| growth in %s: cost per %s at the largest size / at "
			    "the size before | no-op %.2f (floor %.2f), changing %.2f "
			    "| at most linear (ratio <= 2): no-op %s, changing %s |\n",
			    w ? "entries" : "foreign lines", w ? "entry" : "line",
			    jd(grp, "noop_per_unit_last_ratio", NULL),
			    jd(grp, "noop_floor_per_unit_last_ratio", NULL),
			    jd(grp, "changing_per_unit_last_ratio", NULL),
			    cJSON_IsTrue(jget(grp, "noop_at_most_linear", NULL)) ? "yes" : "no",
			    cJSON_IsTrue(jget(grp, "changing_at_most_linear", NULL)) ? "yes" : "no");
		}
	}
	if ((r = jget(results, "wipe", NULL)) != NULL)
		printf("| wipe of the section to its repair (daemon, default "
		    "timers, %u runs) | min %.2f ms, median %.2f ms, p90 %.2f ms, "
		    "max %.2f ms | median within %.0f ms: %s |\n", WIPE_RUNS,
		    jd(r, "restored", "min_ms"), jd(r, "restored", "median_ms"),
		    jd(r, "restored", "p90_ms"), jd(r, "restored", "max_ms"),
		    WIPE_TARGET_MS, met(r, "target_met"));
	if ((r = jget(results, "wipe_nrpt", NULL)) != NULL) {
		e = jget(r, "error", NULL);
		k = cJSON_IsString(jget(r, "wine", NULL)) ?
		    jget(r, "wine", NULL)->valuestring : "?";
		if (cJSON_IsString(e))
			printf("| deleted NRPT rule key to the rule back "
			    "(dnswatchdog.exe under Wine) | not measured: %s "
			    "| |\n", e->valuestring);
		else
			printf("| deleted NRPT rule key to the rule back "
			    "(dnswatchdog.exe under Wine %s, default settings, "
			    "%.0f runs) | min %.2f ms, median %.2f ms, p90 %.2f "
			    "ms, max %.2f ms | median within %.0f ms: %s |\n", k,
			    jd(r, "restored", "runs"),
			    jd(r, "restored", "min_ms"),
			    jd(r, "restored", "median_ms"),
			    jd(r, "restored", "p90_ms"),
			    jd(r, "restored", "max_ms"), jd(r, "target_ms", NULL),
			    met(r, "target_met"));
	}
	if ((r = jget(results, "storm", NULL)) != NULL) {
		printf("| storm: %.0f appends in %.1f s (%.0f/s) | %.0f passes, %.0f "
		    "triggers seen, %.0f coalesced, %.2f CPU s, peak RSS %.0f kB "
		    "| at most one pass per quiet window (%.0f + 1): %s |\n",
		    jd(r, "appends", NULL), jd(r, "seconds", NULL),
		    jd(r, "rate_per_s", NULL), jd(r, "passes", NULL),
		    jd(r, "triggers_seen", NULL), jd(r, "triggers_coalesced", NULL),
		    jd(r, "cpu_s", NULL), jd(r, "vmhwm_kb", NULL),
		    jd(r, "quiet_windows", NULL), met(r, "target_met"));
	}
	if ((r = jget(results, "idle", NULL)) != NULL) {
		for (int w = 0; w < 2; w++) {
			k = w ? "large" : "small";
			e = jget(r, k, NULL);
			printf("| idle daemon (%s) over %.0f s | %.0f context switches, "
			    "%.0f passes, VmRSS %.0f kB (peak %.0f kB) | no wakeups: %s; "
			    "RSS under 4 MiB: %s |\n", k, jd(r, "seconds", NULL),
			    jd(e, "context_switches", NULL), jd(e, "passes", NULL),
			    jd(e, "vmrss_kb", NULL), jd(e, "vmhwm_kb", NULL),
			    met(e, "no_wakeups_met"), met(e, "rss_met"));
		}
	}
	if ((r = jget(results, "once", NULL)) != NULL) {
		printf("| `dnswatchdog once`, nothing to do (whole process) | min %.2f ms, "
		    "median %.2f ms | |\n", jd(r, "noop_once", "min_ms"),
		    jd(r, "noop_once", "median_ms"));
		printf("| floor: `cat hosts \\| wc -l` | min %.2f ms, median %.2f ms "
		    "| |\n", jd(r, "noop_floor", "min_ms"),
		    jd(r, "noop_floor", "median_ms"));
		printf("| no-op once / floor (medians) | %.2fx | within 2x: %s |\n",
		    jd(r, "noop_ratio", NULL), met(r, "noop_target_met"));
		printf("| `dnswatchdog once`, changing: start to rename | min %.2f ms, "
		    "median %.2f ms | |\n", jd(r, "changing_once_to_rename", "min_ms"),
		    jd(r, "changing_once_to_rename", "median_ms"));
		printf("| the same to exit (with the 100 ms watch of the replaced file) "
		    "| min %.2f ms, median %.2f ms | |\n",
		    jd(r, "changing_once_to_exit", "min_ms"),
		    jd(r, "changing_once_to_exit", "median_ms"));
		printf("| floor: `cat hosts > tmp && sync tmp && mv tmp hosts2` | min "
		    "%.2f ms, median %.2f ms | |\n", jd(r, "changing_floor", "min_ms"),
		    jd(r, "changing_floor", "median_ms"));
		printf("| changing once (to rename) / floor (medians) | %.2fx | within "
		    "3x: %s |\n", jd(r, "changing_ratio", NULL),
		    met(r, "changing_target_met"));
	}
	if ((r = jget(results, "release", NULL)) != NULL) {
		cJSON_ArrayForEach(e, jget(r, "trials", NULL)) {
			printf("| release: renames failing for %.0f ms (%.0f failed "
			    "attempts) | written %.1f ms after the release (next "
			    "attempt was due in %.0f ms) | |\n",
			    jd(e, "held_ms", NULL), jd(e, "failed_attempts", NULL),
			    jd(e, "release_to_written_ms", NULL),
			    jd(e, "announced_next_attempt_ms", NULL));
		}
	}
}

static void
rm_scratch(void)
{
	char	 cmd[400];

	if (scratch[0] == '\0' || strncmp(scratch, "/tmp/dwbench-", 13) != 0)
		return;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
	if (system(cmd) != 0)
		note("could not remove %s", scratch);
}

static void
usage(void)
{
	fprintf(stderr, "usage: dw_bench [--json FILE] [--only passes,growth,"
	    "wipe,storm,idle,release,once] [--runs N] [--daemon PATH] "
	    "[--shim PATH] [--wine-json FILE] "
	    "[--keep]\n");
	exit(64);
}

/* True when the comma-separated list names part (whole names only: wipe
 * is not wipe_nrpt). */
static bool
part_on(const char *list, const char *part)
{
	size_t		 n = strlen(part);
	const char	*p;

	for (p = list;; p++) {
		if (strncmp(p, part, n) == 0 && (p[n] == ',' || p[n] == '\0'))
			return true;
		if ((p = strchr(p, ',')) == NULL)
			return false;
	}
}

int
main(int argc, char **argv)
{
	const char	*json = NULL, *wine_json = NULL;
	const char	*only = "passes,growth,wipe,storm,idle,release,once";
	struct idle	 idle;
	bool		 keep = false, do_idle;
	char		*text;
	FILE		*f;
	int		 i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
			json = argv[++i];
		else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc)
			only = argv[++i];
		else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
			reps_main = reps_growth = atoi(argv[++i]);
		else if (strcmp(argv[i], "--daemon") == 0 && i + 1 < argc)
			daemon_bin = argv[++i];
		else if (strcmp(argv[i], "--shim") == 0 && i + 1 < argc)
			shim_lib = argv[++i];
		else if (strcmp(argv[i], "--wine-json") == 0 && i + 1 < argc)
			wine_json = argv[++i];
		else if (strcmp(argv[i], "--keep") == 0)
			keep = true;
		else
			usage();
	}
	if (reps_main < 1)
		usage();
	log_set_verbosity(0);
	signal(SIGPIPE, SIG_IGN);
	snprintf(scratch, sizeof(scratch), "/tmp/dwbench-XXXXXX");
	if (mkdtemp(scratch) == NULL)
		die("mkdtemp: %s", strerror(errno));
	results = cJSON_CreateObject();
	machine();

	/* The idle daemons sleep while the in-process benchmarks run: they
	 * watch only their own folders, so the work elsewhere cannot wake
	 * them, and sampling in the background saves a minute. */
	do_idle = part_on(only, "idle");
	if (do_idle)
		idle_begin(&idle);
	if (part_on(only, "passes"))
		bench_passes();
	if (part_on(only, "growth"))
		bench_growth();
	if (do_idle)
		idle_end(&idle);
	if (part_on(only, "wipe"))
		bench_wipe();
	if (part_on(only, "storm"))
		bench_storm();
	if (part_on(only, "release"))
		bench_release();
	if (part_on(only, "once"))
		bench_once();
	if (wine_json != NULL)
		wine_load(wine_json);

	report();
	if (json != NULL) {
		if ((text = cJSON_Print(results)) == NULL ||
		    (f = fopen(json, "w")) == NULL)
			die("cannot write %s", json);
		fprintf(f, "%s\n", text);
		fclose(f);
		free(text);
	}
	cJSON_Delete(results);
	if (!keep)
		rm_scratch();
	return 0;
}
