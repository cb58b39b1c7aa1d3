/* SPDX-License-Identifier: GPL-2.0 OR BSD-2-Clause */
/*
 * flowsync_wire.h - byte offsets of the flow-sync format (laid out in
 * flowsync.h) and the big-endian helpers; for flowsync*.c only.
 */
#ifndef BGXDP_FLOWSYNC_WIRE_H
#define BGXDP_FLOWSYNC_WIRE_H

#include <stdbool.h>
#include <stdint.h>
#include "flowsync.h"

/* header */
#define HDR_MAGIC        0
#define HDR_VERSION      4
#define HDR_FLAGS        5
#define HDR_COUNT        6
#define HDR_HOST         8
#define HDR_SEQUENCE     16
#define HDR_SENT         24

/* record */
#define REC_TYPE         0
#define REC_FAMILY       1
#define REC_PROTO        2
#define REC_COLOR        3
#define REC_STATE        4
#define REC_ZERO         5
#define REC_SERVICE      6
#define REC_SLOT         8
#define REC_CLIENT_PORT  10
#define REC_VIP_PORT     12
#define REC_BACKEND_PORT 14
#define REC_CLIENT       16
#define REC_VIP          32
#define REC_BACKEND      48
#define REC_CREATED      64

_Static_assert(REC_CREATED + 8 == FLOWSYNC_RECORD_BYTES, "record layout");
_Static_assert(HDR_SENT + 8 == FLOWSYNC_HEADER_BYTES, "header layout");
_Static_assert(FLOWSYNC_MAX_BYTES <= 8972, "a datagram fits a 9000-byte jumbo frame (IPv6 + UDP)");

void flowsync_put_u16(uint8_t *p, uint16_t v);
void flowsync_put_u32(uint8_t *p, uint32_t v);
void flowsync_put_u64(uint8_t *p, uint64_t v);
uint16_t flowsync_get_u16(const uint8_t *p);
uint32_t flowsync_get_u32(const uint8_t *p);
uint64_t flowsync_get_u64(const uint8_t *p);

void flowsync_record_to_wire(const struct flowsync_record *rec, uint8_t *p);
bool flowsync_record_from_wire(const uint8_t *p, struct flowsync_record *rec);

#endif
