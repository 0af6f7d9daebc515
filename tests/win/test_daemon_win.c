/*
 * The Windows daemon end to end, under Wine: the whole daemon runs
 * in-process on a thread (daemon_run), against the real Wine registry,
 * real files and its named pipe. Other processes act on the machine
 * (reg.exe deletes rules, creates the group-policy table) and a VPN
 * reconnect is driven through the IP Helper seam, since Wine never calls
 * those callbacks itself.
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

static int
fx_setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));
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
	snprintf(cfg, sizeof(cfg), "{\"desired_state\":\"desired.json\","
	    "\"hosts\":{\"path\":\"hosts\"},\"trace\":{\"jsonl\":\"trace.jsonl\"},"
	    "\"control\":{\"socket\":\"%s\"},"
	    "\"nrpt\":{\"record_key\":\"%s\"},"
	    "\"backoff\":{\"jitter\":0,\"deadline_ms\":10000},"
	    "\"daemon\":{\"quiet_ms\":200,\"max_delay_ms\":1000},"
	    "\"vpn\":{\"adapter_prefixes\":[\"%s\"],\"settle_ms\":[]}}",
	    "\\\\\\\\.\\\\pipe\\\\dnswatchdog-e2e", "SOFTWARE\\\\DnsWatchdogE2E",
	    fx->vpn_desc);
	tu_put(fx->config, cfg, strlen(cfg));
	tu_put(fx->desired, desired, strlen(desired));
	tu_put(fx->hosts, "127.0.0.1 localhost\r\n", 21);
	reg_wipe(LOCAL_TABLE);
	reg_wipe(GP_TABLE);
	reg_wipe(RECORD_KEY);
	fx->thread = CreateThread(NULL, 0, daemon_thread, fx, 0, NULL);
	assert_non_null(fx->thread);
	*state = fx;
	wait_passes(0);
	return 0;
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

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define T(f) cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(e2e_vpn_reconnect_triggers_a_pass),
		T(e2e_rules_deleted_by_another_process_are_restored),
		T(e2e_hosts_locked_across_a_reconnect_is_restored_after_release),
		T(e2e_gp_table_created_by_another_process_gets_our_rules),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
