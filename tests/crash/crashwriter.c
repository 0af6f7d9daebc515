/*
 * crashwriter: the real POSIX hosts writer in a loop, for the
 * crash-consistency test (never shipped).
 *
 *   crashwriter [-i] [-n COUNT] [-s STATUS] HOSTS A [B]
 *   crashwriter -c HOSTS
 *
 * Replaces HOSTS with the bytes of file A, then B, then A again, and so on,
 * COUNT times (default 1; with no B, A every time), through
 * hostsfile_write. It prints "ready" once both contents are loaded, and
 * "done METHOD COUNT" at the end. With -s, STATUS (created, 16 bytes) holds
 * two 64-bit counters in shared memory: the writes begun and the writes
 * finished, so whoever kills this program can tell whether it died inside a
 * write, and inside which one.
 *
 * -c runs hostsfile_cleanup on HOSTS (what the next start does first) and
 * prints how many files it removed or repaired.
 *
 * -i demands the in-place journaled path (every write must report it): run
 * it with crashshim's DW_CRASH_BIND=1, which makes rename fail with EBUSY as
 * on a bind mount. Exits 0, 1 when a write fails (its error on stderr: the
 * errno name, then the message), 2 when the contents cannot be read, 3 when
 * a write took a path other than the one demanded, 64 on bad usage.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE

#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "hostsfile.h"
#include "platform.h"

#define CRASHWRITER_MAX_BYTES	(64u << 20)	/* largest content file */
#define CRASHWRITER_IN_PLACE	"in-place-journaled"

/* One content to write, as loaded from its file. */
struct crashwriter_content {
	char	*buf;
	size_t	 len;
};

/* Maps the status file: [0] writes begun, [1] writes finished. */
static volatile uint64_t *
crashwriter_status(const char *path)
{
	void	*p;
	int	 fd;

	if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 ||
	    ftruncate(fd, 2 * sizeof(uint64_t)) != 0) {
		perror(path);
		exit(2);
	}
	p = mmap(NULL, 2 * sizeof(uint64_t), PROT_READ | PROT_WRITE, MAP_SHARED,
	    fd, 0);
	if (p == MAP_FAILED) {
		perror("mmap");
		exit(2);
	}
	close(fd);
	return p;
}

static void
crashwriter_load(const char *path, struct crashwriter_content *c)
{
	struct dwerr	 err;

	if (platform_read_file(path, CRASHWRITER_MAX_BYTES, &c->buf, &c->len,
	    &err) != 0) {
		fprintf(stderr, "crashwriter: %s\n", err.msg);
		exit(2);
	}
}

static void
crashwriter_usage(void)
{
	fprintf(stderr, "usage: crashwriter [-i] [-n COUNT] [-s STATUS] HOSTS A [B]\n"
	    "       crashwriter -c HOSTS\n");
	exit(64);
}

int
main(int argc, char **argv)
{
	struct crashwriter_content	 c[2];
	struct hostsfile_result		 res;
	struct dwerr			 err;
	volatile uint64_t		*status = NULL;
	const char			*method = "";
	unsigned long			 count = 1, i;
	bool				 in_place = false, cleanup = false;
	int				 ch;

	while ((ch = getopt(argc, argv, "cin:s:")) != -1) {
		switch (ch) {
		case 'c':
			cleanup = true;
			break;
		case 'i':
			in_place = true;
			break;
		case 'n':
			count = strtoul(optarg, NULL, 10);
			break;
		case 's':
			status = crashwriter_status(optarg);
			break;
		default:
			crashwriter_usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (cleanup) {
		if (argc != 1)
			crashwriter_usage();
		printf("%d\n", hostsfile_cleanup(argv[0]));
		return 0;
	}
	if (argc != 2 && argc != 3)
		crashwriter_usage();
	crashwriter_load(argv[1], &c[0]);
	crashwriter_load(argv[argc == 3 ? 2 : 1], &c[1]);
	printf("ready\n");
	fflush(stdout);
	for (i = 0; i < count; i++) {
		const struct crashwriter_content *w = &c[i % 2];

		if (status != NULL)
			status[0] = i + 1;
		if (hostsfile_write(argv[0], NULL, w->buf, w->len, &res, &err) != 0) {
			fprintf(stderr, "%s: write %lu: %s\n",
			    hostsfile_error_name(err.code), i + 1, err.msg);
			return 1;
		}
		if (status != NULL)
			status[1] = i + 1;
		method = res.method;
		hostsfile_carry_free(res.carry);
		if (in_place && strcmp(method, CRASHWRITER_IN_PLACE) != 0) {
			fprintf(stderr, "crashwriter: write %lu took the %s path, "
			    "not %s\n", i + 1, method, CRASHWRITER_IN_PLACE);
			return 3;
		}
	}
	printf("done %s %lu\n", method, count);
	free(c[0].buf);
	free(c[1].buf);
	return 0;
}
