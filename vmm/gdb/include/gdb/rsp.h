/* SPDX-License-Identifier: MIT */
/*
 * The gdb remote serial protocol's framing, for a peer that may be hostile:
 * "$payload#cs" packets with a modulo-256 checksum, '+'/'-' acknowledgements,
 * and the interrupt byte 0x03 between packets.  Every packet is bounded by
 * GDB_PACKET_MAX; a longer one is consumed to its end and reported, never
 * stored.  Binary data (X packets, qXfer replies) escapes '#', '$', '}' and
 * '*' as '}' followed by the byte XOR 0x20.  No I/O here: bytes in, events and
 * framed bytes out, so the layer is fuzzed and unit-tested on its own.
 */
#ifndef ENTRYBOX_GDB_RSP_H
#define ENTRYBOX_GDB_RSP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The longest payload accepted and sent, advertised as PacketSize. */
#define GDB_PACKET_MAX 16384u

enum gdb_rx_event {
	GDB_RX_NONE = 0,      /* more bytes needed */
	GDB_RX_PACKET,        /* a whole packet with a good checksum: payload, len */
	GDB_RX_BAD_CHECKSUM,  /* a whole packet whose checksum is wrong: answer '-' */
	GDB_RX_TOO_LONG,      /* a whole packet longer than GDB_PACKET_MAX, dropped */
	GDB_RX_INTERRUPT,     /* 0x03 between packets */
	GDB_RX_ACK,           /* '+' */
	GDB_RX_NAK,           /* '-': the peer wants the last packet again */
};

struct gdb_rx {
	int state;
	uint8_t sum;          /* over the payload as received */
	int sum_high;         /* the first digit after '#', -1 if not a hex digit */
	bool overflow;
	size_t len;
	char payload[GDB_PACKET_MAX + 1]; /* NUL after the last byte; binary payloads may hold NULs */
};

void gdb_rx_init(struct gdb_rx *rx);
/* Takes one byte from the peer; bytes between packets other than '+', '-'
 * and 0x03 are line noise and ignored. */
enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t c);

/* "$payload#cs" into out; the number of bytes, or 0 when out is too small. */
size_t gdb_frame(const char *payload, size_t len, char *out, size_t outlen);

/* Binary escaping of data into out (at most outlen bytes): how many bytes of
 * `data` fit; *written is the escaped length. */
size_t gdb_escape(const uint8_t *data, size_t len, char *out, size_t outlen, size_t *written);
/* Undoes the escaping in place; the unescaped length, or -1 for a trailing '}'. */
long gdb_unescape(char *data, size_t len);

/* Hex helpers: digits are 0-9, a-f, A-F only. */
int gdb_hex_digit(char c);
/* Encodes len bytes as 2*len hex digits plus a NUL (out holds 2*len+1). */
void gdb_hex_encode(const uint8_t *data, size_t len, char *out);
/* Decodes exactly 2*len hex digits; false on any other character. */
bool gdb_hex_decode(const char *hex, size_t len, uint8_t *out);
/* A hexadecimal number of 1 to 16 digits at *p, ending at a character that
 * is not a hex digit; advances *p.  False for none or too many digits. */
bool gdb_parse_hex_u64(const char **p, const char *end, uint64_t *out);

#endif
