/*
 * crashwrite: the Windows hosts writer built with DW_CRASH_HOOKS, for the
 * crash-consistency tests. With DW_CRASH_AT=<point> in its environment it
 * ends itself (exit code 99) at that point of a write.
 *
 *   crashwrite write HOSTS NEWCONTENT   replace HOSTS with NEWCONTENT's bytes
 *   crashwrite cleanup HOSTS            what the next start does first
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostsfile.h"
#include "platform.h"

int
main(int argc, char **argv)
{
	struct hostsfile_result	 res;
	struct dwerr		 err;
	char			*buf;
	size_t			 len;

	if (argc == 3 && strcmp(argv[1], "cleanup") == 0) {
		printf("%d\n", hostsfile_cleanup(argv[2]));
		return 0;
	}
	if (argc != 4 || strcmp(argv[1], "write") != 0) {
		fprintf(stderr, "usage: crashwrite write HOSTS NEW | cleanup HOSTS\n");
		return 64;
	}
	if (platform_read_file(argv[3], 1u << 26, &buf, &len, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 2;
	}
	if (hostsfile_write(argv[2], NULL, buf, len, &res, &err) != 0) {
		fprintf(stderr, "%s\n", err.msg);
		free(buf);
		return 1;
	}
	printf("%s\n", res.method);
	free(buf);
	return 0;
}
