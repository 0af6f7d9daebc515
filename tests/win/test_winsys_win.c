/*
 * Tests for os/winsys.c and the imports of dnswatchdog.exe, under Wine:
 * where the service finds the DLLs it runs as SYSTEM with.
 *
 * The import table is read from the real executable: every DLL it names
 * must be a Known DLL (mapped from System32 whatever the search path), and
 * KERNEL32's imports must include SetDefaultDllDirectories and not the
 * plain LoadLibraryW. Then winsys_proc must load from System32 only, even
 * when a DLL of the same name waits in the folder of the program: a copy
 * of this test runs from a folder with a planted dnsapi.dll, where a plain
 * LoadLibraryW does load the planted one (so the check can fail).
 */
#include <windows.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#include <cmocka.h>

#include "platform.h"
#include "testutil.h"
#include "winsys.h"
#include "win/winrun.h"

/* The Known DLLs the program may import (the KnownDLLs list of Windows 10
 * and 11, HKLM\SYSTEM\CurrentControlSet\Control\Session Manager\KnownDLLs,
 * plus KERNEL32, which is always one). */
static const char *const known[] = {
	"kernel32.dll", "advapi32.dll", "msvcrt.dll", "ws2_32.dll", NULL
};

struct image {
	unsigned char		*buf;
	size_t			 len;
	IMAGE_NT_HEADERS64	*nt;
};

static void
image_read(struct image *im, const char *path)
{
	wchar_t	 wpath[MAX_PATH];
	HANDLE	 h;
	DWORD	 got;
	LARGE_INTEGER size;
	IMAGE_DOS_HEADER *dos;

	winrun_path(path, wpath, MAX_PATH);
	h = CreateFileW(wpath, GENERIC_READ, FILE_SHARE_READ, NULL,
	    OPEN_EXISTING, 0, NULL);
	assert_true(h != INVALID_HANDLE_VALUE);
	assert_true(GetFileSizeEx(h, &size));
	im->len = (size_t)size.QuadPart;
	assert_non_null(im->buf = malloc(im->len));
	assert_true(ReadFile(h, im->buf, (DWORD)im->len, &got, NULL));
	assert_int_equal(got, im->len);
	CloseHandle(h);
	dos = (IMAGE_DOS_HEADER *)im->buf;
	assert_int_equal(dos->e_magic, IMAGE_DOS_SIGNATURE);
	assert_true((size_t)dos->e_lfanew + sizeof(*im->nt) <= im->len);
	im->nt = (IMAGE_NT_HEADERS64 *)(im->buf + dos->e_lfanew);
	assert_int_equal(im->nt->Signature, IMAGE_NT_SIGNATURE);
	assert_int_equal(im->nt->OptionalHeader.Magic,
	    IMAGE_NT_OPTIONAL_HDR64_MAGIC);
}

/* The bytes at rva, checked to lie in a section of the file. */
static void *
image_at(const struct image *im, DWORD rva)
{
	IMAGE_SECTION_HEADER	*s = IMAGE_FIRST_SECTION(im->nt);
	WORD			 i;

	for (i = 0; i < im->nt->FileHeader.NumberOfSections; i++, s++) {
		if (rva >= s->VirtualAddress &&
		    rva < s->VirtualAddress + s->SizeOfRawData) {
			size_t off = s->PointerToRawData +
			    (rva - s->VirtualAddress);

			assert_true(off < im->len);
			return im->buf + off;
		}
	}
	fail_msg("RVA 0x%lx is in no section", (unsigned long)rva);
	return NULL;
}

static bool
known_dll(const char *name)
{
	size_t	 i;

	for (i = 0; known[i] != NULL; i++)
		if (_stricmp(name, known[i]) == 0)
			return true;
	return false;
}

static void
winsys_exe_imports_known_dlls_only(void **state)
{
	IMAGE_DATA_DIRECTORY	*dir;
	IMAGE_IMPORT_DESCRIPTOR	*d;
	struct image		 im;
	bool			 kernel32 = false, harden = false;
	unsigned		 ndll = 0;

	(void)state;
	image_read(&im, DW_BINARY);
	dir = &im.nt->OptionalHeader.DataDirectory[IMAGE_DIRECTORY_ENTRY_IMPORT];
	assert_true(dir->VirtualAddress != 0);
	for (d = image_at(&im, dir->VirtualAddress); d->Name != 0; d++) {
		const char		*name = image_at(&im, d->Name);
		IMAGE_THUNK_DATA64	*t;

		ndll++;
		print_message("imports %s\n", name);
		if (!known_dll(name))
			fail_msg("dnswatchdog.exe imports %s, which is not a "
			    "Known DLL: a copy planted beside the program "
			    "would load first", name);
		if (_stricmp(name, "kernel32.dll") != 0)
			continue;
		kernel32 = true;
		t = image_at(&im, d->OriginalFirstThunk != 0 ?
		    d->OriginalFirstThunk : d->FirstThunk);
		for (; t->u1.AddressOfData != 0; t++) {
			IMAGE_IMPORT_BY_NAME *ibn;

			if (IMAGE_SNAP_BY_ORDINAL64(t->u1.Ordinal))
				continue;
			ibn = image_at(&im, (DWORD)t->u1.AddressOfData);
			if (strcmp((char *)ibn->Name,
			    "SetDefaultDllDirectories") == 0)
				harden = true;
			/* A load by bare name that searches the program's
			 * folder first. */
			assert_string_not_equal((char *)ibn->Name,
			    "LoadLibraryW");
		}
	}
	assert_true(ndll >= 3);
	assert_true(kernel32);
	assert_true(harden);
	free(im.buf);
}

/* The folder of the module that holds proc. */
static void
module_dir(FARPROC proc, wchar_t *out, size_t n)
{
	HMODULE	 m;
	wchar_t	*slash;

	assert_true(GetModuleHandleExW(GET_MODULE_HANDLE_EX_FLAG_FROM_ADDRESS |
	    GET_MODULE_HANDLE_EX_FLAG_UNCHANGED_REFCOUNT, (LPCWSTR)(void *)proc,
	    &m));
	assert_true(GetModuleFileNameW(m, out, (DWORD)n) > 0);
	assert_non_null(slash = wcsrchr(out, L'\\'));
	*slash = L'\0';
}

static void
winsys_proc_loads_from_system32(void **state)
{
	wchar_t	 sys[MAX_PATH], dir[MAX_PATH];
	FARPROC	 p;
	DWORD	 e = 1;

	(void)state;
	assert_true(GetSystemDirectoryW(sys, MAX_PATH) > 0);
	assert_non_null(p = winsys_proc(L"dnsapi.dll", "DnsFlushResolverCache",
	    &e));
	assert_int_equal(e, 0);
	module_dir(p, dir, MAX_PATH);
	assert_int_equal(_wcsicmp(dir, sys), 0);
	/* Found again, the same. */
	assert_true(winsys_proc(L"dnsapi.dll", "DnsFlushResolverCache", &e) ==
	    p);
}

/* The child: from the folder with the planted DLL, says where one way of
 * loading dnsapi.dll found it ("winsys" or "plain"; one per process, since
 * a module loaded once is found again by its name). */
static int
plant_child(const char *how)
{
	wchar_t	 dir[MAX_PATH];
	HMODULE	 m;
	FARPROC	 p;
	DWORD	 e;

	if (strcmp(how, "winsys") == 0)
		p = winsys_proc(L"dnsapi.dll", "DnsFlushResolverCache", &e);
	else if ((m = LoadLibraryW(L"dnsapi.dll")) != NULL)
		p = GetProcAddress(m, "DnsFlushResolverCache");
	else
		p = NULL;
	if (p == NULL)
		return 2;
	module_dir(p, dir, MAX_PATH);
	printf("%ls", dir);
	return 0;
}

/* Runs the copy of this test in dir with --plant-child how; returns the
 * folder it printed (malloc'd). */
static char *
plant_run(const char *dir, const char *how)
{
	char	 exe[MAX_PATH], outp[MAX_PATH], args[64];
	char	*out;

	snprintf(exe, sizeof(exe), "%s\\plant.exe", dir);
	snprintf(outp, sizeof(outp), "%s\\out-%s.txt", dir, how);
	snprintf(args, sizeof(args), "--plant-child %s", how);
	assert_int_equal(winrun(exe, args, outp, NULL), 0);
	assert_non_null(out = tu_slurp(outp, NULL));
	print_message("%s: %s\n", how, out);
	return out;
}

static void
winsys_proc_ignores_a_planted_dll(void **state)
{
	char	 tmp[MAX_PATH], dir[MAX_PATH], exe[MAX_PATH], dll[MAX_PATH];
	char	 sys[MAX_PATH];
	wchar_t	 self[MAX_PATH], wexe[MAX_PATH], wdll[MAX_PATH], plant[MAX_PATH];
	char	*out;

	(void)state;
	GetTempPathA(sizeof(tmp), tmp);
	snprintf(dir, sizeof(dir), "%sdw-plant-XXXXXX", tmp);
	tu_mkdtemp(dir);
	snprintf(exe, sizeof(exe), "%s\\plant.exe", dir);
	snprintf(dll, sizeof(dll), "%s\\dnsapi.dll", dir);
	MultiByteToWideChar(CP_UTF8, 0, exe, -1, wexe, MAX_PATH);
	MultiByteToWideChar(CP_UTF8, 0, dll, -1, wdll, MAX_PATH);
	assert_true(GetModuleFileNameW(NULL, self, MAX_PATH) > 0);
	assert_true(CopyFileW(self, wexe, FALSE));
	winrun_path(DW_PLANT_DLL, plant, MAX_PATH);
	assert_true(CopyFileW(plant, wdll, FALSE));
	assert_true(GetSystemDirectoryA(sys, sizeof(sys)) > 0);

	out = plant_run(dir, "winsys");
	assert_int_equal(_stricmp(out, sys), 0);
	free(out);
	/* The control: a plain load from there takes the planted copy. */
	out = plant_run(dir, "plain");
	assert_int_equal(_stricmp(out, dir), 0);
	free(out);
	tu_rmtree(dir);
}

static void
winsys_proc_says_what_is_missing(void **state)
{
	DWORD	 e = 0;

	(void)state;
	assert_null(winsys_proc(L"dwnosuch.dll", "F", &e));
	assert_int_equal(e, ERROR_MOD_NOT_FOUND);
	e = 0;
	assert_null(winsys_proc(L"kernel32.dll", "DwNoSuchFunction", &e));
	assert_int_equal(e, ERROR_PROC_NOT_FOUND);
}

unsigned long WINAPI	if_nametoindex(const char *name);

/* libevent's if_nametoindex, found at run time: it answers. */
static void
winsys_if_nametoindex_reaches_ip_helper(void **state)
{
	(void)state;
	assert_int_equal(if_nametoindex("dw-no-such-interface"), 0);
}

static void
winsys_harden_succeeds(void **state)
{
	(void)state;
	assert_int_equal(winsys_harden(), 0);
	platform_harden();	/* twice is fine */
	assert_int_equal(winsys_harden(), 0);
}

/* -- Where the hosts file is ------------------------------------------- */

#define HOSTS_TEST_KEY	L"SOFTWARE\\DnsWatchdogTest\\Tcpip"

static void
hosts_set(DWORD type, const wchar_t *value)
{
	HKEY	 k;

	assert_int_equal(RegCreateKeyExW(HKEY_LOCAL_MACHINE, HOSTS_TEST_KEY,
	    0, NULL, 0, KEY_SET_VALUE, NULL, &k, NULL), ERROR_SUCCESS);
	assert_int_equal(RegSetValueExW(k, L"DataBasePath", 0, type,
	    (const BYTE *)value, (DWORD)((wcslen(value) + 1) *
	    sizeof(wchar_t))), ERROR_SUCCESS);
	RegCloseKey(k);
}

static void
hosts_refused(DWORD type, const wchar_t *value)
{
	hosts_set(type, value);
	assert_null(platform_hosts_folder(HOSTS_TEST_KEY));
}

static void
platform_hosts_folder_reads_database_path(void **state)
{
	wchar_t	 sys[MAX_PATH];
	char	 want[MAX_PATH * 3], *got;
	DWORD	 one = 1;
	HKEY	 k;

	(void)state;
	(void)RegDeleteTreeW(HKEY_LOCAL_MACHINE, HOSTS_TEST_KEY);
	assert_null(platform_hosts_folder(HOSTS_TEST_KEY));	/* no key */

	/* What Windows ships: %SystemRoot% expanded. */
	hosts_set(REG_EXPAND_SZ, L"%SystemRoot%\\System32\\drivers\\etc");
	assert_true(GetEnvironmentVariableW(L"SystemRoot", sys, MAX_PATH) > 0);
	snprintf(want, sizeof(want), "%ls\\System32\\drivers\\etc", sys);
	assert_non_null(got = platform_hosts_folder(HOSTS_TEST_KEY));
	assert_string_equal(got, want);
	free(got);

	/* A plain string, trailing separators dropped. */
	hosts_set(REG_SZ, L"D:\\dns\\etc\\\\");
	assert_non_null(got = platform_hosts_folder(HOSTS_TEST_KEY));
	assert_string_equal(got, "D:\\dns\\etc");
	free(got);

	/* What the resolver could not use either: the fallback decides. */
	hosts_refused(REG_SZ, L"etc");
	hosts_refused(REG_SZ, L"\\etc");
	hosts_refused(REG_SZ, L"\\\\server\\share\\etc");
	hosts_refused(REG_SZ, L"");
	hosts_refused(REG_EXPAND_SZ, L"%DW_TEST_NOT_SET%\\etc");
	assert_int_equal(RegOpenKeyExW(HKEY_LOCAL_MACHINE, HOSTS_TEST_KEY, 0,
	    KEY_SET_VALUE, &k), ERROR_SUCCESS);
	assert_int_equal(RegSetValueExW(k, L"DataBasePath", 0, REG_DWORD,
	    (const BYTE *)&one, sizeof(one)), ERROR_SUCCESS);
	RegCloseKey(k);
	assert_null(platform_hosts_folder(HOSTS_TEST_KEY));
	assert_int_equal(RegDeleteTreeW(HKEY_LOCAL_MACHINE,
	    L"SOFTWARE\\DnsWatchdogTest"), ERROR_SUCCESS);
}

/* The default is the file in the folder Windows names (Wine names one). */
static void
platform_default_hosts_is_in_the_database_path(void **state)
{
	char	*folder, want[MAX_PATH * 3];

	(void)state;
	assert_non_null(folder = platform_hosts_folder(PLATFORM_TCPIP_KEY));
	snprintf(want, sizeof(want), "%s\\hosts", folder);
	free(folder);
	assert_string_equal(platform_default_hosts(), want);
}

int
main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(winsys_exe_imports_known_dlls_only),
		cmocka_unit_test(winsys_proc_loads_from_system32),
		cmocka_unit_test(winsys_proc_ignores_a_planted_dll),
		cmocka_unit_test(winsys_proc_says_what_is_missing),
		cmocka_unit_test(winsys_if_nametoindex_reaches_ip_helper),
		cmocka_unit_test(winsys_harden_succeeds),
		cmocka_unit_test(platform_hosts_folder_reads_database_path),
		cmocka_unit_test(platform_default_hosts_is_in_the_database_path),
	};

	if (argc == 3 && strcmp(argv[1], "--plant-child") == 0)
		return plant_child(argv[2]);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
