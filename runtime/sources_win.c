/*
 * sources: Windows (see sources.h).
 *
 * Windows speaks on threads of its own: IP Helper callbacks (interfaces,
 * unicast addresses, routes), and thread-pool waits on the events that the
 * registry (RegNotifyChangeKeyValue), the folder reads (overlapped
 * ReadDirectoryChangesW) and the group-policy engine
 * (RegisterGPNotification) signal. Those threads only record what happened
 * in a small queue under a lock, and wake the loop when the queue was
 * empty. Everything else happens in the loop: naming the adapter,
 * re-arming the one-shot watches, reading the folder changes, calling the
 * daemon.
 *
 * This file holds the struct sources (sources_win_int.h), the waits, the
 * queue and the loop's look at it; each watcher has its own file:
 * sources_win_iphlp.c (IP Helper), sources_win_reg.c (the NRPT keys),
 * sources_win_dir.c (the folders of the hosts and desired-state files)
 * and sources_win_gp.c (group policy).
 */
#include "sources.h"
#include "sources_win_int.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "winutf.h"

/*
 * The queue. Windows' threads write it; the loop empties it in one go.
 */

static bool
sources_pending(const struct sources *src)
{
	return src->nq > 0 || src->q_route || src->q_overflow ||
	    src->q_fired != 0;
}

/* Ends a change of the queue: the thread that made it non-empty wakes the
 * loop; later records ride on that wake-up. */
static void
sources_post_end(struct sources *src, bool was_pending)
{
	ReleaseSRWLockExclusive(&src->lock);
	if (!was_pending)
		loop_wake(src->waker);
}

/* Queues (what, type, ifindex) unless it is queued already. */
void
sources_post_rec(struct sources *src, unsigned what,
    MIB_NOTIFICATION_TYPE type, NET_IFINDEX ifindex)
{
	bool	 was;
	size_t	 i;

	AcquireSRWLockExclusive(&src->lock);
	was = sources_pending(src);
	for (i = 0; i < src->nq; i++)
		if (src->q[i].what == what && src->q[i].type == type &&
		    src->q[i].ifindex == ifindex)
			break;
	if (i == src->nq) {
		if (src->nq < SOURCES_QUEUE_MAX) {
			src->q[src->nq].what = (unsigned char)what;
			src->q[src->nq].type = (unsigned char)type;
			src->q[src->nq].ifindex = ifindex;
			src->nq++;
		} else
			src->q_overflow = true;
	}
	sources_post_end(src, was);
}

void
sources_post_route(struct sources *src)
{
	bool	 was;

	AcquireSRWLockExclusive(&src->lock);
	was = sources_pending(src);
	src->q_route = true;
	sources_post_end(src, was);
}

/* A thread-pool wait ended: its event was signalled. */
static VOID CALLBACK
sources_wait_cb(PVOID arg, BOOLEAN timed_out)
{
	struct sources_wait	*w = arg;
	struct sources		*src = w->src;
	bool			 was;

	(void)timed_out;
	AcquireSRWLockExclusive(&src->lock);
	was = sources_pending(src);
	src->q_fired |= 1u << w->slot;
	sources_post_end(src, was);
}

/* Waits once for w's event on the thread pool. Returns 0 or a Win32
 * error. */
DWORD
sources_wait_start(struct sources_wait *w)
{
	if (!RegisterWaitForSingleObject(&w->wait, w->event, sources_wait_cb,
	    w, INFINITE, WT_EXECUTEONLYONCE)) {
		w->wait = NULL;
		return GetLastError();
	}
	return 0;
}

/* Ends w's wait, after its callback if one is under way, and forgets that
 * it fired. */
void
sources_wait_stop(struct sources *src, struct sources_wait *w)
{
	if (w->wait == NULL)
		return;
	(void)UnregisterWaitEx(w->wait, INVALID_HANDLE_VALUE);
	w->wait = NULL;
	AcquireSRWLockExclusive(&src->lock);
	src->q_fired &= ~(1u << w->slot);
	ReleaseSRWLockExclusive(&src->lock);
}

/*
 * The loop's side.
 */

/* Watches that failed or were lost: try them again. */
static void
sources_retry(struct sources *src)
{
	size_t	 i;

	for (i = 0; i < SOURCES_REG_COUNT && !src->sc.dying; i++) {
		struct sources_regwatch *w = &src->reg[i];

		if (w->depth != 0 || w->path == NULL)
			continue;
		sources_reg_watch(src, w);
		/* It may have changed while it was not watched. */
		if (w->depth == w->full)
			sources_emit(&src->sc, SOURCE_NRPT, "%s", w->detail);
	}
	for (i = 0; i < SOURCES_DIR_COUNT && !src->sc.dying; i++)
		sources_dir_open(src, &src->dir[i]);
}

static void sources_destroy(struct sources *);

/* The waker: takes everything queued at once, then handles it. */
static void
sources_drain(void *arg)
{
	struct sources		*src = arg;
	struct sources_rec	 recs[SOURCES_QUEUE_MAX];
	size_t			 n, i;
	unsigned		 fired;
	bool			 route, overflow;

	AcquireSRWLockExclusive(&src->lock);
	n = src->nq;
	memcpy(recs, src->q, n * sizeof(recs[0]));
	route = src->q_route;
	overflow = src->q_overflow;
	fired = src->q_fired;
	src->nq = 0;
	src->q_route = src->q_overflow = false;
	src->q_fired = 0;
	ReleaseSRWLockExclusive(&src->lock);

	sources_retry(src);
	for (i = 0; i < SOURCES_REG_COUNT && !src->sc.dying; i++) {
		struct sources_regwatch *w = &src->reg[i];
		bool k = (fired & (1u << w->wkey.slot)) != 0;
		bool g = (fired & (1u << w->wguard.slot)) != 0;

		if (k || g)
			sources_reg_fired(src, w, k, g);
	}
	for (i = 0; i < SOURCES_DIR_COUNT && !src->sc.dying; i++)
		if (fired & (1u << src->dir[i].w.slot))
			sources_dir_fired(src, &src->dir[i]);
	if ((fired & (1u << SOURCES_S_POLICY)) && !src->sc.dying)
		sources_gp_fired(src);
	if (!src->sc.dying)
		sources_ip_fired(src, recs, n, overflow, route);
	if (src->sc.dying)
		sources_destroy(src);
}

/* Gives every wait its slot and event; the folder reads' events are
 * manual-reset, as overlapped I/O wants. */
static int
sources_init_waits(struct sources *src)
{
	size_t	 i;
	unsigned s;

	sources_reg_init(src);
	for (i = 0; i < SOURCES_REG_COUNT; i++) {
		src->slots[SOURCES_S_LOCAL_KEY + 2 * i] = &src->reg[i].wkey;
		src->slots[SOURCES_S_LOCAL_GUARD + 2 * i] = &src->reg[i].wguard;
	}
	for (i = 0; i < SOURCES_DIR_COUNT; i++) {
		src->dir[i].h = INVALID_HANDLE_VALUE;
		src->slots[SOURCES_S_HOSTS + i] = &src->dir[i].w;
	}
	src->slots[SOURCES_S_POLICY] = &src->policy;
	for (s = 0; s < SOURCES_S_COUNT; s++) {
		struct sources_wait *w = src->slots[s];
		bool manual = s == SOURCES_S_HOSTS || s == SOURCES_S_DESIRED;

		w->src = src;
		w->slot = s;
		if ((w->event = CreateEventW(NULL, manual, FALSE, NULL)) ==
		    NULL)
			return -1;
	}
	return 0;
}

static void
sources_destroy(struct sources *src)
{
	size_t	 i;

	sources_ip_close(src);
	for (i = 0; i < SOURCES_REG_COUNT; i++) {
		if (src->reg[i].wkey.event != NULL)
			sources_reg_unwatch(src, &src->reg[i]);
		free(src->reg[i].own_path);
		free(src->reg[i].own_upath);
	}
	sources_dirs_free(src);
	sources_gp_close(src);
	for (i = 0; i < SOURCES_S_COUNT; i++)
		if (src->slots[i] != NULL && src->slots[i]->event != NULL)
			CloseHandle(src->slots[i]->event);
	/* Nothing can wake it any more. */
	loop_timer_free(src->waker);
	sources_clear_config(&src->sc);
	free(src);
}

/* The sources the process made last: the seam a whole-daemon test uses
 * to drive the IP Helper callbacks of a daemon it runs in-process. */
static _Atomic(struct sources *) sources_win_last;

struct sources *
sources_win_current(void)
{
	return atomic_load(&sources_win_last);
}

struct sources *
sources_new(struct loop *loop, const struct sources_config *cfg,
    sources_fn fn, void *arg, struct dwerr *err)
{
	struct sources	*src;
	char		 msg[SOURCES_MSG_BYTES];
	size_t		 i;

	if ((src = calloc(1, sizeof(*src))) == NULL) {
		dwerr_set(err, ENOMEM, "event sources: out of memory");
		return NULL;
	}
	src->sc.loop = loop;
	src->sc.fn = fn;
	src->sc.arg = arg;
	src->reg_agnostic = REG_NOTIFY_THREAD_AGNOSTIC;
	InitializeSRWLock(&src->lock);
	if (sources_init_waits(src) != 0) {
		winutf_message(GetLastError(), msg, sizeof(msg));
		dwerr_set(err, ENOMEM, "event sources: cannot create an "
		    "event: %s", msg);
		goto fail;
	}
	if (sources_copy_config(&src->sc, cfg) != 0 ||
	    sources_reg_record(src) != 0 || sources_dirs_init(src) != 0) {
		dwerr_set(err, ENOMEM, "event sources: out of memory (or a "
		    "path that is not UTF-8)");
		goto fail;
	}
	if ((src->waker = loop_waker_new(loop, sources_drain, src)) == NULL) {
		dwerr_set(err, ENOMEM, "event sources: cannot add a waker to "
		    "the loop");
		goto fail;
	}
	if (sources_ip_open(src, err) != 0)
		goto fail;
	for (i = 0; i < SOURCES_REG_COUNT; i++)
		sources_reg_watch(src, &src->reg[i]);
	for (i = 0; i < SOURCES_DIR_COUNT; i++)
		sources_dir_open(src, &src->dir[i]);
	sources_gp_open(src);
	atomic_store(&sources_win_last, src);
	return src;
fail:
	sources_destroy(src);
	return NULL;
}

void
sources_free(struct sources *src)
{
	if (src == NULL)
		return;
	atomic_compare_exchange_strong(&sources_win_last, &(struct sources *){ src },
	    NULL);
	/* Called from fn: the drain frees it once fn returns. */
	if (src->sc.in_fn) {
		src->sc.dying = true;
		return;
	}
	sources_destroy(src);
}
