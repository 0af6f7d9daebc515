/* hostsfile: the parts every platform shares (see hostsfile.h). */
#include "hostsfile.h"

#include <errno.h>
#include <stdlib.h>

int
hostsfile_read(const char *path, size_t max, char **buf, size_t *len,
    bool *exists, struct dwerr *err)
{
	struct dwerr	 e;

	*exists = true;
	dwerr_reset(&e);
	if (platform_read_file(path, max, buf, len, &e) == 0)
		return 0;
	if (e.code == PLATFORM_E_NOENT) {
		/* A missing hosts file is normal: it reads as empty. */
		*exists = false;
		if ((*buf = calloc(1, 1)) == NULL) {
			dwerr_set(err, ENOMEM, "out of memory");
			return -1;
		}
		*len = 0;
		return 0;
	}
	if (err != NULL)
		*err = e;
	return -1;
}

const char *
hostsfile_error_name(int code)
{
	if (code == HOSTSFILE_CHANGED)
		return "CHANGED";
	return platform_error_name(code);
}
