/* resolvedwatch: resolved's bus connection on the loop (see
 * resolvedwatch.h). */
#include "resolvedwatch.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "log.h"

struct rwatch {
	struct loop		*loop;
	rwatch_fn		 fn;
	void			*arg;
	struct rbus		*bus;
	struct loop_io		*io;
	struct loop_timer	*timer;		/* the next request timeout */
	bool			 lost;
	char			 error[DWERR_MSG_BYTES];
};

static void
rwatch_drop_io(struct rwatch *w)
{
	loop_io_free(w->io);
	w->io = NULL;
	loop_timer_cancel(w->timer);
}

static void
rwatch_event(void *arg, enum rbus_event ev)
{
	struct rwatch	*w = arg;

	switch (ev) {
	case RBUS_RESOLVED_UP:
		w->fn(w->arg, RWATCH_UP);
		break;
	case RBUS_RESOLVED_GONE:
		w->fn(w->arg, RWATCH_GONE);
		break;
	case RBUS_DNS_CHANGED:
		w->fn(w->arg, RWATCH_CHANGED);
		break;
	case RBUS_LOST:
		/* Its descriptor would stay readable: off the loop now,
		 * closed at the next rwatch_ensure. */
		w->lost = true;
		snprintf(w->error, sizeof(w->error), "the connection to the "
		    "system bus was lost");
		break;
	}
}

/* The descriptor is ready, or a timeout is due: dispatch. */
static void
rwatch_process(struct rwatch *w)
{
	if (w->bus == NULL || w->lost)
		return;
	rbus_process(w->bus);
	/* Replies for the pass, or the errors sd-bus made up for them when
	 * the connection went. */
	w->fn(w->arg, RWATCH_DISPATCHED);
	if (w->lost) {
		rwatch_drop_io(w);
		log_error("resolved: %s", w->error);
		w->fn(w->arg, RWATCH_GONE);
		return;
	}
	rwatch_arm(w);
}

static void
rwatch_io_cb(void *arg)
{
	rwatch_process(arg);
}

static void
rwatch_timer_cb(void *arg)
{
	rwatch_process(arg);
}

struct rwatch *
rwatch_new(struct loop *loop, rwatch_fn fn, void *arg)
{
	struct rwatch	*w;

	if ((w = calloc(1, sizeof(*w))) == NULL)
		return NULL;
	w->loop = loop;
	w->fn = fn;
	w->arg = arg;
	if ((w->timer = loop_timer_new(loop, rwatch_timer_cb, w)) == NULL) {
		free(w);
		return NULL;
	}
	return w;
}

void
rwatch_free(struct rwatch *w)
{
	if (w == NULL)
		return;
	loop_io_free(w->io);
	loop_timer_free(w->timer);
	rbus_free(w->bus);
	free(w);
}

struct rbus *
rwatch_ensure(struct rwatch *w)
{
	struct dwerr	 err;

	if (w->bus != NULL && !w->lost)
		return w->bus;
	rwatch_drop_io(w);
	rbus_free(w->bus);
	w->bus = NULL;
	w->lost = false;
	dwerr_reset(&err);
	if (rbus_open(&w->bus, &err) != 0 ||
	    rbus_watch(w->bus, rwatch_event, w, &err) != 0 ||
	    (w->io = loop_io_new(w->loop, rbus_fd(w->bus), rwatch_io_cb,
	    w)) == NULL) {
		snprintf(w->error, sizeof(w->error), "%s", err.msg);
		if (w->bus != NULL && w->io == NULL && err.msg[0] == '\0')
			snprintf(w->error, sizeof(w->error), "cannot watch the "
			    "bus connection");
		rbus_free(w->bus);
		w->bus = NULL;
		return NULL;
	}
	w->error[0] = '\0';
	rwatch_arm(w);
	return w->bus;
}

const char *
rwatch_error(const struct rwatch *w)
{
	return w->error;
}

bool
rwatch_connected(const struct rwatch *w)
{
	return w->bus != NULL && !w->lost;
}

void
rwatch_arm(struct rwatch *w)
{
	uint32_t	 t;

	if (w->bus == NULL || w->lost || w->io == NULL)
		return;
	if (loop_io_want_write(w->io, rbus_wants_write(w->bus)) != 0) {
		/* Not watched any more: as good as lost. */
		w->lost = true;
		snprintf(w->error, sizeof(w->error), "the bus connection could "
		    "not be watched");
		rwatch_drop_io(w);
		w->fn(w->arg, RWATCH_GONE);
		return;
	}
	if ((t = rbus_timeout_ms(w->bus)) == UINT32_MAX)
		loop_timer_cancel(w->timer);
	else
		loop_timer_schedule(w->timer, t);
}
