/*
 * tlg: the TraceLogging encoding of our events (self-describing ETW events:
 * no manifest to install; WPA, tracerpt and PerfView decode them from the
 * metadata each event carries).
 *
 * Portable and pure: it turns a struct trace_record into the three blobs
 * an ETW write passes (provider metadata, event metadata, payload) and an
 * EVENT_DESCRIPTOR's fields, so the encoding is tested natively as well as
 * under Wine. The Windows sink (trace_etw_win.c) hands them to
 * EventWriteTransfer.
 *
 * Field types: TRACE_T_U32 -> InType UINT32; TRACE_T_U64 -> UINT64;
 * TRACE_T_STR -> ANSISTRING + OutType UTF8; TRACE_T_BOOL -> BOOL32;
 * TRACE_T_ERRCODE -> UINT32 + OutType WIN32ERROR.
 */
#ifndef TLG_H
#define TLG_H

#include <stddef.h>
#include <stdint.h>

#include "trace.h"

#define TLG_PROVIDER_NAME	"DnsWatchdog"
/* The ETW name hash of "DnsWatchdog": {85839238-167e-5e63-1785-95219253ea45}. */
#define TLG_PROVIDER_GUID_STR	"85839238-167e-5e63-1785-95219253ea45"
#define TLG_CHANNEL		11u	/* WINEVENT_CHANNEL_TRACELOGGING */
#define TLG_META_MAX_BYTES	65535u	/* a metadata blob's size is a UINT16 */

/* TraceLogging InType and OutType codes used here. */
#define TLG_IN_ANSISTRING	2u
#define TLG_IN_UINT32		8u
#define TLG_IN_UINT64		10u
#define TLG_IN_BOOL32		13u
#define TLG_IN_CHAIN		0x80u	/* an OutType byte follows */
#define TLG_OUT_WIN32ERROR	0x0du
#define TLG_OUT_UTF8		0x23u

/* The provider GUID in Windows' in-memory GUID layout (Data1, Data2 and
 * Data3 little-endian), as EventRegister takes it. */
extern const uint8_t tlg_provider_guid[16];

/* An encoded event: the blobs are owned by the struct (tlg_event_clear). */
struct tlg_event {
	uint8_t		*meta;		/* event metadata blob */
	size_t		 metalen;
	uint8_t		*payload;	/* all fields, packed, little-endian */
	size_t		 paylen;
	/* EVENT_DESCRIPTOR fields. */
	uint8_t		 channel;
	uint8_t		 level;
	uint8_t		 opcode;
	uint64_t	 keyword;
};

/* The provider metadata blob ("traits"): UINT16 size, the name, no
 * traits. Returns its size, or 0 when cap is too small. */
size_t	tlg_provider_meta(uint8_t *buf, size_t cap);

/* Encodes rec. Returns 0, or -1 when memory runs out or a blob would pass
 * TLG_META_MAX_BYTES. */
int	tlg_encode(const struct trace_record *rec, struct tlg_event *ev);

/* Frees the blobs of ev (not ev itself). */
void	tlg_event_clear(struct tlg_event *ev);

/* Our 16-byte IDs are printed in byte order (trace_guid_format); ETW
 * wants a GUID in memory layout. Converts one to the other so that both
 * sinks show the same GUID text. */
void	tlg_guid_layout(const uint8_t id[16], uint8_t out[16]);

#endif
