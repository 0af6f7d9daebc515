/*
 * tlg: the TraceLogging encoding of our events (see tlg.h).
 *
 * Event metadata:
 *   UINT16 size (including itself) | UINT8 tag 0 | event name \0 |
 *   per field: name \0 | UINT8 InType (| 0x80 when an OutType follows) |
 *   [UINT8 OutType]
 * Payload: the field values end to end, little-endian, no padding;
 * strings are UTF-8 with their NUL.
 */
#include "tlg.h"

#include <stdlib.h>
#include <string.h>

#define TLG_SIZE_BYTES	2u	/* the UINT16 size at the start of a blob */
#define TLG_TAG_BYTES	1u	/* one tag byte: tag 0 */
#define TLG_U32_BYTES	4u
#define TLG_U64_BYTES	8u
#define TLG_BOOL32_BYTES 4u

const uint8_t tlg_provider_guid[16] = {
	0x38, 0x92, 0x83, 0x85, 0x7e, 0x16, 0x63, 0x5e,
	0x17, 0x85, 0x95, 0x21, 0x92, 0x53, 0xea, 0x45
};

/* How one schema type is encoded. */
struct tlg_type {
	uint8_t	 in;		/* InType, without TLG_IN_CHAIN */
	uint8_t	 out;		/* OutType, 0: none */
};

static int
tlg_type(enum trace_type type, struct tlg_type *tt)
{
	switch (type) {
	case TRACE_T_U32:
		tt->in = TLG_IN_UINT32;
		tt->out = 0;
		return 0;
	case TRACE_T_U64:
		tt->in = TLG_IN_UINT64;
		tt->out = 0;
		return 0;
	case TRACE_T_STR:
		tt->in = TLG_IN_ANSISTRING;
		tt->out = TLG_OUT_UTF8;
		return 0;
	case TRACE_T_BOOL:
		tt->in = TLG_IN_BOOL32;
		tt->out = 0;
		return 0;
	case TRACE_T_ERRCODE:
		tt->in = TLG_IN_UINT32;
		tt->out = TLG_OUT_WIN32ERROR;
		return 0;
	}
	return -1;
}

static const char *
tlg_str(const char *s)
{
	return s != NULL ? s : "";
}

/* *total += n, refusing to pass TLG_META_MAX_BYTES (and so to wrap). */
static int
tlg_add(size_t *total, size_t n)
{
	if (n > TLG_META_MAX_BYTES || *total > TLG_META_MAX_BYTES - n)
		return -1;
	*total += n;
	return 0;
}

/* The size of a field's value in the payload. */
static size_t
tlg_value_bytes(const struct trace_field *f)
{
	switch (f->type) {
	case TRACE_T_U32:
	case TRACE_T_ERRCODE:
		return TLG_U32_BYTES;
	case TRACE_T_U64:
		return TLG_U64_BYTES;
	case TRACE_T_BOOL:
		return TLG_BOOL32_BYTES;
	case TRACE_T_STR:
		return strlen(tlg_str(f->v.str)) + 1;
	}
	return 0;
}

static uint8_t *
tlg_put_le(uint8_t *p, uint64_t v, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		*p++ = (uint8_t)(v >> (8 * i));
	return p;
}

/* Copies s with its NUL. */
static uint8_t *
tlg_put_str(uint8_t *p, const char *s)
{
	size_t	 n = strlen(s) + 1;

	memcpy(p, s, n);
	return p + n;
}

size_t
tlg_provider_meta(uint8_t *buf, size_t cap)
{
	size_t	 len = TLG_SIZE_BYTES + sizeof(TLG_PROVIDER_NAME);

	if (cap < len)
		return 0;
	tlg_put_str(tlg_put_le(buf, len, TLG_SIZE_BYTES), TLG_PROVIDER_NAME);
	return len;
}

int
tlg_encode(const struct trace_record *rec, struct tlg_event *ev)
{
	struct tlg_type	 tt;
	size_t		 metalen = TLG_SIZE_BYTES + TLG_TAG_BYTES, paylen = 0, i;
	uint8_t		*p;

	memset(ev, 0, sizeof(*ev));
	/* Sizes first, so each blob is allocated once. */
	if (tlg_add(&metalen, strlen(tlg_str(rec->name)) + 1) != 0)
		return -1;
	for (i = 0; i < rec->nfields; i++) {
		const struct trace_field *f = &rec->fields[i];

		if (tlg_type(f->type, &tt) != 0 ||
		    tlg_add(&metalen, strlen(tlg_str(f->name)) + 1) != 0 ||
		    tlg_add(&metalen, tt.out != 0 ? 2 : 1) != 0 ||
		    tlg_add(&paylen, tlg_value_bytes(f)) != 0)
			return -1;
	}
	/* No fields is legal: keep a non-NULL pointer for an empty payload. */
	if ((ev->meta = malloc(metalen)) == NULL ||
	    (ev->payload = malloc(paylen != 0 ? paylen : 1)) == NULL) {
		tlg_event_clear(ev);
		return -1;
	}
	ev->metalen = metalen;
	ev->paylen = paylen;

	p = tlg_put_le(ev->meta, metalen, TLG_SIZE_BYTES);
	*p++ = 0;		/* event tag 0, no more tag bytes */
	p = tlg_put_str(p, tlg_str(rec->name));
	for (i = 0; i < rec->nfields; i++) {
		const struct trace_field *f = &rec->fields[i];

		tlg_type(f->type, &tt);
		p = tlg_put_str(p, tlg_str(f->name));
		if (tt.out != 0) {
			*p++ = (uint8_t)(tt.in | TLG_IN_CHAIN);
			*p++ = tt.out;	/* bit 7 clear: no field tags */
		} else
			*p++ = tt.in;
	}

	p = ev->payload;
	for (i = 0; i < rec->nfields; i++) {
		const struct trace_field *f = &rec->fields[i];

		switch (f->type) {
		case TRACE_T_U32:
		case TRACE_T_ERRCODE:
			p = tlg_put_le(p, f->v.u32, TLG_U32_BYTES);
			break;
		case TRACE_T_U64:
			p = tlg_put_le(p, f->v.u64, TLG_U64_BYTES);
			break;
		case TRACE_T_BOOL:
			p = tlg_put_le(p, f->v.b ? 1 : 0, TLG_BOOL32_BYTES);
			break;
		case TRACE_T_STR:
			p = tlg_put_str(p, tlg_str(f->v.str));
			break;
		}
	}

	ev->channel = TLG_CHANNEL;
	ev->level = (uint8_t)rec->level;
	ev->opcode = (uint8_t)rec->opcode;
	ev->keyword = (uint64_t)rec->keyword;
	return 0;
}

void
tlg_event_clear(struct tlg_event *ev)
{
	if (ev == NULL)
		return;
	free(ev->meta);
	free(ev->payload);
	memset(ev, 0, sizeof(*ev));
}

void
tlg_guid_layout(const uint8_t id[16], uint8_t out[16])
{
	uint8_t	 g[16];

	/* Data1 (4 bytes), Data2 and Data3 (2 each) are little-endian in a
	 * GUID in memory; Data4 (8 bytes) is a byte array. */
	g[0] = id[3];
	g[1] = id[2];
	g[2] = id[1];
	g[3] = id[0];
	g[4] = id[5];
	g[5] = id[4];
	g[6] = id[7];
	g[7] = id[6];
	memcpy(g + 8, id + 8, 8);
	memcpy(out, g, sizeof(g));
}
