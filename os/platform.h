/*
 * platform: the few OS services the portable code needs (clocks, random
 * bytes, whole-file reads, default paths). One implementation per platform:
 * platform_posix.c, platform_win.c.
 */
#ifndef PLATFORM_H
#define PLATFORM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dwerr.h"
#include "hosts.h"

/* The signal that asks the daemon to reload, where there is one. */
#ifdef SIGHUP
#define PLATFORM_SIGNAL_RELOAD	SIGHUP
#else
#define PLATFORM_SIGNAL_RELOAD	0	/* reload through the control channel */
#endif

/* The codes platform_read_file fails with for a missing file and for one
 * over the size limit: errno values on POSIX, Win32 errors on Windows
 * (ERROR_FILE_NOT_FOUND is 2, the same number as ENOENT). */
#ifdef _WIN32
#define PLATFORM_E_NOENT	2	/* ERROR_FILE_NOT_FOUND */
#define PLATFORM_E_TOOBIG	223	/* ERROR_FILE_TOO_LARGE */
#else
#include <errno.h>
#define PLATFORM_E_NOENT	ENOENT
#define PLATFORM_E_TOOBIG	EFBIG
#endif

/* What identifies a file's content as last seen: same identity, same
 * file (unless someone went out of their way to fake it). */
struct platform_file_id {
	uint64_t	 volume, inode, size;
	int64_t		 mtime_s, mtime_ns;
};

/* Milliseconds on a monotonic clock (for durations and deadlines). */
uint64_t	platform_mono_ms(void);
/* Microseconds on a monotonic clock. */
uint64_t	platform_mono_us(void);
/* Milliseconds on a clock that also counts time asleep: its drift from
 * platform_mono_ms reveals a resume. */
uint64_t	platform_boot_ms(void);
/* Fills id for the file at path; false when it cannot be read. */
bool		platform_file_id(const char *path, struct platform_file_id *id);
/* Microseconds since 1970 UTC (for trace timestamps). */
uint64_t	platform_wall_us(void);
/* Fills buf with random bytes from the OS; falls back to a clock-seeded
 * generator only if the OS source fails. */
void		platform_random(void *buf, size_t len);
/* Fills buf from the clocks and seed: only for platform_random's
 * implementations, when the OS has no entropy to give. */
void		platform_random_weak(void *buf, size_t len, uint64_t seed);
/* A random number in [0, 1). */
double		platform_random01(void);
/* Blocks the calling thread for ms (the one-shot CLI only; never the loop). */
void		platform_sleep_ms(uint32_t ms);
/* The process-wide safety settings, first thing in main: on Windows, DLLs
 * from System32 only (winsys.h); nothing elsewhere. */
void		platform_harden(void);
/* Raises the soft limit on open descriptors toward want, as far as the
 * hard limit allows; never lowers it. *soft gets the limit then (0: none
 * to speak of, as on Windows). Returns 0, or -1 with err. */
int		platform_fd_limit_raise(uint64_t want, uint64_t *soft,
		    struct dwerr *err);

/* Runs fn(arg) on a new thread of its own, detached: nobody joins it,
 * and what it shares with others it hands over itself (the daemon's
 * verification). Returns 0, or -1 with err (fn not called). */
int		platform_thread_start(void (*fn)(void *), void *arg,
		    struct dwerr *err);

/* Reads a whole file into a malloc'd, NUL-terminated buffer, refusing one
 * larger than max bytes before reading it. A missing file fails with its
 * errno (ENOENT) so callers can tell. Returns 0 or -1 with err. */
int		platform_read_file(const char *path, size_t max, char **buf,
		    size_t *len, struct dwerr *err);

/* Replaces the file at path with len bytes of buf, atomically: a
 * temporary file beside it is written and flushed, then renamed over it
 * (and, on POSIX, the folder flushed), so a crash leaves the old file or
 * the new one, never a part. On POSIX the file is mode 0600; on Windows
 * it takes the folder's inherited ACL. The temporary file never stays
 * behind. Returns 0, or -1 with err naming the path. */
int		platform_write_file_atomic(const char *path, const void *buf,
		    size_t len, struct dwerr *err);
/* The same for a file of the watchdog's own state: its folder is made
 * first (one level, private) when it is not there. */
int		platform_write_state_file(const char *path, const void *buf,
		    size_t len, struct dwerr *err);
/* Removes the file at path; one that does not exist is no error. */
int		platform_remove_file(const char *path, struct dwerr *err);
/* Makes the folder path (one level: its parent must exist) unless it is
 * there: mode 0700 on POSIX; on Windows the protected folder of
 * acl_private_dir_create (SYSTEM, Administrators and the service). */
int		platform_make_private_dir(const char *path, struct dwerr *err);

/* The symbolic name of an OS error code: "EBUSY" (errno) on POSIX,
 * "ERROR_SHARING_VIOLATION" (Win32) on Windows; "" when unknown. */
const char	*platform_error_name(int code);

/* Default paths and the line ending of a new hosts file. */
const char	*platform_default_config(void);
const char	*platform_default_control(void);	/* socket or pipe */
/* Where state the watchdog keeps between runs goes: the folder of the
 * default config on Windows (%ProgramData%\DnsWatchdog), /var/lib/
 * dnswatchdog elsewhere. */
const char	*platform_default_state_dir(void);
const char	*platform_default_hosts(void);
enum hosts_eol	 platform_default_eol(void);
/* The adapter prefixes that mark a VPN when the config names none, a
 * NULL-terminated static list: adapter descriptions on Windows,
 * interface names elsewhere (docs/windows.md says where each comes from). */
const char *const *platform_default_vpn_prefixes(void);
/* True when path is absolute on this platform. */
int		 platform_path_is_absolute(const char *path);

#ifdef _WIN32
/* Where Windows reads the hosts file: the key (under HKLM) whose value
 * DataBasePath names the folder. platform_hosts_folder reads it (NULL
 * when unusable) for platform_default_hosts, which falls back to
 * System32\drivers\etc. */
#define PLATFORM_TCPIP_KEY \
	L"SYSTEM\\CurrentControlSet\\Services\\Tcpip\\Parameters"
char		*platform_hosts_folder(const wchar_t *subkey);
#endif

#endif
