/*
 * resolve: POSIX (see resolve.h). Lookups go through getaddrinfo, the
 * path every application takes (nsswitch: the hosts file, then DNS, as
 * /etc/nsswitch.conf says). There is no per-server lookup here: the
 * split-DNS rules of this platform are not NRPT rules.
 */
#define _POSIX_C_SOURCE 200809L
#define _DEFAULT_SOURCE	/* EAI_NODATA */

#include "resolve.h"

#include <sys/types.h>
#include <sys/socket.h>
#include <netdb.h>
#include <netinet/in.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "resolve_os.h"

#define RESOLVE_NSSWITCH	"/etc/nsswitch.conf"
#define RESOLVE_LINE_BYTES	1024u

int
resolve_os_name(const char *name, const char *server,
    struct resolve_answer *ans, struct dwerr *err)
{
	struct addrinfo	 hints, *res, *ai;
	int		 rc;

	if (server != NULL) {
		dwerr_set(err, ENOTSUP, "asking one DNS server directly is "
		    "only done on Windows");
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;	/* one answer per address */
	switch ((rc = getaddrinfo(name, NULL, &hints, &res))) {
	case 0:
		break;
	case EAI_NONAME:
#ifdef EAI_NODATA
	case EAI_NODATA:
#endif
		ans->status = RESOLVE_NO_NAME;
		return 0;
	case EAI_AGAIN:
		ans->status = RESOLVE_UNREACHABLE;
		return 0;
	case EAI_MEMORY:
		dwerr_set(err, ENOMEM, "%s: out of memory", name);
		return -1;
	default:
		ans->status = RESOLVE_ERROR;
		dwerr_set(err, rc == EAI_SYSTEM ? errno : EIO, "%s: %s", name,
		    rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return 0;
	}
	for (ai = res; ai != NULL; ai = ai->ai_next) {
		rc = 0;
		if (ai->ai_family == AF_INET)
			rc = resolve_answer_add(ans, 4, (const unsigned char *)
			    &((struct sockaddr_in *)(void *)ai->ai_addr)->
			    sin_addr);
		else if (ai->ai_family == AF_INET6)
			rc = resolve_answer_add(ans, 6, (const unsigned char *)
			    &((struct sockaddr_in6 *)(void *)ai->ai_addr)->
			    sin6_addr);
		if (rc != 0) {
			freeaddrinfo(res);
			resolve_answer_clear(ans);
			dwerr_set(err, ENOMEM, "%s: out of memory", name);
			return -1;
		}
	}
	freeaddrinfo(res);
	ans->status = ans->naddrs > 0 ? RESOLVE_OK : RESOLVE_NO_NAME;
	return 0;
}

/* True when the "hosts:" line's services (after the colon) name files;
 * action items such as "[NOTFOUND=return]" are not services. */
static bool
resolve_line_has_files(const char *p)
{
	size_t	 n;

	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (*p == '\0' || *p == '#')
			return false;
		if (*p == '[') {
			while (*p != '\0' && *p != ']')
				p++;
			if (*p == ']')
				p++;
			continue;
		}
		for (n = 0; p[n] != '\0' && !isspace((unsigned char)p[n]) &&
		    p[n] != '[' && p[n] != '#'; n++)
			;
		if (n == 5 && strncmp(p, "files", 5) == 0)
			return true;
		p += n;
	}
}

bool
resolve_reads_hosts(const char *path, char *why, size_t whylen)
{
	char	 line[RESOLVE_LINE_BYTES], *p, *nl;
	FILE	*f;
	bool	 found = false, files = true;

	if (why != NULL && whylen > 0)
		why[0] = '\0';
	if (path == NULL)
		path = RESOLVE_NSSWITCH;
	/* No file, or no hosts line: the C library's default, which reads
	 * the hosts file. */
	if ((f = fopen(path, "r")) == NULL)
		return true;
	while (!found && fgets(line, sizeof(line), f) != NULL) {
		for (p = line; isspace((unsigned char)*p); p++)
			;
		if (strncmp(p, "hosts", 5) != 0)
			continue;
		for (p += 5; *p == ' ' || *p == '\t'; p++)
			;
		if (*p != ':')
			continue;
		found = true;
		files = resolve_line_has_files(p + 1);
		if (!files && why != NULL) {
			if ((nl = strchr(line, '\n')) != NULL)
				*nl = '\0';
			snprintf(why, whylen, "%s: \"%s\" does not name files, "
			    "so the resolver does not read the hosts file",
			    path, line);
		}
	}
	fclose(f);
	return files;
}
