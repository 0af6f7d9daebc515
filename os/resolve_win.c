/*
 * resolve: Windows (see resolve.h). Lookups go through DnsQueryEx with the
 * default options, the DNS client's own path: the hosts file, the NRPT,
 * then the interfaces' servers. A lookup at one server names it in the
 * request's server list and skips the cache and the hosts file.
 *
 * DnsQueryEx is looked up in System32's dnsapi.dll when first needed
 * (MinGW's headers do not declare it; Windows 8 and later have it); where
 * it is missing, DnsQuery_W does the same for the system path.
 */
#include "resolve.h"

#include <winsock2.h>
#include <windows.h>
#include <windns.h>
#include <ws2tcpip.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dnsname.h"
#include "resolve_os.h"
#include "winsys.h"
#include "winutf.h"

#define RESOLVE_DNS_ADDR_SA_BYTES	32u	/* DNS_ADDR_MAX_SOCKADDR_LENGTH */

/* The documented layouts of DNS_ADDR, DNS_ADDR_ARRAY and
 * DNS_QUERY_REQUEST (windns.h of the Windows SDK). */
struct resolve_dns_addr {
	char		 sa[RESOLVE_DNS_ADDR_SA_BYTES];
	DWORD		 data[8];
};

struct resolve_dns_addr_array {
	DWORD			 max_count;
	DWORD			 addr_count;
	DWORD			 tag;
	WORD			 family;
	WORD			 word_reserved;
	DWORD			 flags;
	DWORD			 match_flag;
	DWORD			 reserved1;
	DWORD			 reserved2;
	struct resolve_dns_addr	 addrs[1];
};

struct resolve_query_request {
	ULONG				 version;
	PCWSTR				 name;
	WORD				 type;
	ULONG64				 options;
	struct resolve_dns_addr_array	*servers;
	ULONG				 if_index;
	PVOID				 callback;
	PVOID				 context;
};

typedef DNS_STATUS (WINAPI *resolve_query_ex_fn)(
    struct resolve_query_request *, DNS_QUERY_RESULT *, PVOID);
typedef DNS_STATUS (WINAPI *resolve_query_w_fn)(PCWSTR, WORD, DWORD, PVOID,
    PDNS_RECORD *, PVOID *);
typedef VOID (WINAPI *resolve_free_fn)(PVOID, DNS_FREE_TYPE);

/* Maps a DNS status to how the lookup went. */
static enum resolve_status
resolve_status_of(DNS_STATUS st)
{
	switch (st) {
	case 0:
		return RESOLVE_OK;
	case DNS_ERROR_RCODE_NAME_ERROR:
	case DNS_INFO_NO_RECORDS:
		return RESOLVE_NO_NAME;
	case ERROR_TIMEOUT:
	case DNS_ERROR_RCODE_SERVER_FAILURE:
	case DNS_ERROR_RCODE_REFUSED:
	case WSAETIMEDOUT:
	case WSAECONNREFUSED:
	case WSAENETUNREACH:
	case WSAEHOSTUNREACH:
		return RESOLVE_UNREACHABLE;
	default:
		return RESOLVE_ERROR;
	}
}

/* Adds the A and AAAA records of a list to ans. */
static int
resolve_records(struct resolve_answer *ans, const DNS_RECORD *r)
{
	for (; r != NULL; r = r->pNext) {
		if (r->wType == DNS_TYPE_A && r->wDataLength >= 4) {
			unsigned char	 b[4];

			memcpy(b, &r->Data.A.IpAddress, 4);
			if (resolve_answer_add(ans, 4, b) != 0)
				return -1;
		} else if (r->wType == DNS_TYPE_AAAA &&
		    r->wDataLength >= 16) {
			if (resolve_answer_add(ans, 6, (const unsigned char *)
			    &r->Data.AAAA.Ip6Address) != 0)
				return -1;
		}
	}
	return 0;
}

/* Fills a one-server list with server (an IP literal). */
static int
resolve_server(const char *server, struct resolve_dns_addr_array *arr)
{
	unsigned char	 raw[16];
	int		 fam;

	memset(arr, 0, sizeof(*arr));
	if ((fam = ipaddr_bytes(server, raw)) < 0)
		return -1;
	arr->max_count = arr->addr_count = 1;
	if (fam == 4) {
		struct sockaddr_in	*sin = (void *)arr->addrs[0].sa;

		arr->family = AF_INET;
		sin->sin_family = AF_INET;
		sin->sin_port = htons(53);
		memcpy(&sin->sin_addr, raw, 4);
	} else {
		struct sockaddr_in6	*sin6 = (void *)arr->addrs[0].sa;

		arr->family = AF_INET6;
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(53);
		memcpy(&sin6->sin6_addr, raw, 16);
	}
	return 0;
}

/* One query of one type; *st is its DNS status. */
static int
resolve_query(const wchar_t *wname, WORD type,
    struct resolve_dns_addr_array *servers, struct resolve_answer *ans,
    DNS_STATUS *st, struct dwerr *err)
{
	static resolve_query_ex_fn	 query_ex;
	static resolve_query_w_fn	 query_w;
	static resolve_free_fn		 dns_free;
	static bool			 looked;
	struct resolve_query_request	 req;
	DNS_QUERY_RESULT		 res;
	PDNS_RECORD			 recs = NULL;
	DWORD				 e;
	int				 rc;

	if (!looked) {
		query_ex = (resolve_query_ex_fn)(void *)winsys_proc(
		    L"dnsapi.dll", "DnsQueryEx", &e);
		query_w = (resolve_query_w_fn)(void *)winsys_proc(
		    L"dnsapi.dll", "DnsQuery_W", &e);
		dns_free = (resolve_free_fn)(void *)winsys_proc(L"dnsapi.dll",
		    "DnsFree", &e);
		looked = true;
	}
	if (dns_free == NULL || (query_ex == NULL && (query_w == NULL ||
	    servers != NULL))) {
		dwerr_set(err, ENOTSUP, "dnsapi.dll has no DnsQueryEx");
		return -1;
	}
	if (query_ex != NULL) {
		memset(&req, 0, sizeof(req));
		memset(&res, 0, sizeof(res));
		req.version = DNS_QUERY_REQUEST_VERSION1;
		req.name = wname;
		req.type = type;
		req.options = servers == NULL ? DNS_QUERY_STANDARD :
		    DNS_QUERY_BYPASS_CACHE | DNS_QUERY_NO_HOSTS_FILE |
		    DNS_QUERY_WIRE_ONLY;
		req.servers = servers;
		res.Version = DNS_QUERY_REQUEST_VERSION1;
		*st = query_ex(&req, &res, NULL);
		if (*st == 0)
			*st = res.QueryStatus;
		recs = res.pQueryRecords;
	} else
		*st = query_w(wname, type, DNS_QUERY_STANDARD, NULL, &recs,
		    NULL);
	rc = resolve_records(ans, recs);
	if (recs != NULL)
		dns_free(recs, DnsFreeRecordList);
	if (rc != 0)
		dwerr_set(err, ENOMEM, "out of memory");
	return rc;
}

int
resolve_os_name(const char *name, const char *server,
    struct resolve_answer *ans, struct dwerr *err)
{
	static const WORD		 types[] = { DNS_TYPE_A, DNS_TYPE_AAAA };
	struct resolve_dns_addr_array	 arr, *servers = NULL;
	enum resolve_status		 worst = RESOLVE_NO_NAME, s;
	DNS_STATUS			 st;
	wchar_t				*wname;
	size_t				 i;

	if (server != NULL) {
		if (resolve_server(server, &arr) != 0) {
			dwerr_set(err, EINVAL, "%s: not an IP address", server);
			return -1;
		}
		servers = &arr;
	}
	if ((wname = winutf_wide(name)) == NULL) {
		dwerr_set(err, ENOMEM, "out of memory");
		return -1;
	}
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		if (resolve_query(wname, types[i], servers, ans, &st,
		    err) != 0) {
			free(wname);
			resolve_answer_clear(ans);
			return -1;
		}
		/* Of the two, the worse failure says why, unless an address
		 * came back. */
		s = resolve_status_of(st);
		if (s == RESOLVE_ERROR)
			dwerr_set(err, EIO, "%s: DNS status %lu", name,
			    (unsigned long)st);
		if (s != RESOLVE_OK && s > worst)
			worst = s;
	}
	free(wname);
	ans->status = ans->naddrs > 0 ? RESOLVE_OK : worst;
	return 0;
}

bool
resolve_reads_hosts(const char *path, char *why, size_t whylen)
{
	/* The DNS client always reads the hosts file first. */
	(void)path;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	return true;
}
