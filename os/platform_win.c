/* platform: Windows implementation (see platform.h). */
#include "platform.h"

#include <windows.h>
#include <bcrypt.h>

#include <errno.h>
#include <process.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "winsys.h"
#include "winutf.h"

#define PLATFORM_EPOCH_DELTA_US 11644473600000000ull	/* 1601 -> 1970 */

uint64_t
platform_mono_us(void)
{
	static LARGE_INTEGER	 freq;
	LARGE_INTEGER		 now;

	if (freq.QuadPart == 0)
		QueryPerformanceFrequency(&freq);
	QueryPerformanceCounter(&now);
	return (uint64_t)(now.QuadPart / freq.QuadPart) * 1000000u +
	    (uint64_t)(now.QuadPart % freq.QuadPart) * 1000000u /
	    (uint64_t)freq.QuadPart;
}

uint64_t
platform_mono_ms(void)
{
	return platform_mono_us() / 1000u;
}

uint64_t
platform_boot_ms(void)
{
	return GetTickCount64();
}

bool
platform_file_id(const char *path, struct platform_file_id *id)
{
	wchar_t	*w;
	HANDLE	 h;
	bool	 ok;

	memset(id, 0, sizeof(*id));
	if ((w = winutf_wide(path)) == NULL)
		return false;
	h = CreateFileW(w, 0, FILE_SHARE_READ | FILE_SHARE_WRITE |
	    FILE_SHARE_DELETE, NULL, OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	free(w);
	if (h == INVALID_HANDLE_VALUE)
		return false;
	ok = winsys_file_id(h, id);
	CloseHandle(h);
	return ok;
}

uint64_t
platform_wall_us(void)
{
	FILETIME	 ft;
	uint64_t	 t;

	GetSystemTimePreciseAsFileTime(&ft);
	t = ((uint64_t)ft.dwHighDateTime << 32) | ft.dwLowDateTime;
	return t / 10u - PLATFORM_EPOCH_DELTA_US;
}

typedef NTSTATUS (WINAPI *platform_gen_random_fn)(BCRYPT_ALG_HANDLE, PUCHAR,
    ULONG, ULONG);

static INIT_ONCE		 platform_random_once = INIT_ONCE_STATIC_INIT;
static platform_gen_random_fn	 platform_gen_random;

static BOOL CALLBACK
platform_random_find(PINIT_ONCE once, PVOID arg, PVOID *ctx)
{
	FARPROC	 p;
	DWORD	 e;

	(void)once;
	(void)arg;
	(void)ctx;
	/* bcrypt.dll is not a Known DLL: loaded from System32 at run time
	 * rather than imported (winsys.h). */
	if ((p = winsys_proc(L"bcrypt.dll", "BCryptGenRandom", &e)) != NULL)
		platform_gen_random = (platform_gen_random_fn)(void (*)(void))p;
	return TRUE;
}

void
platform_random(void *buf, size_t len)
{
	InitOnceExecuteOnce(&platform_random_once, platform_random_find, NULL,
	    NULL);
	if (platform_gen_random == NULL || platform_gen_random(NULL, buf,
	    (ULONG)len, BCRYPT_USE_SYSTEM_PREFERRED_RNG) != 0)
		platform_random_weak(buf, len, GetCurrentProcessId());
}

void
platform_harden(void)
{
	/* A failure leaves the loads that say where (winsys_proc) safe. */
	(void)winsys_harden();
}

void
platform_sleep_ms(uint32_t ms)
{
	Sleep(ms);
}

/* Windows has no per-process limit on handles to speak of. */
int
platform_fd_limit_raise(uint64_t want, uint64_t *soft, struct dwerr *err)
{
	(void)want;
	(void)err;
	*soft = 0;
	return 0;
}

/* The code a caller tests for a missing file is PLATFORM_E_NOENT (2,
 * ERROR_FILE_NOT_FOUND); every other code stays the Win32 one, so traces
 * show it as the WIN32ERROR it is. */
static int
platform_errno(DWORD e)
{
	switch (e) {
	case ERROR_FILE_NOT_FOUND:
	case ERROR_PATH_NOT_FOUND:
		return PLATFORM_E_NOENT;
	default:
		return (int)e;
	}
}

int
platform_read_file(const char *path, size_t max, char **buf, size_t *len,
    struct dwerr *err)
{
	LARGE_INTEGER	 size;
	HANDLE		 h;
	wchar_t		*wpath;
	char		*p = NULL, msg[256];
	size_t		 used = 0;
	DWORD		 e;

	*buf = NULL;
	*len = 0;
	if ((wpath = winutf_wide(path)) == NULL) {
		dwerr_set(err, EINVAL, "%s: not a valid UTF-8 path", path);
		return -1;
	}
	/* Share everything: never make another writer fail because of us. */
	h = CreateFileW(wpath, GENERIC_READ,
	    FILE_SHARE_READ | FILE_SHARE_WRITE | FILE_SHARE_DELETE, NULL,
	    OPEN_EXISTING, FILE_ATTRIBUTE_NORMAL, NULL);
	free(wpath);
	if (h == INVALID_HANDLE_VALUE) {
		e = GetLastError();
		winutf_message(e, msg, sizeof(msg));
		dwerr_set(err, platform_errno(e), "%s: %s", path, msg);
		return -1;
	}
	if (!GetFileSizeEx(h, &size)) {
		e = GetLastError();
		goto fail;
	}
	if ((uint64_t)size.QuadPart > max) {
		CloseHandle(h);
		dwerr_set(err, PLATFORM_E_TOOBIG, "%s: %lld bytes, over the limit of %zu",
		    path, (long long)size.QuadPart, max);
		return -1;
	}
	if ((p = malloc((size_t)size.QuadPart + 1)) == NULL) {
		e = ERROR_NOT_ENOUGH_MEMORY;
		goto fail;
	}
	while (used < (size_t)size.QuadPart) {
		DWORD n;

		if (!ReadFile(h, p + used, (DWORD)((size_t)size.QuadPart - used),
		    &n, NULL)) {
			e = GetLastError();
			goto fail;
		}
		if (n == 0)
			break;	/* the file shrank meanwhile */
		used += n;
	}
	CloseHandle(h);
	p[used] = '\0';
	*buf = p;
	*len = used;
	return 0;
fail:
	CloseHandle(h);
	free(p);
	winutf_message(e, msg, sizeof(msg));
	dwerr_set(err, platform_errno(e), "%s: %s", path, msg);
	return -1;
}

/* Fails with "path: the system's message" for the Win32 error e. */
static int
platform_fail(struct dwerr *err, DWORD e, const char *path)
{
	char	 msg[256];

	winutf_message(e, msg, sizeof(msg));
	dwerr_set(err, (int)e, "%s: %s", path, msg);
	return -1;
}

int
platform_write_file_atomic(const char *path, const void *buf, size_t len,
    struct dwerr *err)
{
	wchar_t		*wpath, *wtmp;
	uint8_t		 r[6];
	size_t		 n;
	HANDLE		 h;
	DWORD		 done, e = 0;
	int		 i;

	if (len > 0xffffffffu)
		return platform_fail(err, ERROR_FILE_TOO_LARGE, path);
	if ((wpath = winutf_wide(path)) == NULL)
		return platform_fail(err, ERROR_NOT_ENOUGH_MEMORY, path);
	n = wcslen(wpath);
	if ((wtmp = malloc((n + 12) * sizeof(wchar_t))) == NULL) {
		free(wpath);
		return platform_fail(err, ERROR_NOT_ENOUGH_MEMORY, path);
	}
	/* path.tmp-XXXXXX beside it: the same volume, the folder's ACL. */
	platform_random(r, sizeof(r));
	memcpy(wtmp, wpath, n * sizeof(wchar_t));
	memcpy(wtmp + n, L".tmp-", 5 * sizeof(wchar_t));
	for (i = 0; i < 6; i++)
		wtmp[n + 5 + (size_t)i] = (wchar_t)(L'a' + r[i] % 26);
	wtmp[n + 11] = L'\0';
	h = CreateFileW(wtmp, GENERIC_WRITE, 0, NULL, CREATE_NEW,
	    FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		e = GetLastError();
		goto out;
	}
	if (!WriteFile(h, buf, (DWORD)len, &done, NULL) || done != len ||
	    !FlushFileBuffers(h))
		e = GetLastError() != 0 ? GetLastError() : ERROR_WRITE_FAULT;
	if (!CloseHandle(h) && e == 0)
		e = GetLastError();
	if (e == 0 && !MoveFileExW(wtmp, wpath, MOVEFILE_REPLACE_EXISTING |
	    MOVEFILE_WRITE_THROUGH))
		e = GetLastError();
	if (e != 0)
		(void)DeleteFileW(wtmp);
out:
	free(wtmp);
	free(wpath);
	return e == 0 ? 0 : platform_fail(err, e, path);
}

int
platform_remove_file(const char *path, struct dwerr *err)
{
	wchar_t	*w;
	DWORD	 e = 0;

	if ((w = winutf_wide(path)) == NULL)
		return platform_fail(err, ERROR_NOT_ENOUGH_MEMORY, path);
	if (!DeleteFileW(w))
		e = GetLastError();
	free(w);
	if (e == 0 || e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND)
		return 0;
	return platform_fail(err, e, path);
}

int
platform_make_private_dir(const char *path, struct dwerr *err)
{
	wchar_t	*w;
	DWORD	 attr;

	if ((w = winutf_wide(path)) == NULL)
		return platform_fail(err, ERROR_NOT_ENOUGH_MEMORY, path);
	attr = GetFileAttributesW(w);
	free(w);
	/* One that is there keeps the ACL it has (the service's checks
	 * say whether it may be trusted). */
	if (attr != INVALID_FILE_ATTRIBUTES) {
		if (attr & FILE_ATTRIBUTE_DIRECTORY)
			return 0;
		return platform_fail(err, ERROR_DIRECTORY, path);
	}
	return acl_private_dir_create(path, err);
}

const char *
platform_error_name(int code)
{
	return winutf_error_name((unsigned long)code);
}

const char *
platform_default_config(void)
{
	static char	 path[MAX_PATH * 3];
	wchar_t		 w[MAX_PATH];
	char		*u;
	DWORD		 n;

	if (path[0] != '\0')
		return path;
	n = GetEnvironmentVariableW(L"ProgramData", w, MAX_PATH);
	if (n == 0 || n >= MAX_PATH || (u = winutf_narrow(w)) == NULL) {
		snprintf(path, sizeof(path), "C:\\ProgramData\\DnsWatchdog\\config.json");
		return path;
	}
	snprintf(path, sizeof(path), "%s\\DnsWatchdog\\config.json", u);
	free(u);
	return path;
}

const char *
platform_default_state_dir(void)
{
	static char	 dir[MAX_PATH * 3];
	const char	*cfg = platform_default_config();
	const char	*slash = strrchr(cfg, '\\');

	if (dir[0] == '\0')
		snprintf(dir, sizeof(dir), "%.*s", slash != NULL ?
		    (int)(slash - cfg) : (int)strlen(cfg), cfg);
	return dir;
}

const char *
platform_default_control(void)
{
	/* Only Administrators and SYSTEM may create a pipe under this
	 * prefix (Windows enforces it; Wine does not). */
	return "\\\\.\\pipe\\ProtectedPrefix\\Administrators\\"
	    "DnsWatchdog\\control";
}

/*
 * The folder Windows' own resolver reads the hosts file from: the value
 * DataBasePath of Tcpip\Parameters (REG_EXPAND_SZ, %SystemRoot% in it),
 * which only SYSTEM and Administrators may change. NULL (and the caller
 * falls back) when it is missing, of another type, too long, or not an
 * absolute path. Returns a malloc'd UTF-8 path.
 */
char *
platform_hosts_folder(const wchar_t *subkey)
{
	wchar_t	 raw[MAX_PATH], full[MAX_PATH];
	DWORD	 type, size = sizeof(raw), n;
	char	*u;

	if (RegGetValueW(HKEY_LOCAL_MACHINE, subkey, L"DataBasePath",
	    RRF_RT_REG_SZ | RRF_RT_REG_EXPAND_SZ | RRF_NOEXPAND, &type, raw,
	    &size) != ERROR_SUCCESS)
		return NULL;
	if (type == REG_EXPAND_SZ) {
		n = ExpandEnvironmentStringsW(raw, full, MAX_PATH);
		if (n == 0 || n > MAX_PATH)
			return NULL;
	} else
		wcscpy(full, raw);
	/* Trailing separators go: the caller appends "\\hosts". */
	n = (DWORD)wcslen(full);
	while (n > 0 && (full[n - 1] == L'\\' || full[n - 1] == L'/'))
		full[--n] = L'\0';
	if (wcschr(full, L'%') != NULL || (u = winutf_narrow(full)) == NULL)
		return NULL;	/* a variable left unexpanded */
	if (!platform_path_is_absolute(u) || u[0] == '\\' || u[0] == '/') {
		free(u);	/* relative, rooted in no drive, or a share */
		return NULL;
	}
	return u;
}

const char *
platform_default_hosts(void)
{
	static char	 path[MAX_PATH * 3];
	wchar_t		 w[MAX_PATH];
	char		*u;
	UINT		 n;

	if (path[0] != '\0')
		return path;
	if ((u = platform_hosts_folder(PLATFORM_TCPIP_KEY)) != NULL &&
	    strlen(u) + sizeof("\\hosts") <= sizeof(path)) {
		snprintf(path, sizeof(path), "%s\\hosts", u);
		free(u);
		return path;
	}
	free(u);
	/* System32 is exempt from WOW64 redirection for drivers\etc. */
	n = GetSystemDirectoryW(w, MAX_PATH);
	if (n == 0 || n >= MAX_PATH || (u = winutf_narrow(w)) == NULL) {
		snprintf(path, sizeof(path), "C:\\Windows\\System32\\drivers\\etc\\hosts");
		return path;
	}
	snprintf(path, sizeof(path), "%s\\drivers\\etc\\hosts", u);
	free(u);
	return path;
}

enum hosts_eol
platform_default_eol(void)
{
	return HOSTS_EOL_CRLF;
}

/*
 * Adapter descriptions (IP_ADAPTER_ADDRESSES.Description), which is what
 * the Windows event source compares. No "tun" or "ppp": they begin no
 * adapter description on Windows.
 */
static const char *const platform_vpn_prefixes[] = {
	"PANGP Virtual Ethernet Adapter",	/* Palo Alto GlobalProtect */
	"Cisco AnyConnect",			/* AnyConnect 4 */
	"Cisco Secure Client Virtual Miniport Adapter", /* Secure Client 5 */
	"Fortinet",				/* FortiClient */
	"TAP-Windows Adapter",			/* OpenVPN, TAP-Windows6 */
	"OpenVPN Data Channel Offload",		/* OpenVPN, ovpn-dco-win */
	"Wintun Userspace Tunnel",		/* OpenVPN's Wintun adapter */
	"WireGuard Tunnel",			/* WireGuard for Windows */
	"Juniper Networks Virtual Adapter",	/* Pulse Secure, Ivanti */
	"Zscaler",
	NULL
};

const char *const *
platform_default_vpn_prefixes(void)
{
	return platform_vpn_prefixes;
}

int
platform_path_is_absolute(const char *path)
{
	/* "C:\x", "C:/x", "\\server\share", and rooted "\x" or "/x". */
	if (((path[0] >= 'A' && path[0] <= 'Z') || (path[0] >= 'a' &&
	    path[0] <= 'z')) && path[1] == ':' &&
	    (path[2] == '\\' || path[2] == '/'))
		return 1;
	return path[0] == '\\' || path[0] == '/';
}

/* What a new thread runs, until it starts. */
struct platform_thread {
	void	(*fn)(void *);
	void	 *arg;
};

static unsigned __stdcall
platform_thread_main(void *p)
{
	struct platform_thread	 th = *(struct platform_thread *)p;

	free(p);
	th.fn(th.arg);
	return 0;
}

int
platform_thread_start(void (*fn)(void *), void *arg, struct dwerr *err)
{
	struct platform_thread	*th;
	uintptr_t		 h;

	if ((th = malloc(sizeof(*th))) == NULL) {
		dwerr_set(err, ERROR_NOT_ENOUGH_MEMORY, "out of memory");
		return -1;
	}
	th->fn = fn;
	th->arg = arg;
	/* _beginthreadex, not CreateThread: the C runtime's per-thread
	 * state is set up and freed with the thread. */
	if ((h = _beginthreadex(NULL, 0, platform_thread_main, th, 0,
	    NULL)) == 0) {
		free(th);
		dwerr_set(err, errno, "cannot start a thread: %s",
		    strerror(errno));
		return -1;
	}
	CloseHandle((HANDLE)h);	/* detached */
	return 0;
}
