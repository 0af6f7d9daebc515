/*
 * adapters: Windows, through IP Helper's GetAdaptersAddresses (see
 * adapters.h). iphlpapi.dll is not a Known DLL: it is loaded from System32
 * at run time (winsys.h).
 */
#include <winsock2.h>
#include <windows.h>
#include <iphlpapi.h>

#include "adapters.h"

#include <stdio.h>
#include <stdlib.h>

#include "dwstr.h"
#include "winsys.h"
#include "winutf.h"

#define ADAPTERS_GAA_BYTES	(15u << 10)	/* first try, as Microsoft advises */
#define ADAPTERS_GAA_TRIES	4u
#define ADAPTERS_GAA_FLAGS	(GAA_FLAG_SKIP_UNICAST | \
				 GAA_FLAG_SKIP_ANYCAST | \
				 GAA_FLAG_SKIP_MULTICAST | \
				 GAA_FLAG_SKIP_DNS_SERVER)
#define ADAPTERS_MSG_BYTES	256u

typedef ULONG (WINAPI *adapters_gaa_fn)(ULONG, ULONG, PVOID,
	    PIP_ADAPTER_ADDRESSES, PULONG);

void
adapters_free(struct adapters_entry *v, size_t n)
{
	size_t	 i;

	if (v == NULL)
		return;
	for (i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].description);
	}
	free(v);
}

/* A narrow copy of w; "" for NULL. */
static char *
adapters_narrow(const wchar_t *w)
{
	return w != NULL ? winutf_narrow(w) : dwstr_dup("");
}

int
adapters_list(struct adapters_entry **out, size_t *n, struct dwerr *err)
{
	IP_ADAPTER_ADDRESSES	*list = NULL, *a, *nl;
	struct adapters_entry	*v = NULL;
	adapters_gaa_fn		 gaa;
	ULONG			 size = ADAPTERS_GAA_BYTES;
	ULONG			 rc = ERROR_BUFFER_OVERFLOW;
	char			 msg[ADAPTERS_MSG_BYTES];
	size_t			 count = 0;
	unsigned		 tries;
	DWORD			 e;

	*out = NULL;
	*n = 0;
	if ((gaa = (adapters_gaa_fn)(void (*)(void))winsys_proc(
	    L"iphlpapi.dll", "GetAdaptersAddresses", &e)) == NULL) {
		winutf_message(e, msg, sizeof(msg));
		dwerr_set(err, (int)e, "IP Helper: cannot find "
		    "GetAdaptersAddresses in iphlpapi.dll: %s", msg);
		return -1;
	}
	for (tries = 0; tries < ADAPTERS_GAA_TRIES &&
	    rc == ERROR_BUFFER_OVERFLOW; tries++) {
		if ((nl = realloc(list, size)) == NULL) {
			free(list);
			dwerr_set(err, ERROR_OUTOFMEMORY, "out of memory");
			return -1;
		}
		list = nl;
		rc = gaa(AF_UNSPEC, ADAPTERS_GAA_FLAGS, NULL, list, &size);
	}
	if (rc == ERROR_NO_DATA) {
		free(list);
		return 0;
	}
	if (rc != NO_ERROR) {
		free(list);
		winutf_message(rc, msg, sizeof(msg));
		dwerr_set(err, (int)rc, "GetAdaptersAddresses: %s", msg);
		return -1;
	}
	for (a = list; a != NULL && count < ADAPTERS_MAX; a = a->Next)
		count++;
	if ((v = calloc(count > 0 ? count : 1, sizeof(*v))) == NULL)
		goto oom;
	for (a = list; a != NULL && *n < count; a = a->Next) {
		v[*n].up = a->OperStatus == IfOperStatusUp;
		v[*n].type = (uint32_t)a->IfType;
		v[*n].name = adapters_narrow(a->FriendlyName);
		v[*n].description = adapters_narrow(a->Description);
		(*n)++;
		if (v[*n - 1].name == NULL || v[*n - 1].description == NULL)
			goto oom;
	}
	free(list);
	*out = v;
	return 0;
oom:
	adapters_free(v, *n);
	*n = 0;
	free(list);
	dwerr_set(err, ERROR_OUTOFMEMORY, "out of memory");
	return -1;
}
