/* control: no control channel on this platform yet (see control.h). */
#include "control.h"

#include <errno.h>
#include <stddef.h>

struct control *
control_listen(struct loop *loop, const char *path, control_request_fn fn,
    void *arg, struct dwerr *err)
{
	(void)loop;
	(void)fn;
	(void)arg;
	dwerr_set(err, ENOTSUP, "this build has no control channel yet, so "
	    "nothing listens on %s", path);
	return NULL;
}

void
control_free(struct control *ctl)
{
	(void)ctl;
}

void
control_set_idle_ms(struct control *ctl, uint64_t ms)
{
	(void)ctl;
	(void)ms;
}

void
control_reply(struct control_client *client, const char *json)
{
	(void)client;
	(void)json;
}

int
control_call(const char *path, const char *cmd, int timeout_ms, char **reply,
    struct dwerr *err)
{
	(void)cmd;
	(void)timeout_ms;
	*reply = NULL;
	dwerr_set(err, ENOTSUP, "this build has no control channel yet, so it "
	    "cannot reach a dnswatchdog on %s", path);
	return -1;
}
