/*
 * bench_win: the NRPT half of the wipe benchmark (docs/performance.md),
 * which scripts/bench.sh runs under Wine.
 *
 * It starts the real dnswatchdog.exe (`run`, default settings) on a
 * scratch folder whose desired state holds a few NRPT rules. Then, N
 * times: it waits until the daemon has been idle for a quiet period (so
 * that the wipe is news, and the daemon's first trigger after a quiet
 * period starts a pass at once), deletes one of the daemon's rule keys
 * from the local rule table, as another program would, and times, with
 * QueryPerformanceCounter, until a key holding the same values is back in
 * the table. It wakes on RegNotifyChangeKeyValue on the table, never on
 * a timer. The rule may come back under a new ID: the daemon forgets a
 * recorded ID whose key is gone and writes the rule afresh.
 *
 * One JSON object goes to the file given with --json: the numbers, or,
 * when the run failed, {"error": why}. Only the Win32 API and the C
 * library: the daemon is driven as a user would drive it, through its
 * config, the registry and its control pipe.
 */
#include <windows.h>

#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#ifndef DW_BENCH_DAEMON
#define DW_BENCH_DAEMON "dnswatchdog.exe"
#endif

#define LOCAL_TABLE \
	L"SYSTEM\\CurrentControlSet\\Services\\Dnscache\\Parameters\\DnsPolicyConfig"
#define RECORD_KEY	L"SOFTWARE\\DnsWatchdogBench"
#define RECORD_VALUE	L"NRPTRuleIDs"
#define REG_VIEW	KEY_WOW64_64KEY
#define WATCH_FILTER	(REG_NOTIFY_CHANGE_NAME | REG_NOTIFY_CHANGE_LAST_SET)

#define WIPE_RUNS	21		/* default; --runs changes it */
#define WIPE_RULES	3u		/* rules in the desired state */
#define WIPE_TARGET_MS	50.0		/* median, default settings */
#define QUIET_MS	1000u		/* idle before a wipe (quiet_ms: 500) */
#define RESTORE_MS	10000u		/* longest wait for one repair */
#define START_MS	30000u		/* longest wait for the first pass */
#define STATUS_MS	2000u		/* longest wait for a status reply */
#define NRPT_STATE	"\"nrpt\":{\"state\":\""
#define REPLY_BYTES	(64u << 10)
#define VALUES_MAX	32u		/* values of one rule key */
#define VALUE_BYTES	(8u << 10)
#define ID_CHARS	64u
#define PATH_CHARS	(MAX_PATH + 64)

struct value {
	wchar_t		 name[64];
	DWORD		 type;
	BYTE		 data[VALUE_BYTES];
	DWORD		 len;
};

/* A rule key as it was before the wipe. */
struct rule {
	wchar_t		 id[ID_CHARS];
	struct value	 v[VALUES_MAX];
	DWORD		 n;
};

struct status {
	bool		 running, pending;
	double		 passes, triggers, ended_ms_ago;
	char		 nrpt[32];
};

static const char	*json_path;
static wchar_t		 json_w[PATH_CHARS];
static wchar_t		 scratch[PATH_CHARS];
static wchar_t		 daemon_log[PATH_CHARS];
static wchar_t		 pipe_name[64];
static HANDLE		 daemon_proc;
static LARGE_INTEGER	 qpc_hz;
static struct rule	 victim;	/* large: kept out of the stack */

static void	die(const char *, ...) __attribute__((format(printf, 1, 2),
		    noreturn));
static void	note(const char *, ...) __attribute__((format(printf, 1, 2)));

/* Writes s as a JSON string. */
static void
json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", (unsigned char)*s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* Says why on stderr and in the JSON file, stops the daemon, keeps the
 * scratch folder for its log, and exits 1. */
static void
die(const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[1024];
	FILE	*f;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "bench_win: %s\n", msg);
	if (scratch[0] != L'\0')
		fprintf(stderr, "bench_win: scratch folder kept: %ls\n",
		    scratch);
	if (json_w[0] != L'\0' && (f = _wfopen(json_w, L"w")) != NULL) {
		fputs("{\"error\":", f);
		json_string(f, msg);
		fputs("}\n", f);
		fclose(f);
	}
	if (daemon_proc != NULL)
		TerminateProcess(daemon_proc, 1);
	exit(1);
}

static void
note(const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	fputs("bench_win: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}

static double
now_ms(void)
{
	LARGE_INTEGER	 t;

	QueryPerformanceCounter(&t);
	return (double)t.QuadPart * 1000.0 / (double)qpc_hz.QuadPart;
}

/* A path as given (UTF-8); a Linux one becomes Wine's Z: drive. */
static void
path_w(const char *p, wchar_t *out, size_t n)
{
	wchar_t	*w;
	size_t	 o = 0;

	if (p[0] == '/') {
		out[o++] = L'Z';
		out[o++] = L':';
	}
	if (MultiByteToWideChar(CP_UTF8, 0, p, -1, out + o, (int)(n - o)) == 0)
		die("path too long: %s", p);
	for (w = out; *w != L'\0'; w++)
		if (*w == L'/')
			*w = L'\\';
}

static void
put_file(const wchar_t *dir, const wchar_t *name, const char *text)
{
	wchar_t	 path[PATH_CHARS];
	HANDLE	 h;
	DWORD	 len = (DWORD)strlen(text), done;

	_snwprintf(path, PATH_CHARS, L"%ls\\%ls", dir, name);
	h = CreateFileW(path, GENERIC_WRITE, 0, NULL, CREATE_ALWAYS,
	    FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE)
		die("cannot create %ls: error %lu", path, GetLastError());
	if (!WriteFile(h, text, len, &done, NULL) || done != len)
		die("cannot write %ls: error %lu", path, GetLastError());
	CloseHandle(h);
}

/* Removes dir and the files in it. */
static void
rm_dir(const wchar_t *dir)
{
	WIN32_FIND_DATAW	 fd;
	wchar_t			 pat[PATH_CHARS], path[PATH_CHARS];
	HANDLE			 h;

	_snwprintf(pat, PATH_CHARS, L"%ls\\*", dir);
	if ((h = FindFirstFileW(pat, &fd)) != INVALID_HANDLE_VALUE) {
		do {
			if (wcscmp(fd.cFileName, L".") == 0 ||
			    wcscmp(fd.cFileName, L"..") == 0)
				continue;
			_snwprintf(path, PATH_CHARS, L"%ls\\%ls", dir,
			    fd.cFileName);
			if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
				rm_dir(path);
			else
				DeleteFileW(path);
		} while (FindNextFileW(h, &fd));
		FindClose(h);
	}
	if (!RemoveDirectoryW(dir))
		note("could not remove %ls", dir);
}

/* Starts exe with args in the scratch folder, output to log. */
static HANDLE
spawn(const wchar_t *exe, const wchar_t *args, const wchar_t *log)
{
	SECURITY_ATTRIBUTES	 sa = { sizeof(sa), NULL, TRUE };
	STARTUPINFOW		 si;
	PROCESS_INFORMATION	 pi;
	wchar_t			 cmd[4 * PATH_CHARS];
	HANDLE			 out;

	out = CreateFileW(log, GENERIC_WRITE, FILE_SHARE_READ, &sa,
	    CREATE_ALWAYS, FILE_ATTRIBUTE_NORMAL, NULL);
	if (out == INVALID_HANDLE_VALUE)
		die("cannot create %ls: error %lu", log, GetLastError());
	_snwprintf(cmd, sizeof(cmd) / sizeof(cmd[0]), L"\"%ls\" %ls", exe,
	    args);
	memset(&si, 0, sizeof(si));
	si.cb = sizeof(si);
	si.dwFlags = STARTF_USESTDHANDLES;
	si.hStdInput = GetStdHandle(STD_INPUT_HANDLE);
	si.hStdOutput = out;
	si.hStdError = out;
	if (!CreateProcessW(exe, cmd, NULL, NULL, TRUE, 0, NULL, scratch, &si,
	    &pi))
		die("cannot start %ls: error %lu", exe, GetLastError());
	CloseHandle(out);
	CloseHandle(pi.hThread);
	return pi.hProcess;
}

/*
 * The control pipe: one request line, one reply line.
 */

/* The daemon's status reply, or NULL when it does not answer. */
static char *
status_call(void)
{
	static const char	 req[] = "{\"cmd\":\"status\"}\n";
	char			*buf;
	HANDLE			 h;
	DWORD			 n, len = 0;
	BOOL			 ok;

	h = CreateFileW(pipe_name, GENERIC_READ | GENERIC_WRITE, 0, NULL,
	    OPEN_EXISTING, 0, NULL);
	if (h == INVALID_HANDLE_VALUE && GetLastError() == ERROR_PIPE_BUSY &&
	    WaitNamedPipeW(pipe_name, STATUS_MS))
		h = CreateFileW(pipe_name, GENERIC_READ | GENERIC_WRITE, 0,
		    NULL, OPEN_EXISTING, 0, NULL);
	if (h == INVALID_HANDLE_VALUE)
		return NULL;
	if (!WriteFile(h, req, sizeof(req) - 1, &n, NULL) ||
	    n != sizeof(req) - 1) {
		CloseHandle(h);
		return NULL;
	}
	if ((buf = malloc(REPLY_BYTES)) == NULL)
		die("out of memory");
	for (;;) {
		ok = ReadFile(h, buf + len, REPLY_BYTES - 1 - len, &n, NULL);
		if (!ok && GetLastError() != ERROR_MORE_DATA)
			break;		/* the daemon closed its end */
		len += n;
		if (n == 0 || len + 1 >= REPLY_BYTES ||
		    memchr(buf, '\n', len) != NULL)
			break;
	}
	CloseHandle(h);
	buf[len] = '\0';
	if (strstr(buf, "\"ok\":true") == NULL) {
		free(buf);
		return NULL;
	}
	return buf;
}

static double
reply_num(const char *reply, const char *key)
{
	const char	*p = strstr(reply, key);

	return p != NULL ? strtod(p + strlen(key), NULL) : -1;
}

static bool
status_get(struct status *st)
{
	char		*r;
	const char	*p;

	if ((r = status_call()) == NULL)
		return false;
	st->running = strstr(r, "\"pass_running\":true") != NULL;
	st->pending = strstr(r, "\"pass_pending\":true") != NULL;
	st->passes = reply_num(r, "\"passes\":");
	st->triggers = reply_num(r, "\"triggers\":");
	st->ended_ms_ago = reply_num(r, "\"ended_ms_ago\":");
	st->nrpt[0] = '\0';
	if ((p = strstr(r, NRPT_STATE)) != NULL)
		sscanf(p + strlen(NRPT_STATE), "%31[^\"]", st->nrpt);
	free(r);
	return true;
}

static void
daemon_alive(void)
{
	DWORD	 code;

	if (WaitForSingleObject(daemon_proc, 0) == WAIT_OBJECT_0) {
		GetExitCodeProcess(daemon_proc, &code);
		CloseHandle(daemon_proc);
		daemon_proc = NULL;
		die("the daemon exited (code %lu); see %ls", code, daemon_log);
	}
}

/* Waits until the daemon has run a pass, has nothing running or pending,
 * and its last pass ended at least quiet_ms ago. */
static void
daemon_wait_quiet(struct status *st, DWORD quiet_ms, DWORD timeout_ms)
{
	double	 end = now_ms() + timeout_ms, left;

	for (;;) {
		daemon_alive();
		if (status_get(st) && st->passes >= 1 && !st->running &&
		    !st->pending) {
			if (st->ended_ms_ago >= quiet_ms)
				return;
			left = quiet_ms - st->ended_ms_ago;
		} else
			left = 20;
		if (now_ms() > end)
			die("the daemon was not idle for %lu ms within %lu ms "
			    "(see %ls)", quiet_ms, timeout_ms, daemon_log);
		Sleep(left > 20 ? (DWORD)left : 20);
	}
}

/*
 * The rule table.
 */

static HKEY
table_open(void)
{
	HKEY	 k;
	LSTATUS	 rc;

	rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, LOCAL_TABLE, 0,
	    KEY_READ | KEY_NOTIFY | REG_VIEW, &k);
	if (rc != ERROR_SUCCESS)
		die("cannot open HKLM\\%ls: error %ld", LOCAL_TABLE, (long)rc);
	return k;
}

/* Reads every value of table\id into r. */
static void
rule_read(HKEY table, const wchar_t *id, struct rule *r)
{
	HKEY		 k;
	DWORD		 i, nlen, len;
	struct value	*v;
	LSTATUS		 rc;

	memset(r, 0, sizeof(*r));
	wcsncpy(r->id, id, ID_CHARS - 1);
	if ((rc = RegOpenKeyExW(table, id, 0, KEY_READ | REG_VIEW, &k)) !=
	    ERROR_SUCCESS)
		die("cannot open rule %ls: error %ld", id, (long)rc);
	for (i = 0; i < VALUES_MAX; i++) {
		v = &r->v[i];
		nlen = sizeof(v->name) / sizeof(v->name[0]);
		len = sizeof(v->data);
		rc = RegEnumValueW(k, i, v->name, &nlen, NULL, &v->type,
		    v->data, &len);
		if (rc == ERROR_NO_MORE_ITEMS)
			break;
		if (rc != ERROR_SUCCESS)
			die("cannot read rule %ls: error %ld", id, (long)rc);
		v->len = len;
	}
	RegCloseKey(k);
	if ((r->n = i) == 0)
		die("rule %ls has no values", id);
}

/* True when table\id holds every value of r, alike. */
static bool
rule_matches(HKEY table, const wchar_t *id, const struct rule *r)
{
	static BYTE	 data[VALUE_BYTES];
	HKEY		 k;
	DWORD		 i, type, len;
	bool		 same = true;

	if (RegOpenKeyExW(table, id, 0, KEY_READ | REG_VIEW, &k) !=
	    ERROR_SUCCESS)
		return false;
	for (i = 0; i < r->n && same; i++) {
		len = sizeof(data);
		same = RegQueryValueExW(k, r->v[i].name, NULL, &type, data,
		    &len) == ERROR_SUCCESS && type == r->v[i].type &&
		    len == r->v[i].len && memcmp(data, r->v[i].data, len) == 0;
	}
	RegCloseKey(k);
	return same;
}

/* True when a key of the table holds the rule again. */
static bool
rule_back(HKEY table, const struct rule *r)
{
	wchar_t	 id[ID_CHARS];
	DWORD	 i, len;

	for (i = 0;; i++) {
		len = ID_CHARS;
		if (RegEnumKeyExW(table, i, id, &len, NULL, NULL, NULL,
		    NULL) != ERROR_SUCCESS)
			return false;
		if (rule_matches(table, id, r))
			return true;
	}
}

/* The first ID of the daemon's record that names a key of the table. */
static void
victim_pick(HKEY table, wchar_t *id)
{
	static wchar_t	 ids[8192];
	DWORD		 len = sizeof(ids) - 2 * sizeof(wchar_t), type;
	const wchar_t	*p;
	HKEY		 k;
	LSTATUS		 rc;

	memset(ids, 0, sizeof(ids));
	rc = RegGetValueW(HKEY_LOCAL_MACHINE, RECORD_KEY, RECORD_VALUE,
	    RRF_RT_REG_MULTI_SZ | RRF_SUBKEY_WOW6464KEY, &type, ids, &len);
	if (rc != ERROR_SUCCESS)
		die("cannot read the record HKLM\\%ls\\%ls: error %ld",
		    RECORD_KEY, RECORD_VALUE, (long)rc);
	for (p = ids; *p != L'\0'; p += wcslen(p) + 1) {
		if (wcslen(p) >= ID_CHARS)
			continue;
		if (RegOpenKeyExW(table, p, 0, KEY_READ | REG_VIEW, &k) ==
		    ERROR_SUCCESS) {
			RegCloseKey(k);
			wcscpy(id, p);
			return;
		}
	}
	die("no recorded rule of the daemon is in the table");
}

/*
 * Samples.
 */

static int
cmp_double(const void *a, const void *b)
{
	double	 x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Nearest rank over sorted samples. */
static double
rank(const double *s, size_t n, double q)
{
	size_t	 r = (size_t)(q * (double)n + 0.999999);

	return s[r == 0 ? 0 : r - 1];
}

static double
median(const double *s, size_t n)
{
	return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

static const char *
wine_version(void)
{
	const char	*(*fn)(void);
	HMODULE		 ntdll = GetModuleHandleW(L"ntdll.dll");

	if (ntdll == NULL)
		return NULL;
	fn = (const char *(*)(void))(void (*)(void))GetProcAddress(ntdll,
	    "wine_get_version");
	return fn != NULL ? fn() : NULL;
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_win --json FILE [--runs N] "
	    "[--daemon PATH] [--keep]\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	const char	*daemon = DW_BENCH_DAEMON, *wine;
	wchar_t		 exe[PATH_CHARS], tmp[MAX_PATH], args[3 * PATH_CHARS];
	wchar_t		 log[PATH_CHARS], cfgpath[PATH_CHARS], id[ID_CHARS];
	char		 cfg[512], desired[1024], *p;
	double		*ms, t0, left, sorted_med;
	struct status	 st0, st;
	HANDLE		 ev, once;
	HKEY		 table;
	DWORD		 code, tag;
	LSTATUS		 rc;
	FILE		*f;
	bool		 keep = false, back;
	int		 runs = WIPE_RUNS, i;
	unsigned	 r;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 && i + 1 < argc)
			json_path = argv[++i];
		else if (strcmp(argv[i], "--runs") == 0 && i + 1 < argc)
			runs = atoi(argv[++i]);
		else if (strcmp(argv[i], "--daemon") == 0 && i + 1 < argc)
			daemon = argv[++i];
		else if (strcmp(argv[i], "--keep") == 0)
			keep = true;
		else
			usage();
	}
	if (json_path == NULL || runs < 1)
		usage();
	QueryPerformanceFrequency(&qpc_hz);
	path_w(json_path, json_w, PATH_CHARS);
	path_w(daemon, exe, PATH_CHARS);
	if (GetFileAttributesW(exe) == INVALID_FILE_ATTRIBUTES)
		die("no daemon at %ls", exe);
	if ((ms = calloc((size_t)runs, sizeof(*ms))) == NULL)
		die("out of memory");

	/* A scratch folder: config, desired state, hosts file, log. */
	/* Wine hands out the same process IDs again: count up to a free
	 * name, which names the control pipe too. */
	GetTempPathW(MAX_PATH, tmp);
	for (tag = GetCurrentProcessId();; tag++) {
		_snwprintf(scratch, PATH_CHARS, L"%lsdwbench-win-%lu", tmp,
		    tag);
		if (CreateDirectoryW(scratch, NULL))
			break;
		if (GetLastError() != ERROR_ALREADY_EXISTS)
			die("cannot create %ls: error %lu", scratch,
			    GetLastError());
	}
	_snwprintf(pipe_name, 64, L"\\\\.\\pipe\\dwbench-%lu", tag);
	_snwprintf(daemon_log, PATH_CHARS, L"%ls\\daemon.log", scratch);
	_snwprintf(cfgpath, PATH_CHARS, L"%ls\\config.json", scratch);
	snprintf(cfg, sizeof(cfg), "{\"desired_state\":\"desired.json\","
	    "\"hosts\":{\"path\":\"hosts\"},"
	    "\"control\":{\"socket\":\"\\\\\\\\.\\\\pipe\\\\dwbench-%lu\"},"
	    "\"nrpt\":{\"record_key\":\"SOFTWARE\\\\DnsWatchdogBench\"},"
	    "\"daemon\":{\"fight_rewrites\":63}}\n", tag);
	put_file(scratch, L"config.json", cfg);
	p = desired + snprintf(desired, sizeof(desired),
	    "{\"version\":1,\"nrpt\":[");
	for (r = 0; r < WIPE_RULES; r++)
		p += snprintf(p, sizeof(desired) - (size_t)(p - desired),
		    "%s{\"domains\":[\"bench%u.example\"],\"servers\":"
		    "[\"100.100.100.%u\"]}", r > 0 ? "," : "", r, r + 1);
	snprintf(p, sizeof(desired) - (size_t)(p - desired), "]}\n");
	put_file(scratch, L"desired.json", desired);
	put_file(scratch, L"hosts", "127.0.0.1 localhost\r\n");

	note("wipe_nrpt: %d deletes of a rule key, default settings, "
	    "%lu ms quiet before each", runs, (unsigned long)QUIET_MS);
	_snwprintf(args, sizeof(args) / sizeof(args[0]),
	    L"--config \"%ls\" run", cfgpath);
	daemon_proc = spawn(exe, args, daemon_log);
	daemon_wait_quiet(&st0, QUIET_MS, START_MS);
	if (strcmp(st0.nrpt, "in_sync") != 0)
		die("the daemon's rules are %s, not in_sync (see %ls)",
		    st0.nrpt, daemon_log);
	table = table_open();
	if ((ev = CreateEventW(NULL, FALSE, FALSE, NULL)) == NULL)
		die("CreateEvent: error %lu", GetLastError());

	for (i = 0; i < runs; i++) {
		/* A quiet period first: the wipe is news. */
		if (i > 0)
			daemon_wait_quiet(&st, QUIET_MS, RESTORE_MS);
		victim_pick(table, id);
		rule_read(table, id, &victim);
		ResetEvent(ev);
		if ((rc = RegNotifyChangeKeyValue(table, TRUE, WATCH_FILTER,
		    ev, TRUE)) != ERROR_SUCCESS)
			die("RegNotifyChangeKeyValue: error %ld", (long)rc);
		t0 = now_ms();
		if ((rc = RegDeleteKeyExW(table, victim.id, REG_VIEW, 0)) !=
		    ERROR_SUCCESS)
			die("cannot delete rule %ls: error %ld", victim.id,
			    (long)rc);
		back = false;
		while (!back) {
			left = t0 + RESTORE_MS - now_ms();
			if (left <= 0 || WaitForSingleObject(ev,
			    (DWORD)left + 1) != WAIT_OBJECT_0)
				die("rule %ls not restored in %lu ms (see %ls)",
				    victim.id, (unsigned long)RESTORE_MS,
				    daemon_log);
			/* Watch again before looking: nothing slips between
			 * the look and the next wait. */
			if ((rc = RegNotifyChangeKeyValue(table, TRUE,
			    WATCH_FILTER, ev, TRUE)) != ERROR_SUCCESS)
				die("RegNotifyChangeKeyValue: error %ld",
				    (long)rc);
			if ((back = rule_back(table, &victim)))
				ms[i] = now_ms() - t0;
		}
	}
	daemon_wait_quiet(&st, QUIET_MS, RESTORE_MS);
	RegCloseKey(table);
	CloseHandle(ev);

	/* Stop it, and take its rules out with the daemon's own `once`. */
	TerminateProcess(daemon_proc, 0);
	WaitForSingleObject(daemon_proc, INFINITE);
	CloseHandle(daemon_proc);
	daemon_proc = NULL;
	put_file(scratch, L"desired.json", "{\"version\":1}\n");
	_snwprintf(args, sizeof(args) / sizeof(args[0]),
	    L"--config \"%ls\" once", cfgpath);
	_snwprintf(log, PATH_CHARS, L"%ls\\once.log", scratch);
	once = spawn(exe, args, log);
	if (WaitForSingleObject(once, START_MS) != WAIT_OBJECT_0 ||
	    !GetExitCodeProcess(once, &code) || code != 0)
		die("`once` with no rules did not end cleanly (see %ls)", log);
	CloseHandle(once);
	RegDeleteKeyExW(HKEY_LOCAL_MACHINE, RECORD_KEY, REG_VIEW, 0);

	if ((f = _wfopen(json_w, L"w")) == NULL)
		die("cannot write %s", json_path);
	fprintf(f, "{\"restored\":{\"runs\":%d,\"samples_ms\":[", runs);
	for (i = 0; i < runs; i++)
		fprintf(f, "%s%.3f", i > 0 ? "," : "", ms[i]);
	qsort(ms, (size_t)runs, sizeof(*ms), cmp_double);
	sorted_med = median(ms, (size_t)runs);
	fprintf(f, "],\"min_ms\":%.3f,\"median_ms\":%.3f,\"p90_ms\":%.3f,"
	    "\"max_ms\":%.3f},", ms[0], sorted_med,
	    rank(ms, (size_t)runs, 0.9), ms[runs - 1]);
	fprintf(f, "\"target_ms\":%.0f,\"target_met\":%s,", WIPE_TARGET_MS,
	    sorted_med <= WIPE_TARGET_MS ? "true" : "false");
	fprintf(f, "\"quiet_ms\":%lu,\"rules\":%u,\"passes\":%.0f,"
	    "\"triggers\":%.0f,\"wine\":", (unsigned long)QUIET_MS, WIPE_RULES,
	    st.passes - st0.passes, st.triggers - st0.triggers);
	if ((wine = wine_version()) != NULL)
		json_string(f, wine);
	else
		fputs("null", f);
	fputs("}\n", f);
	if (fclose(f) != 0)
		die("cannot write %s", json_path);
	note("wipe_nrpt: median %.2f ms, p90 %.2f ms, max %.2f ms",
	    sorted_med, rank(ms, (size_t)runs, 0.9), ms[runs - 1]);
	free(ms);
	if (!keep)
		rm_dir(scratch);
	return 0;
}
