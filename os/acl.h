/*
 * acl: who may change the files that decide what the service writes.
 * Windows only (acl_win.c).
 *
 * The service runs as LocalSystem, and its config and desired state decide
 * what it writes into the registry and the hosts file: only LocalSystem,
 * Administrators, the service's own SID (NT SERVICE\DnsWatchdog) and
 * TrustedInstaller may change them, or a user could have SYSTEM write
 * whatever they like. acl_private_dir_create makes the folder they live in
 * (%ProgramData%\DnsWatchdog); acl_check_private and acl_check_trusted_file
 * refuse anything looser.
 */
#ifndef ACL_H
#define ACL_H

#include <stddef.h>

#include "dwerr.h"

/* The service whose SID is trusted like SYSTEM: the one this program
 * installs (service.h's SERVICE_NAME; a test holds them equal). */
#define ACL_SERVICE_NAME	"DnsWatchdog"
/* A service SID as text: "S-1-5-80-" and five 32-bit numbers. */
#define ACL_SID_CHARS		64u

/* The service SID of the service called name (NT SERVICE\name), as text
 * into sid (ACL_SID_CHARS): S-1-5-80 followed by the SHA-1 of the name in
 * upper case and UTF-16LE, read as five little-endian 32-bit numbers. The
 * same for any system, and whether or not the service exists. Returns 0,
 * or -1 with err (an empty name: DWERR_INPUT; no SHA-1: the error of
 * bcrypt.dll). */
int	acl_service_sid(const char *name, char *sid, size_t len,
	    struct dwerr *err);

/* The private DACL as SDDL, malloc'd: protected (nothing inherited from
 * the parent); SYSTEM, Administrators and the service SID of
 * ACL_SERVICE_NAME with full control, inherited by all that is created
 * inside. NULL with err. */
char	*acl_private_sddl(struct dwerr *err);

/* Creates the folder path and any missing parents with the private DACL
 * and Administrators as owner; a folder that exists gets the same DACL and
 * owner (SetNamedSecurityInfoW, which also passes the inherited ACEs on to
 * what it holds). Needs an elevated caller. Returns 0 or -1 with err (the
 * Win32 error). */
int	acl_private_dir_create(const char *path, struct dwerr *err);

/* 0 when the DACL of path (a file or a folder) grants nobody but
 * LocalSystem, Administrators, the service SID of ACL_SERVICE_NAME,
 * TrustedInstaller and the account this process runs as (for the service: LocalSystem) a right to write, append,
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

/* The same for a registry key under HKLM (key: "SOFTWARE\\Coder VPN"):
 * nobody else may set its values, make keys under it, delete it or
 * change its DACL or owner; when it does not exist, nobody else may
 * create it under the nearest key that does. Messages name it
 * "HKLM\\key". */
int	acl_check_trusted_key(const char *key, struct dwerr *err);

#endif
