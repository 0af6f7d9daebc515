/*
 * sources_win_int: what the Windows files of the sources share (see
 * sources_win.c for how they fit together). sources_win.c holds the
 * struct sources, its thread-pool waits and the queue Windows' threads
 * write; sources_win_iphlp.c, sources_win_reg.c, sources_win_dir.c and
 * sources_win_gp.c each hold one watcher. Everything declared here runs
 * in the loop, except where a comment says otherwise.
 */
#ifndef SOURCES_WIN_INT_H
#define SOURCES_WIN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <wchar.h>

#include "sources_int.h"
#include "sources_win_os.h"

#define SOURCES_QUEUE_MAX	128u		/* IP Helper records between looks */
#define SOURCES_DIR_BUF_BYTES	(16u << 10)	/* folder changes read at once */
#define SOURCES_MSG_BYTES	256u		/* a Win32 error's text */

/* The waits, one bit each in the queue. */
enum {
	SOURCES_S_LOCAL_KEY,
	SOURCES_S_LOCAL_GUARD,
	SOURCES_S_GP_KEY,
	SOURCES_S_GP_GUARD,
	SOURCES_S_RECORD_KEY,
	SOURCES_S_RECORD_GUARD,
	SOURCES_S_HOSTS,
	SOURCES_S_DESIRED,
	SOURCES_S_POLICY,
	SOURCES_S_COUNT
};

enum { SOURCES_REG_LOCAL, SOURCES_REG_GP, SOURCES_REG_RECORD,
    SOURCES_REG_COUNT };
enum { SOURCES_DIR_HOSTS, SOURCES_DIR_DESIRED, SOURCES_DIR_COUNT };
enum { SOURCES_N_INTERFACE, SOURCES_N_ADDRESS, SOURCES_N_ROUTE,
    SOURCES_N_COUNT };

/* What an IP Helper callback saw. */
struct sources_rec {
	unsigned char		 what;		/* SOURCES_N_INTERFACE, _ADDRESS */
	unsigned char		 type;		/* MIB_NOTIFICATION_TYPE */
	NET_IFINDEX		 ifindex;
};

/* A thread-pool wait on one event; its callback marks the slot fired. */
struct sources_wait {
	struct sources		*src;
	unsigned		 slot;
	HANDLE			 event;
	HANDLE			 wait;		/* NULL: not registered */
};

/* An adapter as last seen, under one of its interface indexes. */
struct sources_adapter {
	NET_IFINDEX		 ifindex;
	bool			 up;		/* operational state last told */
	bool			 seen;		/* in the last full listing */
	char			*desc;		/* UTF-8 Description */
};

/* A registry key, watched where it is or where it would appear. */
struct sources_regwatch {
	const wchar_t		*path;		/* under HKLM; NULL: none */
	const char		*upath;
	wchar_t			*own_path;	/* path and upath, when made */
	char			*own_upath;
	const char		*detail;	/* what its events say */
	size_t			 full;		/* components of path */
	size_t			 depth;		/* components watched; 0: none */
	HKEY			 key;		/* watched with its subtree */
	HKEY			 guard;		/* its parent: sees it go */
	struct sources_wait	 wkey;
	struct sources_wait	 wguard;
	bool			 told;		/* a failure was logged */
};

/* A file watched through its folder. */
struct sources_dirwatch {
	enum source_kind	 kind;
	const char		*path;		/* the config's; NULL: unused */
	wchar_t			*wpath;
	wchar_t			*dir;
	const wchar_t		*base;		/* within wpath */
	size_t			 baselen;
	HANDLE			 h;		/* the folder, or invalid */
	OVERLAPPED		 ov;
	bool			 reading;	/* a read is under way */
	bool			 lost;		/* was watched, then not */
	bool			 told;		/* a failure was logged */
	struct sources_wait	 w;
	DWORD			 buf[SOURCES_DIR_BUF_BYTES / sizeof(DWORD)];
};

typedef BOOL (WINAPI *sources_gp_unregister_fn)(HANDLE);

struct sources {
	struct sources_common	 sc;

	/* Shared with Windows' threads, under lock. */
	SRWLOCK			 lock;
	struct sources_rec	 q[SOURCES_QUEUE_MAX];
	size_t			 nq;
	bool			 q_route;
	bool			 q_overflow;
	unsigned		 q_fired;	/* a bit per fired slot */

	/* The loop's own. */
	struct loop_timer	*waker;
	HANDLE			 notify[SOURCES_N_COUNT];
	struct sources_wait	*slots[SOURCES_S_COUNT];
	struct sources_adapter	*ad;
	size_t			 nad;
	size_t			 capad;
	bool			 refreshed;	/* adapters listed in this look */
	DWORD			 reg_agnostic;	/* REG_NOTIFY_THREAD_AGNOSTIC or 0 */
	struct sources_regwatch	 reg[SOURCES_REG_COUNT];
	struct sources_dirwatch	 dir[SOURCES_DIR_COUNT];
	struct sources_wait	 policy;
	HMODULE			 userenv;
	sources_gp_unregister_fn gp_unregister;	/* set once registered */
	DWORD			 scratch[SOURCES_DIR_BUF_BYTES / sizeof(DWORD)];
};

/* sources_win.c: the waits and the queue. */
/* Waits once for w's event on the thread pool; 0 or a Win32 error. */
DWORD	sources_wait_start(struct sources_wait *w);
/* Ends w's wait (after its callback, if running) and forgets it fired. */
void	sources_wait_stop(struct sources *src, struct sources_wait *w);
/* On Windows' threads: queue an interface or address record (once), or
 * that a route changed, and wake the loop. */
void	sources_post_rec(struct sources *src, unsigned what,
	    MIB_NOTIFICATION_TYPE type, NET_IFINDEX ifindex);
void	sources_post_route(struct sources *src);

/* sources_win_iphlp.c: interfaces, addresses and routes. */
/* Lists the adapters and registers the three IP Helper callbacks. */
int	sources_ip_open(struct sources *src, struct dwerr *err);
/* Reports the records, lost records and route changes of one look. */
void	sources_ip_fired(struct sources *src, const struct sources_rec *recs,
	    size_t n, bool overflow, bool route);
/* Cancels the callbacks (waiting for running ones) and empties the
 * adapter cache. */
void	sources_ip_close(struct sources *src);

/* sources_win_reg.c: the NRPT keys. */
/* Names the key each of src->reg follows. */
void	sources_reg_init(struct sources *src);
/* Watches w's key, or where it would appear; depth 0 on failure. */
void	sources_reg_watch(struct sources *src, struct sources_regwatch *w);
/* Follow mode: the watch of the tunnel's record (sc.cfg.record_key).
 * -1 when memory runs out or the key is not UTF-8. */
int	sources_reg_record(struct sources *src);
/* Re-arms w after its key's or its parent's watch fired, and reports. */
void	sources_reg_fired(struct sources *src, struct sources_regwatch *w,
	    bool key_fired, bool guard_fired);
/* Stops w's watches and closes its keys. */
void	sources_reg_unwatch(struct sources *src, struct sources_regwatch *w);

/* sources_win_dir.c: the hosts file and the desired-state file. */
/* Sets up a folder watch for each configured file; -1 when memory runs
 * out or a path is not UTF-8. */
int	sources_dirs_init(struct sources *src);
/* Watches d's folder if it is not watched (logged once on failure). */
void	sources_dir_open(struct sources *src, struct sources_dirwatch *d);
/* d's read ended: starts the next, reports the changes of d's file. */
void	sources_dir_fired(struct sources *src, struct sources_dirwatch *d);
/* Stops every folder watch and frees what sources_dirs_init made. */
void	sources_dirs_free(struct sources *src);

/* sources_win_gp.c: group policy refreshes. */
/* Asks to be told of machine policy refreshes, where the system can. */
void	sources_gp_open(struct sources *src);
/* A refresh happened: waits for the next, reports this one. */
void	sources_gp_fired(struct sources *src);
/* Stops asking. */
void	sources_gp_close(struct sources *src);

#endif
