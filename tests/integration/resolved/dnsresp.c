/*
 * A small UDP DNS responder for the systemd-resolved test: it answers
 * A queries for one zone and the names under it with one IPv4 address
 * (TTL 1, so resolved's cache never hides a later query), says NXDOMAIN
 * for every other name and NOERROR with no answer for the zone's other
 * types. Each query's name goes to a log file at once, so the test can
 * tell which names reached this server and which did not.
 *
 * usage: dnsresp ADDR PORT ZONE ANSWER_IPV4 LOGFILE
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DNS_HEADER_BYTES	12
#define DNS_MAX_UDP_BYTES	512
#define DNS_NAME_MAX_BYTES	255
#define TYPE_A			1
#define CLASS_IN		1
#define RCODE_NXDOMAIN		3
#define ANSWER_TTL_S		1

/*
 * Reads the question's name at msg[off] into name (lower-case, dotted,
 * no final dot; "" for the root). Returns the offset after the name, or
 * -1 when it is malformed. Questions carry no compression pointers.
 */
static int
dnsresp_name(const uint8_t *msg, int len, int off, char *name)
{
	int	n = 0;

	for (;;) {
		int	l;

		if (off >= len)
			return -1;
		l = msg[off++];
		if (l == 0)
			break;
		if (l > 63 || off + l > len || n + l + 1 > DNS_NAME_MAX_BYTES)
			return -1;
		if (n > 0)
			name[n++] = '.';
		for (; l > 0; l--)
			name[n++] = (char)tolower(msg[off++]);
	}
	name[n] = '\0';
	return off;
}

/* Whether name is zone or a name under it. */
static int
dnsresp_in_zone(const char *name, const char *zone)
{
	size_t	nl = strlen(name), zl = strlen(zone);

	if (nl == zl)
		return strcmp(name, zone) == 0;
	return nl > zl && name[nl - zl - 1] == '.' &&
	    strcmp(name + nl - zl, zone) == 0;
}

int
main(int argc, char **argv)
{
	struct sockaddr_in	 sin;
	struct in_addr		 answer;
	char			 zone[DNS_NAME_MAX_BYTES + 1];
	FILE			*log;
	int			 s, port;
	size_t			 i;

	if (argc != 6) {
		fprintf(stderr, "usage: dnsresp ADDR PORT ZONE ANSWER_IPV4 "
		    "LOGFILE\n");
		return 2;
	}
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	port = atoi(argv[2]);
	if (inet_pton(AF_INET, argv[1], &sin.sin_addr) != 1 ||
	    inet_pton(AF_INET, argv[4], &answer) != 1 || port <= 0 ||
	    port > 65535 || strlen(argv[3]) > DNS_NAME_MAX_BYTES) {
		fprintf(stderr, "dnsresp: bad address, port or zone\n");
		return 2;
	}
	sin.sin_port = htons((uint16_t)port);
	/* The zone as the names are compared: lower-case, no final dot. */
	for (i = 0; argv[3][i] != '\0'; i++)
		zone[i] = (char)tolower((unsigned char)argv[3][i]);
	zone[i] = '\0';
	if (i > 0 && zone[i - 1] == '.')
		zone[i - 1] = '\0';
	if ((log = fopen(argv[5], "a")) == NULL) {
		perror(argv[5]);
		return 1;
	}
	if ((s = socket(AF_INET, SOCK_DGRAM, 0)) == -1 ||
	    bind(s, (struct sockaddr *)&sin, sizeof(sin)) == -1) {
		perror("dnsresp: socket");
		return 1;
	}

	for (;;) {
		struct sockaddr_in	 from;
		socklen_t		 fromlen = sizeof(from);
		uint8_t			 msg[DNS_MAX_UDP_BYTES + 16];
		char			 name[DNS_NAME_MAX_BYTES + 1];
		ssize_t			 r;
		int			 len, end, qtype, qclass, in;

		r = recvfrom(s, msg, DNS_MAX_UDP_BYTES, 0,
		    (struct sockaddr *)&from, &fromlen);
		if (r < DNS_HEADER_BYTES)
			continue;
		len = (int)r;
		/* One question, and a query (QR clear, opcode 0). */
		if ((msg[2] & 0xf8) != 0 || msg[4] != 0 || msg[5] != 1)
			continue;
		end = dnsresp_name(msg, len, DNS_HEADER_BYTES, name);
		if (end == -1 || end + 4 > len)
			continue;
		qtype = msg[end] << 8 | msg[end + 1];
		qclass = msg[end + 2] << 8 | msg[end + 3];
		end += 4;
		fprintf(log, "%s\n", name);
		fflush(log);

		/*
		 * The reply: the header and the question echoed, nothing
		 * after them (resolved's EDNS record is dropped, as a server
		 * without EDNS would), then the answer if there is one.
		 */
		in = dnsresp_in_zone(name, zone);
		msg[2] = 0x84 | (msg[2] & 0x01);	/* QR, AA, RD kept */
		msg[3] = in ? 0 : RCODE_NXDOMAIN;	/* RA clear */
		memset(msg + 6, 0, 6);			/* AN, NS, AR */
		len = end;
		if (in && qtype == TYPE_A && qclass == CLASS_IN) {
			static const uint8_t rr[] = {
				0xc0, DNS_HEADER_BYTES,	/* the question's name */
				0, TYPE_A, 0, CLASS_IN,
				0, 0, 0, ANSWER_TTL_S,
				0, 4,
			};

			memcpy(msg + len, rr, sizeof(rr));
			len += (int)sizeof(rr);
			memcpy(msg + len, &answer, 4);
			len += 4;
			msg[7] = 1;
		}
		sendto(s, msg, (size_t)len, 0, (struct sockaddr *)&from,
		    fromlen);
	}
}
