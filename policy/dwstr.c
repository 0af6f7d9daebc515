/* dwstr: small string helpers (see dwstr.h). */
#include "dwstr.h"

#include <stdlib.h>
#include <string.h>

char *
dwstr_ndup(const char *s, size_t n)
{
	char	*p;

	if (s == NULL || (p = malloc(n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
dwstr_dup(const char *s)
{
	return s == NULL ? NULL : dwstr_ndup(s, strlen(s));
}

static int
dwstr_lower(int c)
{
	return (c >= 'A' && c <= 'Z') ? c - 'A' + 'a' : c;
}

int
dwstr_casecmp(const char *a, const char *b)
{
	const unsigned char	*x = (const unsigned char *)a;
	const unsigned char	*y = (const unsigned char *)b;

	while (*x != '\0' && dwstr_lower(*x) == dwstr_lower(*y)) {
		x++;
		y++;
	}
	return dwstr_lower(*x) - dwstr_lower(*y);
}
