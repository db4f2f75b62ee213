/* SPDX-License-Identifier: MIT */
#include "gdb/proto.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define SIGNAL_INT  2
#define SIGNAL_TRAP 5
#define THREAD_ALL  (-1L)
#define THREAD_ANY  0L
/* The registers sent with a stop: what gdb needs to find the frame a step
 * ended in (RBP, RSP, RIP; gdbserver sends the same on x86-64).  gdb
 * supplies every expedited register to its cache at every stop, so each one
 * more costs every stepi; a register gdb needs beyond these it asks for. */
static const unsigned expedited[] = { GDB_REG_RBP, GDB_REG_RSP, GDB_REG_RIP };
/* The numbers of E replies (gdb shows them, nothing more): errno values in
 * hex, except memory that cannot be accessed, "E14" as QEMU's stub says it. */
#define E_PERM      0x01
#define E_FAULT     0x14
#define E_BUSY      0x10
#define E_INVAL     0x16
#define E_NOSPC     0x1c

/* ---- replies ------------------------------------------------------------------------------------ */

static void send_raw(struct gdb_conn *c, const char *bytes, size_t len)
{
	c->send(c->io, bytes, len);
}

static void send_packet(struct gdb_conn *c, const char *payload, size_t len)
{
	size_t n = gdb_frame(payload, len, c->last, sizeof(c->last));
	if (n == 0)
		n = gdb_frame("E01", 3, c->last, sizeof(c->last));
	c->last_len = n;
	send_raw(c, c->last, n);
}

static void reply(struct gdb_conn *c, const char *text)
{
	send_packet(c, text, strlen(text));
}

static void reply_error(struct gdb_conn *c, int err)
{
	char e[8];
	snprintf(e, sizeof(e), "E%02x", (unsigned)err & 0xff);
	reply(c, e);
}

/* -errno from the target as an E reply, with EFAULT for anything about memory. */
static void reply_errno(struct gdb_conn *c, long rc)
{
	int e = (int)-rc;
	reply_error(c, e == EPERM ? E_PERM : e == EINVAL ? E_INVAL : e == ENOSPC ? E_NOSPC : e == EBUSY ? E_BUSY
												    : E_FAULT);
}

void gdb_conn_console(struct gdb_conn *c, const char *text)
{
	/* 'O' then hex: each O packet carries as much as a packet holds. */
	size_t len = strlen(text), chunk = (GDB_PACKET_MAX - 1) / 2;
	for (size_t off = 0; off < len; off += chunk) {
		size_t n = len - off < chunk ? len - off : chunk;
		c->reply[0] = 'O';
		gdb_hex_encode((const uint8_t *)text + off, n, c->reply + 1);
		send_packet(c, c->reply, 1 + 2 * n);
	}
}

void gdb_conn_init(struct gdb_conn *c, const struct gdb_target_ops *ops, void *target,
		   void (*send)(void *io, const char *bytes, size_t len), void *io)
{
	memset(c, 0, sizeof(*c));
	c->ops = ops;
	c->target = target;
	c->send = send;
	c->io = io;
	c->c_cpu = -1;
	gdb_rx_init(&c->rx);
}

/* ---- parsing helpers -------------------------------------------------------------------------------- */

static bool parse_hex(const char **p, const char *end, uint64_t *v)
{
	return gdb_parse_hex_u64(p, end, v);
}

static bool expect(const char **p, const char *end, char ch)
{
	if (*p >= end || **p != ch)
		return false;
	(*p)++;
	return true;
}

/* A thread id: hex, -1 (all), 0 (any), or the multiprocess form p<pid>.<tid>. */
static bool parse_thread(const char **p, const char *end, long *tid)
{
	if (*p < end && **p == 'p') {
		uint64_t pid;
		(*p)++;
		if (!parse_hex(p, end, &pid) || !expect(p, end, '.'))
			return false;
	}
	if (end - *p >= 2 && (*p)[0] == '-' && (*p)[1] == '1') {
		*p += 2;
		*tid = THREAD_ALL;
		return true;
	}
	uint64_t v;
	if (!parse_hex(p, end, &v) || v > GDB_MAX_CPUS)
		return false;
	*tid = (long)v;
	return true;
}

static bool cpu_of_thread(const struct gdb_conn *c, long tid, unsigned *cpu)
{
	if (tid <= 0 || (unsigned long)tid > c->ops->cpus(c->target))
		return false;
	*cpu = (unsigned)(tid - 1);
	return true;
}

/* "ADDR,LEN" and what follows. */
static bool parse_range(const char **p, const char *end, uint64_t *addr, uint64_t *len)
{
	return parse_hex(p, end, addr) && expect(p, end, ',') && parse_hex(p, end, len);
}

/* ---- stop replies ------------------------------------------------------------------------------------ */

static size_t expedite(struct gdb_conn *c, unsigned cpu, char *out, size_t room)
{
	uint8_t *regs = c->scratch;
	if (c->ops->read_registers(c->target, cpu, regs, false) < 0)
		return 0;
	size_t n = 0;
	for (size_t i = 0; i < sizeof(expedited) / sizeof(expedited[0]); i++) {
		unsigned r = expedited[i];
		struct gdb_reg_desc d;
		gdb_reg(r, &d);
		if (n + 3 + 2 * d.bytes + 2 > room)
			break;
		n += (size_t)snprintf(out + n, room - n, "%02x:", r);
		gdb_hex_encode(regs + d.offset, d.bytes, out + n);
		n += 2 * d.bytes;
		out[n++] = ';';
	}
	out[n] = '\0';
	return n;
}

/* "name:value" that a stop reply can carry as it is: printable, one ':' at
 * least, nothing that frames or escapes (;#$}*). */
static bool plain_reason(const char *r)
{
	if (!strchr(r, ':'))
		return false;
	for (; *r; r++)
		if ((unsigned char)*r < 0x21 || (unsigned char)*r > 0x7e || strchr(";#$}*", *r))
			return false;
	return true;
}

static const char *reason_of(const struct gdb_conn *c, const struct gdb_stop *s, char *buf, size_t len)
{
	switch (s->why) {
	case GDB_WHY_SWBREAK:
		return c->swbreak ? "swbreak:;" : "";
	case GDB_WHY_EVENT:
		if (!plain_reason(s->reason))
			return "";
		snprintf(buf, len, "%s;", s->reason);
		return buf;
	case GDB_WHY_HWBREAK:
		return c->hwbreak ? "hwbreak:;" : "";
	case GDB_WHY_WATCH:
	case GDB_WHY_AWATCH:
		snprintf(buf, len, "%s:%llx;", s->why == GDB_WHY_WATCH ? "watch" : "awatch", (unsigned long long)s->addr);
		return buf;
	default:
		return "";
	}
}

static void send_stop_reply(struct gdb_conn *c, const struct gdb_stop *s)
{
	if (s->why == GDB_WHY_EXITED) {
		char w[8];
		snprintf(w, sizeof(w), "W%02x", (unsigned)s->code & 0xff);
		reply(c, w);
		return;
	}
	char reason[sizeof(s->reason) + 2];
	int sig = s->why == GDB_WHY_INTERRUPT ? SIGNAL_INT : SIGNAL_TRAP;
	int n = snprintf(c->reply, sizeof(c->reply), "T%02xthread:%x;%s", sig, s->cpu + 1,
			 reason_of(c, s, reason, sizeof(reason)));
	size_t len = (size_t)n;
	len += expedite(c, s->cpu, c->reply + len, sizeof(c->reply) - len);
	send_packet(c, c->reply, len);
}

void gdb_conn_stopped(struct gdb_conn *c, const struct gdb_stop *stop)
{
	if (!c->running)
		return; /* the next '?' asks */
	c->running = false;
	if (stop->message[0])
		gdb_conn_console(c, stop->message);
	if (stop->why != GDB_WHY_EXITED)
		c->g_cpu = stop->cpu;
	send_stop_reply(c, stop);
}

/* ---- registers ------------------------------------------------------------------------------------ */

static void read_all_registers(struct gdb_conn *c)
{
	int rc = c->ops->read_registers(c->target, c->g_cpu, c->scratch, true);
	if (rc < 0) {
		reply_errno(c, rc);
		return;
	}
	size_t n = gdb_regs_size();
	gdb_hex_encode(c->scratch, n, c->reply);
	send_packet(c, c->reply, 2 * n);
}

static void read_one_register(struct gdb_conn *c, const char *p, const char *end)
{
	uint64_t regno;
	struct gdb_reg_desc d;
	if (!parse_hex(&p, end, &regno) || p != end || !gdb_reg((unsigned)regno, &d) || regno >= GDB_NREGS) {
		reply_error(c, E_INVAL);
		return;
	}
	int rc = c->ops->read_registers(c->target, c->g_cpu, c->scratch, true);
	if (rc < 0) {
		reply_errno(c, rc);
		return;
	}
	gdb_hex_encode(c->scratch + d.offset, d.bytes, c->reply);
	send_packet(c, c->reply, 2 * d.bytes);
}

static void write_one_register(struct gdb_conn *c, const char *p, const char *end)
{
	uint64_t regno;
	struct gdb_reg_desc d;
	uint8_t val[16];
	if (!parse_hex(&p, end, &regno) || regno >= GDB_NREGS || !gdb_reg((unsigned)regno, &d) ||
	    !expect(&p, end, '=') || (size_t)(end - p) != 2 * d.bytes || !gdb_hex_decode(p, d.bytes, val)) {
		reply_error(c, E_INVAL);
		return;
	}
	int rc = c->ops->write_register(c->target, c->g_cpu, (unsigned)regno, val);
	if (rc < 0)
		reply_errno(c, rc);
	else
		reply(c, "OK");
}

/* G: every register gdb sends; only those that differ are written, so a
 * selector gdb merely echoes back is no attempt to load it. */
static void write_all_registers(struct gdb_conn *c, const char *p, const char *end)
{
	size_t n = gdb_regs_size();
	uint8_t *now = c->scratch, *want = c->scratch + n;
	if ((size_t)(end - p) != 2 * n || !gdb_hex_decode(p, n, want)) {
		reply_error(c, E_INVAL);
		return;
	}
	int rc = c->ops->read_registers(c->target, c->g_cpu, now, true);
	for (unsigned r = 0; r < GDB_NREGS && rc >= 0; r++) {
		struct gdb_reg_desc d;
		gdb_reg(r, &d);
		if (memcmp(now + d.offset, want + d.offset, d.bytes) != 0)
			rc = c->ops->write_register(c->target, c->g_cpu, r, want + d.offset);
	}
	if (rc < 0)
		reply_errno(c, rc);
	else
		reply(c, "OK");
}

_Static_assert(sizeof(((struct gdb_conn *)0)->scratch) >= 2 * 700, "scratch holds two register sets");

/* ---- memory ---------------------------------------------------------------------------------------- */

static void read_memory(struct gdb_conn *c, const char *p, const char *end)
{
	uint64_t addr, len;
	if (!parse_range(&p, end, &addr, &len) || p != end) {
		reply_error(c, E_INVAL);
		return;
	}
	/* A reply may hold fewer bytes than asked for: gdb asks again for the rest. */
	if (len > GDB_PACKET_MAX / 2)
		len = GDB_PACKET_MAX / 2;
	if (len == 0) {
		reply(c, "");
		return;
	}
	long got = c->ops->read_memory(c->target, c->g_cpu, addr, c->scratch, (size_t)len);
	if (got <= 0) {
		reply_error(c, E_FAULT);
		return;
	}
	gdb_hex_encode(c->scratch, (size_t)got, c->reply);
	send_packet(c, c->reply, 2 * (size_t)got);
}

static void finish_write(struct gdb_conn *c, uint64_t addr, const uint8_t *data, uint64_t len)
{
	long done = len ? c->ops->write_memory(c->target, c->g_cpu, addr, data, (size_t)len) : 0;
	if (done < 0 || (uint64_t)done != len)
		reply_error(c, E_FAULT);
	else
		reply(c, "OK");
}

static void write_memory_hex(struct gdb_conn *c, const char *p, const char *end)
{
	uint64_t addr, len;
	if (!parse_range(&p, end, &addr, &len) || !expect(&p, end, ':') || len > GDB_PACKET_MAX / 2 ||
	    (uint64_t)(end - p) != 2 * len || !gdb_hex_decode(p, (size_t)len, c->scratch)) {
		reply_error(c, E_INVAL);
		return;
	}
	finish_write(c, addr, c->scratch, len);
}

static void write_memory_binary(struct gdb_conn *c, char *p, char *end)
{
	uint64_t addr, len;
	const char *q = p;
	if (!parse_range(&q, end, &addr, &len) || !expect(&q, end, ':')) {
		reply_error(c, E_INVAL);
		return;
	}
	char *data = p + (q - p);
	long n = gdb_unescape(data, (size_t)(end - data));
	if (n < 0 || (uint64_t)n != len) {
		reply_error(c, E_INVAL);
		return;
	}
	finish_write(c, addr, (const uint8_t *)data, len);
}

/* ---- breakpoints ------------------------------------------------------------------------------------- */

static void breakpoint(struct gdb_conn *c, bool insert, const char *p, const char *end)
{
	uint64_t type, addr, kind;
	if (!parse_hex(&p, end, &type) || !expect(&p, end, ',') || !parse_range(&p, end, &addr, &kind)) {
		reply_error(c, E_INVAL);
		return;
	}
	/* Conditions and commands (";X...") are evaluated by gdb itself here. */
	if (p != end && *p != ';') {
		reply_error(c, E_INVAL);
		return;
	}
	if (type > GDB_WP_ACCESS) {
		reply(c, "");
		return;
	}
	int rc = c->ops->breakpoint(c->target, insert, (enum gdb_bp_type)type, addr, kind);
	if (rc == -EOPNOTSUPP)
		reply(c, "");
	else if (rc < 0)
		reply_errno(c, rc);
	else
		reply(c, "OK");
}

/* ---- resuming --------------------------------------------------------------------------------------- */

static void resume(struct gdb_conn *c, const enum gdb_action *actions)
{
	unsigned n = c->ops->cpus(c->target);
	bool any = false;
	for (unsigned i = 0; i < n; i++)
		any |= actions[i] != GDB_ACT_STOP;
	if (!any) {
		reply_error(c, E_INVAL);
		return;
	}
	c->running = true;
	c->ops->resume(c->target, actions);
}

/* c/s [ADDR], C/S SIG[;ADDR]: the Hc thread (all for c when Hc is -1). */
static void legacy_resume(struct gdb_conn *c, char op, const char *p, const char *end)
{
	uint64_t sig = 0, addr = 0;
	bool with_sig = op == 'C' || op == 'S', step = op == 's' || op == 'S';
	if (with_sig && (!parse_hex(&p, end, &sig) || (p != end && !expect(&p, end, ';')))) {
		reply_error(c, E_INVAL);
		return;
	}
	bool at = p != end;
	if (at && (!parse_hex(&p, end, &addr) || p != end)) {
		reply_error(c, E_INVAL);
		return;
	}
	unsigned cpu = c->c_cpu < 0 ? c->g_cpu : (unsigned)c->c_cpu;
	if (at) {
		uint8_t le[8];
		for (int i = 0; i < 8; i++)
			le[i] = (uint8_t)(addr >> (8 * i));
		int rc = c->ops->write_register(c->target, cpu, GDB_REG_RIP, le);
		if (rc < 0) {
			reply_errno(c, rc);
			return;
		}
	}
	enum gdb_action actions[GDB_MAX_CPUS] = { GDB_ACT_STOP };
	unsigned n = c->ops->cpus(c->target);
	for (unsigned i = 0; i < n && i < GDB_MAX_CPUS; i++)
		actions[i] = step ? (i == cpu ? GDB_ACT_STEP : GDB_ACT_STOP)
				  : (c->c_cpu < 0 || i == cpu ? GDB_ACT_CONTINUE : GDB_ACT_STOP);
	resume(c, actions);
}

static bool vcont_action(const char **p, const char *end, enum gdb_action *act)
{
	uint64_t sig;
	char op = *(*p)++;
	switch (op) {
	case 'c': *act = GDB_ACT_CONTINUE; return true;
	case 's': *act = GDB_ACT_STEP; return true;
	case 't': *act = GDB_ACT_STOP; return true;
	/* Signals are not ours to deliver: C and S resume as c and s. */
	case 'C': *act = GDB_ACT_CONTINUE; return parse_hex(p, end, &sig);
	case 'S': *act = GDB_ACT_STEP; return parse_hex(p, end, &sig);
	default: return false;
	}
}

/* vCont;ACTION[:TID]...: each vCPU takes the first action that names it. */
static void vcont(struct gdb_conn *c, const char *p, const char *end)
{
	enum gdb_action actions[GDB_MAX_CPUS] = { GDB_ACT_STOP };
	bool set[GDB_MAX_CPUS] = { false };
	unsigned n = c->ops->cpus(c->target);
	while (p < end) {
		enum gdb_action act;
		long tid = THREAD_ALL;
		if (!expect(&p, end, ';') || p >= end || !vcont_action(&p, end, &act) ||
		    (p < end && *p == ':' && (++p, !parse_thread(&p, end, &tid)))) {
			reply_error(c, E_INVAL);
			return;
		}
		for (unsigned i = 0; i < n && i < GDB_MAX_CPUS; i++) {
			if (set[i] || (tid != THREAD_ALL && tid != THREAD_ANY && tid != (long)i + 1))
				continue;
			actions[i] = act;
			set[i] = true;
		}
	}
	resume(c, actions);
}

/* ---- queries ---------------------------------------------------------------------------------------- */

static bool starts(const char *p, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);
	return (size_t)(end - p) >= n && memcmp(p, prefix, n) == 0;
}

static void supported(struct gdb_conn *c, const char *p, const char *end)
{
	/* The peer's features: ";name+" or ";name-" or ";name=value". */
	c->swbreak = c->hwbreak = false;
	while (p < end) {
		const char *item = p;
		const char *stop = memchr(p, ';', (size_t)(end - p));
		p = stop ? stop + 1 : end;
		size_t len = (size_t)((stop ? stop : end) - item);
		if (len == 8 && memcmp(item, "swbreak+", 8) == 0)
			c->swbreak = true;
		if (len == 8 && memcmp(item, "hwbreak+", 8) == 0)
			c->hwbreak = true;
	}
	snprintf(c->reply, sizeof(c->reply),
		 "PacketSize=%x;qXfer:features:read+;QStartNoAckMode+;swbreak+;hwbreak+;vContSupported+",
		 GDB_PACKET_MAX);
	reply(c, c->reply);
}

static void features_read(struct gdb_conn *c, const char *p, const char *end)
{
	static const char annex[] = "target.xml:";
	uint64_t off, len;
	if (!starts(p, end, annex)) {
		reply_error(c, 0);
		return;
	}
	p += sizeof(annex) - 1;
	if (!parse_range(&p, end, &off, &len) || p != end) {
		reply_error(c, E_INVAL);
		return;
	}
	size_t size;
	const char *xml = gdb_target_xml(&size);
	if (off >= size) {
		reply(c, "l");
		return;
	}
	size_t room = sizeof(c->reply) - 2, want = len < room ? (size_t)len : room, written;
	size_t avail = size - (size_t)off < want ? size - (size_t)off : want;
	size_t taken = gdb_escape((const uint8_t *)xml + off, avail, c->reply + 1, want, &written);
	c->reply[0] = off + taken >= size ? 'l' : 'm';
	send_packet(c, c->reply, 1 + written);
}

static void thread_extra(struct gdb_conn *c, const char *p, const char *end)
{
	long tid;
	unsigned cpu;
	if (!parse_thread(&p, end, &tid) || p != end || !cpu_of_thread(c, tid, &cpu)) {
		reply_error(c, E_INVAL);
		return;
	}
	char text[128] = "";
	c->ops->describe_cpu(c->target, cpu, text, sizeof(text));
	gdb_hex_encode((const uint8_t *)text, strlen(text), c->reply);
	reply(c, c->reply);
}

static void thread_list(struct gdb_conn *c)
{
	unsigned n = c->ops->cpus(c->target);
	size_t len = 0;
	c->reply[len++] = 'm';
	for (unsigned i = 0; i < n && i < GDB_MAX_CPUS; i++)
		len += (size_t)snprintf(c->reply + len, sizeof(c->reply) - len, "%s%x", i ? "," : "", i + 1);
	send_packet(c, c->reply, len);
}

static void monitor(struct gdb_conn *c, const char *p, const char *end)
{
	char cmd[256];
	size_t hex = (size_t)(end - p), len = hex / 2;
	if (hex % 2 != 0 || len >= sizeof(cmd) || !gdb_hex_decode(p, len, (uint8_t *)cmd)) {
		reply_error(c, E_INVAL);
		return;
	}
	cmd[len] = '\0';
	for (size_t i = 0; i < len; i++) {
		if ((unsigned char)cmd[i] < 0x20 || (unsigned char)cmd[i] > 0x7e) {
			reply_error(c, E_INVAL);
			return;
		}
	}
	if (!c->ops->monitor(c->target, c->g_cpu, cmd, c))
		gdb_conn_console(c, "unknown monitor command (monitor help lists them)\n");
	reply(c, "OK");
}

static void query(struct gdb_conn *c, const char *p, const char *end)
{
	char buf[32];
	if (starts(p, end, "qSupported"))
		supported(c, p + 10 + (p + 10 < end && p[10] == ':'), end);
	else if (starts(p, end, "qXfer:features:read:"))
		features_read(c, p + 20, end);
	else if (starts(p, end, "qfThreadInfo"))
		thread_list(c);
	else if (starts(p, end, "qsThreadInfo"))
		reply(c, "l");
	else if (end - p == 2 && starts(p, end, "qC")) {
		snprintf(buf, sizeof(buf), "QC%x", c->g_cpu + 1);
		reply(c, buf);
	} else if (starts(p, end, "qAttached"))
		reply(c, "1"); /* an existing run: gdb detaches from it on quit rather than killing it */
	else if (starts(p, end, "qThreadExtraInfo,"))
		thread_extra(c, p + 17, end);
	else if (starts(p, end, "qRcmd,"))
		monitor(c, p + 6, end);
	else if (starts(p, end, "qSymbol"))
		reply(c, "OK");
	else
		reply(c, "");
}

static void set_thread(struct gdb_conn *c, const char *p, const char *end)
{
	long tid;
	char which = p < end ? *p++ : 0;
	if ((which != 'g' && which != 'c') || !parse_thread(&p, end, &tid) || p != end) {
		reply_error(c, E_INVAL);
		return;
	}
	unsigned cpu;
	if (tid == THREAD_ANY || (tid == THREAD_ALL && which == 'c')) {
		if (which == 'c')
			c->c_cpu = -1;
	} else if (cpu_of_thread(c, tid, &cpu)) {
		if (which == 'g')
			c->g_cpu = cpu;
		else
			c->c_cpu = (int)cpu;
	} else {
		reply_error(c, E_INVAL);
		return;
	}
	reply(c, "OK");
}

static void thread_alive(struct gdb_conn *c, const char *p, const char *end)
{
	long tid;
	unsigned cpu;
	if (parse_thread(&p, end, &tid) && p == end && cpu_of_thread(c, tid, &cpu))
		reply(c, "OK");
	else
		reply_error(c, E_INVAL);
}

static void v_packet(struct gdb_conn *c, const char *p, const char *end)
{
	if (end - p == 6 && starts(p, end, "vCont?"))
		reply(c, "vCont;c;C;s;S;t");
	else if (starts(p, end, "vCont;"))
		vcont(c, p + 5, end);
	else if (starts(p, end, "vKill")) {
		reply(c, "OK");
		c->ended = true;
		c->ops->kill(c->target);
	} else
		reply(c, "");
}

static void stop_state(struct gdb_conn *c)
{
	struct gdb_stop s;
	memset(&s, 0, sizeof(s));
	c->ops->stop_state(c->target, &s);
	if (s.why != GDB_WHY_EXITED)
		c->g_cpu = s.cpu;
	send_stop_reply(c, &s);
}

/* ---- dispatch --------------------------------------------------------------------------------------- */

static void dispatch(struct gdb_conn *c, char *p, size_t len)
{
	char *end = p + len;
	if (len == 0) {
		reply(c, "");
		return;
	}
	/* All-stop: nothing of the target can be touched while it runs. */
	if (c->running) {
		reply_error(c, E_BUSY);
		return;
	}
	char op = *p++;
	switch (op) {
	case '?': stop_state(c); break;
	case 'g': read_all_registers(c); break;
	case 'G': write_all_registers(c, p, end); break;
	case 'p': read_one_register(c, p, end); break;
	case 'P': write_one_register(c, p, end); break;
	case 'm': read_memory(c, p, end); break;
	case 'M': write_memory_hex(c, p, end); break;
	case 'X': write_memory_binary(c, p, end); break;
	case 'c': case 'C': case 's': case 'S': legacy_resume(c, op, p, end); break;
	case 'v': v_packet(c, p - 1, end); break;
	case 'H': set_thread(c, p, end); break;
	case 'T': thread_alive(c, p, end); break;
	case 'q': query(c, p - 1, end); break;
	case 'Q':
		if (starts(p - 1, end, "QStartNoAckMode") && end - p == 14) {
			reply(c, "OK");
			c->no_ack = true;
		} else {
			reply(c, "");
		}
		break;
	case 'Z': breakpoint(c, true, p, end); break;
	case 'z': breakpoint(c, false, p, end); break;
	case 'D':
		reply(c, "OK");
		c->ended = true;
		c->ops->detach(c->target);
		break;
	case 'k':
		c->ended = true;
		c->ops->kill(c->target);
		break;
	default: reply(c, ""); break;
	}
}

void gdb_conn_input(struct gdb_conn *c, const uint8_t *bytes, size_t n)
{
	for (size_t i = 0; i < n && !c->ended; i++) {
		switch (gdb_rx_byte(&c->rx, bytes[i])) {
		case GDB_RX_PACKET:
			if (!c->no_ack)
				send_raw(c, "+", 1);
			dispatch(c, c->rx.payload, c->rx.len);
			break;
		case GDB_RX_BAD_CHECKSUM:
			/* Without acknowledgements a damaged packet is dropped: never acted on. */
			if (!c->no_ack)
				send_raw(c, "-", 1);
			break;
		case GDB_RX_TOO_LONG:
			if (!c->no_ack)
				send_raw(c, "+", 1);
			reply_error(c, E_INVAL);
			break;
		case GDB_RX_NAK:
			if (c->last_len && !c->no_ack)
				send_raw(c, c->last, c->last_len);
			break;
		case GDB_RX_INTERRUPT:
			if (c->running)
				c->ops->interrupt(c->target);
			break;
		default:
			break;
		}
	}
}
