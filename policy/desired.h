/*
 * desired: the desired DNS state, version 1.
 *
 * desired_parse turns the JSON a tunnel or an admin writes into plain C
 * structs, validating every field; nothing of cJSON survives the call.
 * Every string in a struct desired_state is normalised and safe to place in
 * the hosts file or a registry value: names are lower-case ASCII DNS names,
 * NRPT domains carry a leading dot, addresses are in canonical text form.
 */
#ifndef DESIRED_H
#define DESIRED_H

#include <stdbool.h>
#include <stddef.h>

#include "dwerr.h"

#define DESIRED_MAX_BYTES	(16u << 20)	/* larger files are refused unread */
#define DESIRED_MAX_DEPTH	16u		/* deepest JSON nesting accepted */
#define DESIRED_VERSION		1
#define DESIRED_MAX_SERVERS	16u		/* per NRPT rule */
#define DESIRED_MAX_PROBES	8u		/* probe names per NRPT rule */

/* One NRPT rule as the user wrote it (the planner splits it into chunks). */
struct desired_nrpt {
	char	**domains;	/* ".coder", ".corp.example" */
	size_t	  ndomains;
	char	**servers;	/* canonical IP literals, in the given order */
	size_t	  nservers;
	char	**probes;	/* host names verification resolves, or NULL */
	size_t	  nprobes;
};

/* One hosts entry: an address and the names that resolve to it. */
struct desired_host {
	char	 *address;	/* canonical IP literal */
	char	**names;	/* lower-case host names, in the given order */
	size_t	  nnames;
};

struct desired_state {
	struct desired_nrpt	*nrpt;
	size_t			 nnrpt;
	struct desired_host	*hosts;
	size_t			 nhosts;
	/* Follow mode only (policy/follow.h): the section's body as bytes,
	 * put back between the markers as it was learned, instead of
	 * entries (malloc'd; desired_parse never sets it). */
	bool			 hosts_raw_set;
	char			*hosts_raw;
	size_t			 hosts_raw_len;
};

/* Parses and validates len bytes of JSON read from file (a name used only in
 * messages). On success *out is a new state the caller frees with
 * desired_free. On failure returns -1, leaves *out NULL and fills err with
 * one sentence per problem: "FILE: $.hosts[3].names[0]: reason". */
int	desired_parse(const char *text, size_t len, const char *file,
	    struct desired_state **out, struct dwerr *err);

/* An empty state (no NRPT rules, no hosts entries); free with desired_free.
 * Arrays and strings a caller adds are malloc'd one by one and freed so. */
struct desired_state *desired_new(void);

/* Frees a state; NULL is a no-op. */
void	desired_free(struct desired_state *ds);

/* Total number of host names over all hosts entries. */
size_t	desired_host_names(const struct desired_state *ds);

#endif
