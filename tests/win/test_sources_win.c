/*
 * Tests for runtime/sources_win.c and sources.c under Wine: the real
 * registry and folder watches through the real loop, and the IP Helper
 * bridge driven through its seam (sources_win_os.h), since Wine accepts
 * the IP Helper registrations but never calls back. The seam calls come
 * from a thread of the test, as Windows' come from its thread pool, and
 * name a real adapter of GetAdaptersAddresses (the loopback), made a VPN
 * by the test's configuration.
 *
 * Nothing sleeps: each wait runs the loop until the awaited event arrives,
 * under a deadline timer that fails the test. "Not reported" is checked by
 * ordering where the watch keeps order (a folder's changes, the queue
 * behind the seam): the ignored change happens first, then one that must
 * be reported and that the same watch delivers after it. A registry watch
 * is one-shot and says nothing of what changed, so the test that registry
 * changes beside a missing table stay silent runs the loop for a quiet
 * while instead (a false pass is possible on a slow machine, a false
 * failure is not).
 *
 * The registry tests change both NRPT tables of the prefix's registry:
 * they start and end by deleting them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "loop.h"
#include "sources.h"
#include "sources_win_os.h"

#define EVENTS_MAX	2048u
#define DETAIL_BYTES	160u
#define PATH_BYTES	512u
#define DEADLINE_MS	10000u
#define FREE_MAX_MS	5000u	/* sources_free must be done well before */
#define QUIET_MS	300u	/* a change unreported this long stays so */
#define ROUTE_CALLS	1000u
#define FLOOD_CALLS	1000u	/* more than the queue holds */
#define UNKNOWN_IF	4242u	/* an interface index no adapter has */

#define PARAMS		"SYSTEM\\CurrentControlSet\\Services\\Dnscache\\" \
			"Parameters"
#define LOCAL		PARAMS "\\DnsPolicyConfig"
#define RULE		LOCAL "\\{5EED0000-0000-4000-8000-0000000000A1}"
#define POLICIES	"SOFTWARE\\Policies"
#define GP_MS		POLICIES "\\Microsoft"
#define GP_NT		GP_MS "\\Windows NT"
#define GP_CLIENT	GP_NT "\\DNSClient"
#define GP_TABLE	GP_CLIENT "\\DnsPolicyConfig"
#define VIEW		KEY_WOW64_64KEY

struct rec {
	enum source_kind kind;
	char		 detail[DETAIL_BYTES];
};

struct fx {
	struct loop		*loop;
	struct loop_timer	*deadline;
	struct sources		*src;
	char			 dir[PATH_BYTES];
	char			 path[4][PATH_BYTES];
	unsigned		 next_path;
	unsigned		 mask;		/* kinds recorded: 1 << kind */

	NET_IFINDEX		 lo;		/* the loopback adapter */
	char			 lo_desc[DETAIL_BYTES];
	const char		*vpn[1];

	struct rec		 ev[EVENTS_MAX];
	size_t			 n;
	size_t			 cursor;	/* events before it were awaited */
	bool			 waiting;
	enum source_kind	 want_kind;
	const char		*want_detail;
	bool			 timed_out;
	bool			 free_in_cb;	/* the callback frees the sources */
};

/*
 * The loop side.
 */

static void
fx_record(void *arg, enum source_kind kind, const char *detail)
{
	struct fx	*fx = arg;

	if ((fx->mask & (1u << kind)) == 0)
		return;
	if (fx->n < EVENTS_MAX) {
		fx->ev[fx->n].kind = kind;
		snprintf(fx->ev[fx->n].detail, DETAIL_BYTES, "%s", detail);
		fx->n++;
	}
	if (fx->free_in_cb) {
		fx->free_in_cb = false;
		sources_free(fx->src);
		fx->src = NULL;
		loop_stop(fx->loop);
		return;
	}
	if (fx->waiting && kind == fx->want_kind &&
	    strcmp(detail, fx->want_detail) == 0)
		loop_stop(fx->loop);
}

static void
fx_deadline(void *arg)
{
	struct fx	*fx = arg;

	fx->timed_out = true;
	loop_stop(fx->loop);
}

static void
fx_print(const struct fx *fx)
{
	size_t	 i;

	for (i = 0; i < fx->n; i++)
		print_message("  event %lu: %s \"%s\"\n", (unsigned long)i,
		    sources_kind_name(fx->ev[i].kind), fx->ev[i].detail);
}

/* Runs the loop until kind "detail" arrives (or has arrived) after the
 * events already awaited; fails after DEADLINE_MS. Returns its index and
 * moves the cursor past it. */
static size_t
wait_for(struct fx *fx, enum source_kind kind, const char *detail)
{
	size_t	 i;

	for (;;) {
		for (i = fx->cursor; i < fx->n; i++) {
			if (fx->ev[i].kind == kind &&
			    strcmp(fx->ev[i].detail, detail) == 0) {
				fx->cursor = i + 1;
				return i;
			}
		}
		if (fx->timed_out) {
			fx_print(fx);
			fail_msg("no %s \"%s\" within %u ms",
			    sources_kind_name(kind), detail, DEADLINE_MS);
		}
		fx->waiting = true;
		fx->want_kind = kind;
		fx->want_detail = detail;
		loop_timer_schedule(fx->deadline, DEADLINE_MS);
		assert_int_equal(loop_run(fx->loop), 0);
		loop_timer_cancel(fx->deadline);
		fx->waiting = false;
	}
}

/* wait_for, and nothing else was reported first. */
static void
wait_next(struct fx *fx, enum source_kind kind, const char *detail)
{
	size_t	 from = fx->cursor, at = wait_for(fx, kind, detail);

	if (at != from) {
		fx_print(fx);
		fail_msg("%lu other event(s) before %s \"%s\"",
		    (unsigned long)(at - from),
		    sources_kind_name(kind), detail);
	}
}

/* Runs the loop for ms, whatever comes. */
static void
run_for(struct fx *fx, unsigned ms)
{
	loop_timer_schedule(fx->deadline, ms);
	assert_int_equal(loop_run(fx->loop), 0);
	fx->timed_out = false;
}

/* How many events of kind "detail" arrived so far. */
static size_t
count(const struct fx *fx, enum source_kind kind, const char *detail)
{
	size_t	 i, c = 0;

	for (i = 0; i < fx->n; i++)
		if (fx->ev[i].kind == kind &&
		    (detail == NULL || strcmp(fx->ev[i].detail, detail) == 0))
			c++;
	return c;
}

/*
 * Files and keys.
 */

/* "<temp folder>\<rel>", in one of a few rotating buffers. */
static const char *
fx_at(struct fx *fx, const char *rel)
{
	char	*p = fx->path[fx->next_path++ % 4u];

	snprintf(p, PATH_BYTES, "%s\\%s", fx->dir, rel);
	return p;
}

static void
put(const char *path, const char *s, DWORD how)
{
	HANDLE	 h;
	DWORD	 n;

	h = CreateFileA(path, how == OPEN_EXISTING ? FILE_APPEND_DATA :
	    GENERIC_WRITE, FILE_SHARE_READ, NULL, how, FILE_ATTRIBUTE_NORMAL,
	    NULL);
	if (h == INVALID_HANDLE_VALUE)
		fail_msg("%s: cannot open (error %lu)", path, GetLastError());
	assert_true(WriteFile(h, s, (DWORD)strlen(s), &n, NULL));
	assert_true(CloseHandle(h));
}

static void
rm_tree(const char *dir)
{
	WIN32_FIND_DATAA	 fd;
	HANDLE			 h;
	char			 pat[PATH_BYTES], p[PATH_BYTES * 2];

	snprintf(pat, sizeof(pat), "%s\\*", dir);
	if ((h = FindFirstFileA(pat, &fd)) != INVALID_HANDLE_VALUE) {
		do {
			if (strcmp(fd.cFileName, ".") == 0 ||
			    strcmp(fd.cFileName, "..") == 0)
				continue;
			snprintf(p, sizeof(p), "%s\\%s", dir, fd.cFileName);
			if (fd.dwFileAttributes & FILE_ATTRIBUTE_DIRECTORY)
				rm_tree(p);
			else
				(void)DeleteFileA(p);
		} while (FindNextFileA(h, &fd));
		FindClose(h);
	}
	(void)RemoveDirectoryA(dir);
}

static void
reg_create(const char *path)
{
	HKEY	 k;
	LONG	 rc;

	rc = RegCreateKeyExA(HKEY_LOCAL_MACHINE, path, 0, NULL, 0,
	    KEY_ALL_ACCESS | VIEW, NULL, &k, NULL);
	if (rc != ERROR_SUCCESS)
		fail_msg("cannot create HKLM\\%s (error %ld)", path, rc);
	RegCloseKey(k);
}

static void
reg_set(const char *path, const char *name, DWORD v)
{
	HKEY	 k;
	LONG	 rc;

	rc = RegOpenKeyExA(HKEY_LOCAL_MACHINE, path, 0, KEY_SET_VALUE | VIEW,
	    &k);
	if (rc != ERROR_SUCCESS)
		fail_msg("cannot open HKLM\\%s (error %ld)", path, rc);
	assert_int_equal(RegSetValueExA(k, name, 0, REG_DWORD,
	    (const BYTE *)&v, sizeof(v)), ERROR_SUCCESS);
	RegCloseKey(k);
}

static void
reg_unset(const char *path, const char *name)
{
	HKEY	 k;

	if (RegOpenKeyExA(HKEY_LOCAL_MACHINE, path, 0, KEY_SET_VALUE | VIEW,
	    &k) != ERROR_SUCCESS)
		return;
	(void)RegDeleteValueA(k, name);
	RegCloseKey(k);
}

static void
reg_delete(const char *path)
{
	LONG	 rc = RegDeleteKeyExA(HKEY_LOCAL_MACHINE, path, VIEW, 0);

	if (rc != ERROR_SUCCESS)
		fail_msg("cannot delete HKLM\\%s (error %ld)", path, rc);
}

/* Leaves no NRPT table, and no empty policy keys above the GP one. */
static void
reg_clean(void)
{
	(void)RegDeleteTreeA(HKEY_LOCAL_MACHINE, LOCAL);
	(void)RegDeleteTreeA(HKEY_LOCAL_MACHINE, GP_CLIENT);
	/* Refused while they hold other keys. */
	(void)RegDeleteKeyExA(HKEY_LOCAL_MACHINE, GP_NT, VIEW, 0);
	(void)RegDeleteKeyExA(HKEY_LOCAL_MACHINE, GP_MS, VIEW, 0);
}

/* The loopback adapter: its interface index and Description. */
static bool
find_loopback(struct fx *fx)
{
	IP_ADAPTER_ADDRESSES	*list, *p;
	ULONG			 size = 64u << 10;
	bool			 found = false;

	list = malloc(size);
	assert_non_null(list);
	if (GetAdaptersAddresses(AF_UNSPEC, GAA_FLAG_SKIP_UNICAST |
	    GAA_FLAG_SKIP_ANYCAST | GAA_FLAG_SKIP_MULTICAST |
	    GAA_FLAG_SKIP_DNS_SERVER, NULL, list, &size) != NO_ERROR) {
		free(list);
		return false;
	}
	for (p = list; p != NULL && !found; p = p->Next) {
		if (p->IfType != IF_TYPE_SOFTWARE_LOOPBACK ||
		    p->OperStatus != IfOperStatusUp || p->Description == NULL ||
		    p->Description[0] == L'\0')
			continue;
		fx->lo = p->IfIndex != 0 ? p->IfIndex : p->Ipv6IfIndex;
		WideCharToMultiByte(CP_UTF8, 0, p->Description, -1,
		    fx->lo_desc, sizeof(fx->lo_desc), NULL, NULL);
		found = true;
	}
	free(list);
	return found;
}

/*
 * The seam: a thread of ours calls the callbacks as Windows would.
 */

enum call_what { CALL_INTERFACE, CALL_ADDRESS, CALL_ROUTE };

struct call {
	enum call_what		 what;
	MIB_NOTIFICATION_TYPE	 type;
	NET_IFINDEX		 ifindex;
	unsigned		 times;
	unsigned		 step;	/* added to ifindex each time */
};

struct calls {
	struct sources		*src;
	const struct call	*c;
	size_t			 n;
};

static DWORD WINAPI
calls_thread(LPVOID arg)
{
	const struct calls	*cs = arg;
	size_t			 i;
	unsigned		 t;

	for (i = 0; i < cs->n; i++) {
		const struct call *c = &cs->c[i];

		for (t = 0; t < (c->times == 0 ? 1 : c->times); t++) {
			/* Windows' rows live on its stack, for the call only. */
			MIB_IPINTERFACE_ROW	 ir;
			MIB_UNICASTIPADDRESS_ROW ar;
			MIB_IPFORWARD_ROW2	 rr;
			NET_IFINDEX		 ifx = c->ifindex + t * c->step;

			switch (c->what) {
			case CALL_INTERFACE:
				memset(&ir, 0, sizeof(ir));
				ir.Family = AF_INET;
				ir.InterfaceIndex = ifx;
				sources_win_on_interface(cs->src, &ir, c->type);
				break;
			case CALL_ADDRESS:
				memset(&ar, 0, sizeof(ar));
				ar.Address.si_family = AF_INET;
				ar.InterfaceIndex = ifx;
				sources_win_on_address(cs->src, &ar, c->type);
				break;
			case CALL_ROUTE:
				memset(&rr, 0, sizeof(rr));
				rr.InterfaceIndex = ifx;
				rr.DestinationPrefix.Prefix.si_family = AF_INET;
				sources_win_on_route(cs->src, &rr, c->type);
				break;
			}
		}
	}
	return 0;
}

/* Makes the calls from another thread and returns once it has made them
 * all (the loop is not running meanwhile, so they queue up). */
static void
call_from_thread(struct fx *fx, const struct call *c, size_t n)
{
	struct calls	 cs = { fx->src, c, n };
	HANDLE		 t;

	t = CreateThread(NULL, 0, calls_thread, &cs, 0, NULL);
	assert_non_null(t);
	assert_int_equal(WaitForSingleObject(t, INFINITE), WAIT_OBJECT_0);
	CloseHandle(t);
}

/*
 * Fixtures.
 */

static int
fx_setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));
	struct dwerr	 err;
	char		 tmp[MAX_PATH];
	unsigned	 k;

	assert_non_null(fx);
	assert_true(GetTempPathA(sizeof(tmp), tmp) > 0);
	for (k = 0; k < 100; k++) {
		snprintf(fx->dir, sizeof(fx->dir), "%sdw-sources-%lu-%u", tmp,
		    GetCurrentProcessId(), k);
		if (CreateDirectoryA(fx->dir, NULL))
			break;
	}
	assert_true(k < 100);
	fx->mask = ~0u;
	fx->loop = loop_new(&err);
	assert_non_null(fx->loop);
	fx->deadline = loop_timer_new(fx->loop, fx_deadline, fx);
	assert_non_null(fx->deadline);
	reg_clean();
	/* There on every Windows; not in a fresh Wine prefix. */
	reg_create(PARAMS);
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fx	*fx = *state;

	sources_free(fx->src);
	loop_timer_free(fx->deadline);
	loop_free(fx->loop);
	rm_tree(fx->dir);
	reg_clean();
	free(fx);
	return 0;
}

static void
fx_start(struct fx *fx, const char *hosts, const char *desired,
    const char *vpn)
{
	struct sources_config	 cfg = { hosts, desired, fx->vpn, 0, NULL };
	struct dwerr		 err;

	fx->vpn[0] = vpn;
	cfg.nvpn = vpn != NULL ? 1 : 0;
	fx->src = sources_new(fx->loop, &cfg, fx_record, fx, &err);
	if (fx->src == NULL)
		fail_msg("sources_new: %s", err.msg);
}

/*
 * Registry.
 */

static void
nrpt_local_table_seen_through_create_change_delete_recreate(void **state)
{
	struct fx	*fx = *state;

	fx->mask = 1u << SOURCE_NRPT;
	/* The table is absent: its parent is watched for it. */
	fx_start(fx, NULL, NULL, NULL);

	reg_create(LOCAL);
	wait_next(fx, SOURCE_NRPT, "local table");
	reg_set(LOCAL, "Probe", 1);
	wait_next(fx, SOURCE_NRPT, "local table");
	reg_create(RULE);
	wait_next(fx, SOURCE_NRPT, "local table");
	reg_set(RULE, "ConfigOptions", 8);
	wait_next(fx, SOURCE_NRPT, "local table");
	reg_delete(RULE);
	wait_next(fx, SOURCE_NRPT, "local table");

	/* The watched key itself goes, and comes back. */
	reg_delete(LOCAL);
	wait_next(fx, SOURCE_NRPT, "local table");
	reg_create(LOCAL);
	wait_next(fx, SOURCE_NRPT, "local table");
	reg_set(LOCAL, "Probe", 2);
	wait_next(fx, SOURCE_NRPT, "local table");
	reg_create(RULE);
	wait_next(fx, SOURCE_NRPT, "local table");
	assert_int_equal(count(fx, SOURCE_NRPT, "group policy"), 0);
}

static void
nrpt_gp_table_appearing_from_nothing_is_seen(void **state)
{
	struct fx	*fx = *state;

	fx->mask = 1u << SOURCE_NRPT;
	/* No DNSClient key (in Wine, not even Policies\Microsoft): the
	 * nearest ancestor is watched. */
	fx_start(fx, NULL, NULL, NULL);
	reg_create(GP_TABLE);
	wait_next(fx, SOURCE_NRPT, "group policy");
}

static void
nrpt_gp_table_created_and_deleted_under_dnsclient(void **state)
{
	struct fx	*fx = *state;

	fx->mask = 1u << SOURCE_NRPT;
	reg_create(GP_CLIENT);
	fx_start(fx, NULL, NULL, NULL);

	reg_create(GP_TABLE);
	wait_next(fx, SOURCE_NRPT, "group policy");
	reg_set(GP_CLIENT, "EnableMulticast", 0);
	wait_next(fx, SOURCE_NRPT, "group policy");
	reg_delete(GP_TABLE);
	wait_next(fx, SOURCE_NRPT, "group policy");
	/* The watched key goes: seen through its parent's watch. */
	reg_delete(GP_CLIENT);
	wait_next(fx, SOURCE_NRPT, "group policy");
	reg_create(GP_TABLE);
	wait_for(fx, SOURCE_NRPT, "group policy");
	assert_int_equal(count(fx, SOURCE_NRPT, "local table"), 0);
}

static void
nrpt_other_keys_under_an_ancestor_are_not_reported(void **state)
{
	struct fx	*fx = *state;

	fx->mask = 1u << SOURCE_NRPT;
	fx_start(fx, NULL, NULL, NULL);
	/* Beside the missing table, under the watched parent. Nothing marks
	 * the moment the watch has taken them in, so the loop runs a while
	 * before the table comes (else the two would make one event). */
	reg_create(PARAMS "\\DwSourcesSibling");
	reg_set(PARAMS, "DwSourcesProbe", 1);
	run_for(fx, QUIET_MS);
	reg_delete(PARAMS "\\DwSourcesSibling");
	run_for(fx, QUIET_MS);
	assert_int_equal(fx->n, 0);
	reg_create(LOCAL);
	wait_next(fx, SOURCE_NRPT, "local table");
	reg_unset(PARAMS, "DwSourcesProbe");
}

/*
 * Folders.
 */

static void
hosts_changes_reported_and_other_names_ignored(void **state)
{
	struct fx	*fx = *state;
	size_t		 from, at, i;
	char		 hosts[PATH_BYTES], desired[PATH_BYTES];

	snprintf(hosts, sizeof(hosts), "%s", fx_at(fx, "hosts"));
	snprintf(desired, sizeof(desired), "%s", fx_at(fx, "desired.json"));
	put(hosts, "127.0.0.1 localhost\r\n", CREATE_ALWAYS);
	put(desired, "{}\n", CREATE_ALWAYS);
	fx->mask = (1u << SOURCE_HOSTS) | (1u << SOURCE_DESIRED);
	fx_start(fx, hosts, desired, NULL);

	/* Ignored: another file, and a temp file of ours. */
	put(fx_at(fx, "other.txt"), "x\r\n", CREATE_ALWAYS);
	put(fx_at(fx, "other.txt"), "y\r\n", OPEN_EXISTING);
	put(fx_at(fx, ".hosts.dnswatchdog-x"), "z\r\n", CREATE_ALWAYS);
	put(fx_at(fx, ".hosts.dnswatchdog-x"), "z\r\n", OPEN_EXISTING);
	assert_true(DeleteFileA(fx_at(fx, ".hosts.dnswatchdog-x")));
	/* Reported: a rename over the hosts file. */
	put(fx_at(fx, "hosts.new"), "127.0.0.2 other\r\n", CREATE_ALWAYS);
	assert_true(MoveFileExA(fx_at(fx, "hosts.new"), hosts,
	    MOVEFILE_REPLACE_EXISTING));
	from = fx->cursor;
	at = wait_for(fx, SOURCE_HOSTS, "replaced");
	/* A rename over a file may first say that the old one went. */
	for (i = from; i < at; i++)
		if (fx->ev[i].kind != SOURCE_HOSTS ||
		    strcmp(fx->ev[i].detail, "deleted") != 0) {
			fx_print(fx);
			fail_msg("event %lu came from an ignored change",
			    (unsigned long)i);
		}

	/* Reported: a write into the file. */
	put(hosts, "10.0.0.1 more\r\n", OPEN_EXISTING);
	wait_for(fx, SOURCE_HOSTS, "modified");
	assert_int_equal(count(fx, SOURCE_DESIRED, NULL), 0);

	/* The desired-state file, in the same folder. */
	put(desired, "{ }\n", OPEN_EXISTING);
	from = fx->cursor;
	at = wait_for(fx, SOURCE_DESIRED, "modified");
	for (i = from; i < at; i++)
		assert_int_equal(fx->ev[i].kind, SOURCE_HOSTS);
}

static void
hosts_folder_made_later_is_watched_after_the_next_event(void **state)
{
	struct fx	*fx = *state;
	struct call	 route = { CALL_ROUTE, MibAddInstance, 1, 1, 0 };
	char		 sub[PATH_BYTES], hosts[PATH_BYTES];

	snprintf(sub, sizeof(sub), "%s", fx_at(fx, "etc"));
	snprintf(hosts, sizeof(hosts), "%s\\hosts", sub);
	fx->mask = 1u << SOURCE_HOSTS;
	fx_start(fx, hosts, NULL, NULL);
	assert_true(CreateDirectoryA(sub, NULL));
	put(hosts, "127.0.0.1 localhost\r\n", CREATE_ALWAYS);
	/* Any event of any source tries the missing watch again. */
	call_from_thread(fx, &route, 1);
	wait_next(fx, SOURCE_HOSTS, "created");
	put(hosts, "10.0.0.1 more\r\n", OPEN_EXISTING);
	wait_next(fx, SOURCE_HOSTS, "modified");
}

/*
 * The IP Helper seam.
 */

static void
ip_vpn_adapter_up_and_address_through_the_seam(void **state)
{
	struct fx	*fx = *state;
	char		 up[DETAIL_BYTES + 8], addr[DETAIL_BYTES + 16];
	char		 gone[DETAIL_BYTES + 16];

	if (!find_loopback(fx))
		skip();
	fx->mask = (1u << SOURCE_VPN) | (1u << SOURCE_NETWORK);
	fx_start(fx, NULL, NULL, fx->lo_desc);
	{
		const struct call c[] = {
			/* Known and still up: nothing to say. */
			{ CALL_INTERFACE, MibParameterNotification, fx->lo, 0, 0 },
			{ CALL_INTERFACE, MibAddInstance, fx->lo, 0, 0 },
			{ CALL_ADDRESS, MibAddInstance, fx->lo, 0, 0 },
			{ CALL_ADDRESS, MibDeleteInstance, fx->lo, 0, 0 },
			{ CALL_ADDRESS, MibAddInstance, UNKNOWN_IF, 0, 0 },
			{ CALL_INTERFACE, MibDeleteInstance, UNKNOWN_IF, 0, 0 },
			/* Not a change: ignored. */
			{ CALL_ADDRESS, MibInitialNotification, fx->lo, 0, 0 },
		};

		call_from_thread(fx, c, sizeof(c) / sizeof(c[0]));
	}
	snprintf(up, sizeof(up), "%s up", fx->lo_desc);
	snprintf(addr, sizeof(addr), "%s address", fx->lo_desc);
	snprintf(gone, sizeof(gone), "address %s", fx->lo_desc);
	wait_next(fx, SOURCE_VPN, up);
	wait_next(fx, SOURCE_VPN, addr);
	wait_next(fx, SOURCE_NETWORK, gone);
	wait_next(fx, SOURCE_NETWORK, "address if4242");
	wait_next(fx, SOURCE_NETWORK, "interface if4242 gone");
	assert_int_equal(fx->n, 5);
}

static void
ip_adapter_not_matching_a_prefix_is_network(void **state)
{
	struct fx	*fx = *state;
	char		 up[DETAIL_BYTES + 16], addr[DETAIL_BYTES + 16];

	if (!find_loopback(fx))
		skip();
	fx->mask = (1u << SOURCE_VPN) | (1u << SOURCE_NETWORK);
	fx_start(fx, NULL, NULL, "PANGP Virtual Ethernet Adapter");
	{
		const struct call c[] = {
			{ CALL_INTERFACE, MibAddInstance, fx->lo, 0, 0 },
			{ CALL_ADDRESS, MibAddInstance, fx->lo, 0, 0 },
		};

		call_from_thread(fx, c, 2);
	}
	snprintf(up, sizeof(up), "interface %s up", fx->lo_desc);
	snprintf(addr, sizeof(addr), "address %s", fx->lo_desc);
	wait_next(fx, SOURCE_NETWORK, up);
	wait_next(fx, SOURCE_NETWORK, addr);
	assert_int_equal(count(fx, SOURCE_VPN, NULL), 0);
}

static void
ip_route_storm_is_one_event(void **state)
{
	struct fx	*fx = *state;
	const struct call storm[] = {
		{ CALL_ROUTE, MibAddInstance, 1, ROUTE_CALLS / 2, 0 },
		{ CALL_ROUTE, MibDeleteInstance, 1, ROUTE_CALLS / 2, 0 },
	};
	const struct call fence = { CALL_ADDRESS, MibAddInstance, UNKNOWN_IF,
	    0, 0 };

	fx->mask = 1u << SOURCE_NETWORK;
	fx_start(fx, NULL, NULL, NULL);
	call_from_thread(fx, storm, 2);
	wait_next(fx, SOURCE_NETWORK, "route");
	/* Anything the storm still caused comes before this. */
	call_from_thread(fx, &fence, 1);
	wait_next(fx, SOURCE_NETWORK, "address if4242");
	assert_int_equal(count(fx, SOURCE_NETWORK, "route"), 1);
}

static void
ip_queue_overflow_is_reported(void **state)
{
	struct fx	*fx = *state;
	const struct call flood = { CALL_ADDRESS, MibDeleteInstance, 10000,
	    FLOOD_CALLS, 1 };

	fx->mask = 1u << SOURCE_NETWORK;
	fx_start(fx, NULL, NULL, NULL);
	call_from_thread(fx, &flood, 1);
	wait_for(fx, SOURCE_NETWORK, "overflow");
	/* The records that fit are reported after it, the rest dropped. */
	wait_for(fx, SOURCE_NETWORK, "address if10000");
	assert_true(count(fx, SOURCE_NETWORK, NULL) < FLOOD_CALLS);
	assert_int_equal(count(fx, SOURCE_NETWORK, "overflow"), 1);
}

/*
 * Teardown.
 */

static void
free_with_everything_registered_returns(void **state)
{
	struct fx	*fx = *state;
	const struct call c[] = {
		{ CALL_ROUTE, MibAddInstance, 1, 10, 0 },
		{ CALL_ADDRESS, MibAddInstance, UNKNOWN_IF, 0, 0 },
	};
	char		 hosts[PATH_BYTES];
	ULONGLONG	 t0;

	snprintf(hosts, sizeof(hosts), "%s", fx_at(fx, "hosts"));
	put(hosts, "127.0.0.1 localhost\r\n", CREATE_ALWAYS);
	reg_create(LOCAL);
	fx_start(fx, hosts, fx_at(fx, "desired.json"), "lo");
	/* Queued and woken, never drained; a registry watch fired too. */
	call_from_thread(fx, c, 2);
	reg_set(LOCAL, "Probe", 3);
	t0 = GetTickCount64();
	sources_free(fx->src);
	fx->src = NULL;
	assert_true(GetTickCount64() - t0 < FREE_MAX_MS);
	/* The loop runs on without it. */
	run_for(fx, QUIET_MS);
	assert_int_equal(fx->n, 0);
}

static void
free_from_the_callback_stops_the_rest(void **state)
{
	struct fx	*fx = *state;
	const struct call c[] = {
		{ CALL_ADDRESS, MibAddInstance, UNKNOWN_IF, 0, 0 },
		{ CALL_ADDRESS, MibAddInstance, UNKNOWN_IF + 1, 0, 0 },
		{ CALL_ROUTE, MibAddInstance, 1, 3, 0 },
	};

	fx->mask = 1u << SOURCE_NETWORK;
	reg_create(LOCAL);
	fx_start(fx, NULL, NULL, NULL);
	call_from_thread(fx, c, 3);
	fx->free_in_cb = true;
	loop_timer_schedule(fx->deadline, DEADLINE_MS);
	assert_int_equal(loop_run(fx->loop), 0);
	loop_timer_cancel(fx->deadline);
	assert_false(fx->timed_out);
	assert_null(fx->src);
	/* Only the first of the queued events reached the callback. */
	assert_int_equal(fx->n, 1);
	assert_string_equal(fx->ev[0].detail, "address if4242");
}

/* Follow mode: the tunnel's record key, watched before it exists. */
#define RECORD		"SOFTWARE\\DwTest Sources Tunnel"

static void
nrpt_tunnel_record_changes_are_seen(void **state)
{
	struct fx		*fx = *state;
	struct sources_config	 cfg = { NULL, NULL, fx->vpn, 0, RECORD };
	struct dwerr		 err;
	HKEY			 k;

	(void)RegDeleteTreeA(HKEY_LOCAL_MACHINE, RECORD);
	(void)RegDeleteKeyExA(HKEY_LOCAL_MACHINE, RECORD, VIEW, 0);
	fx->mask = 1u << SOURCE_NRPT;
	fx->src = sources_new(fx->loop, &cfg, fx_record, fx, &err);
	if (fx->src == NULL)
		fail_msg("sources_new: %s", err.msg);
	/* The tunnel starts: its key, then its record of rule IDs. */
	reg_create(RECORD);
	wait_next(fx, SOURCE_NRPT, "tunnel record");
	reg_set(RECORD, "NRPTRuleIDs", 1);
	wait_next(fx, SOURCE_NRPT, "tunnel record");
	/* It removes its rules on purpose: the value goes. */
	assert_int_equal(RegOpenKeyExA(HKEY_LOCAL_MACHINE, RECORD, 0,
	    KEY_SET_VALUE | VIEW, &k), ERROR_SUCCESS);
	assert_int_equal(RegDeleteValueA(k, "NRPTRuleIDs"), ERROR_SUCCESS);
	RegCloseKey(k);
	wait_next(fx, SOURCE_NRPT, "tunnel record");
	reg_delete(RECORD);
	wait_next(fx, SOURCE_NRPT, "tunnel record");
	assert_int_equal(count(fx, SOURCE_NRPT, "local table"), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(
		    nrpt_local_table_seen_through_create_change_delete_recreate,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    nrpt_gp_table_appearing_from_nothing_is_seen,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    nrpt_tunnel_record_changes_are_seen,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    nrpt_gp_table_created_and_deleted_under_dnsclient,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    nrpt_other_keys_under_an_ancestor_are_not_reported,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    hosts_changes_reported_and_other_names_ignored,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    hosts_folder_made_later_is_watched_after_the_next_event,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    ip_vpn_adapter_up_and_address_through_the_seam,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    ip_adapter_not_matching_a_prefix_is_network,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(ip_route_storm_is_one_event,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(ip_queue_overflow_is_reported,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    free_with_everything_registered_returns,
		    fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    free_from_the_callback_stops_the_rest,
		    fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
