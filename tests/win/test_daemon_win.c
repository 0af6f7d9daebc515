/*
 * The Windows daemon end to end, under Wine: the whole daemon runs
 * in-process on a thread (daemon_run), against the real Wine registry,
 * real files and its named pipe. Other processes act on the machine
 * (reg.exe deletes rules, creates the group-policy table) and a VPN
 * reconnect is driven through the IP Helper seam, since Wine never calls
 * those callbacks itself. What the daemon tells the DNS client goes
 * through the dnsnotify seam, which records the calls; a group-policy
 * notification is the event RegisterGPNotification would signal, set
 * here (Wine never does).
 */
#include <winsock2.h>
#include <ws2ipdef.h>
#include <windows.h>
#include <iphlpapi.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "control_client.h"
#include "daemon.h"
#include "dnsnotify_win.h"
#include "sources_win_os.h"
#include "testutil.h"
#include "win/winrun.h"

#define LOCAL_TABLE \
	"SYSTEM\\CurrentControlSet\\Services\\Dnscache\\Parameters\\DnsPolicyConfig"
#define GP_TABLE \
	"SOFTWARE\\Policies\\Microsoft\\Windows NT\\DNSClient\\DnsPolicyConfig"
#define RECORD_KEY	"SOFTWARE\\DnsWatchdogE2E"
#define PIPE		"\\\\.\\pipe\\dnswatchdog-e2e"
#define DEADLINE_MS	10000u

struct fx {
	char	 dir[MAX_PATH];
	char	 config[MAX_PATH];
	char	 desired[MAX_PATH];
	char	 hosts[MAX_PATH];
	char	 trace[MAX_PATH];
	char	 out[MAX_PATH];
	HANDLE	 thread;
	char	 vpn_desc[256];	/* a real adapter, named a VPN by the config */
	ULONG	 vpn_index;
	LONG	 started;	/* the hooks daemon_run was given */
	LONG	 stop_asked;
	LONG	 stop_steps;
	LONG	 early_steps;	/* steps reported before the stop was asked */
	LONG	 steps_at_return;
};

/* The calls the daemon made through the dnsnotify seam, in order, from
 * its thread: "paramchange publish flush flush ...". */
static SRWLOCK		 calls_lock = SRWLOCK_INIT;
static char		 calls[4096];
static unsigned long	 ret_publish;	/* what the publication returns */
static bool		 publish_signals; /* as Windows may: back to us */

static unsigned long
call_log(const char *name, unsigned long rc)
{
	size_t	 used;

	AcquireSRWLockExclusive(&calls_lock);
	used = strlen(calls);
	snprintf(calls + used, sizeof(calls) - used, "%s%s", used > 0 ?
	    " " : "", name);
	ReleaseSRWLockExclusive(&calls_lock);
	return rc;
}

/* How many times name was called so far. */
static size_t
calls_count(const char *name)
{
	size_t		 n = 0, len = strlen(name);
	const char	*p;

	AcquireSRWLockShared(&calls_lock);
	for (p = calls; (p = strstr(p, name)) != NULL; p += len)
		if ((p == calls || p[-1] == ' ') &&
		    (p[len] == ' ' || p[len] == '\0'))
			n++;
	ReleaseSRWLockShared(&calls_lock);
	return n;
}

static void
calls_copy(char *buf, size_t len)
{
	AcquireSRWLockShared(&calls_lock);
	snprintf(buf, len, "%s", calls);
	ReleaseSRWLockShared(&calls_lock);
}

static unsigned long
hook_paramchange(void)
{
	return call_log("paramchange", 0);
}

static unsigned long
hook_flush(void)
{
	return call_log("flush", 0);
}

/* The machine-policy event the daemon's sources wait on. */
static void
policy_signal(void)
{
	struct sources	*src = sources_win_current();

	/* From the daemon's thread too: no assert there; a lost signal
	 * shows as a counter that never moves. */
	if (src != NULL)
		SetEvent(sources_win_policy_event(src));
}

static unsigned long
hook_publish(void)
{
	if (publish_signals && ret_publish == 0)
		policy_signal();
	return call_log("publish", ret_publish);
}

static unsigned long
hook_refresh(void)
{
	return call_log("refresh", 0);
}

static const struct dnsnotify_hooks notify_hooks = {
	hook_paramchange, hook_flush, hook_publish, hook_refresh
};

static void
reg_wipe(const char *path)
{
	RegDeleteTreeA(HKEY_LOCAL_MACHINE, path);
	RegDeleteKeyA(HKEY_LOCAL_MACHINE, path);
}

/* Subkey count of HKLM\path (0 when it does not exist). */
static DWORD
reg_subkeys(const char *path, char *first, size_t firstlen)
{
	HKEY	 k;
	DWORD	 n = 0, len = (DWORD)firstlen;

	if (RegOpenKeyExA(HKEY_LOCAL_MACHINE, path, 0, KEY_READ |
	    KEY_WOW64_64KEY, &k) != ERROR_SUCCESS)
		return 0;
	RegQueryInfoKeyA(k, NULL, NULL, NULL, &n, NULL, NULL, NULL, NULL,
	    NULL, NULL, NULL);
	if (first != NULL && n > 0)
		RegEnumKeyExA(k, 0, first, &len, NULL, NULL, NULL, NULL);
	RegCloseKey(k);
	return n;
}

static void
fx_started(void *ctx)
{
	struct fx	*fx = ctx;

	InterlockedIncrement(&fx->started);
}

/* A step of the stop: counted only once a stop was asked for, and only
 * while daemon_run has not returned (teardown checks both). */
static void
fx_stopping(void *ctx)
{
	struct fx	*fx = ctx;

	if (InterlockedCompareExchange(&fx->stop_asked, 0, 0) == 0)
		InterlockedIncrement(&fx->early_steps);
	InterlockedIncrement(&fx->stop_steps);
}

static DWORD WINAPI
daemon_thread(void *arg)
{
	struct fx			*fx = arg;
	const struct daemon_hooks	 hooks = { fx_started, fx_stopping, fx };
	struct dwerr			 err;
	int				 rc;

	rc = daemon_run(fx->config, &hooks, &err);
	fx->steps_at_return = InterlockedCompareExchange(&fx->stop_steps, 0,
	    0);
	return rc == 0 ? 0 : 1;
}

static size_t
trace_count(struct fx *fx, const char *needle)
{
	char	*all = tu_slurp(fx->trace, NULL), *p;
	size_t	 n = 0;

	for (p = all; p != NULL && (p = strstr(p, needle)) != NULL; p++)
		n++;
	free(all);
	return n;
}

/* The daemon's pass count, or -1 when it does not answer. */
static long
status_passes(void)
{
	struct dwerr	 err;
	char		*reply = NULL, *p;
	long		 n = -1;

	if (control_call(PIPE, "status", 2000, &reply, &err) != 0)
		return -1;
	if ((p = strstr(reply, "\"passes\":")) != NULL &&
	    strstr(reply, "\"pass_running\":false") != NULL &&
	    strstr(reply, "\"pass_pending\":false") != NULL)
		n = atol(p + 9);
	free(reply);
	return n;
}

/* A number among the daemon's status counters, or -1. */
static long
status_counter(const char *name)
{
	struct dwerr	 err;
	char		*reply = NULL, *p, key[64];
	long		 n = -1;

	if (control_call(PIPE, "status", 2000, &reply, &err) != 0)
		return -1;
	snprintf(key, sizeof(key), "\"%s\":", name);
	if ((p = strstr(reply, key)) != NULL)
		n = atol(p + strlen(key));
	free(reply);
	return n;
}

/* Waits until status counter name reaches at least want. */
static void
wait_counter(const char *name, long want)
{
	DWORD	 end = GetTickCount() + DEADLINE_MS;

	while (GetTickCount() < end) {
		if (status_counter(name) >= want)
			return;
		Sleep(20);
	}
	fail_msg("status counter %s did not reach %ld", name, want);
}

/* Waits until the daemon is idle after more than `after` passes; returns
 * the count then. */
static long
wait_passes(long after)
{
	DWORD	 end = GetTickCount() + DEADLINE_MS;
	long	 n;

	while (GetTickCount() < end) {
		if ((n = status_passes()) > after)
			return n;
		Sleep(20);
	}
	fail_msg("the daemon did not finish a pass after pass %ld", after);
	return -1;
}

static bool
hosts_has(struct fx *fx, const char *needle)
{
	char	*s = tu_slurp(fx->hosts, NULL);
	bool	 yes = s != NULL && strstr(s, needle) != NULL;

	free(s);
	return yes;
}

/* A real adapter to call a VPN: Wine's loopback, by its description. */
static void
pick_vpn_adapter(struct fx *fx)
{
	IP_ADAPTER_ADDRESSES	*a, *list;
	ULONG			 size = 64 * 1024;

	list = malloc(size);
	assert_int_equal(GetAdaptersAddresses(AF_UNSPEC, 0, NULL, list, &size),
	    NO_ERROR);
	for (a = list; a != NULL; a = a->Next)
		if (a->IfType == IF_TYPE_SOFTWARE_LOOPBACK ||
		    a->Next == NULL)
			break;
	assert_non_null(a);
	WideCharToMultiByte(CP_UTF8, 0, a->Description, -1, fx->vpn_desc,
	    sizeof(fx->vpn_desc), NULL, NULL);
	fx->vpn_index = a->IfIndex;
	free(list);
}

/* Starts the daemon; gp: a group-policy table exists (empty) first;
 * fight_rewrites: the daemon's limit (0: its default). */
static int
fx_start(void **state, bool gp, unsigned fight_rewrites)
{
	struct fx	*fx = calloc(1, sizeof(*fx));
	char		 fight[64] = "";
	char		 tmp[MAX_PATH], cfg[2048];
	const char	*desired = "{\"version\":1,"
	    "\"nrpt\":[{\"domains\":[\"coder\"],\"servers\":[\"100.100.100.100\"]}],"
	    "\"hosts\":[{\"address\":\"100.64.0.7\",\"names\":[\"build.coder\"]}]}";

	GetTempPathA(sizeof(tmp), tmp);
	snprintf(fx->dir, sizeof(fx->dir), "%sdw-e2e-XXXXXX", tmp);
	tu_mkdtemp(fx->dir);
	snprintf(fx->config, sizeof(fx->config), "%s\\config.json", fx->dir);
	snprintf(fx->desired, sizeof(fx->desired), "%s\\desired.json", fx->dir);
	snprintf(fx->hosts, sizeof(fx->hosts), "%s\\hosts", fx->dir);
	snprintf(fx->trace, sizeof(fx->trace), "%s\\trace.jsonl", fx->dir);
	snprintf(fx->out, sizeof(fx->out), "%s\\reg.txt", fx->dir);
	pick_vpn_adapter(fx);
	if (fight_rewrites > 0)
		snprintf(fight, sizeof(fight), ",\"fight_rewrites\":%u",
		    fight_rewrites);
	snprintf(cfg, sizeof(cfg), "{\"desired_state\":\"desired.json\","
	    "\"hosts\":{\"path\":\"hosts\"},\"trace\":{\"jsonl\":\"trace.jsonl\"},"
	    "\"control\":{\"socket\":\"%s\"},"
	    "\"nrpt\":{\"record_key\":\"%s\"},"
	    "\"backoff\":{\"jitter\":0,\"deadline_ms\":10000},"
	    "\"daemon\":{\"quiet_ms\":200,\"max_delay_ms\":1000%s},"
	    "\"vpn\":{\"adapter_prefixes\":[\"%s\"],\"settle_ms\":[]}}",
	    "\\\\\\\\.\\\\pipe\\\\dnswatchdog-e2e",
	    "SOFTWARE\\\\DnsWatchdogE2E", fight, fx->vpn_desc);
	tu_put(fx->config, cfg, strlen(cfg));
	tu_put(fx->desired, desired, strlen(desired));
	tu_put(fx->hosts, "127.0.0.1 localhost\r\n", 21);
	reg_wipe(LOCAL_TABLE);
	reg_wipe(GP_TABLE);
	reg_wipe(RECORD_KEY);
	if (gp) {
		HKEY	 k;

		assert_int_equal(RegCreateKeyExA(HKEY_LOCAL_MACHINE, GP_TABLE,
		    0, NULL, 0, KEY_ALL_ACCESS | KEY_WOW64_64KEY, NULL, &k,
		    NULL), ERROR_SUCCESS);
		RegCloseKey(k);
	}
	calls[0] = '\0';
	dnsnotify_set_hooks(&notify_hooks);
	fx->thread = CreateThread(NULL, 0, daemon_thread, fx, 0, NULL);
	assert_non_null(fx->thread);
	*state = fx;
	wait_passes(0);
	return 0;
}

static int
fx_setup(void **state)
{
	ret_publish = 0;
	publish_signals = false;
	return fx_start(state, false, 0);
}

/* GP placement; our publication comes back as a policy notification. */
static int
fx_setup_gp_own(void **state)
{
	ret_publish = 0;
	publish_signals = true;
	return fx_start(state, true, 0);
}

/* GP placement without WNF (so forced refreshes), fights at 2 repairs. */
static int
fx_setup_gp_fight(void **state)
{
	ret_publish = ERROR_PROC_NOT_FOUND;
	publish_signals = false;
	return fx_start(state, true, 1);
}

static int
fx_teardown(void **state)
{
	struct fx	*fx = *state;
	DWORD		 code = 1;

	InterlockedExchange(&fx->stop_asked, 1);
	daemon_request(DAEMON_REQ_STOP);
	assert_int_equal(WaitForSingleObject(fx->thread, DEADLINE_MS),
	    WAIT_OBJECT_0);
	GetExitCodeThread(fx->thread, &code);
	CloseHandle(fx->thread);
	dnsnotify_set_hooks(NULL);
	assert_int_equal(code, 0);
	/* Up once; then each step of the stop said it was done (what a
	 * service turns into STOP_PENDING checkpoints), all after the
	 * request and before daemon_run returned. */
	assert_int_equal(fx->started, 1);
	assert_int_equal(fx->early_steps, 0);
	assert_int_equal(fx->steps_at_return, 4);
	assert_int_equal(fx->stop_steps, 4);
	reg_wipe(LOCAL_TABLE);
	reg_wipe(GP_TABLE);
	reg_wipe(RECORD_KEY);
	tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

/* A VPN adapter coming back, as Windows would report it. */
static void
vpn_reconnect(struct fx *fx)
{
	MIB_IPINTERFACE_ROW	 row;
	struct sources		*src = sources_win_current();

	assert_non_null(src);
	memset(&row, 0, sizeof(row));
	row.Family = AF_INET;
	row.InterfaceIndex = fx->vpn_index;
	sources_win_on_interface(src, &row, MibDeleteInstance);
	sources_win_on_interface(src, &row, MibAddInstance);
}

static void
e2e_vpn_reconnect_triggers_a_pass(void **state)
{
	struct fx	*fx = *state;

	long		 before;

	assert_true(hosts_has(fx, "100.64.0.7 build.coder\r\n"));
	assert_int_equal(reg_subkeys(LOCAL_TABLE, NULL, 0), 1);
	before = wait_passes(0);
	vpn_reconnect(fx);
	wait_passes(before);
	assert_true(trace_count(fx, "\"trigger\":\"vpn\"") >= 1);
}

static void
e2e_rules_deleted_by_another_process_are_restored(void **state)
{
	struct fx	*fx = *state;
	char		 id[128], args[512];
	DWORD		 t0, end;

	assert_int_equal(reg_subkeys(LOCAL_TABLE, id, sizeof(id)), 1);
	/* Another process (reg.exe) deletes our rule. */
	snprintf(args, sizeof(args), "delete \"HKLM\\%s\\%s\" /f", LOCAL_TABLE,
	    id);
	t0 = GetTickCount();
	assert_int_equal(winrun("C:\\windows\\system32\\reg.exe", args,
	    fx->out, NULL), 0);
	end = GetTickCount() + DEADLINE_MS;
	while (reg_subkeys(LOCAL_TABLE, NULL, 0) == 0 && GetTickCount() < end)
		Sleep(10);
	assert_int_equal(reg_subkeys(LOCAL_TABLE, NULL, 0), 1);
	print_message("rule deleted by reg.exe: restored after %lu ms\n",
	    GetTickCount() - t0);
	assert_true(trace_count(fx, "\"trigger\":\"nrpt\"") >= 1);
	assert_true(trace_count(fx, "\"event\":\"NrptRuleWritten\"") >= 2);
	/* The first pass's write of the hosts file was known as ours: no
	 * drift pass after it (one could have taken the nrpt trigger in). */
	assert_int_equal(trace_count(fx, "\"trigger\":\"drift\""), 0);
}

struct hold {
	HANDLE	 h;
	DWORD	 ms;
};

static DWORD WINAPI
hold_release(void *arg)
{
	struct hold	*hd = arg;

	Sleep(hd->ms);
	CloseHandle(hd->h);
	return 0;
}

static void
e2e_hosts_locked_across_a_reconnect_is_restored_after_release(void **state)
{
	struct fx	*fx = *state;
	struct hold	 hd;
	HANDLE		 th;
	wchar_t		 w[MAX_PATH];
	DWORD		 t0, end;

	/* The reconnect rewrote the hosts file without our section, and a
	 * scanner holds it (sharing nothing) for two seconds. */
	tu_put(fx->hosts, "127.0.0.1 localhost\r\n", 21);
	MultiByteToWideChar(CP_UTF8, 0, fx->hosts, -1, w, MAX_PATH);
	hd.h = CreateFileW(w, GENERIC_READ, 0, NULL, OPEN_EXISTING, 0, NULL);
	assert_true(hd.h != INVALID_HANDLE_VALUE);
	hd.ms = 2000;
	t0 = GetTickCount();
	th = CreateThread(NULL, 0, hold_release, &hd, 0, NULL);
	vpn_reconnect(fx);
	end = GetTickCount() + DEADLINE_MS;
	while (!hosts_has(fx, "100.64.0.7 build.coder\r\n") &&
	    GetTickCount() < end)
		Sleep(20);
	WaitForSingleObject(th, INFINITE);
	CloseHandle(th);
	assert_true(hosts_has(fx, "100.64.0.7 build.coder\r\n"));
	assert_true(GetTickCount() - t0 >= 2000);
	print_message("hosts held 2000 ms across a reconnect: restored after "
	    "%lu ms, %lu failed attempts traced\n", GetTickCount() - t0,
	    (unsigned long)trace_count(fx, "\"event\":\"HostsWriteAttempt\""));
	assert_true(trace_count(fx, "\"error_name\":\"ERROR_SHARING_VIOLATION\"")
	    >= 1);
}

static void
e2e_gp_table_created_by_another_process_gets_our_rules(void **state)
{
	struct fx	*fx = *state;
	char		 args[512], foreign[600];
	DWORD		 end;

	/* A GPO arrives with a rule of its own: Windows now ignores every
	 * local rule, so ours must be mirrored into the GP table. */
	snprintf(foreign, sizeof(foreign), "%s\\{11111111-2222-3333-4444-555555555555}",
	    GP_TABLE);
	snprintf(args, sizeof(args), "add \"HKLM\\%s\" /v GenericDNSServers "
	    "/t REG_SZ /d 10.9.0.53 /f", foreign);
	assert_int_equal(winrun("C:\\windows\\system32\\reg.exe", args,
	    fx->out, NULL), 0);
	end = GetTickCount() + DEADLINE_MS;
	while (reg_subkeys(GP_TABLE, NULL, 0) < 2 && GetTickCount() < end)
		Sleep(20);
	assert_int_equal(reg_subkeys(GP_TABLE, NULL, 0), 2);
	assert_int_equal(reg_subkeys(LOCAL_TABLE, NULL, 0), 1);
}

/* Waits until name was called n times. */
static void
wait_calls(const char *name, size_t n)
{
	DWORD	 end = GetTickCount() + DEADLINE_MS;

	while (calls_count(name) < n && GetTickCount() < end)
		Sleep(10);
	assert_int_equal(calls_count(name), n);
}

static void
e2e_nrpt_flushes_after_paramchange_and_a_hosts_write_flushes(void **state)
{
	struct fx	*fx = *state;
	char		 got[sizeof(calls)];
	long		 before;

	/* The first pass: the rules (re-read, then flush), then the hosts
	 * file (flush). Local placement: no policy step. */
	before = wait_passes(0);
	calls_copy(got, sizeof(got));
	assert_string_equal(got, "paramchange flush flush");

	/* A pass that changes nothing tells nobody. */
	vpn_reconnect(fx);
	wait_passes(before);
	calls_copy(got, sizeof(got));
	assert_string_equal(got, "paramchange flush flush");

	/* Another program drops our hosts lines: the repair flushes, so a
	 * negative answer cached meanwhile does not outlive it. */
	tu_put(fx->hosts, "127.0.0.1 localhost\r\n", 21);
	wait_calls("flush", 3);
	assert_true(hosts_has(fx, "100.64.0.7 build.coder\r\n"));
	calls_copy(got, sizeof(got));
	assert_string_equal(got, "paramchange flush flush flush");
	assert_int_equal(calls_count("publish"), 0);
	assert_int_equal(calls_count("refresh"), 0);
}

static void
e2e_own_gp_notification_does_not_cause_another_write(void **state)
{
	struct fx	*fx = *state;
	char		 got[sizeof(calls)];

	/* The first pass wrote both tables and published the change; the
	 * publication came back as a policy notification, known as ours. */
	wait_counter("own_policy_ignored", 1);
	wait_passes(0);
	calls_copy(got, sizeof(got));
	assert_string_equal(got, "paramchange publish flush flush");
	assert_int_equal(reg_subkeys(GP_TABLE, NULL, 0), 1);
	assert_int_equal(trace_count(fx, "\"event\":\"NrptRuleWritten\""), 1);
	assert_int_equal(trace_count(fx, "\"trigger\":\"policy\""), 0);

	/* A refresh that is not ours starts a pass; the rules are right, so
	 * it writes and publishes nothing: no loop either way. */
	policy_signal();
	{
		DWORD	 end = GetTickCount() + DEADLINE_MS;

		while (trace_count(fx, "\"trigger\":\"policy\"") == 0 &&
		    GetTickCount() < end)
			Sleep(20);
	}
	wait_passes(0);
	assert_true(trace_count(fx, "\"trigger\":\"policy\"") >= 1);
	assert_int_equal(status_counter("own_policy_ignored"), 1);
	assert_int_equal(trace_count(fx, "\"event\":\"NrptRuleWritten\""), 1);
	assert_int_equal(calls_count("publish"), 1);
	assert_int_equal(calls_count("refresh"), 0);
}

/* Another program (a GP refresh) removes our rule from the GP table and
 * policy is said to be applied; waits for the repair. */
static void
gp_strip(struct fx *fx)
{
	char	 id[128], path[512];
	DWORD	 end;

	(void)fx;
	assert_int_equal(reg_subkeys(GP_TABLE, id, sizeof(id)), 1);
	snprintf(path, sizeof(path), "%s\\%s", GP_TABLE, id);
	reg_wipe(path);
	assert_int_equal(reg_subkeys(GP_TABLE, NULL, 0), 0);
	policy_signal();
	end = GetTickCount() + DEADLINE_MS;
	while (reg_subkeys(GP_TABLE, NULL, 0) == 0 && GetTickCount() < end)
		Sleep(10);
	assert_int_equal(reg_subkeys(GP_TABLE, NULL, 0), 1);
	wait_passes(0);
}

static void
e2e_gp_refresh_that_keeps_stripping_our_rules_is_a_fight(void **state)
{
	struct fx	*fx = *state;
	struct dwerr	 err;
	char		 got[sizeof(calls)], *reply = NULL;

	/* Without WNF the policy change is a forced refresh, after the
	 * publication failed. */
	wait_passes(0);
	calls_copy(got, sizeof(got));
	assert_string_equal(got, "paramchange publish refresh flush flush");

	gp_strip(fx);
	assert_int_equal(trace_count(fx, "\"event\":\"Fight\""), 0);
	gp_strip(fx);
	assert_int_equal(trace_count(fx, "\"event\":\"Fight\""), 1);
	assert_int_equal(trace_count(fx,
	    "\"artifact\":\"nrpt\",\"rewrites\""), 1);	/* the Fight */
	assert_int_equal(status_counter("own_policy_ignored"), 0);
	assert_int_equal(control_call(PIPE, "status", 2000, &reply, &err), 0);
	assert_non_null(strstr(reply, "\"active\":true"));
	assert_non_null(strstr(reply, "\"artifact\":\"nrpt\""));
	free(reply);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(e2e_vpn_reconnect_triggers_a_pass),
		T(e2e_rules_deleted_by_another_process_are_restored),
		T(e2e_hosts_locked_across_a_reconnect_is_restored_after_release),
		T(e2e_gp_table_created_by_another_process_gets_our_rules),
		T(e2e_nrpt_flushes_after_paramchange_and_a_hosts_write_flushes),
		cmocka_unit_test_setup_teardown(
		    e2e_own_gp_notification_does_not_cause_another_write,
		    fx_setup_gp_own, fx_teardown),
		cmocka_unit_test_setup_teardown(
		    e2e_gp_refresh_that_keeps_stripping_our_rules_is_a_fight,
		    fx_setup_gp_fight, fx_teardown),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
