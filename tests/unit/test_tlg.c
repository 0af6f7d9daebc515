/*
 * Tests for etw/tlg.c, the TraceLogging encoding of our events.
 *
 * The blobs tlg_encode produces are read back by a decoder of their own,
 * written from the format (provider traits, the event metadata grammar,
 * the InType/OutType codes and the payload packing rules), which is first
 * checked against the published worked example. The provider GUID is
 * checked against a SHA-1 based ETW name hash computed here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "tlg.h"
#include "trace.h"

#define NELEMS(a)	(sizeof(a) / sizeof((a)[0]))

/* ------------------------------------------------------------------ */
/* SHA-1 (FIPS 180-4) and the ETW name hash.                           */
/* ------------------------------------------------------------------ */

#define SHA1_DIGEST_BYTES	20u
#define SHA1_BLOCK_BYTES	64u

struct sha1 {
	uint32_t	 h[5];
	uint8_t		 blk[SHA1_BLOCK_BYTES];
	size_t		 nblk;		/* bytes waiting in blk */
	uint64_t	 nbytes;	/* message length so far */
};

static uint32_t
sha1_rol(uint32_t x, unsigned n)
{
	return (x << n) | (x >> (32u - n));
}

static void
sha1_block(uint32_t h[5], const uint8_t p[SHA1_BLOCK_BYTES])
{
	uint32_t	 w[80], a, b, c, d, e, f, k, tmp;
	unsigned	 i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		    (uint32_t)p[4 * i + 2] << 8 | (uint32_t)p[4 * i + 3];
	for (i = 16; i < 80; i++)
		w[i] = sha1_rol(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
	a = h[0];
	b = h[1];
	c = h[2];
	d = h[3];
	e = h[4];
	for (i = 0; i < 80; i++) {
		if (i < 20) {
			f = (b & c) | (~b & d);
			k = 0x5a827999u;
		} else if (i < 40) {
			f = b ^ c ^ d;
			k = 0x6ed9eba1u;
		} else if (i < 60) {
			f = (b & c) | (b & d) | (c & d);
			k = 0x8f1bbcdcu;
		} else {
			f = b ^ c ^ d;
			k = 0xca62c1d6u;
		}
		tmp = sha1_rol(a, 5) + f + e + k + w[i];
		e = d;
		d = c;
		c = sha1_rol(b, 30);
		b = a;
		a = tmp;
	}
	h[0] += a;
	h[1] += b;
	h[2] += c;
	h[3] += d;
	h[4] += e;
}

static void
sha1_init(struct sha1 *s)
{
	memset(s, 0, sizeof(*s));
	s->h[0] = 0x67452301u;
	s->h[1] = 0xefcdab89u;
	s->h[2] = 0x98badcfeu;
	s->h[3] = 0x10325476u;
	s->h[4] = 0xc3d2e1f0u;
}

static void
sha1_update(struct sha1 *s, const void *data, size_t len)
{
	const uint8_t	*p = data;
	size_t		 take;

	s->nbytes += len;
	while (len > 0) {
		take = SHA1_BLOCK_BYTES - s->nblk;
		if (take > len)
			take = len;
		memcpy(s->blk + s->nblk, p, take);
		s->nblk += take;
		p += take;
		len -= take;
		if (s->nblk == SHA1_BLOCK_BYTES) {
			sha1_block(s->h, s->blk);
			s->nblk = 0;
		}
	}
}

static void
sha1_final(struct sha1 *s, uint8_t out[SHA1_DIGEST_BYTES])
{
	uint64_t	 bits = s->nbytes * 8u;
	uint8_t		 pad = 0x80, zero = 0, len[8];
	unsigned	 i;

	sha1_update(s, &pad, 1);
	while (s->nblk != 56)
		sha1_update(s, &zero, 1);
	for (i = 0; i < 8; i++)
		len[i] = (uint8_t)(bits >> (56 - 8 * i));
	sha1_update(s, len, 8);
	for (i = 0; i < 5; i++) {
		out[4 * i] = (uint8_t)(s->h[i] >> 24);
		out[4 * i + 1] = (uint8_t)(s->h[i] >> 16);
		out[4 * i + 2] = (uint8_t)(s->h[i] >> 8);
		out[4 * i + 3] = (uint8_t)s->h[i];
	}
}

static void
sha1_hex(const void *data, size_t len, char out[2 * SHA1_DIGEST_BYTES + 1])
{
	static const char	 hex[] = "0123456789abcdef";
	struct sha1		 s;
	uint8_t			 d[SHA1_DIGEST_BYTES];
	unsigned		 i;

	sha1_init(&s);
	sha1_update(&s, data, len);
	sha1_final(&s, d);
	for (i = 0; i < SHA1_DIGEST_BYTES; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 0xf];
	}
	out[2 * SHA1_DIGEST_BYTES] = '\0';
}

/*
 * The ETW name hash of an ASCII name, in Windows' GUID memory layout:
 * SHA-1 over a fixed namespace and the upper-cased name in UTF-16BE (no
 * NUL), first 16 bytes, version nibble 5 in byte 7.
 */
static void
etw_name_hash(const char *name, uint8_t out[16])
{
	static const uint8_t	 ns[16] = {
		0x48, 0x2c, 0x2d, 0xb2, 0xc3, 0x90, 0x47, 0xc8,
		0x87, 0xf8, 0x1a, 0x15, 0xbf, 0xc1, 0x30, 0xfb
	};
	struct sha1		 s;
	uint8_t			 d[SHA1_DIGEST_BYTES], be[2];
	const unsigned char	*p;

	sha1_init(&s);
	sha1_update(&s, ns, sizeof(ns));
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		assert_true(*p < 0x80);
		be[0] = 0;
		be[1] = (*p >= 'a' && *p <= 'z') ? (uint8_t)(*p - 'a' + 'A') : *p;
		sha1_update(&s, be, sizeof(be));
	}
	sha1_final(&s, d);
	memcpy(out, d, 16);
	out[7] = (uint8_t)((out[7] & 0x0f) | 0x50);
}

/* Text of a GUID held in Windows' memory layout (Data1, Data2, Data3
 * little-endian, then 8 bytes in order). */
static void
guid_text(const uint8_t g[16], char out[TRACE_GUID_CHARS + 1])
{
	static const char	 hex[] = "0123456789abcdef";
	static const unsigned	 order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10,
				    11, 12, 13, 14, 15 };
	size_t			 i, o = 0;

	for (i = 0; i < 16; i++) {
		if (i == 4 || i == 6 || i == 8 || i == 10)
			out[o++] = '-';
		out[o++] = hex[g[order[i]] >> 4];
		out[o++] = hex[g[order[i]] & 0xf];
	}
	out[o] = '\0';
}

/* ------------------------------------------------------------------ */
/* A TraceLogging decoder.                                             */
/* ------------------------------------------------------------------ */

/* InType codes (bits 0-4 of InMeta). */
#define IN_NULL			0u
#define IN_UNICODESTRING	1u
#define IN_ANSISTRING		2u
#define IN_INT8			3u
#define IN_UINT8		4u
#define IN_INT16		5u
#define IN_UINT16		6u
#define IN_INT32		7u
#define IN_UINT32		8u
#define IN_INT64		9u
#define IN_UINT64		10u
#define IN_FLOAT		11u
#define IN_DOUBLE		12u
#define IN_BOOL32		13u
#define IN_BINARY		14u
#define IN_GUID			15u
#define IN_POINTER		16u
#define IN_FILETIME		17u
#define IN_SYSTEMTIME		18u
#define IN_SID			19u
#define IN_HEXINT32		20u
#define IN_HEXINT64		21u
#define IN_COUNTEDSTRING	22u
#define IN_COUNTEDANSISTRING	23u
#define IN_STRUCT		24u
#define IN_COUNTEDBINARY	25u

/* InMeta count kinds (bits 5-6) and chain bits. */
#define IN_TYPE_MASK		0x1fu
#define IN_COUNT_MASK		0x60u
#define IN_CCOUNT		0x20u
#define IN_VCOUNT		0x40u
#define IN_CUSTOM		0x60u
#define META_CHAIN		0x80u	/* InMeta: OutMeta follows; OutMeta: tags */

#define OUT_DEFAULT		0x00u
#define OUT_WIN32ERROR		0x0du
#define OUT_UTF8		0x23u

#define DEC_FIELDS_MAX		64u
#define DEC_TAG_BYTES_MAX	4u	/* a tag is 28 bits, 7 per byte */
#define DEC_TRAITS_MAX		8u

struct dec_field {
	/* From the metadata. */
	const char	*name;
	uint8_t		 intype;	/* InMeta bits 0-4 */
	uint8_t		 count;		/* InMeta bits 5-6 */
	bool		 has_out;
	uint8_t		 outtype;	/* OutMeta bits 0-6; DEFAULT when absent */
	bool		 has_tags;
	uint32_t	 tags;
	uint16_t	 ccount;	/* IN_CCOUNT only */
	/* From the payload. */
	const uint8_t	*val;		/* this field's bytes (after any count) */
	size_t		 vallen;
	size_t		 nelem;		/* 1 unless an array */
	uint64_t	 num;		/* first element of a fixed-size type,
					 * little-endian, zero-extended */
};

struct dec_event {
	uint32_t	 tags;
	size_t		 ntagbytes;
	const char	*name;
	struct dec_field f[DEC_FIELDS_MAX];
	size_t		 nfields;
};

struct dec_provider {
	const char	*name;
	size_t		 ntraits;
	uint8_t		 trait_type[DEC_TRAITS_MAX];
	const uint8_t	*trait_data[DEC_TRAITS_MAX];
	size_t		 trait_len[DEC_TRAITS_MAX];
};

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint64_t
rdle(const uint8_t *p, size_t n)
{
	uint64_t	 v = 0;

	while (n-- > 0)
		v = v << 8 | p[n];
	return v;
}

/* A NUL-terminated string at *off, inside len. */
static int
dec_cstr(const uint8_t *m, size_t len, size_t *off, const char **out)
{
	const uint8_t	*nul;

	if (*off >= len)
		return -1;
	if ((nul = memchr(m + *off, 0, len - *off)) == NULL)
		return -1;
	*out = (const char *)(m + *off);
	*off = (size_t)(nul - m) + 1;
	return 0;
}

/* Tag bytes: at least one, 7 bits each, most significant first, bit 7
 * set while another byte follows. */
static int
dec_tags(const uint8_t *m, size_t len, size_t *off, uint32_t *tags,
    size_t *nbytes)
{
	uint32_t	 t = 0;
	size_t		 n = 0;
	uint8_t		 b;

	do {
		if (*off >= len || n == DEC_TAG_BYTES_MAX)
			return -1;
		b = m[(*off)++];
		t |= (uint32_t)(b & 0x7fu) << (21 - 7 * n);
		n++;
	} while (b & 0x80u);
	*tags = t;
	if (nbytes != NULL)
		*nbytes = n;
	return 0;
}

static bool
dec_intype_known(uint8_t in)
{
	return in <= IN_COUNTEDBINARY && in != IN_POINTER;
}

/* Provider metadata: UINT16 size (including itself), NUL-terminated
 * name, then traits (UINT16 size including size and type, UINT8 type,
 * data) until size is consumed. */
static int
dec_provider_meta(const uint8_t *p, size_t len, struct dec_provider *out)
{
	size_t	 off = 2, tsz;

	memset(out, 0, sizeof(*out));
	if (len < 2 || rd16(p) != len)
		return -1;
	if (dec_cstr(p, len, &off, &out->name) == -1)
		return -1;
	while (off < len) {
		if (len - off < 3 || out->ntraits == DEC_TRAITS_MAX)
			return -1;
		tsz = rd16(p + off);
		if (tsz < 3 || tsz > len - off)
			return -1;
		out->trait_type[out->ntraits] = p[off + 2];
		out->trait_data[out->ntraits] = p + off + 3;
		out->trait_len[out->ntraits] = tsz - 3;
		out->ntraits++;
		off += tsz;
	}
	return 0;
}

/* Event metadata: UINT16 size, tags, name, fields until size. */
static int
dec_event_meta(const uint8_t *m, size_t len, struct dec_event *ev)
{
	struct dec_field	*f;
	size_t			 off = 2, i, cb;
	uint8_t			 in, out;

	memset(ev, 0, sizeof(*ev));
	if (len < 2 || rd16(m) != len)
		return -1;
	if (dec_tags(m, len, &off, &ev->tags, &ev->ntagbytes) == -1)
		return -1;
	if (dec_cstr(m, len, &off, &ev->name) == -1)
		return -1;
	while (off < len) {
		if (ev->nfields == DEC_FIELDS_MAX)
			return -1;
		f = &ev->f[ev->nfields++];
		if (dec_cstr(m, len, &off, &f->name) == -1)
			return -1;
		if (off >= len)
			return -1;
		in = m[off++];
		f->intype = in & IN_TYPE_MASK;
		f->count = in & IN_COUNT_MASK;
		if (in & META_CHAIN) {
			if (off >= len)
				return -1;
			out = m[off++];
			f->has_out = true;
			f->outtype = out & 0x7fu;
			if (out & META_CHAIN) {
				f->has_tags = true;
				if (dec_tags(m, len, &off, &f->tags, NULL) == -1)
					return -1;
			}
		}
		if (!dec_intype_known(f->intype))
			return -1;
		/* A struct's OutType byte is its member count (1..127). */
		if (f->intype == IN_STRUCT && (!f->has_out || f->outtype == 0))
			return -1;
		if (f->count == IN_CCOUNT) {
			if (len - off < 2)
				return -1;
			f->ccount = rd16(m + off);
			off += 2;
			if (f->ccount == 0)
				return -1;
		} else if (f->count == IN_CUSTOM) {
			if (len - off < 2)
				return -1;
			cb = rd16(m + off);
			off += 2;
			if (cb > len - off)
				return -1;
			off += cb;
		}
	}
	/* Every struct is followed by its members. */
	for (i = 0; i < ev->nfields; i++)
		if (ev->f[i].intype == IN_STRUCT &&
		    ev->nfields - i - 1 < ev->f[i].outtype)
			return -1;
	return 0;
}

/* Payload bytes of one element of a fixed-size type, 0 for none, or
 * (size_t)-1 when the size depends on the data. */
static size_t
dec_fixed_size(uint8_t in)
{
	switch (in) {
	case IN_NULL:
	case IN_STRUCT:
		return 0;
	case IN_INT8:
	case IN_UINT8:
		return 1;
	case IN_INT16:
	case IN_UINT16:
		return 2;
	case IN_INT32:
	case IN_UINT32:
	case IN_FLOAT:
	case IN_BOOL32:
	case IN_HEXINT32:
		return 4;
	case IN_INT64:
	case IN_UINT64:
	case IN_DOUBLE:
	case IN_FILETIME:
	case IN_HEXINT64:
		return 8;
	case IN_GUID:
	case IN_SYSTEMTIME:
		return 16;
	default:
		return (size_t)-1;
	}
}

/* The length of one element of type in at p[off..len), or -1. */
static int
dec_elem(uint8_t in, const uint8_t *p, size_t len, size_t off, size_t *elen)
{
	size_t	 sz = dec_fixed_size(in), n;

	if (sz != (size_t)-1) {
		if (sz > len - off)
			return -1;
		*elen = sz;
		return 0;
	}
	switch (in) {
	case IN_ANSISTRING:
		if (off >= len || memchr(p + off, 0, len - off) == NULL)
			return -1;
		*elen = strlen((const char *)(p + off)) + 1;
		return 0;
	case IN_UNICODESTRING:
		for (n = off; len - n >= 2; n += 2)
			if (p[n] == 0 && p[n + 1] == 0) {
				*elen = n + 2 - off;
				return 0;
			}
		return -1;
	case IN_BINARY:
	case IN_COUNTEDSTRING:
	case IN_COUNTEDANSISTRING:
	case IN_COUNTEDBINARY:
		if (len - off < 2)
			return -1;
		n = rd16(p + off);
		if (n > len - off - 2)
			return -1;
		if (in == IN_COUNTEDSTRING && n % 2 != 0)
			return -1;
		*elen = 2 + n;
		return 0;
	case IN_SID:
		/* Revision, SubAuthorityCount, 6-byte authority, then
		 * 4 bytes per sub-authority. */
		if (len - off < 8)
			return -1;
		n = 8 + 4 * (size_t)p[off + 1];
		if (n > len - off)
			return -1;
		*elen = n;
		return 0;
	default:
		return -1;
	}
}

/* Splits a payload along the decoded metadata. Every byte must belong to
 * a field: a short payload and trailing bytes are both errors. */
static int
dec_payload(struct dec_event *ev, const uint8_t *p, size_t len)
{
	struct dec_field	*f;
	size_t			 off = 0, i, e, elen, start;

	for (i = 0; i < ev->nfields; i++) {
		f = &ev->f[i];
		if (f->count == IN_CUSTOM)
			return -1;	/* not used by any producer here */
		if (f->intype == IN_STRUCT && f->count != 0)
			return -1;	/* arrays of structs: likewise */
		if (f->count == IN_VCOUNT) {
			if (len - off < 2)
				return -1;
			f->nelem = rd16(p + off);
			off += 2;
		} else if (f->count == IN_CCOUNT)
			f->nelem = f->ccount;
		else
			f->nelem = 1;
		start = off;
		for (e = 0; e < f->nelem; e++) {
			if (dec_elem(f->intype, p, len, off, &elen) == -1)
				return -1;
			off += elen;
		}
		f->val = p + start;
		f->vallen = off - start;
		if (f->nelem > 0 && dec_fixed_size(f->intype) <= 8)
			f->num = rdle(f->val, dec_fixed_size(f->intype));
	}
	return off == len ? 0 : -1;
}

/* ------------------------------------------------------------------ */
/* A metadata builder for hand-made decoder inputs.                    */
/* ------------------------------------------------------------------ */

struct mb {
	uint8_t		 b[512];
	size_t		 n;
};

static void
mb_u8(struct mb *m, unsigned v)
{
	assert_true(m->n < sizeof(m->b));
	m->b[m->n++] = (uint8_t)v;
}

static void
mb_u16(struct mb *m, unsigned v)
{
	mb_u8(m, v & 0xffu);
	mb_u8(m, v >> 8);
}

static void
mb_str(struct mb *m, const char *s)
{
	do
		mb_u8(m, (unsigned char)*s);
	while (*s++ != '\0');
}

/* Starts an event: size placeholder, tag 0, name. */
static void
mb_event(struct mb *m, const char *name)
{
	m->n = 0;
	mb_u16(m, 0);
	mb_u8(m, 0);
	mb_str(m, name);
}

static void
mb_done(struct mb *m)
{
	m->b[0] = (uint8_t)(m->n & 0xffu);
	m->b[1] = (uint8_t)(m->n >> 8);
}

/* ------------------------------------------------------------------ */
/* Capturing tlg_encode's output from a live trace.                    */
/* ------------------------------------------------------------------ */

/* A sink that encodes each record while it is valid. */
struct capture {
	unsigned		 nemit;
	int			 rc;
	bool			 have;
	struct tlg_event	 ev;
	enum trace_level	 level;
	enum trace_keyword	 keyword;
	enum trace_opcode	 opcode;
	size_t			 nfields;
};

static void
capture_drop(struct capture *c)
{
	if (c->have)
		tlg_event_clear(&c->ev);
	memset(&c->ev, 0, sizeof(c->ev));
	c->have = false;
	c->nemit = 0;
	c->rc = 0;
}

static void
capture_emit(void *ctx, const struct trace_record *rec)
{
	struct capture	*c = ctx;

	if (c->have)
		tlg_event_clear(&c->ev);
	memset(&c->ev, 0, sizeof(c->ev));
	c->nemit++;
	c->level = rec->level;
	c->keyword = rec->keyword;
	c->opcode = rec->opcode;
	c->nfields = rec->nfields;
	c->rc = tlg_encode(rec, &c->ev);
	c->have = c->rc == 0;
}

static void
capture_free(void *ctx)
{
	struct capture	*c = ctx;

	capture_drop(c);
	free(c);
}

static const struct trace_sink_ops capture_ops = {
	capture_emit, capture_free
};

struct fixture {
	struct trace	*t;
	struct capture	*cap;
};

static int
fx_setup(void **state)
{
	struct fixture	*fx;

	if ((fx = calloc(1, sizeof(*fx))) == NULL)
		return -1;
	if ((fx->t = trace_new(NULL, NULL)) == NULL ||
	    (fx->cap = calloc(1, sizeof(*fx->cap))) == NULL ||
	    trace_add_sink(fx->t, &capture_ops, fx->cap) == -1) {
		free(fx->cap);
		trace_free(fx->t);
		free(fx);
		return -1;
	}
	*state = fx;
	return 0;
}

static int
fx_teardown(void **state)
{
	struct fixture	*fx = *state;

	trace_free(fx->t);	/* frees the capture */
	free(fx);
	return 0;
}

/* What an event must decode to. */
struct xfield {
	const char	*name;
	enum trace_type	 type;
	uint64_t	 num;	/* U32, U64, ERRCODE; BOOL as 0/1 */
	const char	*str;	/* STR: the text expected ("" for NULL) */
};

struct xevent {
	const char	*name;
	unsigned	 level;
	unsigned	 opcode;
	uint64_t	 keyword;
	const struct xfield *f;
	size_t		 nf;
};

#define XU32(n, v)	{ (n), TRACE_T_U32, (v), NULL }
#define XU64(n, v)	{ (n), TRACE_T_U64, (v), NULL }
#define XERR(n, v)	{ (n), TRACE_T_ERRCODE, (v), NULL }
#define XBOOL(n, v)	{ (n), TRACE_T_BOOL, (v), NULL }
#define XSTR(n, s)	{ (n), TRACE_T_STR, 0, (s) }
#define XEVENT(name, lvl, op, kw, f) \
	{ (name), (lvl), (op), (kw), (f), NELEMS(f) }

/* Distinctive values. */
#define V64A		((UINT64_C(1) << 40) + 7)
#define V64B		UINT64_C(0xfedcba9876543210)
#define V64C		UINT64_C(0x8000000000000001)
#define S_QUOTE		"a/b \"c\""
#define S_PATH		"C:\\Windows\\System32\\drivers\\etc\\hosts"
/* "Grüße — 日本 🐛" */
#define S_UTF8		"Gr\xc3\xbc\xc3\x9f" "e \xe2\x80\x94 \xe6\x97\xa5\xe6\x9c\xac " \
			"\xf0\x9f\x90\x9b"
#define S_CTRL		"tab\there\nline \x01\x7f end"

static uint8_t
x_intype(enum trace_type t)
{
	switch (t) {
	case TRACE_T_U32:
	case TRACE_T_ERRCODE:
		return IN_UINT32;
	case TRACE_T_U64:
		return IN_UINT64;
	case TRACE_T_STR:
		return IN_ANSISTRING;
	case TRACE_T_BOOL:
		return IN_BOOL32;
	}
	fail();
	return 0;
}

static uint8_t
x_outtype(enum trace_type t)
{
	switch (t) {
	case TRACE_T_STR:
		return OUT_UTF8;
	case TRACE_T_ERRCODE:
		return OUT_WIN32ERROR;
	default:
		return OUT_DEFAULT;
	}
}

static size_t
x_size(const struct xfield *x)
{
	switch (x->type) {
	case TRACE_T_U64:
		return 8;
	case TRACE_T_STR:
		return strlen(x->str) + 1;
	default:
		return 4;
	}
}

/* Checks the one event the last call produced against x; dec (may be
 * NULL) receives the decoded metadata. */
static void
check_event_into(struct fixture *fx, const struct xevent *x,
    struct dec_event *dec)
{
	struct capture		*c = fx->cap;
	struct dec_event	*d;
	const struct dec_field	*f;
	size_t			 i, want_len = 0;

	assert_int_equal(c->nemit, 1);
	assert_int_equal(c->rc, 0);
	assert_true(c->have);

	/* The EVENT_DESCRIPTOR fields. */
	assert_int_equal(c->ev.channel, TLG_CHANNEL);
	assert_int_equal(c->ev.channel, 11);
	assert_int_equal(c->ev.level, x->level);
	assert_int_equal(c->ev.opcode, x->opcode);
	assert_true(c->ev.keyword == x->keyword);
	assert_true(c->ev.keyword != 0);
	assert_int_equal(c->level, x->level);
	assert_int_equal(c->opcode, x->opcode);

	/* The metadata. */
	if ((d = dec) == NULL)
		d = malloc(sizeof(*d));
	assert_non_null(d);
	assert_non_null(c->ev.meta);
	assert_true(c->ev.metalen <= TLG_META_MAX_BYTES);
	assert_int_equal(dec_event_meta(c->ev.meta, c->ev.metalen, d), 0);
	assert_string_equal(d->name, x->name);
	assert_int_equal(d->tags, 0);
	assert_int_equal(d->nfields, x->nf);
	assert_int_equal(c->nfields, x->nf);
	for (i = 0; i < x->nf; i++) {
		f = &d->f[i];
		assert_string_equal(f->name, x->f[i].name);
		assert_int_equal(f->intype, x_intype(x->f[i].type));
		assert_int_equal(f->outtype, x_outtype(x->f[i].type));
		if (x_outtype(x->f[i].type) != OUT_DEFAULT)
			assert_true(f->has_out);
		assert_false(f->has_tags);
		assert_int_equal(f->count, 0);
		want_len += x_size(&x->f[i]);
	}

	/* The payload. */
	assert_int_equal(c->ev.paylen, want_len);
	assert_int_equal(dec_payload(d, c->ev.payload, c->ev.paylen), 0);
	for (i = 0; i < x->nf; i++) {
		f = &d->f[i];
		assert_int_equal(f->nelem, 1);
		assert_int_equal(f->vallen, x_size(&x->f[i]));
		if (x->f[i].type == TRACE_T_STR) {
			assert_int_equal(f->val[f->vallen - 1], 0);
			assert_memory_equal(f->val, x->f[i].str, f->vallen);
		} else
			assert_true(f->num == x->f[i].num);
	}
	if (dec == NULL)
		free(d);
}

static void
check_event(struct fixture *fx, const struct xevent *x)
{
	check_event_into(fx, x, NULL);
	capture_drop(fx->cap);
}

/* ------------------------------------------------------------------ */
/* The hash and the provider.                                          */
/* ------------------------------------------------------------------ */

static void
sha1_matches_fips_vectors(void **state)
{
	static const char	 two_blocks[] =
	    "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
	char			 hex[2 * SHA1_DIGEST_BYTES + 1];
	char			*million;
	struct sha1		 s;
	uint8_t			 d[SHA1_DIGEST_BYTES];
	size_t			 i;

	(void)state;
	sha1_hex("", 0, hex);
	assert_string_equal(hex, "da39a3ee5e6b4b0d3255bfef95601890afd80709");
	sha1_hex("abc", 3, hex);
	assert_string_equal(hex, "a9993e364706816aba3e25717850c26c9cd0d89d");
	sha1_hex(two_blocks, strlen(two_blocks), hex);
	assert_string_equal(hex, "84983e441c3bd26ebaae4aa1f95129e5e54670f1");

	/* A million 'a', fed in uneven pieces. */
	million = malloc(1000000);
	assert_non_null(million);
	memset(million, 'a', 1000000);
	sha1_init(&s);
	for (i = 0; i < 1000000; i += 997)
		sha1_update(&s, million + i, 1000000 - i < 997 ? 1000000 - i :
		    997);
	sha1_final(&s, d);
	free(million);
	for (i = 0; i < SHA1_DIGEST_BYTES; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	assert_string_equal(hex, "34aa973cd4c4daa4f61eeb2bdbad27316534016f");
}

static void
name_hash_matches_published_guids(void **state)
{
	static const struct {
		const char	*name;
		const char	*guid;
	} v[] = {
		{ "MyProvider", "b3864c38-4273-58c5-545b-8b3608343471" },
		{ "MyCompany.MyComponent",
		    "ce5fa4ea-ab00-5402-8b76-9f76ac858fb5" },
		{ "MyCompany.MyComponent.MyProvider",
		    "d5b90669-1aad-5db8-16c9-6286a7fcfe33" },
		{ "SimpleTraceLoggingProvider",
		    "0205c616-cf97-5c11-9756-56a2cee02ca7" },
		{ "Example.Reconciler",
		    "15577f67-9b9b-5ebb-5cfe-5afffcfc3a14" },
	};
	static const uint8_t	 my_provider[16] = {
		0x38, 0x4c, 0x86, 0xb3, 0x73, 0x42, 0xc5, 0x58,
		0x54, 0x5b, 0x8b, 0x36, 0x08, 0x34, 0x34, 0x71
	};
	uint8_t			 g[16], g2[16];
	char			 text[TRACE_GUID_CHARS + 1];
	size_t			 i;

	(void)state;
	for (i = 0; i < NELEMS(v); i++) {
		etw_name_hash(v[i].name, g);
		guid_text(g, text);
		assert_string_equal(text, v[i].guid);
	}
	etw_name_hash("MyProvider", g);
	assert_memory_equal(g, my_provider, 16);
	/* The name is upper-cased first. */
	etw_name_hash("MYPROVIDER", g2);
	assert_memory_equal(g, g2, 16);
	etw_name_hash("myprovider", g2);
	assert_memory_equal(g, g2, 16);
}

static void
provider_guid_is_name_hash_of_provider_name(void **state)
{
	uint8_t		 g[16];
	char		 text[TRACE_GUID_CHARS + 1];

	(void)state;
	assert_string_equal(TLG_PROVIDER_NAME, "DnsWatchdog");
	etw_name_hash(TLG_PROVIDER_NAME, g);
	assert_memory_equal(tlg_provider_guid, g, 16);
	guid_text(tlg_provider_guid, text);
	assert_string_equal(text, TLG_PROVIDER_GUID_STR);
	assert_string_equal(text, "85839238-167e-5e63-1785-95219253ea45");
	/* Version 5 in Data3's top nibble (byte 7 in memory). */
	assert_int_equal(tlg_provider_guid[7] >> 4, 5);
}

static void
provider_meta_is_size_and_name(void **state)
{
	static const uint8_t	 want[] = {
		0x0e, 0x00, 'D', 'n', 's', 'W', 'a', 't', 'c', 'h', 'd', 'o',
		'g', 0x00
	};
	struct dec_provider	 p;
	uint8_t			 buf[64];
	size_t			 n;

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	n = tlg_provider_meta(buf, sizeof(buf));
	assert_int_equal(n, sizeof(want));
	assert_int_equal(dec_provider_meta(buf, n, &p), 0);
	assert_string_equal(p.name, TLG_PROVIDER_NAME);
	assert_string_equal(p.name, "DnsWatchdog");
	assert_int_equal(p.ntraits, 0);
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(buf[n], 0xa5);

	/* Exactly enough room. */
	memset(buf, 0xa5, sizeof(buf));
	assert_int_equal(tlg_provider_meta(buf, sizeof(want)), sizeof(want));
	assert_memory_equal(buf, want, sizeof(want));
	assert_int_equal(buf[sizeof(want)], 0xa5);
}

static void
provider_meta_refuses_small_buffer(void **state)
{
	uint8_t		 buf[64];
	size_t		 cap, i;

	(void)state;
	for (cap = 0; cap < 14; cap++) {
		memset(buf, 0xa5, sizeof(buf));
		assert_int_equal(tlg_provider_meta(buf, cap), 0);
		for (i = cap; i < sizeof(buf); i++)
			assert_int_equal(buf[i], 0xa5);
	}
}

static void
guid_layout_swaps_the_three_first_groups(void **state)
{
	static const uint8_t	 id[16] = {
		0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
		0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f
	};
	static const uint8_t	 want[16] = {
		0x03, 0x02, 0x01, 0x00, 0x05, 0x04, 0x07, 0x06,
		0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f
	};
	static const uint8_t	 act[16] = {
		0xde, 0xad, 0xbe, 0xef, 0x12, 0x34, 0x56, 0x78,
		0x9a, 0xbc, 0xde, 0xf0, 0x11, 0x22, 0x33, 0x44
	};
	uint8_t			 out[16], back[16];
	char			 a[TRACE_GUID_CHARS + 1], b[TRACE_GUID_CHARS + 1];

	(void)state;
	tlg_guid_layout(id, out);
	assert_memory_equal(out, want, 16);

	/* Both sinks show the same text for one activity. */
	tlg_guid_layout(act, out);
	trace_guid_format(act, a);
	guid_text(out, b);
	assert_string_equal(a, b);
	assert_string_equal(b, "deadbeef-1234-5678-9abc-def011223344");

	/* The swap is its own inverse. */
	tlg_guid_layout(out, back);
	assert_memory_equal(back, act, 16);
}

/* ------------------------------------------------------------------ */
/* The decoder against the published example, and its rejections.     */
/* ------------------------------------------------------------------ */

/* Section 7 of the format notes: provider "Example.Reconciler", event
 * "ReconcileAttempt" {resource: UTF-8, attempt: UINT32, error: Win32}. */
static const uint8_t ex_prov[21] = {
	0x15, 0x00, 0x45, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x52,
	0x65, 0x63, 0x6f, 0x6e, 0x63, 0x69, 0x6c, 0x65, 0x72, 0x00
};
static const uint8_t ex_prov_group[40] = {
	0x28, 0x00, 0x45, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x2e, 0x52,
	0x65, 0x63, 0x6f, 0x6e, 0x63, 0x69, 0x6c, 0x65, 0x72, 0x00, 0x13,
	0x00, 0x01, 0x61, 0x2f, 0xaf, 0xfa, 0x26, 0x9b, 0x91, 0x45, 0x9b,
	0xb1, 0xb9, 0xb8, 0xba, 0xe2, 0xd3, 0x4c
};
static const uint8_t ex_meta[48] = {
	0x30, 0x00, 0x00, 0x52, 0x65, 0x63, 0x6f, 0x6e, 0x63, 0x69, 0x6c,
	0x65, 0x41, 0x74, 0x74, 0x65, 0x6d, 0x70, 0x74, 0x00, 0x72, 0x65,
	0x73, 0x6f, 0x75, 0x72, 0x63, 0x65, 0x00, 0x82, 0x23, 0x61, 0x74,
	0x74, 0x65, 0x6d, 0x70, 0x74, 0x00, 0x08, 0x65, 0x72, 0x72, 0x6f,
	0x72, 0x00, 0x88, 0x0d
};
static const uint8_t ex_payload[17] = {
	0x64, 0x62, 0x2f, 0x75, 0x73, 0x65, 0x72, 0x73, 0x00,
	0x03, 0x00, 0x00, 0x00,
	0xb4, 0x05, 0x00, 0x00
};

static void
decoder_reads_published_example(void **state)
{
	struct dec_provider	 p;
	struct dec_event	*ev;
	char			 text[TRACE_GUID_CHARS + 1];

	(void)state;
	assert_int_equal(dec_provider_meta(ex_prov, sizeof(ex_prov), &p), 0);
	assert_string_equal(p.name, "Example.Reconciler");
	assert_int_equal(p.ntraits, 0);

	assert_int_equal(dec_provider_meta(ex_prov_group, sizeof(ex_prov_group),
	    &p), 0);
	assert_string_equal(p.name, "Example.Reconciler");
	assert_int_equal(p.ntraits, 1);
	assert_int_equal(p.trait_type[0], 1);
	assert_int_equal(p.trait_len[0], 16);
	guid_text(p.trait_data[0], text);
	assert_string_equal(text, "faaf2f61-9b26-4591-9bb1-b9b8bae2d34c");

	ev = malloc(sizeof(*ev));
	assert_non_null(ev);
	assert_int_equal(dec_event_meta(ex_meta, sizeof(ex_meta), ev), 0);
	assert_string_equal(ev->name, "ReconcileAttempt");
	assert_int_equal(ev->ntagbytes, 1);
	assert_int_equal(ev->tags, 0);
	assert_int_equal(ev->nfields, 3);
	assert_string_equal(ev->f[0].name, "resource");
	assert_int_equal(ev->f[0].intype, IN_ANSISTRING);
	assert_true(ev->f[0].has_out);
	assert_int_equal(ev->f[0].outtype, OUT_UTF8);
	assert_false(ev->f[0].has_tags);
	assert_string_equal(ev->f[1].name, "attempt");
	assert_int_equal(ev->f[1].intype, IN_UINT32);
	assert_false(ev->f[1].has_out);
	assert_int_equal(ev->f[1].outtype, OUT_DEFAULT);
	assert_string_equal(ev->f[2].name, "error");
	assert_int_equal(ev->f[2].intype, IN_UINT32);
	assert_true(ev->f[2].has_out);
	assert_int_equal(ev->f[2].outtype, OUT_WIN32ERROR);

	assert_int_equal(dec_payload(ev, ex_payload, sizeof(ex_payload)), 0);
	assert_int_equal(ev->f[0].vallen, 9);
	assert_string_equal((const char *)ev->f[0].val, "db/users");
	assert_int_equal(ev->f[1].num, 3);
	assert_int_equal(ev->f[2].num, 1460);
	free(ev);
}

static void
decoder_reads_multi_byte_tags(void **state)
{
	struct dec_event	*ev;
	struct mb		 m;

	(void)state;
	ev = malloc(sizeof(*ev));
	assert_non_null(ev);

	/* Event tag 0x0FE00000 is 7F; a field tag 0x4000 is 80 01. */
	m.n = 0;
	mb_u16(&m, 0);
	mb_u8(&m, 0x7f);
	mb_str(&m, "E");
	mb_str(&m, "x");
	mb_u8(&m, IN_UINT32 | META_CHAIN);
	mb_u8(&m, OUT_WIN32ERROR | META_CHAIN);
	mb_u8(&m, 0x80);
	mb_u8(&m, 0x01);
	mb_done(&m);
	assert_int_equal(dec_event_meta(m.b, m.n, ev), 0);
	assert_int_equal(ev->tags, 0x0fe00000u);
	assert_int_equal(ev->ntagbytes, 1);
	assert_int_equal(ev->nfields, 1);
	assert_true(ev->f[0].has_tags);
	assert_int_equal(ev->f[0].tags, 0x4000u);
	assert_int_equal(ev->f[0].outtype, OUT_WIN32ERROR);

	/* The two-byte form of tag 0 (80 00) is also valid. */
	m.n = 0;
	mb_u16(&m, 0);
	mb_u8(&m, 0x80);
	mb_u8(&m, 0x00);
	mb_str(&m, "E");
	mb_done(&m);
	assert_int_equal(dec_event_meta(m.b, m.n, ev), 0);
	assert_int_equal(ev->tags, 0);
	assert_int_equal(ev->ntagbytes, 2);
	assert_string_equal(ev->name, "E");
	assert_int_equal(ev->nfields, 0);
	assert_int_equal(dec_payload(ev, NULL, 0), 0);
	free(ev);
}

static void
decoder_reads_other_types_and_arrays(void **state)
{
	static const uint8_t	 pay[] = {
		0xfe,					/* u8 */
		0x34, 0x12,				/* i16 */
		0x10, 0x32, 0x54, 0x76, 0x98, 0xba, 0xdc, 0xfe, /* u64 */
		0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,	/* guid */
		0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00,
		'h', 0, 'i', 0, 0, 0,			/* utf-16 "hi" */
		0x03, 0x00, 'a', 'b', 'c',		/* counted "abc" */
		0x02, 0x00, 0xca, 0xfe,			/* binary */
		0x01, 0x01, 0, 0, 0, 0, 0, 5,		/* SID S-1-5-18 */
		0x12, 0, 0, 0,
		0x01, 0, 0, 0, 0x02, 0, 0, 0,		/* Ccount u32[2] */
		0x03, 0x00, 'x', 0, 'y', 0, 'z', 0	/* Vcount str[3] */
	};
	uint8_t			 longer[sizeof(pay) + 1];
	struct dec_event	*ev;
	struct mb		 m;

	(void)state;
	ev = malloc(sizeof(*ev));
	assert_non_null(ev);
	mb_event(&m, "Types");
	mb_str(&m, "u8");
	mb_u8(&m, IN_UINT8);
	mb_str(&m, "i16");
	mb_u8(&m, IN_INT16);
	mb_str(&m, "u64");
	mb_u8(&m, IN_UINT64);
	mb_str(&m, "guid");
	mb_u8(&m, IN_GUID);
	mb_str(&m, "wide");
	mb_u8(&m, IN_UNICODESTRING);
	mb_str(&m, "counted");
	mb_u8(&m, IN_COUNTEDANSISTRING | META_CHAIN);
	mb_u8(&m, OUT_UTF8);
	mb_str(&m, "bin");
	mb_u8(&m, IN_BINARY);
	mb_str(&m, "sid");
	mb_u8(&m, IN_SID);
	mb_str(&m, "pair");
	mb_u8(&m, IN_UINT32 | IN_CCOUNT);
	mb_u16(&m, 2);
	mb_str(&m, "list");
	mb_u8(&m, IN_ANSISTRING | IN_VCOUNT);
	mb_done(&m);

	assert_int_equal(dec_event_meta(m.b, m.n, ev), 0);
	assert_int_equal(ev->nfields, 10);
	assert_int_equal(ev->f[8].ccount, 2);
	assert_int_equal(dec_payload(ev, pay, sizeof(pay)), 0);
	assert_int_equal(ev->f[0].num, 0xfe);
	assert_int_equal(ev->f[1].num, 0x1234);
	assert_true(ev->f[2].num == UINT64_C(0xfedcba9876543210));
	assert_int_equal(ev->f[3].vallen, 16);
	assert_int_equal(ev->f[4].vallen, 6);
	assert_int_equal(ev->f[5].vallen, 5);
	assert_int_equal(ev->f[6].vallen, 4);
	assert_int_equal(ev->f[7].vallen, 12);
	assert_int_equal(ev->f[8].nelem, 2);
	assert_int_equal(ev->f[8].vallen, 8);
	assert_int_equal(ev->f[8].num, 1);
	assert_int_equal(ev->f[9].nelem, 3);
	assert_int_equal(ev->f[9].vallen, 6);

	/* One byte short, one byte long. */
	assert_int_equal(dec_payload(ev, pay, sizeof(pay) - 1), -1);
	memcpy(longer, pay, sizeof(pay));
	longer[sizeof(pay)] = 0;
	assert_int_equal(dec_payload(ev, longer, sizeof(longer)), -1);
	free(ev);
}

static void
decoder_rejects_bad_provider_meta(void **state)
{
	struct dec_provider	 p;
	uint8_t			 b[64];

	(void)state;
	/* Size field larger, then smaller, than the blob. */
	memcpy(b, ex_prov, sizeof(ex_prov));
	b[0] = 0x16;
	assert_int_equal(dec_provider_meta(b, sizeof(ex_prov), &p), -1);
	b[0] = 0x14;
	assert_int_equal(dec_provider_meta(b, sizeof(ex_prov), &p), -1);
	/* A truncated blob. */
	assert_int_equal(dec_provider_meta(ex_prov, sizeof(ex_prov) - 1, &p),
	    -1);
	assert_int_equal(dec_provider_meta(ex_prov, 1, &p), -1);
	/* The name's NUL is missing. */
	memcpy(b, ex_prov, sizeof(ex_prov));
	b[20] = 'x';
	assert_int_equal(dec_provider_meta(b, sizeof(ex_prov), &p), -1);
	/* A trait whose size is too small, or runs past the end. */
	memcpy(b, ex_prov_group, sizeof(ex_prov_group));
	b[21] = 0x02;
	assert_int_equal(dec_provider_meta(b, sizeof(ex_prov_group), &p), -1);
	b[21] = 0x14;
	assert_int_equal(dec_provider_meta(b, sizeof(ex_prov_group), &p), -1);
	/* The minimal blob (empty name) is valid. */
	b[0] = 3;
	b[1] = 0;
	b[2] = 0;
	assert_int_equal(dec_provider_meta(b, 3, &p), 0);
	assert_string_equal(p.name, "");
}

/* ex_meta cut to len bytes with its size field fixed up. */
static int
dec_cut_example(size_t len, struct dec_event *ev)
{
	uint8_t		 b[sizeof(ex_meta)];

	memcpy(b, ex_meta, len);
	b[0] = (uint8_t)len;
	b[1] = 0;
	return dec_event_meta(b, len, ev);
}

static void
decoder_rejects_bad_event_meta(void **state)
{
	struct dec_event	*ev;
	uint8_t			 b[sizeof(ex_meta)];
	struct mb		 m;

	(void)state;
	ev = malloc(sizeof(*ev));
	assert_non_null(ev);

	/* Size field against the blob's length. */
	memcpy(b, ex_meta, sizeof(b));
	b[0] = 0x31;
	assert_int_equal(dec_event_meta(b, sizeof(b), ev), -1);
	b[0] = 0x2f;
	assert_int_equal(dec_event_meta(b, sizeof(b), ev), -1);
	b[0] = 0x30;
	b[1] = 0x01;
	assert_int_equal(dec_event_meta(b, sizeof(b), ev), -1);
	assert_int_equal(dec_event_meta(ex_meta, sizeof(ex_meta) - 1, ev), -1);
	assert_int_equal(dec_event_meta(ex_meta, 1, ev), -1);
	assert_int_equal(dec_event_meta(ex_meta, 0, ev), -1);

	/* No tag byte; tag bytes running off the end; too many. */
	assert_int_equal(dec_cut_example(2, ev), -1);
	m.n = 0;
	mb_u16(&m, 0);
	mb_u8(&m, 0x80);
	mb_done(&m);
	assert_int_equal(dec_event_meta(m.b, m.n, ev), -1);
	m.n = 0;
	mb_u16(&m, 0);
	mb_u8(&m, 0x80);
	mb_u8(&m, 0x80);
	mb_u8(&m, 0x80);
	mb_u8(&m, 0x80);
	mb_u8(&m, 0x00);
	mb_str(&m, "E");
	mb_done(&m);
	assert_int_equal(dec_event_meta(m.b, m.n, ev), -1);

	/* The event name's NUL is missing. */
	assert_int_equal(dec_cut_example(0x13, ev), -1);
	assert_int_equal(dec_cut_example(0x14, ev), 0);
	assert_int_equal(ev->nfields, 0);
	/* A field name's NUL; the InMeta byte; the OutMeta byte. */
	assert_int_equal(dec_cut_example(0x2d, ev), -1);
	assert_int_equal(dec_cut_example(0x2e, ev), -1);
	assert_int_equal(dec_cut_example(0x2f, ev), -1);
	assert_int_equal(dec_cut_example(0x30, ev), 0);
	/* Field tags announced and missing. */
	memcpy(b, ex_meta, sizeof(b));
	b[0x2f] = 0x8d;
	assert_int_equal(dec_event_meta(b, sizeof(b), ev), -1);

	/* Unknown and reserved InTypes. */
	memcpy(b, ex_meta, sizeof(b));
	b[0x27] = 0x1f;
	assert_int_equal(dec_event_meta(b, sizeof(b), ev), -1);
	b[0x27] = IN_POINTER;
	assert_int_equal(dec_event_meta(b, sizeof(b), ev), -1);

	/* A constant count of 0, and one cut short. */
	mb_event(&m, "E");
	mb_str(&m, "a");
	mb_u8(&m, IN_UINT32 | IN_CCOUNT);
	mb_u16(&m, 0);
	mb_done(&m);
	assert_int_equal(dec_event_meta(m.b, m.n, ev), -1);
	mb_event(&m, "E");
	mb_str(&m, "a");
	mb_u8(&m, IN_UINT32 | IN_CCOUNT);
	mb_u8(&m, 1);
	mb_done(&m);
	assert_int_equal(dec_event_meta(m.b, m.n, ev), -1);

	/* A struct without OutType, or with fewer members than it says. */
	mb_event(&m, "E");
	mb_str(&m, "s");
	mb_u8(&m, IN_STRUCT);
	mb_str(&m, "a");
	mb_u8(&m, IN_UINT32);
	mb_done(&m);
	assert_int_equal(dec_event_meta(m.b, m.n, ev), -1);
	mb_event(&m, "E");
	mb_str(&m, "s");
	mb_u8(&m, IN_STRUCT | META_CHAIN);
	mb_u8(&m, 2);
	mb_str(&m, "a");
	mb_u8(&m, IN_UINT32);
	mb_done(&m);
	assert_int_equal(dec_event_meta(m.b, m.n, ev), -1);
	mb_event(&m, "E");
	mb_str(&m, "s");
	mb_u8(&m, IN_STRUCT | META_CHAIN);
	mb_u8(&m, 1);
	mb_str(&m, "a");
	mb_u8(&m, IN_UINT32);
	mb_done(&m);
	assert_int_equal(dec_event_meta(m.b, m.n, ev), 0);
	free(ev);
}

static void
decoder_rejects_bad_payload(void **state)
{
	struct dec_event	*ev;
	uint8_t			 b[sizeof(ex_payload) + 1];
	struct mb		 m;

	(void)state;
	ev = malloc(sizeof(*ev));
	assert_non_null(ev);
	assert_int_equal(dec_event_meta(ex_meta, sizeof(ex_meta), ev), 0);

	/* Too short, too long, empty. */
	assert_int_equal(dec_payload(ev, ex_payload, sizeof(ex_payload) - 1),
	    -1);
	memcpy(b, ex_payload, sizeof(ex_payload));
	b[sizeof(ex_payload)] = 0;
	assert_int_equal(dec_payload(ev, b, sizeof(b)), -1);
	assert_int_equal(dec_payload(ev, ex_payload, 0), -1);
	assert_int_equal(dec_payload(ev, ex_payload, 9), -1);
	assert_int_equal(dec_payload(ev, ex_payload, 13), -1);
	assert_int_equal(dec_payload(ev, ex_payload, sizeof(ex_payload)), 0);

	/* A string without its NUL. */
	mb_event(&m, "E");
	mb_str(&m, "s");
	mb_u8(&m, IN_ANSISTRING | META_CHAIN);
	mb_u8(&m, OUT_UTF8);
	mb_done(&m);
	assert_int_equal(dec_event_meta(m.b, m.n, ev), 0);
	assert_int_equal(dec_payload(ev, (const uint8_t *)"abc", 3), -1);
	assert_int_equal(dec_payload(ev, (const uint8_t *)"abc", 4), 0);
	assert_int_equal(dec_payload(ev, (const uint8_t *)"", 1), 0);
	assert_int_equal(ev->f[0].vallen, 1);
	assert_int_equal(dec_payload(ev, (const uint8_t *)"", 0), -1);

	/* A UTF-16 string without its 00 00. */
	mb_event(&m, "E");
	mb_str(&m, "w");
	mb_u8(&m, IN_UNICODESTRING);
	mb_done(&m);
	assert_int_equal(dec_event_meta(m.b, m.n, ev), 0);
	assert_int_equal(dec_payload(ev, (const uint8_t *)"a\0b\0\0", 5), -1);
	assert_int_equal(dec_payload(ev, (const uint8_t *)"a\0b\0\0", 6), 0);

	/* A variable array whose count runs past the end. */
	mb_event(&m, "E");
	mb_str(&m, "v");
	mb_u8(&m, IN_UINT32 | IN_VCOUNT);
	mb_done(&m);
	assert_int_equal(dec_event_meta(m.b, m.n, ev), 0);
	memset(b, 0, sizeof(b));
	b[0] = 3;
	assert_int_equal(dec_payload(ev, b, 2 + 8), -1);
	b[0] = 2;
	assert_int_equal(dec_payload(ev, b, 2 + 8), 0);
	assert_int_equal(dec_payload(ev, b, 1), -1);

	/* A counted string longer than what is left. */
	mb_event(&m, "E");
	mb_str(&m, "c");
	mb_u8(&m, IN_COUNTEDANSISTRING);
	mb_done(&m);
	assert_int_equal(dec_event_meta(m.b, m.n, ev), 0);
	assert_int_equal(dec_payload(ev, (const uint8_t *)"\x04\0abc", 5), -1);
	assert_int_equal(dec_payload(ev, (const uint8_t *)"\x03\0abc", 5), 0);
	free(ev);
}

/* ------------------------------------------------------------------ */
/* Every event of the schema, encoded and decoded.                     */
/* ------------------------------------------------------------------ */

static void
tlg_encodes_reconcile_start(void **state)
{
	struct fixture		*fx = *state;
	static const uint8_t	 prev[16] = { 0xde, 0xad, 0xbe, 0xef, 0x00,
				    0x01, 0x42, 0x03, 0x84, 0x05, 0xa6, 0x07,
				    0x08, 0x09, 0x0a, 0xff };
	static const struct xfield f[] = {
		XSTR("trigger", S_QUOTE),
		XSTR("continues", "")
	};
	static const struct xfield fretry[] = {
		XSTR("trigger", "retry"),
		XSTR("continues", "deadbeef-0001-4203-8405-a60708090aff")
	};
	static const struct xevent x = XEVENT("ReconcileStart",
	    TRACE_LVL_INFO, TRACE_OP_START, TRACE_KW_RECONCILE, f);
	static const struct xevent xretry = XEVENT("ReconcileStart",
	    TRACE_LVL_INFO, TRACE_OP_START, TRACE_KW_RECONCILE, fretry);

	trace_reconcile_start(fx->t, S_QUOTE, NULL);
	check_event(fx, &x);
	/* A pass that takes up an earlier one names it in a field. */
	trace_reconcile_start(fx->t, "retry", prev);
	check_event(fx, &xretry);
}

static void
tlg_encodes_desired_state_loaded(void **state)
{
	struct fixture		*fx = *state;
	static const struct xfield f[] = {
		XSTR("path", S_UTF8),
		XU32("nrpt_rules", 0xdeadbeefu),
		XU32("host_entries", 0x01020304u)
	};
	static const struct xevent x = XEVENT("DesiredStateLoaded",
	    TRACE_LVL_INFO, TRACE_OP_INFO, TRACE_KW_RECONCILE, f);

	trace_desired_state_loaded(fx->t, S_UTF8, 0xdeadbeefu, 0x01020304u);
	check_event(fx, &x);
}

static void
tlg_encodes_desired_state_invalid(void **state)
{
	struct fixture		*fx = *state;
	static const struct xfield f[] = {
		XSTR("path", S_PATH),
		XSTR("error", S_QUOTE)
	};
	static const struct xevent x = XEVENT("DesiredStateInvalid",
	    TRACE_LVL_ERROR, TRACE_OP_INFO, TRACE_KW_RECONCILE, f);

	trace_desired_state_invalid(fx->t, S_PATH, S_QUOTE);
	check_event(fx, &x);
}

static void
tlg_encodes_hosts_unchanged(void **state)
{
	struct fixture		*fx = *state;
	static const struct xfield f[] = { XSTR("path", S_PATH) };
	static const struct xevent x = XEVENT("HostsUnchanged",
	    TRACE_LVL_INFO, TRACE_OP_INFO, TRACE_KW_HOSTS, f);

	trace_hosts_unchanged(fx->t, S_PATH);
	check_event(fx, &x);
}

static void
tlg_encodes_hosts_section_repaired(void **state)
{
	struct fixture		*fx = *state;
	static const struct xfield f[] = {
		XSTR("path", S_UTF8),
		XU32("sections", 0xffffffffu),
		XU32("orphan_markers", 0x80000001u)
	};
	static const struct xevent x = XEVENT("HostsSectionRepaired",
	    TRACE_LVL_WARNING, TRACE_OP_INFO, TRACE_KW_HOSTS, f);

	trace_hosts_section_repaired(fx->t, S_UTF8, 0xffffffffu, 0x80000001u);
	check_event(fx, &x);
}

static void
tlg_encodes_hosts_file_rejected(void **state)
{
	struct fixture		*fx = *state;
	static const struct xfield f[] = {
		XSTR("path", S_PATH),
		XSTR("error", S_UTF8)
	};
	static const struct xevent x = XEVENT("HostsFileRejected",
	    TRACE_LVL_ERROR, TRACE_OP_INFO, TRACE_KW_HOSTS, f);

	trace_hosts_file_rejected(fx->t, S_PATH, S_UTF8);
	check_event(fx, &x);
}

static void
tlg_encodes_hosts_write_attempt(void **state)
{
	struct fixture		*fx = *state;
	static const struct xfield f[] = {
		XU32("attempt", 0xdeadbeefu),
		XERR("error_code", 1460),
		XSTR("error_name", "ERROR_TIMEOUT"),
		XSTR("error", S_QUOTE),
		XBOOL("transient", 1),
		XU32("next_delay_ms", 0x7fffffffu),
		XU64("elapsed_ms", V64A)
	};
	static const struct xevent x = XEVENT("HostsWriteAttempt",
	    TRACE_LVL_WARNING, TRACE_OP_INFO, TRACE_KW_HOSTS, f);

	trace_hosts_write_attempt(fx->t, 0xdeadbeefu, 1460, "ERROR_TIMEOUT",
	    S_QUOTE, true, 0x7fffffffu, V64A);
	check_event(fx, &x);
}

static void
tlg_encodes_hosts_write_succeeded(void **state)
{
	struct fixture		*fx = *state;
	static const struct xfield f[] = {
		XU32("attempts", 0x00c0ffeeu),
		XU64("elapsed_ms", V64A),
		XU64("bytes", V64B),
		XSTR("method", S_UTF8),
		XSTR("guard", "lease")
	};
	static const struct xevent x = XEVENT("HostsWriteSucceeded",
	    TRACE_LVL_INFO, TRACE_OP_INFO, TRACE_KW_HOSTS, f);

	trace_hosts_write_succeeded(fx->t, 0x00c0ffeeu, V64A, V64B, S_UTF8,
	    "lease");
	check_event(fx, &x);
}

static void
tlg_encodes_hosts_carried(void **state)
{
	struct fixture		*fx = *state;
	static const struct xfield f[] = {
		XSTR("path", S_UTF8),
		XU64("bytes", V64B),
		XU64("waited_ms", V64A)
	};
	static const struct xevent x = XEVENT("HostsCarried",
	    TRACE_LVL_WARNING, TRACE_OP_INFO, TRACE_KW_HOSTS, f);

	trace_hosts_carried(fx->t, S_UTF8, V64B, V64A);
	check_event(fx, &x);
}

static void
tlg_encodes_hosts_write_gave_up(void **state)
{
	struct fixture		*fx = *state;
	static const struct xfield f[] = {
		XU32("attempts", 0xa5a5a5a5u),
		XU64("elapsed_ms", V64C),
		XERR("error_code", 0x80070005u),
		XSTR("error_name", "ERROR_SHARING_VIOLATION"),
		XSTR("error", S_CTRL),
		XBOOL("transient", 0)
	};
	static const struct xevent x = XEVENT("HostsWriteGaveUp",
	    TRACE_LVL_ERROR, TRACE_OP_INFO, TRACE_KW_HOSTS, f);

	trace_hosts_write_gave_up(fx->t, 0xa5a5a5a5u, V64C, 0x80070005u,
	    "ERROR_SHARING_VIOLATION", S_CTRL, false);
	check_event(fx, &x);
}

static void
tlg_encodes_nrpt_planned(void **state)
{
	struct fixture		*fx = *state;
	static const struct xfield f[] = {
		XBOOL("gp", 1),
		XU32("keep", 0x11111111u),
		XU32("adopt", 0x22222222u),
		XU32("update", 0x33333333u),
		XU32("create", 0x44444444u),
		XU32("delete", 0x55555555u),
		XU32("forget", 0x66666666u)
	};
	static const struct xevent x = XEVENT("NrptPlanned",
	    TRACE_LVL_INFO, TRACE_OP_INFO, TRACE_KW_NRPT, f);

	trace_nrpt_planned(fx->t, true, 0x11111111u, 0x22222222u, 0x33333333u,
	    0x44444444u, 0x55555555u, 0x66666666u);
	check_event(fx, &x);
}

static void
tlg_encodes_nrpt_unchanged(void **state)
{
	struct fixture		*fx = *state;
	static const struct xfield f[] = {
		XU32("rules", 0xfeedfaceu),
		XBOOL("gp", 0)
	};
	static const struct xfield f2[] = {
		XU32("rules", 0),
		XBOOL("gp", 1)
	};
	static const struct xevent x = XEVENT("NrptUnchanged",
	    TRACE_LVL_INFO, TRACE_OP_INFO, TRACE_KW_NRPT, f);
	static const struct xevent x2 = XEVENT("NrptUnchanged",
	    TRACE_LVL_INFO, TRACE_OP_INFO, TRACE_KW_NRPT, f2);

	trace_nrpt_unchanged(fx->t, 0xfeedfaceu, false);
	check_event(fx, &x);
	trace_nrpt_unchanged(fx->t, 0, true);
	check_event(fx, &x2);
}

static void
tlg_encodes_nrpt_rule_written(void **state)
{
	struct fixture		*fx = *state;
	static const struct xfield f[] = {
		XSTR("id", "{8f3e0b2a-1c4d-4e5f-9a6b-7c8d9e0f1a2b}"),
		XSTR("op", "update"),
		XU32("values", 0x0badf00du),
		XU32("names", 0x00010002u),
		XSTR("servers", "10.0.0.53;fd00::53;" S_UTF8)
	};
	static const struct xevent x = XEVENT("NrptRuleWritten",
	    TRACE_LVL_INFO, TRACE_OP_INFO, TRACE_KW_NRPT, f);

	trace_nrpt_rule_written(fx->t, "{8f3e0b2a-1c4d-4e5f-9a6b-7c8d9e0f1a2b}",
	    "update", 0x0badf00du, 0x00010002u, "10.0.0.53;fd00::53;" S_UTF8);
	check_event(fx, &x);
}

static void
tlg_encodes_nrpt_rule_deleted(void **state)
{
	struct fixture		*fx = *state;
	static const struct xfield f[] = { XSTR("id", "DnsWatchdog-" S_QUOTE) };
	static const struct xevent x = XEVENT("NrptRuleDeleted",
	    TRACE_LVL_INFO, TRACE_OP_INFO, TRACE_KW_NRPT, f);

	trace_nrpt_rule_deleted(fx->t, "DnsWatchdog-" S_QUOTE);
	check_event(fx, &x);
}

static void
tlg_encodes_nrpt_record_written(void **state)
{
	struct fixture		*fx = *state;
	static const struct xfield f[] = { XU32("ids", 0x12345678u) };
	static const struct xevent x = XEVENT("NrptRecordWritten",
	    TRACE_LVL_VERBOSE, TRACE_OP_INFO, TRACE_KW_NRPT, f);

	trace_nrpt_record_written(fx->t, 0x12345678u);
	check_event(fx, &x);
}

static void
tlg_encodes_nrpt_failed(void **state)
{
	struct fixture		*fx = *state;
	static const struct xfield f[] = {
		XSTR("step", "RegSetValueExW"),
		XSTR("id", S_UTF8),
		XERR("error_code", 0xfffffffeu),
		XSTR("error_name", "ERROR_ACCESS_DENIED"),
		XSTR("error", S_QUOTE)
	};
	static const struct xevent x = XEVENT("NrptFailed",
	    TRACE_LVL_ERROR, TRACE_OP_INFO, TRACE_KW_NRPT, f);

	trace_nrpt_failed(fx->t, "RegSetValueExW", S_UTF8, 0xfffffffeu,
	    "ERROR_ACCESS_DENIED", S_QUOTE);
	check_event(fx, &x);
}

static void
tlg_encodes_nrpt_notify_failed(void **state)
{
	struct fixture		*fx = *state;
	static const struct xfield f[] = { XSTR("error", S_CTRL) };
	static const struct xevent x = XEVENT("NrptNotifyFailed",
	    TRACE_LVL_WARNING, TRACE_OP_INFO, TRACE_KW_NRPT, f);

	trace_nrpt_notify_failed(fx->t, S_CTRL);
	check_event(fx, &x);
}

static void
tlg_encodes_nrpt_notified(void **state)
{
	struct fixture		*fx = *state;
	static const struct xfield f[] = { XBOOL("gp", 1) };
	static const struct xevent x = XEVENT("NrptNotified",
	    TRACE_LVL_INFO, TRACE_OP_INFO, TRACE_KW_NRPT, f);

	trace_nrpt_notified(fx->t, true);
	check_event(fx, &x);
}

static void
tlg_encodes_fight(void **state)
{
	struct fixture		*fx = *state;
	static const struct xfield f[] = {
		XSTR("artifact", "hosts"),
		XU32("rewrites", 0x000000ffu),
		XU32("window_ms", 0x0000ff00u),
		XU32("next_delay_ms", 0x00ff0000u)
	};
	static const struct xevent x = XEVENT("Fight",
	    TRACE_LVL_WARNING, TRACE_OP_INFO, TRACE_KW_EVENTS, f);

	trace_fight(fx->t, "hosts", 0x000000ffu, 0x0000ff00u, 0x00ff0000u);
	check_event(fx, &x);
}

static void
tlg_encodes_daemon_started(void **state)
{
	struct fixture		*fx = *state;
	static const struct xfield f[] = {
		XSTR("config", S_PATH),
		XSTR("version", "1.2.3-rc.4+" S_UTF8)
	};
	static const struct xevent x = XEVENT("DaemonStarted",
	    TRACE_LVL_INFO, TRACE_OP_INFO, TRACE_KW_SERVICE, f);

	trace_daemon_started(fx->t, S_PATH, "1.2.3-rc.4+" S_UTF8);
	check_event(fx, &x);
}

static void
tlg_encodes_daemon_stopped(void **state)
{
	struct fixture		*fx = *state;
	static const struct xfield f[] = { XSTR("reason", S_QUOTE) };
	static const struct xevent x = XEVENT("DaemonStopped",
	    TRACE_LVL_INFO, TRACE_OP_INFO, TRACE_KW_SERVICE, f);

	trace_daemon_stopped(fx->t, S_QUOTE);
	check_event(fx, &x);
}

static void
tlg_encodes_config_reloaded_ok_and_failed(void **state)
{
	struct fixture		*fx = *state;
	static const struct xfield ok[] = {
		XSTR("path", S_UTF8),
		XBOOL("ok", 1),
		XSTR("error", "")
	};
	static const struct xfield bad[] = {
		XSTR("path", S_PATH),
		XBOOL("ok", 0),
		XSTR("error", S_QUOTE)
	};
	static const struct xevent xok = XEVENT("ConfigReloaded",
	    TRACE_LVL_INFO, TRACE_OP_INFO, TRACE_KW_SERVICE, ok);
	static const struct xevent xbad = XEVENT("ConfigReloaded",
	    TRACE_LVL_ERROR, TRACE_OP_INFO, TRACE_KW_SERVICE, bad);

	trace_config_reloaded(fx->t, S_UTF8, true, NULL);
	check_event(fx, &xok);
	trace_config_reloaded(fx->t, S_PATH, false, S_QUOTE);
	check_event(fx, &xbad);
}

/* The Stop of a pass has the level and keyword of its Start whatever the
 * result: a session sees both or neither. The result's severity is a
 * field. */
static void
tlg_encodes_reconcile_end_at_the_level_of_its_start(void **state)
{
	struct fixture		*fx = *state;
	static const struct xfield fok[] = {
		XSTR("result", "ok"),
		XU32("writes", 0xcafebabeu),
		XU64("duration_us", V64A),
		XSTR("severity", "info")
	};
	static const struct xfield fdeg[] = {
		XSTR("result", "degraded"),
		XU32("writes", 1),
		XU64("duration_us", V64B),
		XSTR("severity", "warning")
	};
	static const struct xfield ffail[] = {
		XSTR("result", "failed"),
		XU32("writes", 0),
		XU64("duration_us", V64C),
		XSTR("severity", "error")
	};
	static const struct xfield fnull[] = {
		XSTR("result", ""),
		XU32("writes", 2),
		XU64("duration_us", 0),
		XSTR("severity", "info")
	};
	static const struct xevent xok = XEVENT("ReconcileEnd",
	    TRACE_LVL_INFO, TRACE_OP_STOP, TRACE_KW_RECONCILE, fok);
	static const struct xevent xdeg = XEVENT("ReconcileEnd",
	    TRACE_LVL_INFO, TRACE_OP_STOP, TRACE_KW_RECONCILE, fdeg);
	static const struct xevent xfail = XEVENT("ReconcileEnd",
	    TRACE_LVL_INFO, TRACE_OP_STOP, TRACE_KW_RECONCILE, ffail);
	static const struct xevent xnull = XEVENT("ReconcileEnd",
	    TRACE_LVL_INFO, TRACE_OP_STOP, TRACE_KW_RECONCILE, fnull);
	struct capture		*c = fx->cap;
	enum trace_level	 level;
	enum trace_keyword	 kw;

	trace_reconcile_start(fx->t, "once", NULL);
	level = c->level;
	kw = c->keyword;
	capture_drop(c);
	trace_reconcile_end(fx->t, "ok", 0xcafebabeu, V64A);
	check_event(fx, &xok);
	trace_reconcile_end(fx->t, "degraded", 1, V64B);
	check_event(fx, &xdeg);
	assert_int_equal(c->level, level);
	assert_int_equal(c->keyword, kw);
	trace_reconcile_end(fx->t, "failed", 0, V64C);
	check_event(fx, &xfail);
	assert_int_equal(c->level, level);
	assert_int_equal(c->keyword, kw);
	trace_reconcile_end(fx->t, NULL, 2, 0);
	check_event(fx, &xnull);
}

static void
tlg_encodes_reconcile_degraded_and_failed_at_their_severity(void **state)
{
	struct fixture		*fx = *state;
	static const struct xfield fdeg[] = {
		XSTR("trigger", "retry"),
		XSTR("hosts", "gave_up"),
		XSTR("nrpt", "in_sync"),
		XU32("writes", 3),
		XU64("duration_us", V64B)
	};
	static const struct xfield ffail[] = {
		XSTR("trigger", S_QUOTE),
		XSTR("hosts", "rejected"),
		XSTR("nrpt", "failed"),
		XU32("writes", 0xcafebabeu),
		XU64("duration_us", V64C)
	};
	static const struct xevent xdeg = XEVENT("ReconcileDegraded",
	    TRACE_LVL_WARNING, TRACE_OP_INFO, TRACE_KW_RECONCILE, fdeg);
	static const struct xevent xfail = XEVENT("ReconcileFailed",
	    TRACE_LVL_ERROR, TRACE_OP_INFO, TRACE_KW_RECONCILE, ffail);

	trace_reconcile_degraded(fx->t, "retry", "gave_up", "in_sync", 3, V64B);
	check_event(fx, &xdeg);
	trace_reconcile_failed(fx->t, S_QUOTE, "rejected", "failed",
	    0xcafebabeu, V64C);
	check_event(fx, &xfail);
}

/* ------------------------------------------------------------------ */
/* Strings, metadata stability, limits.                                */
/* ------------------------------------------------------------------ */

static void
tlg_writes_null_strings_as_one_nul(void **state)
{
	struct fixture		*fx = *state;
	static const struct xfield f[] = {
		XU32("attempt", 7),
		XERR("error_code", 2),
		XSTR("error_name", ""),
		XSTR("error", ""),
		XBOOL("transient", 1),
		XU32("next_delay_ms", 8),
		XU64("elapsed_ms", 9)
	};
	static const struct xevent x = XEVENT("HostsWriteAttempt",
	    TRACE_LVL_WARNING, TRACE_OP_INFO, TRACE_KW_HOSTS, f);
	static const struct xfield f1[] = { XSTR("path", "") };
	static const struct xevent x1 = XEVENT("HostsUnchanged",
	    TRACE_LVL_INFO, TRACE_OP_INFO, TRACE_KW_HOSTS, f1);
	static const uint8_t	 want[] = { 0x00 };
	struct capture		*c = fx->cap;

	trace_hosts_write_attempt(fx->t, 7, 2, NULL, NULL, true, 8, 9);
	check_event(fx, &x);
	/* Explicit "" is the same. */
	trace_hosts_write_attempt(fx->t, 7, 2, "", "", true, 8, 9);
	check_event(fx, &x);

	/* A lone NULL string is a one-byte payload: 00. */
	trace_hosts_unchanged(fx->t, NULL);
	assert_int_equal(c->rc, 0);
	assert_int_equal(c->ev.paylen, 1);
	assert_memory_equal(c->ev.payload, want, 1);
	check_event(fx, &x1);
}

/* The metadata depends on the schema only, not on the values. */
static void
tlg_metadata_does_not_depend_on_values(void **state)
{
	struct fixture		*fx = *state;
	struct capture		*c = fx->cap;
	uint8_t			*m1;
	size_t			 n1;

	trace_hosts_write_gave_up(fx->t, 1, 2, 3, "a", "b", true);
	assert_int_equal(c->rc, 0);
	n1 = c->ev.metalen;
	m1 = malloc(n1);
	assert_non_null(m1);
	memcpy(m1, c->ev.meta, n1);
	capture_drop(c);
	trace_hosts_write_gave_up(fx->t, 0xffffffffu, V64B, 0, NULL,
	    S_UTF8 S_UTF8 S_UTF8, false);
	assert_int_equal(c->rc, 0);
	assert_int_equal(c->ev.metalen, n1);
	assert_memory_equal(c->ev.meta, m1, n1);
	free(m1);
	capture_drop(c);
}

/* Raw records through trace_emit: all field types at once, the most
 * fields a record carries, and none. */
static void
tlg_encodes_full_and_empty_records(void **state)
{
	struct fixture		*fx = *state;
	struct trace_field	 in[TRACE_MAX_FIELDS];
	struct xfield		 x[TRACE_MAX_FIELDS];
	struct xevent		 xe;
	static const char	*names[TRACE_MAX_FIELDS] = {
		"f0", "f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9",
		"f10", "f11", "f12", "f13", "f14", "f15"
	};
	static const char	*strs[] = { S_QUOTE, S_UTF8, "", S_CTRL };
	struct dec_event	*d;
	size_t			 i;

	memset(in, 0, sizeof(in));
	memset(x, 0, sizeof(x));
	for (i = 0; i < TRACE_MAX_FIELDS; i++) {
		in[i].name = x[i].name = names[i];
		in[i].type = x[i].type = (enum trace_type)(i % 5);
		switch (in[i].type) {
		case TRACE_T_U32:
		case TRACE_T_ERRCODE:
			in[i].v.u32 = 0xf0f0f000u + (uint32_t)i;
			x[i].num = in[i].v.u32;
			break;
		case TRACE_T_U64:
			in[i].v.u64 = V64B - i;
			x[i].num = in[i].v.u64;
			break;
		case TRACE_T_STR:
			in[i].v.str = x[i].str = strs[(i / 5) % NELEMS(strs)];
			break;
		case TRACE_T_BOOL:
			in[i].v.b = (i / 5) % 2 == 0;
			x[i].num = in[i].v.b ? 1 : 0;
			break;
		}
	}
	xe.name = "AllTypes";
	xe.level = TRACE_LVL_VERBOSE;
	xe.opcode = TRACE_OP_INFO;
	xe.keyword = TRACE_KW_EVENTS | TRACE_KW_SERVICE;
	xe.f = x;
	xe.nf = TRACE_MAX_FIELDS;
	trace_emit(fx->t, "AllTypes", TRACE_LVL_VERBOSE,
	    (enum trace_keyword)(TRACE_KW_EVENTS | TRACE_KW_SERVICE),
	    TRACE_OP_INFO, in, TRACE_MAX_FIELDS);
	check_event(fx, &xe);

	/* No fields: a name only, and an empty payload. */
	xe.name = "Empty";
	xe.level = TRACE_LVL_CRITICAL;
	xe.keyword = TRACE_KW_NRPT;
	xe.nf = 0;
	trace_emit(fx->t, "Empty", TRACE_LVL_CRITICAL, TRACE_KW_NRPT,
	    TRACE_OP_INFO, NULL, 0);
	d = malloc(sizeof(*d));
	assert_non_null(d);
	check_event_into(fx, &xe, d);
	assert_int_equal(fx->cap->ev.paylen, 0);
	/* 2 size bytes, the tag bytes, "Empty\0". */
	assert_int_equal(fx->cap->ev.metalen, 2 + d->ntagbytes + 6);
	free(d);
	capture_drop(fx->cap);
}

/* A name long enough to need both bytes of the size field. */
static void
tlg_writes_two_byte_metadata_size(void **state)
{
	struct fixture		*fx = *state;
	struct capture		*c = fx->cap;
	struct dec_event	*d;
	struct trace_field	 f[2];
	char			*fname;
	size_t			 n = 1000;

	fname = malloc(n + 1);
	assert_non_null(fname);
	memset(fname, 'q', n);
	fname[n] = '\0';
	memset(f, 0, sizeof(f));
	f[0].name = fname;
	f[0].type = TRACE_T_STR;
	f[0].v.str = S_UTF8;
	f[1].name = "n";
	f[1].type = TRACE_T_U64;
	f[1].v.u64 = V64A;
	trace_emit(fx->t, "Long", TRACE_LVL_INFO, TRACE_KW_HOSTS,
	    TRACE_OP_INFO, f, NELEMS(f));
	assert_int_equal(c->rc, 0);
	assert_true(c->ev.metalen > 1000);
	d = malloc(sizeof(*d));
	assert_non_null(d);
	assert_int_equal(dec_event_meta(c->ev.meta, c->ev.metalen, d), 0);
	assert_int_equal(d->nfields, 2);
	assert_int_equal(strlen(d->f[0].name), n);
	assert_int_equal(dec_payload(d, c->ev.payload, c->ev.paylen), 0);
	assert_string_equal((const char *)d->f[0].val, S_UTF8);
	assert_true(d->f[1].num == V64A);
	free(d);
	free(fname);
	capture_drop(c);
}

/* Metadata past 65535 bytes cannot be described by its UINT16 size. */
static void
tlg_refuses_metadata_over_limit(void **state)
{
	struct fixture		*fx = *state;
	struct capture		*c = fx->cap;
	struct trace_field	 f[1];
	char			*big;
	size_t			 n = TLG_META_MAX_BYTES + 10;

	big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'E', n);
	big[n] = '\0';

	/* An event name too long. */
	trace_emit(fx->t, big, TRACE_LVL_INFO, TRACE_KW_HOSTS,
	    TRACE_OP_INFO, NULL, 0);
	assert_int_equal(c->nemit, 1);
	assert_int_equal(c->rc, -1);
	capture_drop(c);

	/* A field name too long. */
	memset(f, 0, sizeof(f));
	f[0].name = big;
	f[0].type = TRACE_T_U32;
	f[0].v.u32 = 1;
	trace_emit(fx->t, "E", TRACE_LVL_INFO, TRACE_KW_HOSTS,
	    TRACE_OP_INFO, f, NELEMS(f));
	assert_int_equal(c->nemit, 1);
	assert_int_equal(c->rc, -1);
	capture_drop(c);

	/* Just past the limit in total: a name of 65535 - 2 bytes plus its
	 * NUL and a tag byte. */
	big[TLG_META_MAX_BYTES - 2] = '\0';
	trace_emit(fx->t, big, TRACE_LVL_INFO, TRACE_KW_HOSTS,
	    TRACE_OP_INFO, NULL, 0);
	assert_int_equal(c->rc, -1);
	capture_drop(c);
	free(big);
}

/* Metadata of exactly 65535 bytes is still valid. */
static void
tlg_accepts_metadata_at_limit(void **state)
{
	struct fixture		*fx = *state;
	struct capture		*c = fx->cap;
	struct dec_event	*d;
	char			*big;
	size_t			 tagbytes, n;

	/* Learn how many tag bytes the encoder writes. */
	d = malloc(sizeof(*d));
	assert_non_null(d);
	trace_emit(fx->t, "E", TRACE_LVL_INFO, TRACE_KW_HOSTS,
	    TRACE_OP_INFO, NULL, 0);
	assert_int_equal(c->rc, 0);
	assert_int_equal(dec_event_meta(c->ev.meta, c->ev.metalen, d), 0);
	tagbytes = d->ntagbytes;
	capture_drop(c);

	n = TLG_META_MAX_BYTES - 2 - tagbytes - 1;
	big = malloc(n + 1);
	assert_non_null(big);
	memset(big, 'E', n);
	big[n] = '\0';
	trace_emit(fx->t, big, TRACE_LVL_INFO, TRACE_KW_HOSTS,
	    TRACE_OP_INFO, NULL, 0);
	assert_int_equal(c->rc, 0);
	assert_int_equal(c->ev.metalen, TLG_META_MAX_BYTES);
	assert_int_equal(dec_event_meta(c->ev.meta, c->ev.metalen, d), 0);
	assert_int_equal(strlen(d->name), n);
	capture_drop(c);
	free(big);
	free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(sha1_matches_fips_vectors),
		cmocka_unit_test(name_hash_matches_published_guids),
		cmocka_unit_test(provider_guid_is_name_hash_of_provider_name),
		cmocka_unit_test(provider_meta_is_size_and_name),
		cmocka_unit_test(provider_meta_refuses_small_buffer),
		cmocka_unit_test(guid_layout_swaps_the_three_first_groups),
		cmocka_unit_test(decoder_reads_published_example),
		cmocka_unit_test(decoder_reads_multi_byte_tags),
		cmocka_unit_test(decoder_reads_other_types_and_arrays),
		cmocka_unit_test(decoder_rejects_bad_provider_meta),
		cmocka_unit_test(decoder_rejects_bad_event_meta),
		cmocka_unit_test(decoder_rejects_bad_payload),
#define T(f)	cmocka_unit_test_setup_teardown(f, fx_setup, fx_teardown)
		T(tlg_encodes_reconcile_start),
		T(tlg_encodes_desired_state_loaded),
		T(tlg_encodes_desired_state_invalid),
		T(tlg_encodes_hosts_unchanged),
		T(tlg_encodes_hosts_section_repaired),
		T(tlg_encodes_hosts_file_rejected),
		T(tlg_encodes_hosts_write_attempt),
		T(tlg_encodes_hosts_write_succeeded),
		T(tlg_encodes_hosts_carried),
		T(tlg_encodes_hosts_write_gave_up),
		T(tlg_encodes_nrpt_planned),
		T(tlg_encodes_nrpt_unchanged),
		T(tlg_encodes_nrpt_rule_written),
		T(tlg_encodes_nrpt_rule_deleted),
		T(tlg_encodes_nrpt_record_written),
		T(tlg_encodes_nrpt_failed),
		T(tlg_encodes_nrpt_notify_failed),
		T(tlg_encodes_nrpt_notified),
		T(tlg_encodes_fight),
		T(tlg_encodes_daemon_started),
		T(tlg_encodes_daemon_stopped),
		T(tlg_encodes_config_reloaded_ok_and_failed),
		T(tlg_encodes_reconcile_end_at_the_level_of_its_start),
		T(tlg_encodes_reconcile_degraded_and_failed_at_their_severity),
		T(tlg_writes_null_strings_as_one_nul),
		T(tlg_metadata_does_not_depend_on_values),
		T(tlg_encodes_full_and_empty_records),
		T(tlg_writes_two_byte_metadata_size),
		T(tlg_refuses_metadata_over_limit),
		T(tlg_accepts_metadata_at_limit),
#undef T
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
