/* SPDX-License-Identifier: MIT */
#include "gdb/rsp.h"

#include <string.h>

#define CH_START     '$'
#define CH_END       '#'
#define CH_ESCAPE    '}'
#define CH_RLE       '*'
#define CH_INTERRUPT 0x03
#define ESCAPE_XOR   0x20

enum { RX_IDLE = 0, RX_DATA, RX_SUM_HIGH, RX_SUM_LOW };

void gdb_rx_init(struct gdb_rx *rx)
{
	rx->state = RX_IDLE;
	rx->sum = 0;
	rx->sum_high = -1;
	rx->overflow = false;
	rx->len = 0;
	rx->payload[0] = '\0';
}

int gdb_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static enum gdb_rx_event between_packets(struct gdb_rx *rx, uint8_t c)
{
	switch (c) {
	case CH_START:
		rx->state = RX_DATA;
		rx->sum = 0;
		rx->len = 0;
		rx->overflow = false;
		return GDB_RX_NONE;
	case '+': return GDB_RX_ACK;
	case '-': return GDB_RX_NAK;
	case CH_INTERRUPT: return GDB_RX_INTERRUPT;
	default: return GDB_RX_NONE;
	}
}

static enum gdb_rx_event packet_end(struct gdb_rx *rx, bool sum_ok)
{
	rx->state = RX_IDLE;
	if (rx->overflow) {
		rx->len = 0;
		rx->payload[0] = '\0';
		return GDB_RX_TOO_LONG;
	}
	rx->payload[rx->len] = '\0';
	return sum_ok ? GDB_RX_PACKET : GDB_RX_BAD_CHECKSUM;
}

enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t c)
{
	switch (rx->state) {
	case RX_IDLE:
		return between_packets(rx, c);
	case RX_DATA:
		if (c == CH_END) {
			rx->state = RX_SUM_HIGH;
		} else if (c == CH_START) {
			/* A new start inside a packet: the peer gave up on the last one. */
			return between_packets(rx, c);
		} else {
			rx->sum = (uint8_t)(rx->sum + c);
			if (rx->len < GDB_PACKET_MAX)
				rx->payload[rx->len++] = (char)c;
			else
				rx->overflow = true;
		}
		return GDB_RX_NONE;
	case RX_SUM_HIGH:
		rx->sum_high = gdb_hex_digit((char)c);
		rx->state = RX_SUM_LOW;
		return GDB_RX_NONE;
	default: {
		int low = gdb_hex_digit((char)c);
		bool ok = rx->sum_high >= 0 && low >= 0 && (uint8_t)(rx->sum_high << 4 | low) == rx->sum;
		return packet_end(rx, ok);
	}
	}
}

size_t gdb_frame(const char *payload, size_t len, char *out, size_t outlen)
{
	if (len > GDB_PACKET_MAX || outlen < len + 4)
		return 0;
	uint8_t sum = 0;
	out[0] = CH_START;
	for (size_t i = 0; i < len; i++) {
		out[1 + i] = payload[i];
		sum = (uint8_t)(sum + (uint8_t)payload[i]);
	}
	static const char digits[] = "0123456789abcdef";
	out[1 + len] = CH_END;
	out[2 + len] = digits[sum >> 4];
	out[3 + len] = digits[sum & 0xf];
	return len + 4;
}

static bool needs_escape(uint8_t c)
{
	return c == CH_START || c == CH_END || c == CH_ESCAPE || c == CH_RLE;
}

size_t gdb_escape(const uint8_t *data, size_t len, char *out, size_t outlen, size_t *written)
{
	size_t w = 0, i = 0;
	for (; i < len; i++) {
		size_t need = needs_escape(data[i]) ? 2 : 1;
		if (w + need > outlen)
			break;
		if (need == 2) {
			out[w++] = CH_ESCAPE;
			out[w++] = (char)(data[i] ^ ESCAPE_XOR);
		} else {
			out[w++] = (char)data[i];
		}
	}
	*written = w;
	return i;
}

long gdb_unescape(char *data, size_t len)
{
	size_t w = 0;
	for (size_t i = 0; i < len; i++) {
		if (data[i] != CH_ESCAPE) {
			data[w++] = data[i];
			continue;
		}
		if (++i >= len)
			return -1;
		data[w++] = (char)(data[i] ^ ESCAPE_XOR);
	}
	return (long)w;
}

void gdb_hex_encode(const uint8_t *data, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = digits[data[i] >> 4];
		out[2 * i + 1] = digits[data[i] & 0xf];
	}
	out[2 * len] = '\0';
}

bool gdb_hex_decode(const char *hex, size_t len, uint8_t *out)
{
	for (size_t i = 0; i < len; i++) {
		int hi = gdb_hex_digit(hex[2 * i]), lo = hi < 0 ? -1 : gdb_hex_digit(hex[2 * i + 1]);
		if (lo < 0)
			return false;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

bool gdb_parse_hex_u64(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p;
	uint64_t v = 0;
	unsigned n = 0;
	for (; s < end && gdb_hex_digit(*s) >= 0; s++, n++) {
		if (n == 16)
			return false;
		v = v << 4 | (uint64_t)gdb_hex_digit(*s);
	}
	if (n == 0)
		return false;
	*p = s;
	*out = v;
	return true;
}
