/*
 * service: the Windows service "DnsWatchdog" (see service.h).
 *
 * `service install` registers the service (automatic start, LocalSystem,
 * after Dnscache, restarted on failure), its Event Log source and its
 * private folder; `uninstall` stops it, removes what it manages unless
 * asked to keep it, and unregisters it. Under the SCM, `run` becomes the
 * service: ServiceMain refuses to start when a file that decides what
 * SYSTEM writes is writable by others, then runs the daemon, whose loop
 * thread reports RUNNING; the control handler (on the dispatcher thread)
 * only turns controls into daemon_request calls.
 */
/* windows.h first: service.h's SERVICE_DESCRIPTION (a string) would
 * otherwise replace winsvc.h's type of that name. */
#include <windows.h>
#include <tlhelp32.h>

#include "service.h"

#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include "acl.h"
#include "config.h"
#include "daemon.h"
#include "desired.h"
#include "dwstr.h"
#include "log.h"
#include "platform.h"
#include "reconcile.h"
#include "trace.h"
#include "trace_etw.h"
#include "winutf.h"

#define SERVICE_WNAME		L"" SERVICE_NAME
#define SERVICE_EVENTLOG_KEY	L"SYSTEM\\CurrentControlSet\\Services\\" \
	L"EventLog\\Application\\" SERVICE_NAME
#define SERVICE_DEPENDENCIES	L"Dnscache\0"	/* a list: ends in two NULs */
#define SERVICE_EVENT_TYPES	7u	/* error, warning, information */
#define SERVICE_START_HINT_MS	10000u	/* START_PENDING wait hint */
#define SERVICE_STOP_HINT_MS	5000u	/* STOP_PENDING wait hint */
#define SERVICE_PRESHUTDOWN_MS	10000u	/* granted at shutdown to stop */
#define SERVICE_RESET_S		86400u	/* failures are forgotten after a day */
#define SERVICE_WAIT_MS		30000u	/* start and stop wait this long */
#define SERVICE_POLL_MS		200u
#define SERVICE_PATH_CHARS	32768u	/* the longest Win32 path, in wchar_t */

/* Exit codes of the commands. */
#define SERVICE_EXIT_OK		0
#define SERVICE_EXIT_FAILED	1
#define SERVICE_EXIT_UNSAFE	4	/* others may change what it would trust */
#define SERVICE_EXIT_USAGE	64

/* The service's own exit codes (ERROR_SERVICE_SPECIFIC_ERROR), numbered
 * like the command line's where they mean the same. */
#define SERVICE_CODE_FAILED	1u	/* the daemon could not start, or failed */
#define SERVICE_CODE_INVALID	2u	/* the config is invalid */
#define SERVICE_CODE_UNSAFE	4u	/* others may change a file it trusts */

/* Controls accepted while running. SHUTDOWN is not among them: a service
 * that takes PRESHUTDOWN stops there, before the shutdown notification. */
#define SERVICE_ACCEPTED	(SERVICE_ACCEPT_STOP | \
	SERVICE_ACCEPT_PRESHUTDOWN | SERVICE_ACCEPT_POWEREVENT | \
	SERVICE_ACCEPT_PARAMCHANGE)

/* The running service: set by the dispatcher thread (handler) and the
 * ServiceMain thread (and the loop through the started callback), so
 * every report takes the lock. */
static struct {
	SRWLOCK			 lock;
	SERVICE_STATUS_HANDLE	 handle;
	SERVICE_STATUS		 status;
	bool			 stopping;	/* STOP_PENDING or later */
	const char		*config_path;	/* NULL: the default */
} service_state = { SRWLOCK_INIT, NULL, { 0 }, false, NULL };

static INIT_ONCE	 service_log_once = INIT_ONCE_STATIC_INIT;
static HANDLE		 service_log;

/* -- Event Log ---------------------------------------------------------- */

static BOOL CALLBACK
service_log_open(PINIT_ONCE once, PVOID param, PVOID *ctx)
{
	(void)once;
	(void)param;
	(void)ctx;
	service_log = RegisterEventSourceW(NULL, SERVICE_WNAME);
	return TRUE;
}

void
service_report(enum service_event ev, const char *message)
{
	LPCWSTR	 strings[1];
	wchar_t	*w;

	InitOnceExecuteOnce(&service_log_once, service_log_open, NULL, NULL);
	if (service_log == NULL || (w = winutf_wide(message)) == NULL)
		return;
	/* The program's message table has the text of event ev; the
	 * message is its one inserted string, %1. */
	strings[0] = w;
	ReportEventW(service_log, ev == SERVICE_EV_FIGHT ?
	    EVENTLOG_WARNING_TYPE : EVENTLOG_ERROR_TYPE, 0, (DWORD)ev, NULL, 1,
	    0, strings, NULL);
	free(w);
}

/* Logs a failure to start (or to run) where an admin looks, and on stderr. */
static void service_complain(enum service_event, const char *fmt, ...)
    DW_PRINTF(2, 3);

static void
service_complain(enum service_event ev, const char *fmt, ...)
{
	char	 msg[DWERR_MSG_BYTES + 512];
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("%s", msg);
	service_report(ev, msg);
}

/* -- Under the SCM --------------------------------------------------------- */

/* Reports state to the SCM. A pending state counts its checkpoints up;
 * RUNNING is not reported once a stop was asked for. */
static void
service_set(DWORD state, DWORD hint_ms, DWORD specific)
{
	SERVICE_STATUS	*st = &service_state.status;
	bool		 pending = state == SERVICE_START_PENDING ||
			    state == SERVICE_STOP_PENDING;

	AcquireSRWLockExclusive(&service_state.lock);
	if (state == SERVICE_STOP_PENDING || state == SERVICE_STOPPED)
		service_state.stopping = true;
	else if (service_state.stopping) {
		ReleaseSRWLockExclusive(&service_state.lock);
		return;
	}
	st->dwServiceType = SERVICE_WIN32_OWN_PROCESS;
	st->dwCheckPoint = !pending ? 0 : st->dwCurrentState == state ?
	    st->dwCheckPoint + 1 : 1;
	st->dwCurrentState = state;
	st->dwControlsAccepted = state == SERVICE_RUNNING ? SERVICE_ACCEPTED : 0;
	/* Bad input (the config, or who may change it) stops the service
	 * with no Win32 error: the recovery actions, which the SCM queues
	 * for a stop with one, would restart it into the same refusal every
	 * 30 s. The specific code still says why. A failure of the daemon
	 * is an error: recovery restarts it. */
	st->dwWin32ExitCode = specific == 0 || specific == SERVICE_CODE_INVALID ||
	    specific == SERVICE_CODE_UNSAFE ? NO_ERROR :
	    ERROR_SERVICE_SPECIFIC_ERROR;
	st->dwServiceSpecificExitCode = specific;
	st->dwWaitHint = hint_ms;
	SetServiceStatus(service_state.handle, st);
	ReleaseSRWLockExclusive(&service_state.lock);
}

/* The daemon's loop is up: the service runs. */
static void
service_started(void *ctx)
{
	(void)ctx;
	service_set(SERVICE_RUNNING, 0, 0);
}

/* A step of the stop is done: the next checkpoint, a new wait hint. */
static void
service_stopping(void *ctx)
{
	(void)ctx;
	service_set(SERVICE_STOP_PENDING, SERVICE_STOP_HINT_MS, 0);
}

static DWORD WINAPI
service_handler(DWORD control, DWORD type, LPVOID data, LPVOID ctx)
{
	(void)data;
	(void)ctx;
	switch (control) {
	case SERVICE_CONTROL_STOP:
	case SERVICE_CONTROL_PRESHUTDOWN:
	case SERVICE_CONTROL_SHUTDOWN:
		service_set(SERVICE_STOP_PENDING, SERVICE_STOP_HINT_MS, 0);
		daemon_request(DAEMON_REQ_STOP);
		return NO_ERROR;
	case SERVICE_CONTROL_POWEREVENT:
		if (type == PBT_APMRESUMEAUTOMATIC || type == PBT_APMRESUMESUSPEND)
			daemon_request(DAEMON_REQ_RESUME);
		return NO_ERROR;
	case SERVICE_CONTROL_PARAMCHANGE:
		daemon_request(DAEMON_REQ_RELOAD);
		return NO_ERROR;
	case SERVICE_CONTROL_INTERROGATE:
		return NO_ERROR;
	default:
		return ERROR_CALL_NOT_IMPLEMENTED;
	}
}

/* Refuses files that others may change: the config and the desired state
 * decide what SYSTEM writes into the registry and the hosts file. */
static int
service_check_files(const struct config *cfg, struct dwerr *err)
{
	const char	*config = service_state.config_path != NULL ?
			    service_state.config_path : platform_default_config();

	/* In follow mode the learned state decides it instead, and the
	 * tunnel's record says which rule keys are the tunnel's. */
	if (acl_check_trusted_file(config, err) != 0 ||
	    acl_check_trusted_file(cfg->follow_enabled ? cfg->follow_state :
	    cfg->desired_state, err) != 0 || (cfg->follow_enabled &&
	    cfg->nrpt_enabled && acl_check_trusted_key(cfg->follow_record_key,
	    err) != 0))
		return -1;
	return 0;
}

static void WINAPI
service_main(DWORD argc, LPWSTR *argv)
{
	const struct daemon_hooks hooks = { service_started, service_stopping,
	    NULL };
	struct config	*cfg;
	struct dwerr	 err;
	char		 msg[256];

	(void)argc;
	(void)argv;
	service_state.handle = RegisterServiceCtrlHandlerExW(SERVICE_WNAME,
	    service_handler, NULL);
	if (service_state.handle == NULL) {
		winutf_message(GetLastError(), msg, sizeof(msg));
		service_complain(SERVICE_EV_NOT_STARTED, "%s cannot register "
		    "its control handler: %s", SERVICE_NAME, msg);
		return;
	}
	service_set(SERVICE_START_PENDING, SERVICE_START_HINT_MS, 0);
	if (config_load(service_state.config_path, &cfg, &err) != 0) {
		service_complain(SERVICE_EV_CONFIG_INVALID, "%s will not start: "
		    "%s", SERVICE_NAME, err.msg);
		service_set(SERVICE_STOPPED, 0, SERVICE_CODE_INVALID);
		return;
	}
	if (service_check_files(cfg, &err) != 0) {
		config_free(cfg);
		service_complain(SERVICE_EV_UNSAFE_FILES, "%s will not start: "
		    "%s. The config and the desired state decide what the "
		    "service writes as SYSTEM: only SYSTEM and Administrators "
		    "may change them, or the folder that holds them.",
		    SERVICE_NAME, err.msg);
		service_set(SERVICE_STOPPED, 0, SERVICE_CODE_UNSAFE);
		return;
	}
	config_free(cfg);
	service_set(SERVICE_START_PENDING, SERVICE_START_HINT_MS, 0);
	if (daemon_run(service_state.config_path, &hooks, &err) != 0) {
		service_complain(err.code == DWERR_INPUT ?
		    SERVICE_EV_CONFIG_INVALID : SERVICE_EV_FAILED, "%s stopped: "
		    "%s", SERVICE_NAME, err.msg);
		service_set(SERVICE_STOPPED, 0, err.code == DWERR_INPUT ?
		    SERVICE_CODE_INVALID : SERVICE_CODE_FAILED);
		return;
	}
	service_set(SERVICE_STOPPED, 0, 0);
}

/*
 * True when this process was started by the service manager: its parent
 * is services.exe (the test .NET's IsWindowsService makes). Only then is
 * the dispatcher called: Windows answers a console process at once, but
 * Wine's dispatcher connects to the control pipe of whichever service
 * started last, and waits on it or takes it over. When the processes
 * cannot be listed, the dispatcher decides.
 */
static bool
service_started_by_scm(void)
{
	PROCESSENTRY32W	 pe;
	HANDLE		 snap;
	DWORD		 self = GetCurrentProcessId(), parent = 0;
	BOOL		 more;
	bool		 scm = false;

	snap = CreateToolhelp32Snapshot(TH32CS_SNAPPROCESS, 0);
	if (snap == INVALID_HANDLE_VALUE)
		return true;
	pe.dwSize = sizeof(pe);
	for (more = Process32FirstW(snap, &pe); more && parent == 0;
	    more = Process32NextW(snap, &pe))
		if (pe.th32ProcessID == self)
			parent = pe.th32ParentProcessID;
	pe.dwSize = sizeof(pe);
	for (more = Process32FirstW(snap, &pe); more && parent != 0;
	    more = Process32NextW(snap, &pe))
		if (pe.th32ProcessID == parent) {
			scm = _wcsicmp(pe.szExeFile, L"services.exe") == 0;
			break;
		}
	CloseHandle(snap);
	return scm;
}

int
service_run(const char *config_path, bool *handled, struct dwerr *err)
{
	static wchar_t			 name[] = SERVICE_WNAME;
	const SERVICE_TABLE_ENTRYW	 table[] = {
		{ name, service_main },
		{ NULL, NULL }
	};
	char				 msg[256];
	DWORD				 e;

	*handled = false;
	service_state.config_path = config_path;
	if (!service_started_by_scm())
		return 0;
	/* Returns once the service has stopped; in a console it fails at
	 * once, and the caller runs the daemon in the foreground. */
	if (StartServiceCtrlDispatcherW(table)) {
		*handled = true;
		return 0;
	}
	if ((e = GetLastError()) == ERROR_FAILED_SERVICE_CONTROLLER_CONNECT)
		return 0;
	*handled = true;
	winutf_message(e, msg, sizeof(msg));
	dwerr_set(err, (int)e, "cannot run as the %s service: %s", SERVICE_NAME,
	    msg);
	return -1;
}

/* -- The commands --------------------------------------------------------- */

/* Prints why what failed (the Win32 error e) and returns the exit code. */
static int
service_fail(DWORD e, const char *what)
{
	char	 msg[256];

	winutf_message(e, msg, sizeof(msg));
	fprintf(stderr, "dnswatchdog: %s: %s%s\n", what, msg,
	    e == ERROR_ACCESS_DENIED ? " (run it from an elevated prompt)" : "");
	return SERVICE_EXIT_FAILED;
}

static SC_HANDLE
service_open_scm(DWORD access)
{
	SC_HANDLE	 scm;

	if ((scm = OpenSCManagerW(NULL, NULL, access)) == NULL)
		service_fail(GetLastError(), "cannot open the service manager");
	return scm;
}

/* Opens the service; NULL with *e set (ERROR_SERVICE_DOES_NOT_EXIST when
 * it is not installed). */
static SC_HANDLE
service_open(SC_HANDLE scm, DWORD access, DWORD *e)
{
	SC_HANDLE	 svc;

	*e = ERROR_SUCCESS;
	if ((svc = OpenServiceW(scm, SERVICE_WNAME, access)) == NULL)
		*e = GetLastError();
	return svc;
}

/* What a stopped service's exit code means, for a person. */
static void
service_exit_text(const SERVICE_STATUS_PROCESS *ss, char *out, size_t outlen)
{
	char	 msg[256];

	if (ss->dwWin32ExitCode != ERROR_SERVICE_SPECIFIC_ERROR &&
	    ss->dwServiceSpecificExitCode == 0) {
		winutf_message(ss->dwWin32ExitCode, msg, sizeof(msg));
		snprintf(out, outlen, "%s", msg);
		return;
	}
	switch (ss->dwServiceSpecificExitCode) {
	case SERVICE_CODE_INVALID:
		snprintf(out, outlen, "the config is invalid");
		break;
	case SERVICE_CODE_UNSAFE:
		snprintf(out, outlen, "its config or desired state may be "
		    "changed by others than SYSTEM and Administrators");
		break;
	default:
		snprintf(out, outlen, "the daemon could not start or failed");
		break;
	}
	snprintf(out + strlen(out), outlen - strlen(out), " (service exit code "
	    "%lu)", (unsigned long)ss->dwServiceSpecificExitCode);
}

static bool
service_query(SC_HANDLE svc, SERVICE_STATUS_PROCESS *ss)
{
	DWORD	 n;

	return QueryServiceStatusEx(svc, SC_STATUS_PROCESS_INFO, (LPBYTE)ss,
	    sizeof(*ss), &n) != 0;
}

/*
 * Waits while the service is in state pending: at most SERVICE_WAIT_MS,
 * and no longer than its wait hint (at least a second) without its
 * checkpoint moving. Returns false when the status cannot be read.
 */
static bool
service_wait(SC_HANDLE svc, DWORD pending, SERVICE_STATUS_PROCESS *ss)
{
	ULONGLONG	 start = GetTickCount64(), moved = start, now;
	DWORD		 check, hint;

	if (!service_query(svc, ss))
		return false;
	check = ss->dwCheckPoint;
	while (ss->dwCurrentState == pending) {
		now = GetTickCount64();
		hint = ss->dwWaitHint > 1000u ? ss->dwWaitHint : 1000u;
		if (ss->dwCheckPoint != check) {
			check = ss->dwCheckPoint;
			moved = now;
		} else if (now - moved > hint)
			break;
		if (now - start > SERVICE_WAIT_MS)
			break;
		Sleep(SERVICE_POLL_MS);
		if (!service_query(svc, ss))
			return false;
	}
	return true;
}

/* Stops the service if it runs and waits for it. 0 or an exit code. */
static int
service_stop_wait(SC_HANDLE svc, bool quiet_if_stopped)
{
	SERVICE_STATUS_PROCESS	 ss;
	SERVICE_STATUS		 st;
	DWORD			 e = ERROR_SUCCESS;
	int			 tries;

	for (tries = 0; tries < 2; tries++) {
		if (ControlService(svc, SERVICE_CONTROL_STOP, &st))
			break;
		e = GetLastError();
		if (e == ERROR_SERVICE_NOT_ACTIVE) {
			if (!quiet_if_stopped)
				printf("service %s is not running\n", SERVICE_NAME);
			return SERVICE_EXIT_OK;
		}
		if (e != ERROR_SERVICE_CANNOT_ACCEPT_CTRL)
			return service_fail(e, "cannot stop the service");
		/* Starting or stopping already: let that finish first. */
		if (!service_wait(svc, SERVICE_START_PENDING, &ss) ||
		    !service_wait(svc, SERVICE_STOP_PENDING, &ss))
			return service_fail(GetLastError(),
			    "cannot read the service's state");
		if (ss.dwCurrentState == SERVICE_STOPPED)
			break;
	}
	if (tries == 2)
		return service_fail(e, "cannot stop the service");
	if (!service_wait(svc, SERVICE_STOP_PENDING, &ss))
		return service_fail(GetLastError(), "cannot read the service's "
		    "state");
	if (ss.dwCurrentState != SERVICE_STOPPED) {
		fprintf(stderr, "dnswatchdog: service %s did not stop within its "
		    "wait hint (%lu ms)\n", SERVICE_NAME,
		    (unsigned long)ss.dwWaitHint);
		return SERVICE_EXIT_FAILED;
	}
	printf("service %s stopped\n", SERVICE_NAME);
	return SERVICE_EXIT_OK;
}

static int
service_start_cmd(void)
{
	SERVICE_STATUS_PROCESS	 ss;
	SC_HANDLE		 scm, svc;
	char			 why[512];
	DWORD			 e;
	int			 rc = SERVICE_EXIT_FAILED;

	if ((scm = service_open_scm(SC_MANAGER_CONNECT)) == NULL)
		return SERVICE_EXIT_FAILED;
	if ((svc = service_open(scm, SERVICE_START | SERVICE_QUERY_STATUS,
	    &e)) == NULL) {
		CloseServiceHandle(scm);
		return service_fail(e, "cannot open the service");
	}
	if (!StartServiceW(svc, 0, NULL)) {
		e = GetLastError();
		if (e == ERROR_SERVICE_ALREADY_RUNNING) {
			printf("service %s is already running\n", SERVICE_NAME);
			rc = SERVICE_EXIT_OK;
		} else
			service_fail(e, "cannot start the service");
		goto done;
	}
	if (!service_wait(svc, SERVICE_START_PENDING, &ss)) {
		service_fail(GetLastError(), "cannot read the service's state");
		goto done;
	}
	if (ss.dwCurrentState == SERVICE_RUNNING) {
		printf("service %s is running (process %lu)\n", SERVICE_NAME,
		    (unsigned long)ss.dwProcessId);
		rc = SERVICE_EXIT_OK;
	} else if (ss.dwCurrentState == SERVICE_STOPPED) {
		service_exit_text(&ss, why, sizeof(why));
		fprintf(stderr, "dnswatchdog: service %s stopped while starting: "
		    "%s; the Application event log (source %s) says why\n",
		    SERVICE_NAME, why, SERVICE_NAME);
	} else
		fprintf(stderr, "dnswatchdog: service %s is still starting "
		    "after %u ms\n", SERVICE_NAME, SERVICE_WAIT_MS);
done:
	CloseServiceHandle(svc);
	CloseServiceHandle(scm);
	return rc;
}

static int
service_stop_cmd(void)
{
	SC_HANDLE	 scm, svc;
	DWORD		 e;
	int		 rc;

	if ((scm = service_open_scm(SC_MANAGER_CONNECT)) == NULL)
		return SERVICE_EXIT_FAILED;
	if ((svc = service_open(scm, SERVICE_STOP | SERVICE_QUERY_STATUS,
	    &e)) == NULL) {
		CloseServiceHandle(scm);
		return service_fail(e, "cannot open the service");
	}
	rc = service_stop_wait(svc, false);
	CloseServiceHandle(svc);
	CloseServiceHandle(scm);
	return rc;
}

/* path made absolute (the service starts in System32), malloc'd UTF-16. */
static wchar_t *
service_full_path(const char *path)
{
	wchar_t	*w, *full;
	DWORD	 n;

	if ((w = winutf_wide(path)) == NULL)
		return NULL;
	n = GetFullPathNameW(w, 0, NULL, NULL);
	if (n == 0 || (full = malloc(n * sizeof(*full))) == NULL) {
		free(w);
		return NULL;
	}
	if (GetFullPathNameW(w, n, full, NULL) >= n) {
		free(full);
		full = NULL;
	}
	free(w);
	return full;
}

/* The folder part of a path (malloc'd), or NULL. */
static char *
service_dirname(const char *path)
{
	const char	*p, *sep = NULL;

	for (p = path; *p != '\0'; p++)
		if (*p == '\\' || *p == '/')
			sep = p;
	return sep != NULL ? dwstr_ndup(path, (size_t)(sep - path)) : NULL;
}

/* One ChangeServiceConfig2W setting. A service manager that does not know
 * the level (Wine lacks some) gets a warning saying what is missing, not a
 * failed install; every Windows since Vista knows them all. */
static int
service_config2(SC_HANDLE svc, DWORD level, void *info, const char *what,
    const char *without, bool *set)
{
	char	 msg[256];
	DWORD	 e;

	*set = false;
	if (ChangeServiceConfig2W(svc, level, info)) {
		*set = true;
		return SERVICE_EXIT_OK;
	}
	if ((e = GetLastError()) != ERROR_INVALID_LEVEL) {
		snprintf(msg, sizeof(msg), "cannot set %s", what);
		return service_fail(e, msg);
	}
	printf("warning: this service manager cannot set %s; %s\n", what,
	    without);
	return SERVICE_EXIT_OK;
}

/*
 * The only privilege the service keeps of LocalSystem's (docs/operations.md
 * says why no other is needed): the registry, the hosts file, the private
 * folder and the control pipe are reached through their DACLs; owners are
 * set only to Administrators, a group SYSTEM may name as owner; nothing
 * reads a SACL or impersonates. A list: it ends in two NULs.
 */
#define SERVICE_PRIVILEGES	L"SeChangeNotifyPrivilege\0"
#define SERVICE_PRIVILEGES_TEXT	"SeChangeNotifyPrivilege"

/* Sets what CreateServiceW cannot: description, recovery, preshutdown,
 * the service SID and the privileges. *on_error says whether a stop with
 * an error counts as a failure; *sid and *privs whether those were set. */
static int
service_configure(SC_HANDLE svc, bool *on_error, bool *sid, bool *privs)
{
	static wchar_t			 priv_list[] = SERVICE_PRIVILEGES;
	SERVICE_SID_INFO		 si = { SERVICE_SID_TYPE_UNRESTRICTED };
	SERVICE_REQUIRED_PRIVILEGES_INFOW rp = { priv_list };
	static wchar_t			 desc[] = L"" SERVICE_DESCRIPTION;
	static wchar_t			 none[] = L"";
	SC_ACTION			 actions[] = {
		{ SC_ACTION_RESTART, 1000 },
		{ SC_ACTION_RESTART, 5000 },
		{ SC_ACTION_RESTART, 30000 }	/* and every failure after */
	};
	SERVICE_DESCRIPTIONW		 d = { desc };
	SERVICE_FAILURE_ACTIONSW	 fa = { SERVICE_RESET_S, none, none,
					    sizeof(actions) / sizeof(actions[0]),
					    actions };
	/* A stop with an error (a non-zero exit code) is a failure too, not
	 * only a crash. */
	SERVICE_FAILURE_ACTIONS_FLAG	 flag = { TRUE };
	SERVICE_PRESHUTDOWN_INFO	 pre = { SERVICE_PRESHUTDOWN_MS };
	bool				 set;

	if (service_config2(svc, SERVICE_CONFIG_DESCRIPTION, &d,
	    "the description", "it has none", &set) != SERVICE_EXIT_OK ||
	    service_config2(svc, SERVICE_CONFIG_FAILURE_ACTIONS, &fa,
	    "the recovery actions", "it is not restarted after a failure",
	    &set) != SERVICE_EXIT_OK ||
	    service_config2(svc, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, &flag,
	    "the recovery actions for a stop with an error",
	    "it is restarted after a crash only", on_error) != SERVICE_EXIT_OK ||
	    service_config2(svc, SERVICE_CONFIG_PRESHUTDOWN_INFO, &pre,
	    "the preshutdown timeout", "it gets the default time to stop at "
	    "shutdown", &set) != SERVICE_EXIT_OK ||
	    service_config2(svc, SERVICE_CONFIG_SERVICE_SID_INFO, &si,
	    "the service SID type", "its process has no service SID", sid) !=
	    SERVICE_EXIT_OK ||
	    service_config2(svc, SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO, &rp,
	    "the required privileges", "it keeps every privilege of "
	    "LocalSystem", privs) != SERVICE_EXIT_OK)
		return SERVICE_EXIT_FAILED;
	return SERVICE_EXIT_OK;
}

/* Registers the Event Log source: events of this exe in Application. */
static int
service_eventlog_add(const wchar_t *exe)
{
	DWORD	 types = SERVICE_EVENT_TYPES;
	HKEY	 k;
	LONG	 e;

	e = RegCreateKeyExW(HKEY_LOCAL_MACHINE, SERVICE_EVENTLOG_KEY, 0, NULL,
	    0, KEY_SET_VALUE, NULL, &k, NULL);
	if (e != ERROR_SUCCESS)
		return service_fail((DWORD)e, "cannot register the event log "
		    "source");
	/* The exe carries the message table (runtime/messages.mc). */
	e = RegSetValueExW(k, L"EventMessageFile", 0, REG_EXPAND_SZ,
	    (const BYTE *)exe, (DWORD)((wcslen(exe) + 1) * sizeof(*exe)));
	if (e == ERROR_SUCCESS)
		e = RegSetValueExW(k, L"TypesSupported", 0, REG_DWORD,
		    (const BYTE *)&types, sizeof(types));
	RegCloseKey(k);
	if (e != ERROR_SUCCESS)
		return service_fail((DWORD)e, "cannot register the event log "
		    "source");
	return SERVICE_EXIT_OK;
}

static int
service_install(const char *config_path)
{
	const char	*config = config_path != NULL ? config_path :
			    platform_default_config();
	SERVICE_STATUS_PROCESS ss;
	SC_HANDLE	 scm = NULL, svc = NULL;
	struct dwerr	 err;
	wchar_t		*exe = NULL, *wconfig = NULL, *cmd = NULL;
	char		*folder = NULL, *uconfig = NULL, *ucmd = NULL;
	char		*uexe = NULL;
	size_t		 n;
	DWORD		 e, len, attr;
	bool		 existed = false, on_error = false, sid = false;
	bool		 privs = false;
	char		 ssid[ACL_SID_CHARS];
	int		 rc = SERVICE_EXIT_FAILED;

	if ((exe = malloc(SERVICE_PATH_CHARS * sizeof(*exe))) == NULL ||
	    (len = GetModuleFileNameW(NULL, exe, SERVICE_PATH_CHARS)) == 0 ||
	    len >= SERVICE_PATH_CHARS) {
		service_fail(exe == NULL ? ERROR_NOT_ENOUGH_MEMORY :
		    GetLastError(), "cannot tell the path of this program");
		goto done;
	}
	/* SYSTEM will run this file: nobody else may replace it, or plant a
	 * DLL beside it. */
	if ((uexe = winutf_narrow(exe)) == NULL) {
		service_fail(ERROR_NOT_ENOUGH_MEMORY, "cannot install");
		goto done;
	}
	if (acl_check_trusted_file(uexe, &err) != 0) {
		fprintf(stderr, "dnswatchdog: will not install a service that "
		    "runs as SYSTEM from here: %s\n", err.msg);
		rc = SERVICE_EXIT_UNSAFE;
		goto done;
	}
	if ((wconfig = service_full_path(config)) == NULL ||
	    (uconfig = winutf_narrow(wconfig)) == NULL) {
		fprintf(stderr, "dnswatchdog: %s: not a valid path\n", config);
		goto done;
	}
	n = wcslen(exe) + wcslen(wconfig) + 32;
	if ((cmd = malloc(n * sizeof(*cmd))) == NULL) {
		service_fail(ERROR_NOT_ENOUGH_MEMORY, "cannot install");
		goto done;
	}
	swprintf(cmd, n, L"\"%ls\" --config \"%ls\" run", exe, wconfig);

	if ((scm = service_open_scm(SC_MANAGER_CONNECT |
	    SC_MANAGER_CREATE_SERVICE)) == NULL)
		goto done;
	/* LocalSystem (no account); Dnscache must run first. */
	svc = CreateServiceW(scm, SERVICE_WNAME, L"" SERVICE_DISPLAY_NAME,
	    SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START,
	    SERVICE_ERROR_NORMAL, cmd, NULL, NULL, SERVICE_DEPENDENCIES, NULL,
	    NULL);
	if (svc == NULL && (e = GetLastError()) == ERROR_SERVICE_EXISTS) {
		/* Installed already: bring its configuration up to date. */
		existed = true;
		if ((svc = service_open(scm, SERVICE_ALL_ACCESS, &e)) == NULL ||
		    !ChangeServiceConfigW(svc, SERVICE_WIN32_OWN_PROCESS,
		    SERVICE_AUTO_START, SERVICE_ERROR_NORMAL, cmd, NULL, NULL,
		    SERVICE_DEPENDENCIES, L"LocalSystem", L"",
		    L"" SERVICE_DISPLAY_NAME)) {
			service_fail(svc != NULL ? GetLastError() : e,
			    "cannot update the existing service");
			goto done;
		}
	} else if (svc == NULL) {
		service_fail(e, "cannot create the service");
		goto done;
	}
	if (service_configure(svc, &on_error, &sid, &privs) != SERVICE_EXIT_OK ||
	    service_eventlog_add(exe) != SERVICE_EXIT_OK)
		goto done;
	/* Its folder: SYSTEM and Administrators only, even if it was there
	 * before (someone else may have made it, and would own it). */
	if ((folder = service_dirname(platform_default_config())) == NULL ||
	    acl_private_dir_create(folder, &err) != 0) {
		fprintf(stderr, "dnswatchdog: %s\n", folder != NULL ? err.msg :
		    "no folder for the default config");
		goto done;
	}

	ucmd = winutf_narrow(cmd);
	printf("service %s %s: %s\n", SERVICE_NAME, existed ?
	    "already installed; its configuration was updated" : "installed",
	    ucmd != NULL ? ucmd : "?");
	printf("  start automatic, account LocalSystem, depends on Dnscache\n");
	printf("  recovery: restart after 1 s, 5 s, then 30 s%s; failures "
	    "forgotten after a day\n", on_error ? " (also after a stop with "
	    "an error)" : "");
	printf("  event log source %s (Application)\n", SERVICE_NAME);
	if (acl_service_sid(SERVICE_NAME, ssid, sizeof(ssid), &err) != 0)
		snprintf(ssid, sizeof(ssid), "?");
	if (sid)
		printf("  service SID NT SERVICE\\%s (%s), unrestricted\n",
		    SERVICE_NAME, ssid);
	if (privs)
		printf("  privileges: %s only\n", SERVICE_PRIVILEGES_TEXT);
	printf("  folder %s: SYSTEM, Administrators and NT SERVICE\\%s only\n",
	    folder, SERVICE_NAME);
	attr = GetFileAttributesW(wconfig);
	if (attr == INVALID_FILE_ATTRIBUTES)
		printf("note: %s does not exist yet; the service will not start "
		    "until it does\n", uconfig);
	if (existed && service_query(svc, &ss) &&
	    ss.dwCurrentState != SERVICE_STOPPED)
		printf("note: the service is running; stop and start it for the "
		    "new configuration to apply\n");
	rc = SERVICE_EXIT_OK;
done:
	if (svc != NULL)
		CloseServiceHandle(svc);
	if (scm != NULL)
		CloseServiceHandle(scm);
	free(folder);
	free(uconfig);
	free(uexe);
	free(ucmd);
	free(cmd);
	free(wconfig);
	free(exe);
	return rc;
}

/* The config the installed service runs with (the --config of its
 * command line), malloc'd UTF-8; NULL when it has none. */
static char *
service_installed_config(SC_HANDLE svc)
{
	QUERY_SERVICE_CONFIGW	*qc = NULL;
	const wchar_t		*p, *end;
	wchar_t			*w;
	char			*out = NULL;
	DWORD			 n = 0;

	if (QueryServiceConfigW(svc, NULL, 0, &n) ||
	    GetLastError() != ERROR_INSUFFICIENT_BUFFER ||
	    (qc = malloc(n)) == NULL ||
	    !QueryServiceConfigW(svc, qc, n, &n) ||
	    qc->lpBinaryPathName == NULL ||
	    (p = wcsstr(qc->lpBinaryPathName, L" --config \"")) == NULL)
		goto done;
	p += wcslen(L" --config \"");
	if ((end = wcschr(p, L'"')) == NULL ||
	    (w = calloc((size_t)(end - p) + 1, sizeof(*w))) == NULL)
		goto done;
	memcpy(w, p, (size_t)(end - p) * sizeof(*w));
	out = winutf_narrow(w);
	free(w);
done:
	free(qc);
	return out;
}

static uint64_t
service_clock(void *ctx)
{
	(void)ctx;
	return platform_wall_us();
}

/* One pass with an empty desired state: deletes the NRPT rules the
 * watchdog owns and its hosts section, printing what goes. 0 or -1. */
static int
service_remove_managed(const struct config *cfg)
{
	struct reconcile_pass_opts	 po;
	struct reconcile_pass		*p = NULL;
	struct desired_state		*ds;
	struct trace			*t;
	struct dwerr			 err;
	uint32_t			 delay;
	int				 rc;

	if ((ds = desired_new()) == NULL || (t = trace_new(service_clock,
	    NULL)) == NULL) {
		desired_free(ds);
		fprintf(stderr, "dnswatchdog: out of memory\n");
		return -1;
	}
	if (cfg->trace_jsonl != NULL && trace_add_jsonl(t, cfg->trace_jsonl,
	    cfg->trace_max_bytes, NULL, &err) != 0)
		log_error("tracing off: %s", err.msg);
	if (trace_add_etw(t, &err) != 0)
		log_debug("ETW tracing off: %s", err.msg);
	/* What goes is shown first, then removed: the one pass driver. */
	memset(&po, 0, sizeof(po));
	po.mode = RECONCILE_APPLY;
	po.show = true;
	po.trigger = "uninstall";
	po.out = stdout;
	if ((p = reconcile_begin(cfg, t, &po)) == NULL) {
		fprintf(stderr, "dnswatchdog: out of memory\n");
		rc = -1;
	} else {
		while (!reconcile_step(p, ds, platform_mono_ms(), &delay))
			platform_sleep_ms(delay);
		rc = reconcile_pass_result(p) <= RECONCILE_CONVERGED ? 0 : -1;
		reconcile_pass_free(p);
	}
	trace_free(t);
	desired_free(ds);
	return rc;
}

static int
service_uninstall(const char *config_path, bool keep)
{
	SC_HANDLE	 scm, svc;
	struct config	*cfg = NULL;
	struct dwerr	 err;
	wchar_t		*wfolder = NULL;
	char		*config = NULL, *folder = NULL;
	DWORD		 e;
	LONG		 le;
	int		 rc = SERVICE_EXIT_FAILED;

	if ((scm = service_open_scm(SC_MANAGER_CONNECT)) == NULL)
		return SERVICE_EXIT_FAILED;
	svc = service_open(scm, SERVICE_STOP | SERVICE_QUERY_STATUS |
	    SERVICE_QUERY_CONFIG | DELETE, &e);
	if (svc == NULL && e != ERROR_SERVICE_DOES_NOT_EXIST) {
		service_fail(e, "cannot open the service");
		goto done;
	}
	if (svc == NULL) {
		printf("service %s is not installed\n", SERVICE_NAME);
		rc = SERVICE_EXIT_OK;
		goto unregister;
	}
	/* What to remove is what the installed service manages: the config
	 * of its command line, unless one was given. Read it before stopping
	 * anything, so that a bad config leaves everything as it was. */
	config = config_path != NULL ? dwstr_dup(config_path) :
	    service_installed_config(svc);
	if (!keep && config_load(config, &cfg, &err) != 0) {
		fprintf(stderr, "dnswatchdog: %s\nnothing was changed; fix the "
		    "config, or uninstall with --keep to leave the NRPT rules "
		    "and the hosts section in place\n", err.msg);
		goto done;
	}
	if (service_stop_wait(svc, true) != SERVICE_EXIT_OK)
		goto done;
	if (!keep) {
		printf("removing the NRPT rules and the hosts section it manages "
		    "(config %s):\n", cfg->path != NULL ? cfg->path :
		    "built-in defaults");
		if (service_remove_managed(cfg) != 0) {
			fprintf(stderr, "dnswatchdog: not everything could be "
			    "removed; the service is stopped but still "
			    "installed: run uninstall again, or with --keep\n");
			goto done;
		}
	}
	if (!DeleteService(svc) && (e = GetLastError()) !=
	    ERROR_SERVICE_MARKED_FOR_DELETE) {
		service_fail(e, "cannot delete the service");
		goto done;
	}
	printf("service %s removed%s\n", SERVICE_NAME, keep ? " (its NRPT "
	    "rules and hosts section were kept)" : "");
	if ((folder = service_dirname(platform_default_config())) != NULL &&
	    (wfolder = winutf_wide(folder)) != NULL &&
	    GetFileAttributesW(wfolder) != INVALID_FILE_ATTRIBUTES)
		printf("folder %s kept (config and desired state)\n", folder);
	rc = SERVICE_EXIT_OK;
unregister:
	le = RegDeleteKeyW(HKEY_LOCAL_MACHINE, SERVICE_EVENTLOG_KEY);
	if (le == ERROR_SUCCESS)
		printf("event log source %s removed\n", SERVICE_NAME);
	else if (le != ERROR_FILE_NOT_FOUND)
		rc = service_fail((DWORD)le, "cannot remove the event log "
		    "source");
done:
	config_free(cfg);
	free(wfolder);
	free(folder);
	free(config);
	if (svc != NULL)
		CloseServiceHandle(svc);
	CloseServiceHandle(scm);
	return rc;
}

/* The config that setup and cleanup work on, absolute, malloc'd UTF-8:
 * the one given, or the default the MSI's service runs with. */
static char *
service_target_config(const char *config_path)
{
	const char	*config = config_path != NULL ? config_path :
			    platform_default_config();
	wchar_t		*w;
	char		*u = NULL;

	if ((w = service_full_path(config)) != NULL)
		u = winutf_narrow(w);
	free(w);
	if (u == NULL)
		fprintf(stderr, "dnswatchdog: %s: not a valid path\n", config);
	return u;
}

/* 0 when text (len bytes) parses as a config at config (relative paths
 * resolve against its folder); what names where the text comes from. */
static int
service_check_config(const char *config, const char *text, size_t len,
    const char *what)
{
	struct config	*cfg = NULL;
	struct dwerr	 err;

	if (config_parse(text, len, config, &cfg, &err) != 0) {
		fprintf(stderr, "dnswatchdog: %s is not a valid config; nothing "
		    "was changed:\n%s\n", what, err.msg);
		return -1;
	}
	config_free(cfg);
	return 0;
}

/* The text of a config that follows tunnel, malloc'd; NULL when out of
 * memory. */
static char *
service_follow_text(const char *tunnel)
{
	cJSON	*root, *follow;
	char	*json = NULL, *text;

	if ((root = cJSON_CreateObject()) != NULL &&
	    (follow = cJSON_AddObjectToObject(root, "follow")) != NULL &&
	    cJSON_AddStringToObject(follow, "tunnel", tunnel) != NULL)
		json = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	/* Handed to free() like platform_read_file's buffer. */
	text = json != NULL ? dwstr_dup(json) : NULL;
	cJSON_free(json);
	return text;
}

/*
 * `service setup`: what the MSI cannot do itself, run as SYSTEM after it
 * registered the service and before it starts it. The service gets the
 * settings of `service install` that CreateServiceW lacks (recovery,
 * pre-shutdown, service SID, privileges), the config's folder the
 * protected DACL, and the config a copy of config_from or, with follow
 * and no config yet, a config that follows that tunnel (an upgrade keeps
 * the config it finds). The new config is checked before anything
 * changes. A failure exits non-zero: the MSI rolls back.
 */
static int
service_setup(const char *config_path, const char *config_from,
    const char *follow)
{
	SC_HANDLE	 scm = NULL, svc = NULL;
	struct dwerr	 err;
	wchar_t		*wconfig = NULL;
	char		*config = NULL, *folder = NULL, *text = NULL;
	char		 what[128];
	size_t		 len = 0;
	DWORD		 e;
	bool		 on_error = false, sid = false, privs = false;
	bool		 exists;
	int		 rc = SERVICE_EXIT_FAILED;

	if ((config = service_target_config(config_path)) == NULL ||
	    (wconfig = winutf_wide(config)) == NULL)
		goto done;
	exists = GetFileAttributesW(wconfig) != INVALID_FILE_ATTRIBUTES;
	if (config_from != NULL) {
		if (platform_read_file(config_from, CONFIG_MAX_BYTES, &text,
		    &len, &err) != 0) {
			fprintf(stderr, "dnswatchdog: %s\nnothing was changed\n",
			    err.msg);
			goto done;
		}
		snprintf(what, sizeof(what), "%.120s", config_from);
	} else if (follow != NULL && !exists) {
		if ((text = service_follow_text(follow)) == NULL) {
			service_fail(ERROR_NOT_ENOUGH_MEMORY, "cannot set up");
			goto done;
		}
		len = strlen(text);
		snprintf(what, sizeof(what), "follow tunnel '%.64s'", follow);
	}
	if (text != NULL && service_check_config(config, text, len, what) != 0)
		goto done;

	if ((scm = service_open_scm(SC_MANAGER_CONNECT)) == NULL)
		goto done;
	if ((svc = service_open(scm, SERVICE_CHANGE_CONFIG, &e)) == NULL) {
		service_fail(e, "cannot open the service (setup configures "
		    "the service an installer registered)");
		goto done;
	}
	if (service_configure(svc, &on_error, &sid, &privs) != SERVICE_EXIT_OK)
		goto done;
	printf("service %s: recovery restart after 1 s, 5 s, then 30 s%s; "
	    "preshutdown %u ms%s%s\n", SERVICE_NAME, on_error ? " (also after "
	    "a stop with an error)" : "", SERVICE_PRESHUTDOWN_MS, sid ?
	    "; service SID" : "", privs ? "; privileges: "
	    SERVICE_PRIVILEGES_TEXT " only" : "");
	if ((folder = service_dirname(config)) == NULL ||
	    acl_private_dir_create(folder, &err) != 0) {
		fprintf(stderr, "dnswatchdog: %s\n", folder != NULL ? err.msg :
		    "the config has no folder");
		goto done;
	}
	printf("folder %s: SYSTEM, Administrators and NT SERVICE\\%s only\n",
	    folder, SERVICE_NAME);
	if (text != NULL) {
		if (platform_write_file_atomic(config, text, len, &err) != 0) {
			fprintf(stderr, "dnswatchdog: %s\n", err.msg);
			goto done;
		}
		printf("config %s written from %s\n", config, what);
	} else if (exists)
		printf("config %s kept\n", config);
	else
		printf("note: no config at %s yet\n", config);
	rc = SERVICE_EXIT_OK;
done:
	if (svc != NULL)
		CloseServiceHandle(svc);
	if (scm != NULL)
		CloseServiceHandle(scm);
	free(text);
	free(folder);
	free(wconfig);
	free(config);
	return rc;
}

/*
 * `service cleanup`: the MSI's uninstall, after it stopped the service:
 * removes the NRPT rules and the hosts section of the config, as
 * `service uninstall` does, and leaves the service to the installer. No
 * config file is the built-in defaults; nothing to remove is success.
 */
static int
service_cleanup(const char *config_path)
{
	struct config	*cfg = NULL;
	struct dwerr	 err;
	int		 rc;

	if (config_load(config_path, &cfg, &err) != 0) {
		fprintf(stderr, "dnswatchdog: %s\nnothing was removed\n",
		    err.msg);
		return SERVICE_EXIT_FAILED;
	}
	printf("removing the NRPT rules and the hosts section it manages "
	    "(config %s):\n", cfg->path != NULL ? cfg->path :
	    "built-in defaults");
	rc = service_remove_managed(cfg) == 0 ? SERVICE_EXIT_OK :
	    SERVICE_EXIT_FAILED;
	if (rc != SERVICE_EXIT_OK)
		fprintf(stderr, "dnswatchdog: not everything could be removed; "
		    "run 'dnswatchdog service cleanup' again\n");
	config_free(cfg);
	return rc;
}

/* An option the MSI passes from an unset property is "": not given. */
static const char *
service_opt(const char *s)
{
	return s != NULL && *s != '\0' ? s : NULL;
}

int
service_command(const char *verb, const char *config_path,
    const struct service_opts *opts)
{
	struct service_opts	 none = { false, NULL, NULL };

	if (opts == NULL)
		opts = &none;
	if (verb != NULL && strcmp(verb, "install") == 0)
		return service_install(config_path);
	if (verb != NULL && strcmp(verb, "uninstall") == 0)
		return service_uninstall(config_path, opts->keep);
	if (verb != NULL && strcmp(verb, "setup") == 0)
		return service_setup(config_path,
		    service_opt(opts->config_from), service_opt(opts->follow));
	if (verb != NULL && strcmp(verb, "cleanup") == 0)
		return service_cleanup(config_path);
	if (verb != NULL && strcmp(verb, "start") == 0)
		return service_start_cmd();
	if (verb != NULL && strcmp(verb, "stop") == 0)
		return service_stop_cmd();
	fprintf(stderr, "dnswatchdog: unknown service command '%s'; try "
	    "install, uninstall, start or stop\n", verb != NULL ? verb : "");
	return SERVICE_EXIT_USAGE;
}
