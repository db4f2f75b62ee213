/* SPDX-License-Identifier: MIT */
#include "lib/printf.h"
#include "lib/console.h"

/* Where formatted characters go: the console or a bounded buffer. */
struct sink {
	void (*put)(struct sink *s, char c);
	char *buf;
	size_t size, len;
};

/* Output is gathered and written a chunk at a time: under our VMM one chunk is
 * one port-I/O exit instead of two exits per byte. */
static void put_console(struct sink *s, char c)
{
	s->buf[s->len++] = c;
	if (s->len == s->size) {
		console_write(s->buf, s->len);
		s->len = 0;
	}
}

static void put_buffer(struct sink *s, char c)
{
	if (s->len + 1 < s->size)
		s->buf[s->len] = c;
	s->len++;
}

struct spec {
	unsigned width;
	bool zero, left;
	int longs;   /* 0: int, 1: long, 2: long long */
};

static void emit_padded(struct sink *s, const char *digits, size_t n, const struct spec *sp, bool neg)
{
	size_t total = n + (neg ? 1 : 0);
	size_t pad = sp->width > total ? sp->width - total : 0;

	if (!sp->left && !sp->zero)
		for (; pad; pad--)
			s->put(s, ' ');
	if (neg)
		s->put(s, '-');
	if (!sp->left && sp->zero)
		for (; pad; pad--)
			s->put(s, '0');
	for (size_t i = 0; i < n; i++)
		s->put(s, digits[i]);
	for (; pad; pad--)
		s->put(s, ' ');
}

static void emit_number(struct sink *s, unsigned long long v, unsigned base, bool neg, const struct spec *sp)
{
	char tmp[24];
	size_t n = 0;
	char rev[24];

	do {
		unsigned d = (unsigned)(v % base);
		rev[n++] = (char)(d < 10 ? '0' + d : 'a' + d - 10);
		v /= base;
	} while (v);
	for (size_t i = 0; i < n; i++)
		tmp[i] = rev[n - 1 - i];
	emit_padded(s, tmp, n, sp, neg);
}

static unsigned long long fetch_unsigned(va_list *ap, int longs)
{
	if (longs == 2)
		return va_arg(*ap, unsigned long long);
	if (longs == 1)
		return va_arg(*ap, unsigned long);
	return va_arg(*ap, unsigned int);
}

static long long fetch_signed(va_list *ap, int longs)
{
	if (longs == 2)
		return va_arg(*ap, long long);
	if (longs == 1)
		return va_arg(*ap, long);
	return va_arg(*ap, int);
}

static const char *parse_spec(const char *f, struct spec *sp)
{
	*sp = (struct spec){ 0 };
	if (*f == '-') {
		sp->left = true;
		f++;
	}
	if (*f == '0') {
		sp->zero = true;
		f++;
	}
	while (*f >= '0' && *f <= '9')
		sp->width = sp->width * 10 + (unsigned)(*f++ - '0');
	while (*f == 'l') {
		sp->longs++;
		f++;
	}
	return f;
}

static void emit_string(struct sink *s, const char *str, const struct spec *sp)
{
	size_t n = 0;
	struct spec plain = *sp;

	if (!str)
		str = "(null)";
	while (str[n])
		n++;
	plain.zero = false;
	emit_padded(s, str, n, &plain, false);
}

static void format(struct sink *s, const char *f, va_list ap)
{
	va_list args;
	va_copy(args, ap);
	for (; *f; f++) {
		if (*f != '%') {
			s->put(s, *f);
			continue;
		}
		struct spec sp;
		f = parse_spec(f + 1, &sp);
		switch (*f) {
		case 'd': {
			long long v = fetch_signed(&args, sp.longs);
			emit_number(s, v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v, 10, v < 0, &sp);
			break;
		}
		case 'u':
			emit_number(s, fetch_unsigned(&args, sp.longs), 10, false, &sp);
			break;
		case 'x':
			emit_number(s, fetch_unsigned(&args, sp.longs), 16, false, &sp);
			break;
		case 'p':
			s->put(s, '0');
			s->put(s, 'x');
			emit_number(s, (uint64_t)va_arg(args, void *), 16, false, &sp);
			break;
		case 'c':
			s->put(s, (char)va_arg(args, int));
			break;
		case 's':
			emit_string(s, va_arg(args, const char *), &sp);
			break;
		case '%':
			s->put(s, '%');
			break;
		case '\0':
			va_end(args);
			return;
		default:
			/* Unknown conversion: show it rather than guess its argument. */
			s->put(s, '%');
			s->put(s, *f);
			break;
		}
	}
	va_end(args);
}

void kvprintf(const char *fmt, va_list ap)
{
	char chunk[256];
	struct sink s = { .put = put_console, .buf = chunk, .size = sizeof(chunk) };
	format(&s, fmt, ap);
	if (s.len)
		console_write(chunk, s.len);
}

void kprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	kvprintf(fmt, ap);
	va_end(ap);
}

int kvsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
	struct sink s = { .put = put_buffer, .buf = buf, .size = size };
	format(&s, fmt, ap);
	if (size)
		buf[s.len < size ? s.len : size - 1] = '\0';
	return (int)s.len;
}

int ksnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = kvsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}
