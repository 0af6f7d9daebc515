/*
 * hosts: the managed section of a hosts file.
 *
 * hosts_parse splits a file into foreign bytes and the section between a
 * begin and an end marker line; hosts_render produces the new file for a
 * set of desired entries. Pure functions over byte buffers: the caller reads
 * and writes the file (see os/hostsfile.h).
 *
 * Guarantees:
 *  - every foreign byte is kept, in order; the only change allowed is a line
 *    terminator added after a last foreign line that lacked one;
 *  - the section uses the file's dominant line ending and at most
 *    HOSTS_NAMES_PER_LINE names per line;
 *  - a complete section is replaced where it stands; further complete
 *    sections are dropped; a marker line without its pair is dropped, the
 *    lines around it are kept;
 *  - no desired entries means no section at all.
 */
#ifndef HOSTS_H
#define HOSTS_H

#include <stdbool.h>
#include <stddef.h>

#include "desired.h"
#include "dwerr.h"

#define HOSTS_MAX_BYTES		(64u << 20)	/* larger files are refused */
#define HOSTS_NAMES_PER_LINE	9u		/* Windows reads no more */
#define HOSTS_MARKER_MAX_CHARS	128u

#define HOSTS_BEGIN_MARKER_DEFAULT	"# DnsWatchdogSectionStart"
#define HOSTS_END_MARKER_DEFAULT	"# DnsWatchdogSectionEnd"

enum hosts_eol {
	HOSTS_EOL_LF,
	HOSTS_EOL_CRLF
};

struct hosts_markers {
	const char	*begin;		/* a whole line, e.g. "# DnsWatchdogSectionStart" */
	const char	*end;
};

/* A parsed file; opaque. */
struct hosts_doc;

/* Checks that a pair of markers is usable: '#'-comments of printable ASCII,
 * different from each other. Returns 0 or -1 with err. */
int	hosts_markers_check(const struct hosts_markers *m, struct dwerr *err);

/* Parses len bytes. eol_default is the ending used when the file has none
 * (a new or one-line file). Fails (-1, err) on a file it cannot safely
 * rewrite: UTF-16/UTF-32 byte order mark, NUL bytes, over HOSTS_MAX_BYTES.
 * The doc borrows buf: keep buf alive and unchanged until hosts_doc_free. */
int	hosts_parse(const char *buf, size_t len, const struct hosts_markers *m,
	    enum hosts_eol eol_default, struct hosts_doc **out, struct dwerr *err);

/* Frees a doc; NULL is a no-op. */
void	hosts_doc_free(struct hosts_doc *doc);

/* Number of complete sections found (0, 1, or more when duplicated). */
size_t	hosts_doc_sections(const struct hosts_doc *doc);
/* Number of marker lines without a pair. */
size_t	hosts_doc_orphan_markers(const struct hosts_doc *doc);
/* The body of the one complete section (the bytes between its marker
 * lines, pointing into the parsed buffer): true when there is exactly one
 * section and no lone marker. */
bool	hosts_doc_section_body(const struct hosts_doc *doc, const char **body,
	    size_t *len);
/* The line ending the section is written with. */
enum hosts_eol hosts_doc_eol(const struct hosts_doc *doc);

/* Renders the whole new file for the hosts entries of ds (NULL: none), or
 * for its raw section body (hosts_raw_set: the markers around the bytes,
 * as they are, without the comment line a section of entries has; only
 * where no marker of the section stands: otherwise the file is left as
 * it is).
 * *out is malloc'd, owned by the caller; *changed is false when the result
 * is byte-identical to the parsed input (a no-op). Returns 0 or -1 (ENOMEM). */
int	hosts_render(const struct hosts_doc *doc, const struct desired_state *ds,
	    char **out, size_t *outlen, bool *changed, struct dwerr *err);

#endif
