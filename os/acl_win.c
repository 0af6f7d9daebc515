/* acl: who may change the service's files, Windows (see acl.h). */
#include "acl.h"

#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dwstr.h"
#include "winsys.h"
#include "winutf.h"

#define ACL_SHA1_BYTES		20u	/* a SHA-1 digest */
#define ACL_SERVICE_SID_RIDS	5u	/* 32-bit numbers after S-1-5-80 */
#define ACL_NAME_CHARS		256u	/* a service name's most, SCM's limit */
#define ACL_SDDL_BYTES		256u	/* the private DACL as SDDL */

/* Rights that let a holder change what the file says (or, on a folder,
 * what it holds): write, append, delete, change the DACL or the owner.
 * FILE_ALL_ACCESS and the other composites carry one of these bits. */
#define ACL_WRITE_RIGHTS	(FILE_WRITE_DATA | FILE_APPEND_DATA | \
	FILE_DELETE_CHILD | DELETE | WRITE_DAC | WRITE_OWNER | \
	GENERIC_WRITE | GENERIC_ALL)
/* Rights on a folder that let a holder delete or replace a file in it
 * (creating files does not replace one that exists). */
#define ACL_REPLACE_RIGHTS	(FILE_DELETE_CHILD | DELETE | WRITE_DAC | \
	WRITE_OWNER | GENERIC_ALL)

/* Who may write: LocalSystem, Administrators, TrustedInstaller; and the
 * service SID of ACL_SERVICE_NAME (acl_service_trusted). */
static const wchar_t *const acl_trusted[] = {
	L"S-1-5-18",
	L"S-1-5-32-544",
	L"S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464",
	NULL
};

typedef LONG (WINAPI *acl_bcrypt_open_fn)(void **, const wchar_t *,
    const wchar_t *, ULONG);
typedef LONG (WINAPI *acl_bcrypt_hash_fn)(void *, UCHAR *, ULONG, UCHAR *,
    ULONG, UCHAR *, ULONG);
typedef LONG (WINAPI *acl_bcrypt_close_fn)(void *, ULONG);

/* The SHA-1 of n bytes at p into out, through bcrypt.dll (loaded from
 * System32 at run time: winsys.h). 0 or a Win32 error (an NTSTATUS from
 * bcrypt is reported as ERROR_INTERNAL_ERROR). */
static DWORD
acl_sha1(const void *p, size_t n, UCHAR out[ACL_SHA1_BYTES])
{
	acl_bcrypt_open_fn	 open_alg;
	acl_bcrypt_hash_fn	 hash;
	acl_bcrypt_close_fn	 close_alg;
	FARPROC			 f[3];
	void			*alg = NULL;
	DWORD			 e;
	LONG			 st;

	if ((f[0] = winsys_proc(L"bcrypt.dll", "BCryptOpenAlgorithmProvider",
	    &e)) == NULL || (f[1] = winsys_proc(L"bcrypt.dll", "BCryptHash",
	    &e)) == NULL || (f[2] = winsys_proc(L"bcrypt.dll",
	    "BCryptCloseAlgorithmProvider", &e)) == NULL)
		return e;
	open_alg = (acl_bcrypt_open_fn)(void (*)(void))f[0];
	hash = (acl_bcrypt_hash_fn)(void (*)(void))f[1];
	close_alg = (acl_bcrypt_close_fn)(void (*)(void))f[2];
	if (open_alg(&alg, L"SHA1", NULL, 0) != 0)
		return ERROR_INTERNAL_ERROR;
	st = hash(alg, NULL, 0, (UCHAR *)p, (ULONG)n, out, ACL_SHA1_BYTES);
	close_alg(alg, 0);
	return st == 0 ? 0 : ERROR_INTERNAL_ERROR;
}

int
acl_service_sid(const char *name, char *sid, size_t len, struct dwerr *err)
{
	wchar_t	*w, up[ACL_NAME_CHARS + 1];
	UCHAR	 digest[ACL_SHA1_BYTES], bytes[2 * ACL_NAME_CHARS];
	uint32_t rid;
	char	 msg[256];
	size_t	 i, used;
	DWORD	 e;
	int	 n;

	if (name == NULL || name[0] == '\0') {
		dwerr_set(err, DWERR_INPUT, "a service SID needs a service name");
		return -1;
	}
	if ((w = winutf_wide(name)) == NULL || wcslen(w) > ACL_NAME_CHARS) {
		free(w);
		dwerr_set(err, DWERR_INPUT, "%s: not a service name (valid UTF-8, "
		    "at most %u characters)", name, ACL_NAME_CHARS);
		return -1;
	}
	/* Upper case as the system folds names, whatever the user's locale. */
	n = LCMapStringEx(LOCALE_NAME_INVARIANT, LCMAP_UPPERCASE, w,
	    (int)wcslen(w), up, ACL_NAME_CHARS, NULL, NULL, 0);
	free(w);
	if (n <= 0) {
		e = GetLastError();
		winutf_message(e, msg, sizeof(msg));
		dwerr_set(err, (int)e, "%s: cannot fold to upper case: %s", name,
		    msg);
		return -1;
	}
	/* UTF-16LE, whatever the byte order of wchar_t in memory. */
	for (i = 0; i < (size_t)n; i++) {
		bytes[2 * i] = (UCHAR)(up[i] & 0xffu);
		bytes[2 * i + 1] = (UCHAR)(up[i] >> 8);
	}
	if ((e = acl_sha1(bytes, 2 * (size_t)n, digest)) != 0) {
		winutf_message(e, msg, sizeof(msg));
		dwerr_set(err, (int)e, "cannot compute the service SID of %s: "
		    "no SHA-1 from bcrypt.dll: %s", name, msg);
		return -1;
	}
	used = (size_t)snprintf(sid, len, "S-1-5-80");
	for (i = 0; i < ACL_SERVICE_SID_RIDS && used < len; i++) {
		rid = (uint32_t)digest[4 * i] |
		    (uint32_t)digest[4 * i + 1] << 8 |
		    (uint32_t)digest[4 * i + 2] << 16 |
		    (uint32_t)digest[4 * i + 3] << 24;
		used += (size_t)snprintf(sid + used, len - used, "-%lu",
		    (unsigned long)rid);
	}
	if (used >= len) {
		dwerr_set(err, ENAMETOOLONG, "the service SID of %s does not fit "
		    "in %zu bytes", name, len);
		return -1;
	}
	return 0;
}

static INIT_ONCE	 acl_service_once = INIT_ONCE_STATIC_INIT;
static wchar_t		 acl_service_wsid[ACL_SID_CHARS];	/* "" if unknown */

static BOOL CALLBACK
acl_service_find(PINIT_ONCE once, PVOID arg, PVOID *ctx)
{
	struct dwerr	 err;
	char		 sid[ACL_SID_CHARS];

	(void)once;
	(void)arg;
	(void)ctx;
	if (acl_service_sid(ACL_SERVICE_NAME, sid, sizeof(sid), &err) == 0)
		MultiByteToWideChar(CP_UTF8, 0, sid, -1, acl_service_wsid,
		    ACL_SID_CHARS);
	return TRUE;
}

/* The service SID of ACL_SERVICE_NAME as text; "" when it cannot be
 * computed (then it is trusted with nothing). */
static const wchar_t *
acl_service_trusted(void)
{
	InitOnceExecuteOnce(&acl_service_once, acl_service_find, NULL, NULL);
	return acl_service_wsid;
}

char *
acl_private_sddl(struct dwerr *err)
{
	char	 sid[ACL_SID_CHARS], *out;

	if (acl_service_sid(ACL_SERVICE_NAME, sid, sizeof(sid), err) != 0)
		return NULL;
	if ((out = malloc(ACL_SDDL_BYTES)) == NULL) {
		dwerr_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	snprintf(out, ACL_SDDL_BYTES, "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
	    "(A;OICI;FA;;;%s)", sid);
	return out;
}

static bool
acl_is_sep(char c)
{
	return c == '\\' || c == '/';
}

/* The folder part of path, malloc'd: "C:\a" for "C:\a\b", "C:\" for
 * "C:\b", "\\srv\share" for "\\srv\share\b", "." for a bare name; NULL
 * for a root ("C:\", "\", "\\srv\share"). */
static char *
acl_parent(const char *path)
{
	const char	*p, *sep = NULL;
	size_t		 n, seps = 0;
	bool		 unc = acl_is_sep(path[0]) && acl_is_sep(path[1]);

	for (p = path; *p != '\0'; p++)
		if (acl_is_sep(*p) && p[1] != '\0')
			sep = p;	/* a trailing one does not count */
	if (sep == NULL)
		return path[0] == '\0' || acl_is_sep(path[0]) || path[1] == ':' ?
		    NULL : dwstr_dup(".");
	n = (size_t)(sep - path);
	/* Keep the separator of a root: "C:\", "\". */
	if (n == 0 || (n == 2 && path[1] == ':'))
		n++;
	for (p = path; p < path + n; p++)
		seps += acl_is_sep(*p);
	if (n >= strlen(path) || (unc && seps < 3))
		return NULL;
	return dwstr_ndup(path, n);
}

/* "BUILTIN\Users (S-1-5-32-545)" for sid, into out. */
static void
acl_sid_text(PSID sid, char *out, size_t outlen)
{
	wchar_t		 name[256], domain[256], *str = NULL;
	DWORD		 nn = 256, nd = 256;
	SID_NAME_USE	 use;
	char		*n = NULL, *d = NULL, *s = NULL;

	if (ConvertSidToStringSidW(sid, &str))
		s = winutf_narrow(str);
	if (LookupAccountSidW(NULL, sid, name, &nn, domain, &nd, &use)) {
		n = winutf_narrow(name);
		d = winutf_narrow(domain);
	}
	if (n != NULL && d != NULL && d[0] != '\0')
		snprintf(out, outlen, "%s\\%s (%s)", d, n, s != NULL ? s : "?");
	else if (n != NULL)
		snprintf(out, outlen, "%s (%s)", n, s != NULL ? s : "?");
	else
		snprintf(out, outlen, "%s", s != NULL ? s : "an unreadable SID");
	free(n);
	free(d);
	free(s);
	LocalFree(str);
}

/* True when sid is the account this process runs as: for the service,
 * LocalSystem; what it may write cannot raise anyone above it. */
static bool
acl_is_self(PSID sid)
{
	union {
		TOKEN_USER	 tu;
		BYTE		 buf[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
	} u;
	HANDLE	 tok;
	DWORD	 n;
	BOOL	 ok;

	if (!OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok))
		return false;
	ok = GetTokenInformation(tok, TokenUser, &u, sizeof(u), &n);
	CloseHandle(tok);
	return ok && EqualSid(sid, u.tu.User.Sid);
}

static bool
acl_is_trusted(PSID sid)
{
	wchar_t	*str;
	size_t	 i;
	bool	 ok = false;

	if (!ConvertSidToStringSidW(sid, &str))
		return false;
	for (i = 0; acl_trusted[i] != NULL && !ok; i++)
		ok = wcscmp(str, acl_trusted[i]) == 0;
	if (!ok && acl_service_trusted()[0] != L'\0')
		ok = wcscmp(str, acl_service_trusted()) == 0;
	LocalFree(str);
	return ok || acl_is_self(sid);
}

/* The SID and access mask of an ACE that allows; NULL for one that
 * denies. *unknown is set for a type that cannot be read. */
static PSID
acl_ace_sid(const ACE_HEADER *h, DWORD *mask, bool *unknown)
{
	const ACCESS_ALLOWED_ACE	*a = (const void *)h;
	const ACCESS_ALLOWED_OBJECT_ACE	*o = (const void *)h;
	const BYTE			*p;

	*unknown = false;
	switch (h->AceType) {
	case ACCESS_ALLOWED_ACE_TYPE:
	case ACCESS_ALLOWED_CALLBACK_ACE_TYPE:
		*mask = a->Mask;
		return (PSID)&a->SidStart;
	case ACCESS_ALLOWED_OBJECT_ACE_TYPE:
	case ACCESS_ALLOWED_CALLBACK_OBJECT_ACE_TYPE:
		/* The GUIDs are there only when their flags say so. */
		*mask = o->Mask;
		p = (const BYTE *)&o->ObjectType;
		if (o->Flags & ACE_OBJECT_TYPE_PRESENT)
			p += sizeof(GUID);
		if (o->Flags & ACE_INHERITED_OBJECT_TYPE_PRESENT)
			p += sizeof(GUID);
		return (PSID)p;
	case ACCESS_DENIED_ACE_TYPE:
	case ACCESS_DENIED_OBJECT_ACE_TYPE:
	case ACCESS_DENIED_CALLBACK_ACE_TYPE:
	case ACCESS_DENIED_CALLBACK_OBJECT_ACE_TYPE:
		return NULL;
	default:
		*unknown = true;
		return NULL;
	}
}

/* The check on a DACL read from path (NULL: a NULL DACL). */
static int
acl_check_dacl(const char *path, const ACL *dacl, DWORD rights,
    const char *deed, struct dwerr *err)
{
	ACE_HEADER	*h;
	PSID		 sid;
	DWORD		 i, mask = 0;
	char		 who[512];
	bool		 unknown;

	if (dacl == NULL) {
		dwerr_set(err, DWERR_INPUT, "%s: has a NULL DACL, so everyone may "
		    "%s; only SYSTEM, Administrators and the " ACL_SERVICE_NAME
		    " service may", path, deed);
		return -1;
	}
	for (i = 0; i < dacl->AceCount; i++) {
		if (!GetAce((PACL)dacl, i, (void **)&h))
			continue;
		if (h->AceFlags & INHERIT_ONLY_ACE)
			continue;	/* for what is created inside only */
		sid = acl_ace_sid(h, &mask, &unknown);
		if (unknown) {
			dwerr_set(err, DWERR_INPUT, "%s: its DACL has an ACE of "
			    "type %u that cannot be checked", path, h->AceType);
			return -1;
		}
		if (sid == NULL || (mask & rights) == 0 ||
		    (IsValidSid(sid) && acl_is_trusted(sid)))
			continue;
		if (IsValidSid(sid))
			acl_sid_text(sid, who, sizeof(who));
		else
			snprintf(who, sizeof(who), "an invalid SID");
		dwerr_set(err, DWERR_INPUT, "%s: %s may %s (an ACE allows "
		    "0x%08lx); only SYSTEM, Administrators and the "
		    ACL_SERVICE_NAME " service may", path, who, deed,
		    (unsigned long)mask);
		return -1;
	}
	return 0;
}

/*
 * Fails unless the DACL of path grants none of rights to anyone untrusted.
 * deed says what such a right would let them do ("write it"). Deny ACEs
 * are not weighed against the allows: a deny that happens to cover an
 * allow still fails the check, which errs on the safe side.
 */
static int
acl_check_rights(const char *path, DWORD rights, const char *deed,
    struct dwerr *err)
{
	PSECURITY_DESCRIPTOR	 sd = NULL;
	wchar_t			*w;
	PACL			 dacl = NULL;
	DWORD			 e;
	char			 msg[256];
	int			 rc;

	if ((w = winutf_wide(path)) == NULL) {
		dwerr_set(err, ERROR_INVALID_NAME, "%s: not a valid UTF-8 path",
		    path);
		return -1;
	}
	e = GetNamedSecurityInfoW(w, SE_FILE_OBJECT, DACL_SECURITY_INFORMATION,
	    NULL, NULL, &dacl, NULL, &sd);
	free(w);
	if (e != ERROR_SUCCESS) {
		winutf_message(e, msg, sizeof(msg));
		dwerr_set(err, (int)e, "%s: cannot read its DACL: %s", path, msg);
		return -1;
	}
	/* No DACL at all and a NULL DACL both let everyone in. */
	rc = acl_check_dacl(path, dacl, rights, deed, err);
	LocalFree(sd);
	return rc;
}

int
acl_check_descriptor(const char *path, const void *sd, struct dwerr *err)
{
	PACL	 dacl = NULL;
	BOOL	 present = FALSE, defaulted;
	char	 msg[256];
	DWORD	 e;

	if (!GetSecurityDescriptorDacl((PSECURITY_DESCRIPTOR)sd, &present,
	    &dacl, &defaulted)) {
		e = GetLastError();
		winutf_message(e, msg, sizeof(msg));
		dwerr_set(err, (int)e, "%s: not a security descriptor: %s", path,
		    msg);
		return -1;
	}
	return acl_check_dacl(path, present ? dacl : NULL, ACL_WRITE_RIGHTS,
	    "write it", err);
}

int
acl_check_private(const char *path, struct dwerr *err)
{
	return acl_check_rights(path, ACL_WRITE_RIGHTS, "write it", err);
}

/* The attributes of path; false with *e set when it cannot be read. */
static bool
acl_attributes(const char *path, DWORD *attr, DWORD *e)
{
	wchar_t	*w;

	*e = ERROR_SUCCESS;
	if ((w = winutf_wide(path)) == NULL) {
		*e = ERROR_INVALID_NAME;
		return false;
	}
	*attr = GetFileAttributesW(w);
	if (*attr == INVALID_FILE_ATTRIBUTES)
		*e = GetLastError();
	free(w);
	return *e == ERROR_SUCCESS;
}

static bool
acl_missing(DWORD e)
{
	return e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND;
}

int
acl_check_trusted_file(const char *path, struct dwerr *err)
{
	char	*dir = NULL, *up, deed[1024], msg[256];
	DWORD	 attr, e;
	int	 rc = -1;

	if (acl_attributes(path, &attr, &e)) {
		if (acl_check_private(path, err) != 0)
			return -1;
		if ((dir = acl_parent(path)) == NULL)
			return 0;
		snprintf(deed, sizeof(deed), "delete or replace %s there", path);
		rc = acl_check_rights(dir, ACL_REPLACE_RIGHTS, deed, err);
		free(dir);
		return rc;
	}
	if (!acl_missing(e))
		goto fail;
	/* Missing: whoever may create it in the nearest folder that exists
	 * could put their own there. */
	snprintf(deed, sizeof(deed), "create %s there", path);
	for (dir = acl_parent(path); dir != NULL; dir = up) {
		if (acl_attributes(dir, &attr, &e)) {
			rc = acl_check_rights(dir, ACL_WRITE_RIGHTS, deed, err);
			free(dir);
			return rc;
		}
		if (!acl_missing(e)) {
			free(dir);
			goto fail;
		}
		up = acl_parent(dir);
		free(dir);
	}
	dwerr_set(err, ERROR_PATH_NOT_FOUND, "%s: no folder of it exists", path);
	return -1;
fail:
	winutf_message(e, msg, sizeof(msg));
	dwerr_set(err, (int)e, "%s: %s", path, msg);
	return -1;
}

/* The DACL of HKLM\key, checked for rights (KEY_SET_VALUE and
 * KEY_CREATE_SUB_KEY are FILE_WRITE_DATA's and FILE_APPEND_DATA's bits).
 * 1 when the key is not there. */
static int
acl_check_key_rights(const char *key, DWORD rights, const char *deed,
    struct dwerr *err)
{
	PSECURITY_DESCRIPTOR	 sd = NULL;
	PACL			 dacl = NULL;
	wchar_t			*w;
	char			*name, msg[256];
	size_t			 n = strlen(key) + sizeof("MACHINE\\");
	DWORD			 e;
	int			 rc;

	if ((name = malloc(n)) == NULL) {
		dwerr_set(err, ERROR_NOT_ENOUGH_MEMORY, "out of memory");
		return -1;
	}
	snprintf(name, n, "MACHINE\\%s", key);
	w = winutf_wide(name);
	free(name);
	if (w == NULL) {
		dwerr_set(err, ERROR_INVALID_NAME, "HKLM\\%s: not valid UTF-8",
		    key);
		return -1;
	}
	e = GetNamedSecurityInfoW(w, SE_REGISTRY_KEY,
	    DACL_SECURITY_INFORMATION, NULL, NULL, &dacl, NULL, &sd);
	free(w);
	if (e == ERROR_FILE_NOT_FOUND || e == ERROR_PATH_NOT_FOUND)
		return 1;
	if (e != ERROR_SUCCESS) {
		winutf_message(e, msg, sizeof(msg));
		dwerr_set(err, (int)e, "HKLM\\%s: cannot read its DACL: %s", key,
		    msg);
		return -1;
	}
	if ((name = malloc(n + 1)) == NULL) {
		LocalFree(sd);
		dwerr_set(err, ERROR_NOT_ENOUGH_MEMORY, "out of memory");
		return -1;
	}
	snprintf(name, n + 1, "HKLM\\%s", key);
	rc = acl_check_dacl(name, dacl, rights, deed, err);
	free(name);
	LocalFree(sd);
	return rc;
}

int
acl_check_trusted_key(const char *key, struct dwerr *err)
{
	char	*up, *slash, deed[1024];
	int	 rc;

	snprintf(deed, sizeof(deed), "change HKLM\\%s", key);
	if ((rc = acl_check_key_rights(key, ACL_WRITE_RIGHTS, deed, err)) != 1)
		return rc;
	/* Missing: whoever may make keys in the nearest that exists could
	 * make it theirs. */
	snprintf(deed, sizeof(deed), "create HKLM\\%s there", key);
	if ((up = malloc(strlen(key) + 1)) == NULL) {
		dwerr_set(err, ERROR_NOT_ENOUGH_MEMORY, "out of memory");
		return -1;
	}
	memcpy(up, key, strlen(key) + 1);
	while ((slash = strrchr(up, '\\')) != NULL) {
		*slash = '\0';
		if ((rc = acl_check_key_rights(up, ACL_WRITE_RIGHTS, deed,
		    err)) != 1) {
			free(up);
			return rc;
		}
	}
	free(up);
	return 0;	/* under HKLM itself: only the system makes keys */
}

/* Creates path with sa, and its missing parents first. */
static int
acl_mkdir(const char *path, SECURITY_ATTRIBUTES *sa, bool *existed,
    struct dwerr *err)
{
	wchar_t	*w;
	char	*dir, msg[256];
	bool	 up_existed;
	DWORD	 e = ERROR_SUCCESS;
	int	 rc;

	*existed = false;
	if ((w = winutf_wide(path)) == NULL) {
		dwerr_set(err, ERROR_INVALID_NAME, "%s: not a valid UTF-8 path",
		    path);
		return -1;
	}
	if (!CreateDirectoryW(w, sa) && (e = GetLastError()) ==
	    ERROR_PATH_NOT_FOUND && (dir = acl_parent(path)) != NULL) {
		rc = acl_mkdir(dir, sa, &up_existed, err);
		free(dir);
		if (rc != 0) {
			free(w);
			return -1;
		}
		e = CreateDirectoryW(w, sa) ? ERROR_SUCCESS : GetLastError();
	}
	free(w);
	if (e == ERROR_ALREADY_EXISTS) {
		*existed = true;
		return 0;
	}
	if (e != ERROR_SUCCESS) {
		winutf_message(e, msg, sizeof(msg));
		dwerr_set(err, (int)e, "%s: cannot create the folder: %s", path,
		    msg);
		return -1;
	}
	return 0;
}

int
acl_private_dir_create(const char *path, struct dwerr *err)
{
	SECURITY_ATTRIBUTES	 sa;
	PSECURITY_DESCRIPTOR	 sd = NULL;
	PACL			 dacl = NULL;
	PSID			 owner = NULL;
	BOOL			 present, defaulted;
	wchar_t			*w = NULL, *wsddl = NULL;
	char			*dacl_sddl, msg[256], sddl[ACL_SDDL_BYTES + 8];
	bool			 existed;
	DWORD			 attr, e;
	int			 rc = -1;

	if ((dacl_sddl = acl_private_sddl(err)) == NULL)
		return -1;
	snprintf(sddl, sizeof(sddl), "O:BA%s", dacl_sddl);
	free(dacl_sddl);
	if ((wsddl = winutf_wide(sddl)) == NULL ||
	    !ConvertStringSecurityDescriptorToSecurityDescriptorW(wsddl,
	    SDDL_REVISION_1, &sd, NULL)) {
		e = wsddl == NULL ? ERROR_NOT_ENOUGH_MEMORY : GetLastError();
		goto fail;
	}
	sa.nLength = sizeof(sa);
	sa.lpSecurityDescriptor = sd;
	sa.bInheritHandle = FALSE;
	if (acl_mkdir(path, &sa, &existed, err) != 0)
		goto done;
	if (!existed) {
		rc = 0;
		goto done;
	}
	/* It was there already, perhaps made by someone else: make sure it
	 * is a real folder (not a link that would carry the new DACL to its
	 * target), then take it over. */
	if (!acl_attributes(path, &attr, &e))
		goto fail;
	if (!(attr & FILE_ATTRIBUTE_DIRECTORY)) {
		dwerr_set(err, ERROR_DIRECTORY, "%s: exists and is not a folder",
		    path);
		goto done;
	}
	if (attr & FILE_ATTRIBUTE_REPARSE_POINT) {
		dwerr_set(err, ERROR_CANT_ACCESS_FILE, "%s: is a link (a reparse "
		    "point), not a folder; remove it and try again", path);
		goto done;
	}
	if (!GetSecurityDescriptorDacl(sd, &present, &dacl, &defaulted) ||
	    !GetSecurityDescriptorOwner(sd, &owner, &defaulted) ||
	    (w = winutf_wide(path)) == NULL) {
		e = ERROR_INVALID_SECURITY_DESCR;
		goto fail;
	}
	e = SetNamedSecurityInfoW(w, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION |
	    DACL_SECURITY_INFORMATION | PROTECTED_DACL_SECURITY_INFORMATION,
	    owner, NULL, dacl, NULL);
	if (e != ERROR_SUCCESS)
		goto fail;
	rc = 0;
	goto done;
fail:
	winutf_message(e, msg, sizeof(msg));
	dwerr_set(err, (int)e, "%s: cannot protect the folder: %s", path, msg);
done:
	free(w);
	free(wsddl);
	LocalFree(sd);
	return rc;
}
