/* platform: the parts common to every platform (see platform.h). */
#include "platform.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "dwstr.h"

void
platform_random_weak(void *buf, size_t len, uint64_t seed)
{
	unsigned char	*p = buf;
	uint64_t	 x;
	size_t		 i;

	/* Not secret, but rule IDs and activity IDs must still differ
	 * between runs and processes. */
	x = platform_wall_us() ^ (seed << 32) ^ platform_mono_us();
	if (x == 0)
		x = 0x9e3779b97f4a7c15ull;
	for (i = 0; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		p[i] = (unsigned char)x;
	}
}

double
platform_random01(void)
{
	uint64_t	 r;

	platform_random(&r, sizeof(r));
	return (double)(r >> 11) / 9007199254740992.0;	/* 2^53 */
}

int
platform_write_state_file(const char *path, const void *buf, size_t len,
    struct dwerr *err)
{
	char	*dir, *slash;

	if ((dir = dwstr_dup(path)) == NULL) {
		dwerr_set(err, ENOMEM, "out of memory");
		return -1;
	}
	slash = strrchr(dir, '/');
#ifdef _WIN32
	if (strrchr(dir, '\\') > slash)
		slash = strrchr(dir, '\\');
#endif
	if (slash != NULL && slash != dir) {
		*slash = '\0';
		if (platform_make_private_dir(dir, err) != 0) {
			free(dir);
			return -1;
		}
	}
	free(dir);
	return platform_write_file_atomic(path, buf, len, err);
}
