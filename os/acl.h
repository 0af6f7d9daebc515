/*
 * acl: who may change the files that decide what the service writes.
 * Windows only (acl_win.c).
 *
 * The service runs as LocalSystem, and its config and desired state decide
 * what it writes into the registry and the hosts file: only LocalSystem,
 * Administrators (and TrustedInstaller) may change them, or a user could
 * have SYSTEM write whatever they like. acl_private_dir_create makes the
 * folder they live in (%ProgramData%\DnsWatchdog); acl_check_private and
 * acl_check_trusted_file refuse anything looser.
 */
#ifndef ACL_H
#define ACL_H

#include "dwerr.h"

/* Protected (nothing inherited from the parent); SYSTEM and Administrators
 * full control, inherited by all that is created inside. */
#define ACL_PRIVATE_DACL	"D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"

/* Creates the folder path and any missing parents with ACL_PRIVATE_DACL and
 * Administrators as owner; a folder that exists gets the same DACL and
 * owner (SetNamedSecurityInfoW, which also passes the inherited ACEs on to
 * what it holds). Needs an elevated caller. Returns 0 or -1 with err (the
 * Win32 error). */
int	acl_private_dir_create(const char *path, struct dwerr *err);

/* 0 when the DACL of path (a file or a folder) grants nobody but
 * LocalSystem, Administrators, TrustedInstaller and the account this
 * process runs as (for the service: LocalSystem) a right to write, append,
 * delete, or change the DACL or owner. Otherwise -1 with err naming path
 * and the first other SID that may (a NULL DACL: everyone may), with
 * DWERR_INPUT; or the Win32 error when the DACL cannot be read. */
int	acl_check_private(const char *path, struct dwerr *err);

/* The same check on a security descriptor (a SECURITY_DESCRIPTOR, absolute
 * or self-relative) as if path had it: data in, verdict out. */
int	acl_check_descriptor(const char *path, const void *sd,
	    struct dwerr *err);

/* acl_check_private for a file the service trusts, and for the folder that
 * holds it: nobody else may delete or replace the file there. While the
 * file is missing, nobody else may create it (the nearest folder that
 * exists is checked). Same results as acl_check_private. */
int	acl_check_trusted_file(const char *path, struct dwerr *err);

#endif
