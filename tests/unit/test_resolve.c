/*
 * Tests for os/resolve.c and os/resolve_posix.c: the nsswitch.conf check,
 * the hook, the canonical form of answers, and a lookup through the real
 * getaddrinfo of a name every system knows.
 */
#define _POSIX_C_SOURCE 200809L

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dnsname.h"
#include "resolve.h"
#include "resolve_os.h"

/* Writes text to a scratch nsswitch.conf and says what the check finds. */
static bool
reads_hosts(const char *text, char *why, size_t whylen)
{
	char	 path[] = "/tmp/dw-nsswitch-XXXXXX";
	FILE	*f;
	bool	 r;
	int	 fd;

	assert_true((fd = mkstemp(path)) >= 0);
	assert_non_null(f = fdopen(fd, "w"));
	fputs(text, f);
	fclose(f);
	r = resolve_reads_hosts(path, why, whylen);
	unlink(path);
	return r;
}

static void
test_nsswitch(void **state)
{
	char	 why[512];

	(void)state;
	assert_true(reads_hosts("hosts: files dns\n", why, sizeof(why)));
	assert_string_equal(why, "");
	assert_true(reads_hosts("passwd: files\n  hosts:\tmymachines "
	    "[NOTFOUND=return] files myhostname\n", why, sizeof(why)));
	assert_true(reads_hosts("hosts: dns [!UNAVAIL=return]files\n", why,
	    sizeof(why)));
	/* No hosts line: the C library's default reads the file. */
	assert_true(reads_hosts("passwd: files\n", why, sizeof(why)));
	assert_false(reads_hosts("# hosts: files\nhosts: dns\n", why,
	    sizeof(why)));
	assert_non_null(strstr(why, "\"hosts: dns\" does not name files"));
	/* "filesx" and an action are not the files service. */
	assert_false(reads_hosts("hosts: filesx [files=return] dns # files\n",
	    why, sizeof(why)));
	/* A missing file is the default too. */
	assert_true(resolve_reads_hosts("/nonexistent/nsswitch.conf", why,
	    sizeof(why)));
}

static int
hook(void *ctx, const char *name, const char *server,
    struct resolve_answer *ans, struct dwerr *err)
{
	static const unsigned char v6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0,
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01 };
	static const unsigned char v4[4] = { 10, 0, 0, 1 };

	(void)err;
	(*(int *)ctx)++;
	if (strcmp(name, "gone.coder") == 0) {
		ans->status = RESOLVE_NO_NAME;
		return 0;
	}
	if (server != NULL && strcmp(server, "10.9.9.9") == 0) {
		ans->status = RESOLVE_UNREACHABLE;
		return 0;
	}
	/* Twice the same address: kept once. */
	assert_int_equal(resolve_answer_add(ans, 4, v4), 0);
	assert_int_equal(resolve_answer_add(ans, 6, v6), 0);
	assert_int_equal(resolve_answer_add(ans, 4, v4), 0);
	ans->status = RESOLVE_OK;
	return 0;
}

static void
test_hook(void **state)
{
	struct resolve_answer	 ans;
	struct dwerr		 err;
	int			 calls = 0;

	(void)state;
	resolve_set_hook(hook, &calls);
	assert_int_equal(resolve_name("a.coder", &ans, &err), 0);
	assert_int_equal(ans.status, RESOLVE_OK);
	assert_int_equal(ans.naddrs, 2);
	assert_string_equal(ans.addrs[0], "10.0.0.1");
	assert_string_equal(ans.addrs[1], "2001:db8::1");
	resolve_answer_clear(&ans);
	assert_int_equal(ans.naddrs, 0);
	assert_int_equal(resolve_name("gone.coder", &ans, &err), 0);
	assert_int_equal(ans.status, RESOLVE_NO_NAME);
	assert_int_equal(resolve_name_at("a.coder", "10.9.9.9", &ans, &err), 0);
	assert_int_equal(ans.status, RESOLVE_UNREACHABLE);
	assert_int_equal(calls, 3);
	resolve_set_hook(NULL, NULL);
}

static void
test_system(void **state)
{
	struct resolve_answer	 ans;
	struct dwerr		 err;
	size_t			 i;
	bool			 loop = false;

	(void)state;
	/* localhost is answered by every resolver (the hosts file, or
	 * nss-myhostname, or the resolver itself) without a network. */
	assert_int_equal(resolve_name("localhost", &ans, &err), 0);
	assert_int_equal(ans.status, RESOLVE_OK);
	for (i = 0; i < ans.naddrs; i++)
		if (strcmp(ans.addrs[i], "127.0.0.1") == 0 ||
		    strcmp(ans.addrs[i], "::1") == 0)
			loop = true;
	assert_true(loop);
	resolve_answer_clear(&ans);
	/* The reserved .invalid never exists. */
	assert_int_equal(resolve_name("no-such-name.invalid", &ans, &err), 0);
	assert_int_not_equal(ans.status, RESOLVE_OK);
	assert_int_equal(ans.naddrs, 0);
	/* Here no server is asked directly. */
	assert_int_equal(resolve_name_at("a.coder", "10.0.0.1", &ans, &err),
	    -1);
	assert_int_equal(err.code, ENOTSUP);
}

static void
test_ipaddr_bytes(void **state)
{
	unsigned char	 b[16];

	(void)state;
	assert_int_equal(ipaddr_bytes("192.0.2.7", b), 4);
	assert_memory_equal(b, "\xc0\x00\x02\x07", 4);
	assert_int_equal(ipaddr_bytes("2001:DB8::a:1", b), 6);
	assert_memory_equal(b, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\x0a\0\x01",
	    16);
	assert_int_equal(ipaddr_bytes("::ffff:1.2.3.4", b), 6);
	assert_int_equal(b[10], 0xff);
	assert_int_equal(b[15], 4);
	assert_int_equal(ipaddr_bytes("10.0.0.1; 10.0.0.2", b), -1);
	assert_int_equal(ipaddr_bytes("010.0.0.1", b), -1);
	assert_int_equal(ipaddr_bytes("", b), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_nsswitch),
		cmocka_unit_test(test_hook),
		cmocka_unit_test(test_system),
		cmocka_unit_test(test_ipaddr_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
