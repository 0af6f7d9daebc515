/* dwstr: small string helpers that strict C17 lacks. */
#ifndef DWSTR_H
#define DWSTR_H

#include <stddef.h>

/* A malloc'd copy of s (NULL when s is NULL or memory runs out). */
char	*dwstr_dup(const char *s);
/* A malloc'd, NUL-terminated copy of the first n bytes of s. */
char	*dwstr_ndup(const char *s, size_t n);
/* Compares ASCII strings ignoring case, like strcasecmp. */
int	 dwstr_casecmp(const char *a, const char *b);

#endif
