/*
 * A DLL named dnsapi.dll for test_winsys_win: planted beside a program, it
 * is what a load by bare name would find first. It does nothing.
 */
#include <windows.h>

__declspec(dllexport) BOOL WINAPI DnsFlushResolverCache(void);

BOOL WINAPI
DnsFlushResolverCache(void)
{
	return FALSE;
}
