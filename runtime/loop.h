/*
 * loop: the event loop, a thin wrapper over libevent. The rest of the
 * daemon never includes <event2/event.h>; it sees timers, readable file
 * descriptors, signals and a thread-safe wake-up.
 *
 * One thread owns the loop and all state. Other threads (Windows
 * notification callbacks) only call loop_wake, which queues nothing and
 * is safe from any thread.
 */
#ifndef LOOP_H
#define LOOP_H

#include <stdbool.h>
#include <stdint.h>

#include "dwerr.h"

struct loop;
struct loop_timer;
struct loop_io;

typedef void (*loop_cb)(void *arg);

/* A loop; thread support is enabled before the base exists, so loop_wake
 * works from any thread. Routes libevent's own messages to log.c. Returns
 * NULL with err on failure. */
struct loop	*loop_new(struct dwerr *err);
/* Frees the loop; free every timer, io and signal first. NULL: no-op. */
void		 loop_free(struct loop *loop);
/* Runs until loop_stop; returns 0, or -1 when libevent failed. */
int		 loop_run(struct loop *loop);
/* Makes loop_run return after the current callback. */
void		 loop_stop(struct loop *loop);
/* Monotonic now, in milliseconds, as the loop sees it (cached per turn). */
uint64_t	 loop_now_ms(struct loop *loop);

/* A one-shot timer calling cb(arg); armed with loop_timer_schedule. */
struct loop_timer *loop_timer_new(struct loop *loop, loop_cb cb, void *arg);
/* Arms (or re-arms) the timer to fire after ms milliseconds. */
void		 loop_timer_schedule(struct loop_timer *t, uint64_t ms);
/* Disarms the timer; a no-op when it is not armed. */
void		 loop_timer_cancel(struct loop_timer *t);
/* True when armed. */
bool		 loop_timer_pending(const struct loop_timer *t);
/* Milliseconds until it fires, or 0 when not armed. */
uint64_t	 loop_timer_remaining_ms(const struct loop_timer *t);
/* Frees the timer (disarming it); NULL is a no-op. */
void		 loop_timer_free(struct loop_timer *t);

/* Calls cb(arg) whenever fd is readable, until loop_io_free. */
struct loop_io	*loop_io_new(struct loop *loop, intptr_t fd, loop_cb cb, void *arg);
void		 loop_io_free(struct loop_io *io);
/* Also calls cb when fd is writable (want), or no longer (!want). */
int		 loop_io_want_write(struct loop_io *io, bool want);

/* Calls cb(arg) in the loop when signal signo arrives (POSIX). */
struct loop_io	*loop_signal_new(struct loop *loop, int signo, loop_cb cb, void *arg);

/* A wake-up other threads may trigger: cb(arg) runs once in the loop
 * after one or more loop_wake calls. */
struct loop_timer *loop_waker_new(struct loop *loop, loop_cb cb, void *arg);
void		 loop_wake(struct loop_timer *waker);

#endif
