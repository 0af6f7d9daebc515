/*
 * Tests for the Windows service (runtime/service_win.c) and the access
 * checks of its files (os/acl_win.c), run under Wine.
 *
 * The ACL tests work on real files where the system keeps their DACLs, and
 * on security descriptors in memory (acl_check_descriptor) everywhere. The
 * service test installs a copy of the real dnswatchdog.exe through the
 * service manager with a scratch config, starts it, watches it write the
 * scratch hosts file and an NRPT rule, sends it PARAMCHANGE, stops it,
 * makes it refuse an unsafe desired-state file, and uninstalls it.
 *
 * What Wine cannot show is said with a "WINE:" message and only that part
 * is skipped; on Windows every part is asserted.
 */
#include <windows.h>
#include <aclapi.h>
#include <sddl.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acl.h"
#include "service.h"
#include "testutil.h"
#include "win/winrun.h"

#define LOCAL_TABLE \
	L"SYSTEM\\CurrentControlSet\\Services\\Dnscache\\Parameters\\DnsPolicyConfig"
#define EVENTLOG_KEY \
	L"SYSTEM\\CurrentControlSet\\Services\\EventLog\\Application\\DnsWatchdog"
#define RECORD_KEY	"SOFTWARE\\DnsWatchdogServiceTest"
#define TEST_DOMAIN	L".svc-test.coder"
#define TEST_HOST	"100.64.0.5 svc-test.coder"
#define WAIT_MS		15000u	/* for the running service to do something */
#define SDDL_PRIVATE_FILE "D:P(A;;FA;;;SY)(A;;FA;;;BA)"
#define SID_EVERYONE	"S-1-1-0"
#define SID_USERS	"S-1-5-32-545"
#define SID_TRUSTED_INSTALLER \
	"S-1-5-80-956008885-3418522649-1831038044-1853292631-2271478464"
/* NT SERVICE\DnsWatchdog, worked out apart from the code under test (the
 * SHA-1 of "DNSWATCHDOG" in UTF-16LE, by another implementation). */
#define SID_SERVICE \
	"S-1-5-80-4086227693-1140827487-468286458-1077721758-2665114811"

struct fx {
	char	 dir[MAX_PATH];		/* protected scratch folder */
	char	 exe[MAX_PATH];		/* the copy of dnswatchdog.exe */
	char	 config[MAX_PATH];
	char	 desired[MAX_PATH];
	char	 hosts[MAX_PATH];
	char	 trace[MAX_PATH];
	char	*out;			/* output of the last run */
};

static bool
on_wine(void)
{
	HMODULE	 ntdll = GetModuleHandleW(L"ntdll.dll");

	return ntdll != NULL && GetProcAddress(ntdll, "wine_get_version") != NULL;
}

/* Says what Wine cannot show, and why; the caller skips only that part. */
static void
wine_cannot(const char *what, const char *why)
{
	print_message("WINE: cannot show %s: %s\n", what, why);
}

static void
put_file(const char *path, const char *s)
{
	tu_put(path, s, strlen(s));
}

/* The owner and DACL of path as SDDL text, malloc'd ("?" on failure). */
static char *
sddl_of(const char *path)
{
	PSECURITY_DESCRIPTOR	 sd = NULL;
	wchar_t			 w[MAX_PATH], *s = NULL;
	char			*out;
	int			 n;

	MultiByteToWideChar(CP_UTF8, 0, path, -1, w, MAX_PATH);
	if (GetNamedSecurityInfoW(w, SE_FILE_OBJECT, OWNER_SECURITY_INFORMATION |
	    DACL_SECURITY_INFORMATION, NULL, NULL, NULL, NULL, &sd) !=
	    ERROR_SUCCESS || !ConvertSecurityDescriptorToStringSecurityDescriptorW(
	    sd, SDDL_REVISION_1, OWNER_SECURITY_INFORMATION |
	    DACL_SECURITY_INFORMATION, &s, NULL)) {
		LocalFree(sd);
		return _strdup("?");
	}
	n = WideCharToMultiByte(CP_UTF8, 0, s, -1, NULL, 0, NULL, NULL);
	out = malloc((size_t)n);
	WideCharToMultiByte(CP_UTF8, 0, s, -1, out, n, NULL, NULL);
	LocalFree(s);
	LocalFree(sd);
	return out;
}

/* Gives path the DACL of sddl. */
static void
set_dacl(const char *path, const char *sddl)
{
	PSECURITY_DESCRIPTOR	 sd = NULL;
	SECURITY_DESCRIPTOR_CONTROL ctl;
	wchar_t			 w[MAX_PATH], ws[512];
	DWORD			 rev, info = DACL_SECURITY_INFORMATION;

	MultiByteToWideChar(CP_UTF8, 0, path, -1, w, MAX_PATH);
	MultiByteToWideChar(CP_UTF8, 0, sddl, -1, ws, 512);
	assert_true(ConvertStringSecurityDescriptorToSecurityDescriptorW(ws,
	    SDDL_REVISION_1, &sd, NULL));
	assert_true(GetSecurityDescriptorControl(sd, &ctl, &rev));
	info |= (ctl & SE_DACL_PROTECTED) ? PROTECTED_DACL_SECURITY_INFORMATION :
	    UNPROTECTED_DACL_SECURITY_INFORMATION;
	assert_true(SetFileSecurityW(w, info, sd));
	LocalFree(sd);
}

/* True when the DACL of path (read back) has an ACE for sid granting
 * write access; *null_dacl tells a NULL DACL. */
static bool
sid_may_write(const char *path, const char *sid, bool *null_dacl)
{
	PSECURITY_DESCRIPTOR	 sd = NULL;
	ACCESS_ALLOWED_ACE	*a;
	PACL			 dacl = NULL;
	wchar_t			 w[MAX_PATH], *s;
	char			 u[256];
	DWORD			 i;
	bool			 found = false;

	*null_dacl = false;
	MultiByteToWideChar(CP_UTF8, 0, path, -1, w, MAX_PATH);
	assert_int_equal(GetNamedSecurityInfoW(w, SE_FILE_OBJECT,
	    DACL_SECURITY_INFORMATION, NULL, NULL, &dacl, NULL, &sd),
	    ERROR_SUCCESS);
	if (dacl == NULL)
		*null_dacl = true;
	for (i = 0; dacl != NULL && i < dacl->AceCount && !found; i++) {
		if (!GetAce(dacl, i, (void **)&a) ||
		    a->Header.AceType != ACCESS_ALLOWED_ACE_TYPE ||
		    !(a->Mask & (FILE_WRITE_DATA | GENERIC_WRITE | GENERIC_ALL)) ||
		    !ConvertSidToStringSidW((PSID)&a->SidStart, &s))
			continue;
		WideCharToMultiByte(CP_UTF8, 0, s, -1, u, sizeof(u), NULL, NULL);
		LocalFree(s);
		found = strcmp(u, sid) == 0;
	}
	LocalFree(sd);
	return found;
}

/* The SID of the account this test runs as, as text. An ACE for it keeps
 * a file usable where ACLs become Unix mode bits (Wine: the owner's). */
static void
self_sid(char *out, size_t len)
{
	union {
		TOKEN_USER	 tu;
		BYTE		 buf[sizeof(TOKEN_USER) + SECURITY_MAX_SID_SIZE];
	} u;
	HANDLE	 tok;
	DWORD	 n;
	wchar_t	*s;

	assert_true(OpenProcessToken(GetCurrentProcess(), TOKEN_QUERY, &tok));
	assert_true(GetTokenInformation(tok, TokenUser, &u, sizeof(u), &n));
	CloseHandle(tok);
	assert_true(ConvertSidToStringSidW(u.tu.User.Sid, &s));
	WideCharToMultiByte(CP_UTF8, 0, s, -1, out, (int)len, NULL, NULL);
	LocalFree(s);
}

/* acl_check_descriptor on the descriptor of sddl. */
static int
check_sddl(const char *path, const char *sddl, struct dwerr *err)
{
	PSECURITY_DESCRIPTOR	 sd = NULL;
	wchar_t			 ws[512];
	int			 rc;

	MultiByteToWideChar(CP_UTF8, 0, sddl, -1, ws, 512);
	assert_true(ConvertStringSecurityDescriptorToSecurityDescriptorW(ws,
	    SDDL_REVISION_1, &sd, NULL));
	rc = acl_check_descriptor(path, sd, err);
	LocalFree(sd);
	return rc;
}

/* A fresh folder under the temp folder, given the protected DACL. */
static void
private_tmpdir(char *dir, size_t len, const char *prefix)
{
	char		 tmp[MAX_PATH];
	struct dwerr	 err;

	GetTempPathA(sizeof(tmp), tmp);
	snprintf(dir, len, "%s%s-XXXXXX", tmp, prefix);
	tu_mkdtemp(dir);
	if (acl_private_dir_create(dir, &err) != 0)
		fail_msg("%s", err.msg);
}

static int
acl_setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));

	assert_non_null(fx);
	private_tmpdir(fx->dir, sizeof(fx->dir), "dw-acl");
	*state = fx;
	return 0;
}

static int
acl_teardown(void **state)
{
	struct fx	*fx = *state;
	char		 p[MAX_PATH + 8];

	snprintf(p, sizeof(p), "%s\\a\\b", fx->dir);
	tu_rmtree(p);
	snprintf(p, sizeof(p), "%s\\a", fx->dir);
	tu_rmtree(p);
	tu_rmtree(fx->dir);
	free(fx);
	return 0;
}

/* -- acl ------------------------------------------------------------------- */

static void
acl_private_dir_create_makes_a_protected_folder_for_system_and_admins(
    void **state)
{
	struct fx			*fx = *state;
	PSECURITY_DESCRIPTOR		 sd = NULL;
	SECURITY_DESCRIPTOR_CONTROL	 ctl;
	ACCESS_ALLOWED_ACE		*a;
	PACL				 dacl = NULL;
	struct dwerr			 err;
	wchar_t				 w[MAX_PATH], *s;
	char				 path[MAX_PATH], file[MAX_PATH + 8];
	char				 sid[128], *text;
	DWORD				 rev, i, attr;
	bool				 null_dacl;

	snprintf(path, sizeof(path), "%s\\a\\b", fx->dir);
	assert_int_equal(acl_private_dir_create(path, &err), 0);
	attr = GetFileAttributesA(path);
	assert_true(attr != INVALID_FILE_ATTRIBUTES &&
	    (attr & FILE_ATTRIBUTE_DIRECTORY));
	/* Again, on the folder that is there now: the same result. */
	assert_int_equal(acl_private_dir_create(path, &err), 0);
	/* A file where the folder should be is refused. */
	snprintf(file, sizeof(file), "%s\\file", fx->dir);
	put_file(file, "x");
	assert_int_equal(acl_private_dir_create(file, &err), -1);
	assert_int_equal(err.code, ERROR_DIRECTORY);
	DeleteFileA(file);

	/* Whatever the system keeps: nobody else may write, and the check
	 * that the service makes agrees. */
	assert_false(sid_may_write(path, SID_EVERYONE, &null_dacl));
	assert_false(null_dacl);
	if (acl_check_private(path, &err) != 0)
		fail_msg("%s", err.msg);

	MultiByteToWideChar(CP_UTF8, 0, path, -1, w, MAX_PATH);
	assert_int_equal(GetNamedSecurityInfoW(w, SE_FILE_OBJECT,
	    DACL_SECURITY_INFORMATION | OWNER_SECURITY_INFORMATION, NULL, NULL,
	    &dacl, NULL, &sd), ERROR_SUCCESS);
	assert_true(GetSecurityDescriptorControl(sd, &ctl, &rev));
	text = sddl_of(path);
	if (on_wine() && (!(ctl & SE_DACL_PROTECTED) ||
	    strstr(text, ";BA)") == NULL)) {
		wine_cannot("the protected DACL of SYSTEM, Administrators and the "
		    "service SID read back", "Wine keeps no file ACLs and "
		    "derives them from the Unix mode bits");
		print_message("WINE: the folder reads back as %s\n", text);
		free(text);
		LocalFree(sd);
		return;
	}
	free(text);
	/* Protected, owned by Administrators, exactly SYSTEM, Administrators
	 * and the service SID with full control, inherited by files and
	 * folders. */
	assert_true(ctl & SE_DACL_PROTECTED);
	assert_non_null(dacl);
	assert_int_equal(dacl->AceCount, 3);
	for (i = 0; i < dacl->AceCount; i++) {
		assert_true(GetAce(dacl, i, (void **)&a));
		assert_int_equal(a->Header.AceType, ACCESS_ALLOWED_ACE_TYPE);
		assert_int_equal(a->Header.AceFlags & (OBJECT_INHERIT_ACE |
		    CONTAINER_INHERIT_ACE | INHERIT_ONLY_ACE),
		    OBJECT_INHERIT_ACE | CONTAINER_INHERIT_ACE);
		assert_int_equal(a->Mask & FILE_ALL_ACCESS, FILE_ALL_ACCESS);
		assert_true(ConvertSidToStringSidW((PSID)&a->SidStart, &s));
		WideCharToMultiByte(CP_UTF8, 0, s, -1, sid, sizeof(sid), NULL,
		    NULL);
		LocalFree(s);
		assert_string_equal(sid, i == 0 ? "S-1-5-18" : i == 1 ?
		    "S-1-5-32-544" : SID_SERVICE);
	}
	text = sddl_of(path);
	assert_non_null(strstr(text, "O:BA"));
	free(text);
	LocalFree(sd);
}

static void
acl_check_private_accepts_a_file_for_system_and_admins_only(void **state)
{
	struct fx	*fx = *state;
	struct dwerr	 err;
	char		 file[MAX_PATH + 16];

	/* As created in the protected folder (it inherits its DACL). */
	snprintf(file, sizeof(file), "%s\\config.json", fx->dir);
	put_file(file, "{}");
	if (acl_check_private(file, &err) != 0)
		fail_msg("%s", err.msg);
	if (acl_check_trusted_file(file, &err) != 0)
		fail_msg("%s", err.msg);
	/* With that DACL set explicitly. */
	set_dacl(file, SDDL_PRIVATE_FILE);
	if (acl_check_private(file, &err) != 0)
		fail_msg("%s (reads back as %s)", err.msg, sddl_of(file));
	/* The same verdicts on descriptors: TrustedInstaller may write, Users
	 * may read, an inherit-only ACE is for what is created inside, and a
	 * deny is no grant. */
	assert_int_equal(check_sddl("f", SDDL_PRIVATE_FILE, &err), 0);
	assert_int_equal(check_sddl("f", "D:P(A;;FA;;;SY)(A;;FA;;;"
	    SID_TRUSTED_INSTALLER ")(A;;FR;;;BU)(A;;0x1200a9;;;WD)", &err), 0);
	assert_int_equal(check_sddl("f", "D:P(A;;FA;;;SY)(A;OICIIO;FA;;;CO)"
	    "(A;OICIIO;FA;;;BU)", &err), 0);
	assert_int_equal(check_sddl("f", "D:(D;;FA;;;WD)(A;;FA;;;BA)", &err),
	    0);
	assert_int_equal(check_sddl("f", "D:P", &err), 0);	/* nobody */
}

static void
acl_service_sid_matches_the_sids_windows_gives(void **state)
{
	struct dwerr	 err;
	char		 sid[ACL_SID_CHARS], small[16];
	BYTE		 bin[SECURITY_MAX_SID_SIZE];
	wchar_t		 dom[256], *s;
	DWORD		 n = sizeof(bin), nd = 256;
	SID_NAME_USE	 use;

	(void)state;
	/* Documented by Microsoft for NT SERVICE\TrustedInstaller; the case
	 * of the name does not matter. */
	assert_int_equal(acl_service_sid("TrustedInstaller", sid, sizeof(sid),
	    &err), 0);
	assert_string_equal(sid, SID_TRUSTED_INSTALLER);
	assert_int_equal(acl_service_sid("trustedinstaller", sid, sizeof(sid),
	    &err), 0);
	assert_string_equal(sid, SID_TRUSTED_INSTALLER);
	assert_int_equal(acl_service_sid(ACL_SERVICE_NAME, sid, sizeof(sid),
	    &err), 0);
	assert_string_equal(sid, SID_SERVICE);
	/* The service it trusts is the one it installs. */
	assert_string_equal(ACL_SERVICE_NAME, SERVICE_NAME);
	/* Where the system resolves the name (the service above always
	 * exists on Windows), it agrees. */
	if (LookupAccountNameW(NULL, L"NT SERVICE\\TrustedInstaller", bin, &n,
	    dom, &nd, &use)) {
		assert_true(ConvertSidToStringSidW(bin, &s));
		if (wcscmp(s, L"" SID_TRUSTED_INSTALLER) != 0)
			fail_msg("LookupAccountNameW gives %ls", s);
		LocalFree(s);
	} else if (on_wine())
		wine_cannot("the service SID from LookupAccountNameW", "Wine "
		    "does not resolve NT SERVICE names");
	else
		fail_msg("LookupAccountNameW(NT SERVICE\\TrustedInstaller): "
		    "error %lu", (unsigned long)GetLastError());
	/* Bad input: a clear error. */
	assert_int_equal(acl_service_sid("", sid, sizeof(sid), &err), -1);
	assert_int_equal(err.code, DWERR_INPUT);
	assert_int_equal(acl_service_sid(SERVICE_NAME, small, sizeof(small),
	    &err), -1);
	assert_non_null(strstr(err.msg, "does not fit"));
}

static void
acl_check_private_trusts_the_service_sid_and_no_other(void **state)
{
	struct dwerr	 err;
	char		 sddl[256], other[ACL_SID_CHARS], *priv;

	(void)state;
	snprintf(sddl, sizeof(sddl), "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;%s)",
	    SID_SERVICE);
	if (check_sddl("f", sddl, &err) != 0)
		fail_msg("%s", err.msg);
	/* Another service's SID is anyone else. */
	assert_int_equal(acl_service_sid("Dnscache", other, sizeof(other),
	    &err), 0);
	snprintf(sddl, sizeof(sddl), "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;%s)",
	    other);
	assert_int_equal(check_sddl("f", sddl, &err), -1);
	assert_int_equal(err.code, DWERR_INPUT);
	assert_non_null(strstr(err.msg, other));
	/* The private DACL grants exactly SYSTEM, Administrators and it, and
	 * passes its own check. */
	assert_non_null(priv = acl_private_sddl(&err));
	snprintf(sddl, sizeof(sddl), "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
	    "(A;OICI;FA;;;%s)", SID_SERVICE);
	assert_string_equal(priv, sddl);
	assert_int_equal(check_sddl("f", priv, &err), 0);
	free(priv);
}

/* Sets a DACL that lets sid write; checks the file is refused naming sid,
 * where the system kept that ACE. */
static void
refuses_writer(struct fx *fx, const char *sid, const char *name)
{
	struct dwerr	 err;
	char		 file[MAX_PATH + 16], sddl[256], self[128];
	bool		 null_dacl;

	snprintf(file, sizeof(file), "%s\\desired.json", fx->dir);
	put_file(file, "{}");
	self_sid(self, sizeof(self));
	snprintf(sddl, sizeof(sddl), "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;%s)"
	    "(A;;FRFW;;;%s)", self, sid);
	/* On a descriptor: always. */
	assert_int_equal(check_sddl(file, sddl, &err), -1);
	assert_int_equal(err.code, DWERR_INPUT);
	assert_non_null(strstr(err.msg, sid));
	assert_non_null(strstr(err.msg, file));
	print_message("%s\n", err.msg);
	/* On the file. */
	set_dacl(file, sddl);
	if (on_wine() && !sid_may_write(file, sid, &null_dacl)) {
		char	*text = sddl_of(file);

		wine_cannot(name, "Wine keeps no file ACLs; it maps the DACL to "
		    "Unix mode bits, where only the owner and everyone have a "
		    "place");
		print_message("WINE: the file reads back as %s\n", text);
		free(text);
		return;
	}
	assert_int_equal(acl_check_private(file, &err), -1);
	assert_non_null(strstr(err.msg, sid));
	assert_int_equal(acl_check_trusted_file(file, &err), -1);
	assert_non_null(strstr(err.msg, sid));
}

static void
acl_check_private_refuses_a_file_everyone_may_write(void **state)
{
	refuses_writer(*state, SID_EVERYONE,
	    "a real file whose DACL lets Everyone write");
}

static void
acl_check_private_refuses_a_file_users_may_write(void **state)
{
	refuses_writer(*state, SID_USERS,
	    "a real file whose DACL lets Users write");
}

static void
acl_check_private_refuses_a_null_dacl(void **state)
{
	struct fx		*fx = *state;
	SECURITY_DESCRIPTOR	 sd;
	struct dwerr		 err;
	wchar_t			 w[MAX_PATH];
	char			 file[MAX_PATH + 16], *text;
	bool			 null_dacl;

	/* In memory: a descriptor whose DACL is present and NULL. */
	assert_true(InitializeSecurityDescriptor(&sd, SECURITY_DESCRIPTOR_REVISION));
	assert_true(SetSecurityDescriptorDacl(&sd, TRUE, NULL, FALSE));
	assert_int_equal(acl_check_descriptor("f", &sd, &err), -1);
	assert_non_null(strstr(err.msg, "NULL DACL"));
	snprintf(file, sizeof(file), "%s\\desired.json", fx->dir);
	put_file(file, "{}");
	MultiByteToWideChar(CP_UTF8, 0, file, -1, w, MAX_PATH);
	assert_true(SetFileSecurityW(w, DACL_SECURITY_INFORMATION, &sd));
	/* Refused either way: for its NULL DACL, or for what a system that
	 * keeps no ACLs made of it. */
	assert_int_equal(acl_check_private(file, &err), -1);
	sid_may_write(file, SID_EVERYONE, &null_dacl);
	if (on_wine() && !null_dacl) {
		text = sddl_of(file);
		wine_cannot("a real file with a NULL DACL", "Wine keeps no file "
		    "ACLs; it maps a NULL DACL to Unix mode bits");
		print_message("WINE: the file reads back as %s, refused as: %s\n",
		    text, err.msg);
		free(text);
		return;
	}
	assert_true(null_dacl);
	assert_non_null(strstr(err.msg, "NULL DACL"));
}

static void
acl_check_trusted_file_checks_the_folder_that_holds_it(void **state)
{
	struct fx	*fx = *state;
	struct dwerr	 err;
	char		 open_dir[MAX_PATH + 16], file[MAX_PATH + 32];
	char		 missing[MAX_PATH + 32], self[128], sddl[256];
	bool		 null_dacl;

	/* Missing, in a private folder: nobody else can put it there. */
	snprintf(missing, sizeof(missing), "%s\\sub\\desired.json", fx->dir);
	if (acl_check_trusted_file(missing, &err) != 0)
		fail_msg("%s", err.msg);
	/* A folder everyone may write to: a file there can be replaced, and
	 * a missing one created. */
	snprintf(open_dir, sizeof(open_dir), "%s\\open", fx->dir);
	assert_true(CreateDirectoryA(open_dir, NULL));
	self_sid(self, sizeof(self));
	snprintf(sddl, sizeof(sddl), "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
	    "(A;OICI;FA;;;%s)(A;;FA;;;WD)", self);
	set_dacl(open_dir, sddl);
	snprintf(file, sizeof(file), "%s\\desired.json", open_dir);
	snprintf(missing, sizeof(missing), "%s\\missing.json", open_dir);
	put_file(file, "{}");
	snprintf(sddl, sizeof(sddl), "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;%s)",
	    self);
	set_dacl(file, sddl);
	if (on_wine() && (!sid_may_write(open_dir, SID_EVERYONE, &null_dacl) ||
	    acl_check_private(file, &err) != 0)) {
		wine_cannot("a private file in a folder everyone may write to",
		    "Wine keeps no file ACLs");
	} else {
		assert_int_equal(acl_check_private(file, &err), 0);
		assert_int_equal(acl_check_trusted_file(file, &err), -1);
		assert_non_null(strstr(err.msg, "replace"));
		assert_non_null(strstr(err.msg, SID_EVERYONE));
		assert_int_equal(acl_check_trusted_file(missing, &err), -1);
		assert_non_null(strstr(err.msg, "create"));
	}
	DeleteFileA(file);
	RemoveDirectoryA(open_dir);
}

/* A key under HKLM made with the DACL sddl (NULL: the default one). */
#define TKEY	"SOFTWARE\\DwTest Trusted Key"

static void
key_make(const char *key, const char *sddl)
{
	SECURITY_ATTRIBUTES	 sa = { sizeof(sa), NULL, FALSE };
	HKEY			 k;

	if (sddl != NULL)
		assert_true(ConvertStringSecurityDescriptorToSecurityDescriptorA(
		    sddl, SDDL_REVISION_1, &sa.lpSecurityDescriptor, NULL));
	assert_int_equal(RegCreateKeyExA(HKEY_LOCAL_MACHINE, key, 0, NULL, 0,
	    KEY_ALL_ACCESS | KEY_WOW64_64KEY, sddl != NULL ? &sa : NULL, &k,
	    NULL), ERROR_SUCCESS);
	RegCloseKey(k);
	LocalFree(sa.lpSecurityDescriptor);
}

static void
acl_check_trusted_key_refuses_a_record_others_may_change(void **state)
{
	struct dwerr	 err;

	(void)state;
	(void)RegDeleteTreeA(HKEY_LOCAL_MACHINE, TKEY);
	(void)RegDeleteKeyExA(HKEY_LOCAL_MACHINE, TKEY, KEY_WOW64_64KEY, 0);
	/* Missing, under SOFTWARE (only administrators make keys there). */
	assert_int_equal(acl_check_trusted_key(TKEY "\\Sub", &err), 0);
	key_make(TKEY, "D:P(A;;KA;;;SY)(A;;KA;;;BA)(A;;KR;;;BU)");
	assert_int_equal(acl_check_trusted_key(TKEY, &err), 0);
	(void)RegDeleteKeyExA(HKEY_LOCAL_MACHINE, TKEY, KEY_WOW64_64KEY, 0);
	/* Users may set its values: the tunnel's record would be theirs. */
	key_make(TKEY, "D:P(A;;KA;;;SY)(A;;KA;;;BA)(A;;0x20003;;;BU)");
	if (acl_check_trusted_key(TKEY, &err) == 0 && on_wine()) {
		PSECURITY_DESCRIPTOR	 sd = NULL;
		char			*text = NULL;

		wine_cannot("a registry key's DACL that lets Users write",
		    "Wine's GetNamedSecurityInfoW does not give it back");
		if (GetNamedSecurityInfoA("MACHINE\\" TKEY, SE_REGISTRY_KEY,
		    DACL_SECURITY_INFORMATION, NULL, NULL, NULL, NULL, &sd) ==
		    ERROR_SUCCESS &&
		    ConvertSecurityDescriptorToStringSecurityDescriptorA(sd,
		    SDDL_REVISION_1, DACL_SECURITY_INFORMATION, &text, NULL))
			print_message("WINE: the key reads back as %s\n", text);
		LocalFree(text);
		LocalFree(sd);
		(void)RegDeleteKeyExA(HKEY_LOCAL_MACHINE, TKEY, KEY_WOW64_64KEY,
		    0);
		return;
	}
	assert_int_equal(acl_check_trusted_key(TKEY, &err), -1);
	assert_int_equal(err.code, DWERR_INPUT);
	assert_non_null(strstr(err.msg, "HKLM\\" TKEY));
	assert_non_null(strstr(err.msg, "S-1-5-32-545"));
	/* ...and so may they make the one under it. */
	assert_int_equal(acl_check_trusted_key(TKEY "\\Sub", &err), -1);
	assert_non_null(strstr(err.msg, "create HKLM\\" TKEY "\\Sub there"));
	(void)RegDeleteKeyExA(HKEY_LOCAL_MACHINE, TKEY, KEY_WOW64_64KEY, 0);
}

/* -- service_run and service_report in this process ---------------------- */

static void
service_run_in_a_console_leaves_the_daemon_to_the_caller(void **state)
{
	struct dwerr	 err;
	DWORD		 t0 = GetTickCount();
	bool		 handled = true;

	(void)state;
	assert_int_equal(service_run(NULL, &handled, &err), 0);
	assert_false(handled);
	/* At once: no waiting on a service control pipe. */
	assert_true(GetTickCount() - t0 < 2000);
}

static void
service_command_refuses_an_unknown_verb(void **state)
{
	(void)state;
	assert_int_equal(service_command("restart", NULL, NULL), 64);
	assert_int_equal(service_command(NULL, NULL, NULL), 64);
}

/* The newest Application event from DnsWatchdog, or "" (UTF-8). */
static void
newest_event(char *out, size_t outlen)
{
	EVENTLOGRECORD	*r;
	HANDLE		 h;
	BYTE		 buf[65536];
	DWORD		 n = 0, need = 0;
	const wchar_t	*src;

	out[0] = '\0';
	if ((h = OpenEventLogW(NULL, L"Application")) == NULL)
		return;
	while (out[0] == '\0' && ReadEventLogW(h, EVENTLOG_SEQUENTIAL_READ |
	    EVENTLOG_BACKWARDS_READ, 0, buf, sizeof(buf), &n, &need)) {
		for (r = (EVENTLOGRECORD *)buf; (BYTE *)r < buf + n;
		    r = (EVENTLOGRECORD *)((BYTE *)r + r->Length)) {
			src = (const wchar_t *)(r + 1);
			if (wcscmp(src, L"DnsWatchdog") != 0 ||
			    r->NumStrings < 1)
				continue;
			WideCharToMultiByte(CP_UTF8, 0, (const wchar_t *)(
			    (BYTE *)r + r->StringOffset), -1, out, (int)outlen,
			    NULL, NULL);
			break;
		}
	}
	CloseEventLog(h);
}

static void
service_report_writes_to_the_application_event_log(void **state)
{
	char	 msg[128], got[512];

	(void)state;
	snprintf(msg, sizeof(msg), "test event %lu from test_service_win",
	    (unsigned long)GetTickCount());
	service_report(SERVICE_EV_HOSTS_FAILED, msg);
	service_report(SERVICE_EV_FIGHT, msg);	/* a warning, the same source */
	newest_event(got, sizeof(got));
	if (on_wine() && strcmp(got, msg) != 0) {
		wine_cannot("the event read back from the Application log",
		    "Wine's event log functions keep nothing (ReportEventW "
		    "only traces the strings)");
		return;
	}
	assert_string_equal(got, msg);
}

static void	win_path(const char *, char *, size_t);

/* Each event's text, from the message table of the real program, with
 * the event's message in it: what Event Viewer shows. */
static void
service_events_have_their_text_in_the_program(void **state)
{
	static const struct {
		enum service_event	 ev;
		const char		*text;
	} events[] = {
		{ SERVICE_EV_NOT_STARTED, "could not start" },
		{ SERVICE_EV_CONFIG_INVALID, "configuration is invalid" },
		{ SERVICE_EV_UNSAFE_FILES, "may be changed by users" },
		{ SERVICE_EV_FAILED, "stopped after a failure" },
		{ SERVICE_EV_DESIRED_INVALID, "desired DNS state is invalid" },
		{ SERVICE_EV_FIGHT, "keeps changing" },
		{ SERVICE_EV_HOSTS_FAILED, "could not write the hosts file" },
		{ SERVICE_EV_VERIFY_FAILED, "does not work as desired" },
	};
	wchar_t		 exe[MAX_PATH], out[2048];
	char		 got[4096], path[MAX_PATH];
	DWORD_PTR	 args[1] = { (DWORD_PTR)L"<the message>" };
	HMODULE		 m;
	size_t		 i;

	(void)state;
	win_path(DW_BINARY, path, sizeof(path));
	MultiByteToWideChar(CP_UTF8, 0, path, -1, exe, MAX_PATH);
	assert_non_null(m = LoadLibraryExW(exe, NULL, LOAD_LIBRARY_AS_DATAFILE |
	    LOAD_LIBRARY_AS_IMAGE_RESOURCE));
	/* RT_MESSAGETABLE, whose macro is not a wide string here. */
	assert_non_null(FindResourceW(m, MAKEINTRESOURCEW(1),
	    MAKEINTRESOURCEW(11)));
	for (i = 0; i < sizeof(events) / sizeof(events[0]); i++) {
		assert_true(FormatMessageW(FORMAT_MESSAGE_FROM_HMODULE |
		    FORMAT_MESSAGE_ARGUMENT_ARRAY, m, (DWORD)events[i].ev, 0x409,
		    out, 2048, (va_list *)args) > 0);
		WideCharToMultiByte(CP_UTF8, 0, out, -1, got, sizeof(got), NULL,
		    NULL);
		assert_non_null(strstr(got, events[i].text));
		assert_non_null(strstr(got, "<the message>"));
	}
	/* No text past the last event: the table and the enum agree. */
	assert_int_equal(FormatMessageW(FORMAT_MESSAGE_FROM_HMODULE |
	    FORMAT_MESSAGE_IGNORE_INSERTS, m, SERVICE_EV_VERIFY_FAILED + 1, 0x409,
	    out, 2048, NULL), 0);
	FreeLibrary(m);
}

/* -- The service through the service manager ----------------------------- */

/* The Windows path of a path CMake gives (a Linux path is Wine's Z:). */
static void
win_path(const char *p, char *out, size_t len)
{
	size_t	 i, o = 0;

	if (p[0] == '/') {
		out[o++] = 'Z';
		out[o++] = ':';
	}
	for (i = 0; p[i] != '\0' && o + 1 < len; i++)
		out[o++] = p[i] == '/' ? '\\' : p[i];
	out[o] = '\0';
}

/* Stops and deletes a DnsWatchdog left over by an earlier run. */
static void
remove_leftover_service(void)
{
	SERVICE_STATUS	 st;
	SC_HANDLE	 scm, svc;
	int		 i;

	if ((scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT)) == NULL)
		return;
	if ((svc = OpenServiceW(scm, L"DnsWatchdog", SERVICE_STOP |
	    SERVICE_QUERY_STATUS | DELETE)) != NULL) {
		print_message("removing a DnsWatchdog service left over by an "
		    "earlier run\n");
		ControlService(svc, SERVICE_CONTROL_STOP, &st);
		for (i = 0; i < 50 && QueryServiceStatus(svc, &st) &&
		    st.dwCurrentState != SERVICE_STOPPED; i++)
			Sleep(100);
		DeleteService(svc);
		CloseServiceHandle(svc);
	}
	CloseServiceHandle(scm);
	RegDeleteKeyW(HKEY_LOCAL_MACHINE, EVENTLOG_KEY);
}

static int
svc_setup(void **state)
{
	struct fx	*fx = calloc(1, sizeof(*fx));
	char		 bin[MAX_PATH], cfg[1024];

	assert_non_null(fx);
	remove_leftover_service();
	private_tmpdir(fx->dir, sizeof(fx->dir), "dw-svc");
	win_path(DW_BINARY, bin, sizeof(bin));
	snprintf(fx->exe, sizeof(fx->exe), "%s\\dnswatchdog.exe", fx->dir);
	snprintf(fx->config, sizeof(fx->config), "%s\\config.json", fx->dir);
	snprintf(fx->desired, sizeof(fx->desired), "%s\\desired.json", fx->dir);
	snprintf(fx->hosts, sizeof(fx->hosts), "%s\\hosts", fx->dir);
	snprintf(fx->trace, sizeof(fx->trace), "%s\\trace.jsonl", fx->dir);
	if (!CopyFileA(bin, fx->exe, FALSE))
		fail_msg("cannot copy %s to %s: error %lu", bin, fx->exe,
		    (unsigned long)GetLastError());
	snprintf(cfg, sizeof(cfg), "{\"desired_state\":\"desired.json\","
	    "\"hosts\":{\"path\":\"hosts\"},\"trace\":{\"jsonl\":\"trace.jsonl\"},"
	    "\"nrpt\":{\"record_key\":\"%s\"},"
	    "\"control\":{\"socket\":\"%s\"},"
	    "\"daemon\":{\"quiet_ms\":50,\"max_delay_ms\":200,\"resync_ms\":0}}",
	    "SOFTWARE\\\\DnsWatchdogServiceTest",
	    "\\\\\\\\.\\\\pipe\\\\dnswatchdog-service-test");
	put_file(fx->config, cfg);
	put_file(fx->desired, "{\"version\":1,\"hosts\":[{\"address\":"
	    "\"100.64.0.5\",\"names\":[\"svc-test.coder\"]}],\"nrpt\":[{"
	    "\"domains\":[\"svc-test.coder\"],\"servers\":[\"100.100.100.100\"]}]}");
	put_file(fx->hosts, "127.0.0.1 localhost\r\n");
	*state = fx;
	return 0;
}

static int
svc_teardown(void **state)
{
	struct fx	*fx = *state;
	int		 i;

	remove_leftover_service();
	RegDeleteTreeW(HKEY_LOCAL_MACHINE, L"" RECORD_KEY);
	/* The service's process may hold its exe for a moment after it
	 * stopped. */
	for (i = 0; i < 50 && GetFileAttributesA(fx->exe) !=
	    INVALID_FILE_ATTRIBUTES && !DeleteFileA(fx->exe); i++)
		Sleep(100);
	tu_rmtree(fx->dir);
	free(fx->out);
	free(fx);
	return 0;
}

/* Runs the copy of dnswatchdog.exe with args; returns its exit code. */
static DWORD
run(struct fx *fx, const char *args)
{
	char	 outp[MAX_PATH + 16];
	DWORD	 rc;

	snprintf(outp, sizeof(outp), "%s\\output.txt", fx->dir);
	rc = winrun(fx->exe, args, outp, NULL);
	free(fx->out);
	fx->out = tu_slurp(outp, NULL);
	DeleteFileA(outp);
	print_message("dnswatchdog %s -> %lu\n%s", args, (unsigned long)rc,
	    fx->out != NULL ? fx->out : "");
	return rc;
}

static bool
output_has(const struct fx *fx, const char *s)
{
	return fx->out != NULL && strstr(fx->out, s) != NULL;
}

/* Waits until the file at path contains s (or not); true when it did. */
static bool
wait_file(const char *path, const char *s, bool present)
{
	DWORD	 t0 = GetTickCount();
	char	*text;
	bool	 has;

	for (;;) {
		text = tu_slurp(path, NULL);
		has = text != NULL && strstr(text, s) != NULL;
		free(text);
		if (has == present)
			return true;
		if (GetTickCount() - t0 > WAIT_MS)
			return false;
		Sleep(100);
	}
}

/* True when the local NRPT table has a rule for TEST_DOMAIN. */
static bool
nrpt_has_test_rule(void)
{
	wchar_t	 name[128], val[256];
	HKEY	 t, r;
	DWORD	 i, n, len, type;
	bool	 found = false;

	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, LOCAL_TABLE, 0, KEY_READ, &t) !=
	    ERROR_SUCCESS)
		return false;
	for (i = 0; !found; i++) {
		n = 128;
		if (RegEnumKeyExW(t, i, name, &n, NULL, NULL, NULL, NULL) !=
		    ERROR_SUCCESS)
			break;
		if (RegOpenKeyExW(t, name, 0, KEY_READ, &r) != ERROR_SUCCESS)
			continue;
		len = sizeof(val) - sizeof(wchar_t);
		memset(val, 0, sizeof(val));
		if (RegQueryValueExW(r, L"Name", NULL, &type, (BYTE *)val,
		    &len) == ERROR_SUCCESS && type == REG_MULTI_SZ)
			found = wcscmp(val, TEST_DOMAIN) == 0;
		RegCloseKey(r);
	}
	RegCloseKey(t);
	return found;
}

/* Waits while the service is in pending; returns its status. */
static SERVICE_STATUS_PROCESS
wait_status(SC_HANDLE svc, DWORD pending)
{
	SERVICE_STATUS_PROCESS	 ss;
	DWORD			 n, t0 = GetTickCount();

	for (;;) {
		assert_true(QueryServiceStatusEx(svc, SC_STATUS_PROCESS_INFO,
		    (BYTE *)&ss, sizeof(ss), &n));
		if (ss.dwCurrentState != pending ||
		    GetTickCount() - t0 > WAIT_MS)
			return ss;
		Sleep(100);
	}
}

static void
check_installed_config(struct fx *fx, SC_HANDLE svc, const char *install_out)
{
	QUERY_SERVICE_CONFIGW		*qc;
	SERVICE_DESCRIPTIONW		*d;
	SERVICE_FAILURE_ACTIONSW	*fa;
	SERVICE_FAILURE_ACTIONS_FLAG	*flag;
	SERVICE_PRESHUTDOWN_INFO	*pre;
	BYTE				 buf[8192];
	wchar_t				 want[3 * MAX_PATH], val[MAX_PATH];
	DWORD				 n, len, type, types;
	HKEY				 k;

	qc = (QUERY_SERVICE_CONFIGW *)buf;
	assert_true(QueryServiceConfigW(svc, qc, sizeof(buf), &n));
	assert_int_equal(qc->dwServiceType, SERVICE_WIN32_OWN_PROCESS);
	assert_int_equal(qc->dwStartType, SERVICE_AUTO_START);
	assert_true(_wcsicmp(qc->lpServiceStartName, L"LocalSystem") == 0);
	if (on_wine() && qc->lpDependencies[0] == L'\0') {
		wine_cannot("the dependency on Dnscache through "
		    "QueryServiceConfigW", "Wine's returns no dependencies; "
		    "its registry value is checked instead");
		assert_int_equal(RegOpenKeyExW(HKEY_LOCAL_MACHINE,
		    L"SYSTEM\\CurrentControlSet\\Services\\DnsWatchdog", 0,
		    KEY_READ, &k), ERROR_SUCCESS);
		memset(val, 0, sizeof(val));
		len = sizeof(val) - sizeof(wchar_t);
		assert_int_equal(RegQueryValueExW(k, L"DependOnService", NULL,
		    &type, (BYTE *)val, &len), ERROR_SUCCESS);
		RegCloseKey(k);
		assert_int_equal(type, REG_MULTI_SZ);
		assert_true(wcscmp(val, L"Dnscache") == 0);
		assert_int_equal(val[wcslen(L"Dnscache") + 1], L'\0');
	} else {
		assert_true(wcscmp(qc->lpDependencies, L"Dnscache") == 0);
		assert_int_equal(qc->lpDependencies[wcslen(L"Dnscache") + 1],
		    L'\0');
	}
	assert_true(wcscmp(qc->lpDisplayName, L"DNS Watchdog") == 0);
	swprintf(want, sizeof(want) / sizeof(want[0]),
	    L"\"%hs\" --config \"%hs\" run", fx->exe, fx->config);
	if (_wcsicmp(qc->lpBinaryPathName, want) != 0)
		fail_msg("binary path %ls, wanted %ls", qc->lpBinaryPathName,
		    want);

	d = (SERVICE_DESCRIPTIONW *)buf;
	assert_true(QueryServiceConfig2W(svc, SERVICE_CONFIG_DESCRIPTION, buf,
	    sizeof(buf), &n));
	assert_non_null(d->lpDescription);
	assert_true(wcscmp(d->lpDescription, L"" SERVICE_DESCRIPTION) == 0);

	fa = (SERVICE_FAILURE_ACTIONSW *)buf;
	if (!QueryServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS, buf,
	    sizeof(buf), &n) && on_wine()) {
		wine_cannot("the recovery actions (restart after 1, 5, 30 s; "
		    "reset after a day) read back", "Wine's "
		    "QueryServiceConfig2W does not know SERVICE_CONFIG_FAILURE_"
		    "ACTIONS");
	} else if (on_wine() && fa->cActions == 0) {
		wine_cannot("the recovery actions (restart after 1, 5, 30 s; "
		    "reset after a day) read back", "Wine's service manager "
		    "accepts them and keeps none");
	} else {
		assert_int_equal(fa->dwResetPeriod, 86400);
		assert_int_equal(fa->cActions, 3);
		assert_int_equal(fa->lpsaActions[0].Type, SC_ACTION_RESTART);
		assert_int_equal(fa->lpsaActions[0].Delay, 1000);
		assert_int_equal(fa->lpsaActions[1].Type, SC_ACTION_RESTART);
		assert_int_equal(fa->lpsaActions[1].Delay, 5000);
		assert_int_equal(fa->lpsaActions[2].Type, SC_ACTION_RESTART);
		assert_int_equal(fa->lpsaActions[2].Delay, 30000);
	}

	flag = (SERVICE_FAILURE_ACTIONS_FLAG *)buf;
	if (!QueryServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS_FLAG, buf,
	    sizeof(buf), &n) && on_wine()) {
		wine_cannot("the failure-actions flag (also on a stop with an "
		    "error)", "Wine's service manager does not know "
		    "SERVICE_CONFIG_FAILURE_ACTIONS_FLAG");
		/* ...and install said so rather than pass over it. */
		assert_non_null(strstr(install_out, "warning: this service "
		    "manager cannot set the recovery actions for a stop with "
		    "an error"));
	} else
		assert_true(flag->fFailureActionsOnNonCrashFailures);

	pre = (SERVICE_PRESHUTDOWN_INFO *)buf;
	if (!QueryServiceConfig2W(svc, SERVICE_CONFIG_PRESHUTDOWN_INFO, buf,
	    sizeof(buf), &n) && on_wine())
		wine_cannot("the preshutdown timeout read back", "Wine's "
		    "QueryServiceConfig2W does not know it");
	else
		assert_int_equal(pre->dwPreshutdownTimeout, 10000);

	/* The service SID, unrestricted, and SeChangeNotifyPrivilege alone. */
	if (!QueryServiceConfig2W(svc, SERVICE_CONFIG_SERVICE_SID_INFO, buf,
	    sizeof(buf), &n) && on_wine()) {
		assert_int_equal(GetLastError(), ERROR_INVALID_LEVEL);
		wine_cannot("the service SID type read back", "Wine's service "
		    "manager does not know SERVICE_CONFIG_SERVICE_SID_INFO and "
		    "keeps nothing");
		assert_non_null(strstr(install_out, "warning: this service "
		    "manager cannot set the service SID type"));
	} else
		assert_int_equal(((SERVICE_SID_INFO *)buf)->dwServiceSidType,
		    SERVICE_SID_TYPE_UNRESTRICTED);
	if (!QueryServiceConfig2W(svc, SERVICE_CONFIG_REQUIRED_PRIVILEGES_INFO,
	    buf, sizeof(buf), &n) && on_wine()) {
		assert_int_equal(GetLastError(), ERROR_INVALID_LEVEL);
		wine_cannot("the required privileges read back", "Wine's "
		    "service manager does not know SERVICE_CONFIG_REQUIRED_"
		    "PRIVILEGES_INFO and keeps nothing");
		assert_non_null(strstr(install_out, "warning: this service "
		    "manager cannot set the required privileges"));
	} else {
		const wchar_t *p = ((SERVICE_REQUIRED_PRIVILEGES_INFOW *)buf)->
		    pmszRequiredPrivileges;

		assert_non_null(p);
		assert_true(wcscmp(p, L"SeChangeNotifyPrivilege") == 0);
		assert_int_equal(p[wcslen(p) + 1], L'\0');
		assert_non_null(strstr(install_out, "privileges: "
		    "SeChangeNotifyPrivilege only"));
	}

	/* The Event Log source: this exe, error, warning and information. */
	assert_int_equal(RegOpenKeyExW(HKEY_LOCAL_MACHINE, EVENTLOG_KEY, 0,
	    KEY_READ, &k), ERROR_SUCCESS);
	len = sizeof(val);
	assert_int_equal(RegQueryValueExW(k, L"EventMessageFile", NULL, &type,
	    (BYTE *)val, &len), ERROR_SUCCESS);
	assert_int_equal(type, REG_EXPAND_SZ);
	swprintf(want, sizeof(want) / sizeof(want[0]), L"%hs", fx->exe);
	assert_true(_wcsicmp(val, want) == 0);
	len = sizeof(types);
	assert_int_equal(RegQueryValueExW(k, L"TypesSupported", NULL, &type,
	    (BYTE *)&types, &len), ERROR_SUCCESS);
	assert_int_equal(types, 7);
	RegCloseKey(k);
}

/* The service's control pipe, seen from a client handle. */
static void
check_service_pipe(DWORD service_pid)
{
	PSECURITY_DESCRIPTOR	 sd = NULL;
	ACCESS_ALLOWED_ACE	*a;
	PSID			 owner = NULL, svc_sid = NULL;
	PACL			 dacl = NULL;
	HANDLE			 h = INVALID_HANDLE_VALUE;
	ULONG			 server = 0;
	DWORD			 i, t0 = GetTickCount();
	bool			 found = false;

	while (GetTickCount() - t0 < WAIT_MS) {
		h = CreateFileW(L"\\\\.\\pipe\\dnswatchdog-service-test",
		    GENERIC_READ | GENERIC_WRITE, 0, NULL, OPEN_EXISTING, 0,
		    NULL);
		if (h != INVALID_HANDLE_VALUE)
			break;
		Sleep(100);
	}
	assert_true(h != INVALID_HANDLE_VALUE);
	assert_true(GetNamedPipeServerProcessId(h, &server));
	assert_int_equal(server, service_pid);
	assert_int_equal(GetSecurityInfo(h, SE_KERNEL_OBJECT,
	    OWNER_SECURITY_INFORMATION | DACL_SECURITY_INFORMATION, &owner,
	    NULL, &dacl, NULL, &sd), ERROR_SUCCESS);
	CloseHandle(h);
	assert_non_null(owner);
	assert_true(IsWellKnownSid(owner, WinBuiltinAdministratorsSid));
	assert_true(ConvertStringSidToSidA(SID_SERVICE, &svc_sid));
	for (i = 0; dacl != NULL && i < dacl->AceCount; i++)
		if (GetAce(dacl, i, (void **)&a) &&
		    a->Header.AceType == ACCESS_ALLOWED_ACE_TYPE &&
		    EqualSid((PSID)&a->SidStart, svc_sid))
			found = true;
	assert_true(found);
	LocalFree(svc_sid);
	LocalFree(sd);
}

static void
service_installs_starts_stops_and_uninstalls(void **state)
{
	struct fx		*fx = *state;
	SERVICE_STATUS_PROCESS	 ss;
	SERVICE_STATUS		 st;
	SC_HANDLE		 scm, svc;
	HKEY			 k;
	char			 args[3 * MAX_PATH], *install_out;
	char			 self[128], sddl[256], event[1024];
	DWORD			 e;

	assert_false(nrpt_has_test_rule());

	/* Install, twice: the second one updates and succeeds. */
	snprintf(args, sizeof(args), "--config \"%s\" service install",
	    fx->config);
	assert_int_equal(run(fx, args), 0);
	assert_true(output_has(fx, "service DnsWatchdog installed"));
	install_out = _strdup(fx->out);
	assert_int_equal(run(fx, args), 0);
	assert_true(output_has(fx, "already installed"));

	assert_non_null(scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT));
	assert_non_null(svc = OpenServiceW(scm, L"DnsWatchdog",
	    SERVICE_QUERY_CONFIG | SERVICE_QUERY_STATUS | SERVICE_STOP |
	    SERVICE_START | SERVICE_INTERROGATE | SERVICE_PAUSE_CONTINUE));
	check_installed_config(fx, svc, install_out);
	free(install_out);

	/* Start: RUNNING, accepting what it handles; then it does its job. */
	assert_int_equal(run(fx, "service start"), 0);
	assert_true(output_has(fx, "is running") ||
	    output_has(fx, "already running"));
	ss = wait_status(svc, SERVICE_START_PENDING);
	assert_int_equal(ss.dwCurrentState, SERVICE_RUNNING);
	assert_int_equal(ss.dwControlsAccepted, SERVICE_ACCEPT_STOP |
	    SERVICE_ACCEPT_PRESHUTDOWN | SERVICE_ACCEPT_POWEREVENT |
	    SERVICE_ACCEPT_PARAMCHANGE);
	assert_true(wait_file(fx->hosts, TEST_HOST, true));
	assert_true(nrpt_has_test_rule());
	assert_true(wait_file(fx->trace, "\"event\":\"DaemonStarted\"", true));
	/* Its pipe: served by the service's process, owned by
	 * Administrators, open to the service SID. */
	check_service_pipe(ss.dwProcessId);
	/* Its daemon answers on the control channel of the config. */
	snprintf(args, sizeof(args), "--config \"%s\" status", fx->config);
	assert_int_equal(run(fx, args), 0);
	assert_true(output_has(fx, fx->hosts));

	/* PARAMCHANGE reloads the config; INTERROGATE is answered. */
	assert_true(ControlService(svc, SERVICE_CONTROL_PARAMCHANGE, &st));
	assert_true(wait_file(fx->trace, "\"event\":\"ConfigReloaded\"", true));
	assert_true(ControlService(svc, SERVICE_CONTROL_INTERROGATE, &st));
	/* A control it does not take is refused by the service manager. */
	assert_false(ControlService(svc, SERVICE_CONTROL_PAUSE, &st));

	/* Stop: STOPPED with no error, the daemon says why it stopped. */
	assert_int_equal(run(fx, "service stop"), 0);
	assert_true(output_has(fx, "stopped"));
	ss = wait_status(svc, SERVICE_STOP_PENDING);
	assert_int_equal(ss.dwCurrentState, SERVICE_STOPPED);
	assert_int_equal(ss.dwWin32ExitCode, NO_ERROR);
	assert_true(wait_file(fx->trace, "\"reason\":\"stop request\"", true));
	assert_int_equal(run(fx, "service stop"), 0);
	assert_true(output_has(fx, "not running"));

	/* A desired state that others may change: it refuses to start. */
	self_sid(self, sizeof(self));
	snprintf(sddl, sizeof(sddl), "D:P(A;;FA;;;SY)(A;;FA;;;BA)(A;;FA;;;%s)"
	    "(A;;FRFW;;;WD)", self);
	set_dacl(fx->desired, sddl);
	assert_int_equal(run(fx, "service start"), 1);
	assert_true(output_has(fx, "stopped while starting"));
	assert_true(output_has(fx, "service exit code 4"));
	ss = wait_status(svc, SERVICE_START_PENDING);
	assert_int_equal(ss.dwCurrentState, SERVICE_STOPPED);
	/* No Win32 error, so no recovery restarts it into the same refusal;
	 * the specific code says why. */
	assert_int_equal(ss.dwWin32ExitCode, NO_ERROR);
	assert_int_equal(ss.dwServiceSpecificExitCode, 4);
	/* ...and says why in the Application event log. */
	newest_event(event, sizeof(event));
	if (on_wine() && strstr(event, "will not start") == NULL)
		wine_cannot("the refusal read back from the Application log",
		    "Wine's event log functions keep nothing");
	else {
		assert_non_null(strstr(event, "will not start"));
		assert_non_null(strstr(event, fx->desired));
	}
	/* A new file in the private folder is private again. */
	assert_true(DeleteFileA(fx->desired));
	put_file(fx->desired, "{\"version\":1,\"hosts\":[{\"address\":"
	    "\"100.64.0.5\",\"names\":[\"svc-test.coder\"]}],\"nrpt\":[{"
	    "\"domains\":[\"svc-test.coder\"],\"servers\":[\"100.100.100.100\"]}]}");

	/* Uninstall: what it managed goes, then the service and its source. */
	assert_int_equal(run(fx, "service uninstall"), 0);
	assert_true(output_has(fx, "- " TEST_HOST));
	assert_true(output_has(fx, "service DnsWatchdog removed"));
	assert_true(wait_file(fx->hosts, TEST_HOST, false));
	assert_true(wait_file(fx->hosts, "127.0.0.1 localhost", true));
	assert_false(nrpt_has_test_rule());
	CloseServiceHandle(svc);
	svc = OpenServiceW(scm, L"DnsWatchdog", SERVICE_QUERY_STATUS);
	e = GetLastError();
	if (svc != NULL)
		CloseServiceHandle(svc);
	assert_null(svc);
	assert_int_equal(e, ERROR_SERVICE_DOES_NOT_EXIST);
	assert_int_equal(RegOpenKeyExW(HKEY_LOCAL_MACHINE, EVENTLOG_KEY, 0,
	    KEY_READ, &k), ERROR_FILE_NOT_FOUND);
	CloseServiceHandle(scm);

	/* Again: nothing to do, and that is fine. */
	assert_int_equal(run(fx, "service uninstall"), 0);
	assert_true(output_has(fx, "not installed"));
	/* start and stop of a service that is not there fail. */
	assert_int_equal(run(fx, "service start"), 1);
	assert_int_equal(run(fx, "service bogus"), 64);
}

/* A program in a folder where others may add files (a DLL beside it) is
 * not installed to run as SYSTEM. */
static void
service_install_refuses_a_program_others_may_replace(void **state)
{
	struct fx	*fx = *state;
	char		 open_dir[MAX_PATH + 16], self[128], sddl[256];
	char		 outp[MAX_PATH + 16];
	SC_HANDLE	 scm, svc;
	bool		 null_dacl;
	DWORD		 rc;

	snprintf(open_dir, sizeof(open_dir), "%s\\open", fx->dir);
	assert_true(CreateDirectoryA(open_dir, NULL));
	self_sid(self, sizeof(self));
	snprintf(sddl, sizeof(sddl), "D:P(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
	    "(A;OICI;FA;;;%s)(A;;FA;;;WD)", self);
	set_dacl(open_dir, sddl);
	if (on_wine() && !sid_may_write(open_dir, SID_EVERYONE, &null_dacl)) {
		wine_cannot("an installer refusing a program in an open folder",
		    "Wine keeps no folder ACLs");
		RemoveDirectoryA(open_dir);
		return;
	}
	/* The copy is moved into the open folder: it keeps its own ACL. */
	snprintf(outp, sizeof(outp), "%s\\dnswatchdog.exe", open_dir);
	assert_true(MoveFileA(fx->exe, outp));
	snprintf(fx->exe, sizeof(fx->exe), "%s", outp);
	snprintf(sddl, sizeof(sddl), "--config \"%s\" service install",
	    fx->config);
	rc = run(fx, sddl);
	assert_int_equal(rc, 4);
	assert_true(output_has(fx, "will not install"));
	assert_true(output_has(fx, SID_EVERYONE));
	assert_non_null(scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT));
	svc = OpenServiceW(scm, L"DnsWatchdog", SERVICE_QUERY_STATUS);
	assert_null(svc);
	assert_int_equal(GetLastError(), ERROR_SERVICE_DOES_NOT_EXIST);
	CloseServiceHandle(scm);
}

/* -- The MSI's verbs: setup and cleanup ----------------------------------- */

/* Registers DnsWatchdog as the MSI's ServiceInstall does: the copy of
 * the exe with `run`, nothing else set. */
static void
register_like_the_msi(struct fx *fx)
{
	SC_HANDLE	 scm, svc;
	wchar_t		 cmd[2 * MAX_PATH];

	swprintf(cmd, sizeof(cmd) / sizeof(cmd[0]), L"\"%hs\" run", fx->exe);
	assert_non_null(scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT |
	    SC_MANAGER_CREATE_SERVICE));
	svc = CreateServiceW(scm, L"DnsWatchdog", L"DNS Watchdog",
	    SERVICE_ALL_ACCESS, SERVICE_WIN32_OWN_PROCESS, SERVICE_AUTO_START,
	    SERVICE_ERROR_NORMAL, cmd, NULL, NULL, L"Dnscache\0", NULL, NULL);
	if (svc == NULL)
		fail_msg("CreateServiceW: error %lu",
		    (unsigned long)GetLastError());
	CloseServiceHandle(svc);
	CloseServiceHandle(scm);
}

static bool
file_exists(const char *path)
{
	return GetFileAttributesA(path) != INVALID_FILE_ATTRIBUTES;
}

static void
service_setup_refuses_a_bad_config_and_a_missing_service_changing_nothing(
    void **state)
{
	struct fx	*fx = *state;
	char		 args[4 * MAX_PATH], pd[MAX_PATH], bad[MAX_PATH];

	snprintf(pd, sizeof(pd), "%s\\pd", fx->dir);
	snprintf(bad, sizeof(bad), "%s\\bad.json", fx->dir);
	put_file(bad, "{\"bogus\": 1}");

	/* No service registered: nothing to set up. */
	snprintf(args, sizeof(args), "--config \"%s\\config.json\" service "
	    "--config-from \"%s\" setup", pd, fx->config);
	assert_int_equal(run(fx, args), 1);
	assert_true(output_has(fx, "cannot open the service"));
	assert_false(file_exists(pd));

	register_like_the_msi(fx);
	/* Not a config, or no file: refused before anything changes. */
	snprintf(args, sizeof(args), "--config \"%s\\config.json\" service "
	    "--config-from \"%s\" setup", pd, bad);
	assert_int_equal(run(fx, args), 1);
	assert_true(output_has(fx, "is not a valid config; nothing was "
	    "changed"));
	assert_true(output_has(fx, "unknown key \"bogus\""));
	assert_false(file_exists(pd));
	snprintf(args, sizeof(args), "--config \"%s\\config.json\" service "
	    "--config-from \"%s\\none.json\" setup", pd, fx->dir);
	assert_int_equal(run(fx, args), 1);
	assert_true(output_has(fx, "nothing was changed"));
	assert_false(file_exists(pd));
	/* A tunnel follow mode does not know. */
	snprintf(args, sizeof(args), "--config \"%s\\config.json\" service "
	    "--follow nosuch setup", pd);
	assert_int_equal(run(fx, args), 1);
	assert_true(output_has(fx, "follow tunnel 'nosuch' is not a valid "
	    "config"));
	assert_false(file_exists(pd));
}

static void
service_setup_configures_the_service_folder_and_config(void **state)
{
	struct fx			*fx = *state;
	SERVICE_PRESHUTDOWN_INFO	*pre;
	SERVICE_FAILURE_ACTIONSW	*fa;
	SC_HANDLE			 scm, svc;
	struct dwerr			 err;
	BYTE				 buf[8192];
	char				 args[4 * MAX_PATH], pd[MAX_PATH];
	char				 config[MAX_PATH + 16], pd2[MAX_PATH];
	char				*want, *got;
	DWORD				 n;

	snprintf(pd, sizeof(pd), "%s\\pd", fx->dir);
	snprintf(config, sizeof(config), "%s\\config.json", pd);
	register_like_the_msi(fx);
	snprintf(args, sizeof(args), "--config \"%s\" service --config-from "
	    "\"%s\" --follow \"\" setup", config, fx->config);
	assert_int_equal(run(fx, args), 0);
	assert_true(output_has(fx, "written from"));

	/* The config, byte for byte; the folder passes the service's own
	 * check (on Wine, what its mode bits allow). */
	want = tu_slurp(fx->config, NULL);
	got = tu_slurp(config, NULL);
	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
	if (acl_check_private(pd, &err) != 0)
		fail_msg("%s", err.msg);

	/* The settings the MSI's ServiceInstall lacks. */
	assert_non_null(scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT));
	assert_non_null(svc = OpenServiceW(scm, L"DnsWatchdog",
	    SERVICE_QUERY_CONFIG));
	pre = (SERVICE_PRESHUTDOWN_INFO *)buf;
	assert_true(QueryServiceConfig2W(svc, SERVICE_CONFIG_PRESHUTDOWN_INFO,
	    buf, sizeof(buf), &n));
	assert_int_equal(pre->dwPreshutdownTimeout, 10000);
	fa = (SERVICE_FAILURE_ACTIONSW *)buf;
	if ((!QueryServiceConfig2W(svc, SERVICE_CONFIG_FAILURE_ACTIONS, buf,
	    sizeof(buf), &n) || fa->cActions == 0) && on_wine()) {
		wine_cannot("the recovery actions set by setup read back",
		    "Wine's service manager accepts them and keeps none");
	} else {
		assert_int_equal(fa->dwResetPeriod, 86400);
		assert_int_equal(fa->cActions, 3);
		assert_int_equal(fa->lpsaActions[0].Delay, 1000);
		assert_int_equal(fa->lpsaActions[2].Delay, 30000);
	}
	CloseServiceHandle(svc);
	CloseServiceHandle(scm);

	/* Again with no CONFIG (an upgrade), or with FOLLOW: the config
	 * that is there stays. */
	snprintf(args, sizeof(args), "--config \"%s\" service --config-from "
	    "\"\" --follow tailscale setup", config);
	assert_int_equal(run(fx, args), 0);
	assert_true(output_has(fx, "kept"));
	got = tu_slurp(config, NULL);
	assert_string_equal(got, want);
	free(got);
	free(want);

	/* FOLLOW with no config yet writes one that follows the tunnel. */
	snprintf(pd2, sizeof(pd2), "%s\\pd2\\config.json", fx->dir);
	snprintf(args, sizeof(args), "--config \"%s\" service --follow "
	    "tailscale setup", pd2);
	assert_int_equal(run(fx, args), 0);
	got = tu_slurp(pd2, NULL);
	assert_non_null(got);
	assert_string_equal(got, "{\"follow\":{\"tunnel\":\"tailscale\"}}");
	free(got);
	snprintf(pd2, sizeof(pd2), "%s\\pd2", fx->dir);
	tu_rmtree(pd2);
	tu_rmtree(pd);
}

static void
service_cleanup_removes_the_rules_and_the_section_and_nothing_else(
    void **state)
{
	struct fx	*fx = *state;
	SC_HANDLE	 scm, svc;
	char		 args[3 * MAX_PATH], bad[MAX_PATH];

	snprintf(args, sizeof(args), "--config \"%s\" once", fx->config);
	run(fx, args);
	assert_true(wait_file(fx->hosts, TEST_HOST, true));
	assert_true(nrpt_has_test_rule());

	/* A config that is not valid: nothing is removed. */
	snprintf(bad, sizeof(bad), "%s\\bad.json", fx->dir);
	put_file(bad, "{\"bogus\": 1}");
	snprintf(args, sizeof(args), "--config \"%s\" service cleanup", bad);
	assert_int_equal(run(fx, args), 1);
	assert_true(output_has(fx, "nothing was removed"));
	assert_true(wait_file(fx->hosts, TEST_HOST, true));
	assert_true(nrpt_has_test_rule());

	register_like_the_msi(fx);
	snprintf(args, sizeof(args), "--config \"%s\" service cleanup",
	    fx->config);
	assert_int_equal(run(fx, args), 0);
	assert_true(wait_file(fx->hosts, TEST_HOST, false));
	assert_true(wait_file(fx->hosts, "127.0.0.1 localhost", true));
	assert_false(nrpt_has_test_rule());
	/* The service is the installer's to delete. */
	assert_non_null(scm = OpenSCManagerW(NULL, NULL, SC_MANAGER_CONNECT));
	svc = OpenServiceW(scm, L"DnsWatchdog", SERVICE_QUERY_STATUS);
	assert_non_null(svc);
	CloseServiceHandle(svc);
	CloseServiceHandle(scm);
	/* Nothing left to remove is no failure. */
	assert_int_equal(run(fx, args), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
#define A(f) cmocka_unit_test_setup_teardown(f, acl_setup, acl_teardown)
		A(acl_private_dir_create_makes_a_protected_folder_for_system_and_admins),
		A(acl_check_private_accepts_a_file_for_system_and_admins_only),
		cmocka_unit_test(acl_service_sid_matches_the_sids_windows_gives),
		cmocka_unit_test(acl_check_private_trusts_the_service_sid_and_no_other),
		A(acl_check_private_refuses_a_file_everyone_may_write),
		A(acl_check_private_refuses_a_file_users_may_write),
		A(acl_check_private_refuses_a_null_dacl),
		A(acl_check_trusted_file_checks_the_folder_that_holds_it),
		cmocka_unit_test(
		    acl_check_trusted_key_refuses_a_record_others_may_change),
#undef A
		cmocka_unit_test(service_run_in_a_console_leaves_the_daemon_to_the_caller),
		cmocka_unit_test(service_command_refuses_an_unknown_verb),
		cmocka_unit_test(service_report_writes_to_the_application_event_log),
		cmocka_unit_test(service_events_have_their_text_in_the_program),
		cmocka_unit_test_setup_teardown(
		    service_install_refuses_a_program_others_may_replace,
		    svc_setup, svc_teardown),
		cmocka_unit_test_setup_teardown(
		    service_installs_starts_stops_and_uninstalls, svc_setup,
		    svc_teardown),
		cmocka_unit_test_setup_teardown(
		    service_setup_refuses_a_bad_config_and_a_missing_service_changing_nothing,
		    svc_setup, svc_teardown),
		cmocka_unit_test_setup_teardown(
		    service_setup_configures_the_service_folder_and_config,
		    svc_setup, svc_teardown),
		cmocka_unit_test_setup_teardown(
		    service_cleanup_removes_the_rules_and_the_section_and_nothing_else,
		    svc_setup, svc_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
