/* nrpt_store: platforms without NRPT (see nrpt_store.h). */
#include "nrpt_store.h"

#include <errno.h>
#include <stddef.h>

#ifndef ENOTSUP
#define ENOTSUP EOPNOTSUPP
#endif

int
nrpt_store_open(const char *record_key, const char *record_value,
    struct nrpt_store **out, struct dwerr *err)
{
	(void)record_key;
	(void)record_value;
	*out = NULL;
	dwerr_set(err, ENOTSUP, "NRPT is a Windows feature; not managed here");
	return -1;
}

void
nrpt_store_free(struct nrpt_store *st)
{
	(void)st;
}

int
nrpt_store_read(struct nrpt_store *st, struct nrpt_live *live, struct dwerr *err)
{
	(void)st;
	(void)live;
	dwerr_set(err, ENOTSUP, "NRPT is a Windows feature; not managed here");
	return -1;
}

bool
nrpt_store_gp(const struct nrpt_store *st)
{
	(void)st;
	return false;
}

const struct nrpt_store_ops *
nrpt_store_ops(void)
{
	return NULL;
}

int
nrpt_store_notify(struct nrpt_store *st, struct dwerr *err)
{
	(void)st;
	dwerr_set(err, ENOTSUP, "NRPT is a Windows feature; not managed here");
	return -1;
}
