/* SPDX-License-Identifier: MIT */
/*
 * `entrybox run --gdb` driven by Debian's real gdb in batch mode: a break at
 * the syscall entry, registers and the pt_regs on the kernel stack, steps
 * through the CR3 switch, a watchpoint on the per-CPU user-RSP slot, and the
 * VM stopped at a deliberate violation with the rule's name; stepping across
 * SYSRET and SYSCALL; hardware breakpoints up to the slots the VMM leaves,
 * the one past them refused; stops at an injection, a panic and a triple fault;
 * and a hostile peer speaking raw protocol bytes.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "check_run.h"
#include "e2e_util.h"
#include "gdb_session.h"

#define USER_TOP     0x0000800000000000ull
#define CR3_USER_BIT 0x1000ull
#define KERNEL_CS    0x10
#define USER_CS      0x33
#define USER_SS      0x2b

/* Check's messages are bounded: the whole output goes to stderr, the message names what is missing. */
static void show(const struct gdb_session *s)
{
	fprintf(stderr, "---- gdb's output ----\n%s\n---- entrybox's stderr ----\n%s\n", s->gdb_out,
		s->stderr_text);
}

static uint64_t value(const struct gdb_session *s, const char *key)
{
	uint64_t v = 0;
	if (!gdb_session_value(s, key, 0, &v))
		show(s);
	ck_assert_msg(gdb_session_value(s, key, 0, &v), "%s= not in gdb's output (above)", key);
	return v;
}

static void assert_output(const struct gdb_session *s, const char *text)
{
	if (!strstr(s->gdb_out, text))
		show(s);
	ck_assert_msg(strstr(s->gdb_out, text) != NULL, "'%s' not in gdb's output (above)", text);
}

/* ---- the session of the issue ------------------------------------------------------------------------ */

static const char kpti_script[] =
	"set pagination off\n"
	"target remote 127.0.0.1:PORT\n"
	"break entry_SYSCALL_64_skip_user_cr3\n"
	"continue\n"
	"printf \"ENTRY_PC=%lx\\n\", $pc\n"
	"printf \"ENTRY_SYM=%lx\\n\", (long)&entry_SYSCALL_64_skip_user_cr3\n"
	"printf \"ENTRY_CS=%lx\\n\", $cs\n"
	"printf \"ENTRY_RCX=%lx\\n\", $rcx\n"
	"printf \"ENTRY_RSP=%lx\\n\", $rsp\n"
	"printf \"ENTRY_CR3=%lx\\n\", $cr3\n"
	"printf \"ENTRY_KGS=%lx\\n\", $k_gs_base\n"
	"stepi\n"
	"printf \"SWAPGS_GS=%lx\\n\", $gs_base\n"
	"watch -l *(long *)($gs_base + 8)\n"
	"continue\n"
	"printf \"WATCH_PC=%lx\\n\", $pc\n"
	"printf \"WATCH_VALUE=%lx\\n\", *(long *)($gs_base + 8)\n"
	"delete 2\n"
	"set $old = $cr3\n"
	"set $n = 0\n"
	"while $cr3 == $old && $n < 20\n"
	"  stepi\n"
	"  set $n = $n + 1\n"
	"end\n"
	"printf \"CR3_BEFORE=%lx\\n\", $old\n"
	"printf \"CR3_AFTER=%lx\\n\", $cr3\n"
	"printf \"CR3_STEPS=%x\\n\", $n\n"
	"break kpti_syscall_c\n"
	"continue\n"
	"printf \"PTREGS_RIP=%lx\\n\", regs->rip\n"
	"printf \"PTREGS_RSP=%lx\\n\", regs->rsp\n"
	"printf \"PTREGS_CS=%lx\\n\", regs->cs\n"
	"printf \"PTREGS_SS=%lx\\n\", regs->ss\n"
	"x/21gx regs\n"
	"monitor stack\n"
	"delete\n"
	"continue\n"
	"printf \"STOP_PC=%lx\\n\", $pc\n"
	"monitor rules\n"
	"monitor layout\n"
	"monitor explain\n"
	"info threads\n";

START_TEST(gdb_follows_a_syscall_to_the_violation)
{
	const char *args[] = { "--scenario", "syscall-loop", "--iters", "20", "bug=skip-user-cr3", NULL };
	struct gdb_session s;
	gdb_session_start(&s, args, true);
	ck_assert_int_gt(s.port, 0);
	gdb_session_gdb(&s, kpti_script);
	gdb_session_finish(&s);
	/* At the entry: the post-SYSCALL state, user CR3 and GS. */
	uint64_t entry = value(&s, "ENTRY_SYM");
	ck_assert_uint_eq(value(&s, "ENTRY_PC"), entry);
	ck_assert_uint_eq(value(&s, "ENTRY_CS"), KERNEL_CS);
	uint64_t rcx = value(&s, "ENTRY_RCX"), rsp = value(&s, "ENTRY_RSP");
	ck_assert_uint_lt(rcx, USER_TOP);
	ck_assert_uint_lt(rsp, USER_TOP);
	uint64_t cr3 = value(&s, "ENTRY_CR3");
	ck_assert_msg(cr3 & CR3_USER_BIT, "CR3 0x%lx is not a user half", (unsigned long)cr3);
	/* swapgs: GS now holds what KERNEL_GS_BASE held. */
	ck_assert_uint_eq(value(&s, "SWAPGS_GS"), value(&s, "ENTRY_KGS"));
	/* The watchpoint on the user-RSP slot fired on the store of the user RSP. */
	assert_output(&s, "Hardware watchpoint 2: -location *(long *)($gs_base + 8)");
	ck_assert_uint_eq(value(&s, "WATCH_VALUE"), rsp);
	uint64_t watch_pc = value(&s, "WATCH_PC");
	ck_assert(watch_pc > entry && watch_pc < entry + 32);
	/* Stepped through the CR3 switch: the kernel half of the pair. */
	ck_assert_uint_eq(value(&s, "CR3_BEFORE"), cr3);
	ck_assert_uint_eq(value(&s, "CR3_AFTER"), cr3 & ~CR3_USER_BIT);
	ck_assert_uint_lt(value(&s, "CR3_STEPS"), 20);
	/* pt_regs on the kernel stack hold what the SYSCALL left. */
	ck_assert_uint_eq(value(&s, "PTREGS_RIP"), rcx);
	ck_assert_uint_eq(value(&s, "PTREGS_RSP"), rsp);
	ck_assert_uint_eq(value(&s, "PTREGS_CS"), USER_CS);
	ck_assert_uint_eq(value(&s, "PTREGS_SS"), USER_SS);
	assert_output(&s, "is on stack kstack-task");
	/* The violation stops the VM at its instruction, with the rule's name. */
	assert_output(&s, "stopped: rule cr3-user-mode violated at entry_SYSCALL_64_skip_user_cr3+0x0");
	assert_output(&s, "Program received signal SIGTRAP");
	ck_assert_uint_eq(value(&s, "STOP_PC"), entry);
	assert_output(&s, "VIOLATION cr3-user-mode at entry_SYSCALL_64_skip_user_cr3+0x0");
	assert_output(&s, "model kpti, pti on");
	assert_output(&s, "Thread 1 (vCPU 0, ring 0, entry_SYSCALL_64_skip_user_cr3+0x0)");
	/* gdb detached; the run went on to its end and reports the violation. */
	ck_assert_int_eq(s.status, 1);
	ck_assert_str_eq(e2e_str(s.json, "end"), "guest-exit");
	ck_assert(e2e_has_violation(s.json, "cr3-user-mode"));
	gdb_session_free(&s);
}
END_TEST

/* ---- stepping across the privilege changes ---------------------------------------------------------------- */

static const char step_script[] =
	"set pagination off\n"
	"target remote 127.0.0.1:PORT\n"
	"break entry_SYSCALL_64_sysretq\n"
	"continue\n"
	"printf \"RET_RCX=%lx\\n\", $rcx\n"
	"delete\n"
	"stepi\n"
	"printf \"USER_PC=%lx\\n\", $pc\n"
	"printf \"USER_CS=%lx\\n\", $cs\n"
	"printf \"USER_SS=%lx\\n\", $ss\n"
	"stepi\n"
	"printf \"STEP1_PC=%lx\\n\", $pc\n"
	"printf \"STEP1_CS=%lx\\n\", $cs\n"
	"set $n = 0\n"
	"while $cs == 0x33 && *(unsigned short *)$pc != 0x050f && $n < 100\n"
	"  stepi\n"
	"  set $n = $n + 1\n"
	"end\n"
	"printf \"AT_SYSCALL=%lx\\n\", $pc\n"
	"printf \"AT_SYSCALL_CS=%lx\\n\", $cs\n"
	"stepi\n"
	"printf \"AFTER_PC=%lx\\n\", $pc\n"
	"printf \"AFTER_CS=%lx\\n\", $cs\n"
	"printf \"AFTER_RCX=%lx\\n\", $rcx\n"
	"printf \"ENTRY=%lx\\n\", (long)&entry_SYSCALL_64\n";

START_TEST(stepi_crosses_sysret_and_syscall_as_the_cpu_does)
{
	const char *args[] = { "--scenario", "syscall-loop", "--iters", "20", NULL };
	struct gdb_session s;
	gdb_session_start(&s, args, true);
	gdb_session_gdb(&s, step_script);
	gdb_session_finish(&s);
	ck_assert_int_eq(s.status, 0);
	/* SYSRET: the next instruction is the user's, at RCX, in ring 3. */
	ck_assert_uint_eq(value(&s, "USER_PC"), value(&s, "RET_RCX"));
	ck_assert_uint_eq(value(&s, "USER_CS"), USER_CS);
	ck_assert_uint_eq(value(&s, "USER_SS"), USER_SS);
	/* Ring 3 steps one instruction at a time (on kvm_pvm the VMM takes back
	 * the #DB the step became) up to the SYSCALL; a stepi over it lands on
	 * the entry's first instruction, CPL 0, RCX the address after it. */
	ck_assert_uint_eq(value(&s, "STEP1_CS"), USER_CS);
	ck_assert_uint_gt(value(&s, "STEP1_PC"), value(&s, "USER_PC"));
	uint64_t at = value(&s, "AT_SYSCALL");
	ck_assert_uint_eq(value(&s, "AT_SYSCALL_CS"), USER_CS);
	ck_assert_uint_eq(value(&s, "AFTER_PC"), value(&s, "ENTRY"));
	ck_assert_uint_eq(value(&s, "AFTER_CS"), KERNEL_CS);
	ck_assert_uint_eq(value(&s, "AFTER_RCX"), at + 2);
	/* The guest never saw a #DB it did not cause. */
	ck_assert_str_eq(e2e_str(s.json, "outcome"), "pass");
	gdb_session_free(&s);
}
END_TEST

/* ---- sharing the debug registers --------------------------------------------------------------------- */

/* Hardware breakpoints up to gdb's budget (the slots the VMM's own checks
 * leave), each tried with a continue; the one past it refused, the ones
 * accepted still stopping the VM.  Python, so that the refusal does not end
 * the script. */
static const char slots_script[] =
	"set pagination off\n"
	"target remote 127.0.0.1:PORT\n"
	"python\n"
	"target = int(gdb.parse_and_eval('(long)&kpti_syscall_c')) & 0xffffffffffffffff\n"
	"def stops_at_target():\n"
	"    try:\n"
	"        gdb.execute('continue')\n"
	"    except gdb.error:\n"
	"        return False\n"
	"    return int(gdb.parse_and_eval('$pc')) & 0xffffffffffffffff == target\n"
	"gdb.execute('hbreak kpti_syscall_c')\n"
	"gdb.execute('continue')\n"
	"placed = 1\n"
	"extra = []\n"
	"for where in ('asm_exc_bounds', 'asm_exc_coproc_overrun', 'asm_exc_alignment_check'):\n"
	"    gdb.execute('hbreak ' + where)\n"
	"    extra.append(gdb.breakpoints()[-1])\n"
	"    if not stops_at_target():\n"
	"        break\n"
	"    placed += 1\n"
	"print('HB_PLACED=%x' % placed)\n"
	"extra[-1].delete()\n"
	"print('AFTER_REFUSAL=%x' % stops_at_target())\n"
	"for b in gdb.breakpoints():\n"
	"    b.delete()\n"
	"end\n"
	"continue\n";

START_TEST(hardware_breakpoints_beyond_the_free_slots_are_refused)
{
	const char *args[] = { "--scenario", "syscall-loop", "--iters", "20", NULL };
	struct gdb_session s;
	gdb_session_start(&s, args, true);
	gdb_session_gdb(&s, slots_script);
	gdb_session_finish(&s);
	if (s.status != 0)
		show(&s);
	ck_assert_int_eq(s.status, 0);
	ck_assert_str_eq(e2e_str(s.json, "outcome"), "pass");
	/* The syscall boundary keeps two slots, kvm_pvm one more for the steps it does not report. */
	bool pvm = strcmp(e2e_str(s.json, "backend"), "pvm") == 0;
	ck_assert_uint_eq(value(&s, "HB_PLACED"), pvm ? 1 : 2);
	assert_output(&s, "You may have requested too many hardware breakpoints/watchpoints.");
	/* The ones accepted still stop the VM once the refused one is gone. */
	ck_assert_uint_eq(value(&s, "AFTER_REFUSAL"), 1);
	/* The fault watch gave its slots to gdb, and the result says what it then did not judge. */
	json_object *fw = NULL;
	ck_assert(json_object_object_get_ex(s.json, "fault_watch", &fw) && fw);
	if (!e2e_str(fw, "unwatched")[0])
		show(&s);
	ck_assert_msg(e2e_str(fw, "unwatched")[0] != '\0', "watched: %s", e2e_str(fw, "watched"));
	gdb_session_free(&s);
}
END_TEST

/* ---- stops the VMM makes ------------------------------------------------------------------------------------ */

static const char events_script[] =
	"set pagination off\n"
	"target remote 127.0.0.1:PORT\n"
	"continue\n"
	"printf \"INJECT_PC=%lx\\n\", $pc\n"
	"printf \"TARGET=%lx\\n\", (long)&kpti_syscall_c\n"
	"continue\n"
	"monitor explain\n"
	"continue\n";

START_TEST(an_injection_and_the_panic_it_causes_stop_the_vm)
{
	/* A #GP in the kernel's C code: the guest panics. */
	const char *args[] = { "--scenario", "syscall-loop", "--iters", "20", "--inject", "gp@kpti_syscall_c", NULL };
	struct gdb_session s;
	gdb_session_start(&s, args, true);
	gdb_session_gdb(&s, events_script);
	gdb_session_finish(&s);
	assert_output(&s, "stopped: injection gp@kpti_syscall_c delivered at kpti_syscall_c+0x0");
	ck_assert_uint_eq(value(&s, "INJECT_PC"), value(&s, "TARGET"));
	assert_output(&s, "stopped: the guest panicked");
	assert_output(&s, "[Inferior 1 (Remote target) exited with code 01]");
	ck_assert_int_eq(s.status, 1);
	ck_assert_int_eq(e2e_int(s.json, "guest_exit_code"), 3);
	gdb_session_free(&s);
}
END_TEST

static const char nmi_script[] =
	"set pagination off\n"
	"target remote 127.0.0.1:PORT\n"
	"break kpti_syscall_c\n"
	"continue\n"
	"delete\n"
	"monitor inject nmi\n"
	"stepi\n"
	"printf \"NMI_PC=%lx\\n\", $pc\n"
	"printf \"HANDLER=%lx\\n\", (long)&asm_exc_nmi\n"
	"monitor inject irq:300\n"
	"monitor inject pf-user-stack@99\n"
	"monitor inject pf-user-stack@x\n"
	"monitor frobnicate\n";

START_TEST(monitor_inject_delivers_before_the_next_instruction)
{
	const char *args[] = { "--scenario", "syscall-loop", "--iters", "20", NULL };
	struct gdb_session s;
	gdb_session_start(&s, args, true);
	gdb_session_gdb(&s, nmi_script);
	gdb_session_finish(&s);
	assert_output(&s, "nmi queued on vCPU 0");
	ck_assert_uint_eq(value(&s, "NMI_PC"), value(&s, "HANDLER"));
	/* Bad requests are told, not acted on. */
	assert_output(&s, "inject: --inject 'irq@0x0:300': irq vector '300' is not a number in 32..255");
	assert_output(&s, "inject: no task 99 in the guest's layout");
	assert_output(&s, "inject: --inject 'pf-user-stack@x'");
	assert_output(&s, "unknown monitor command");
	ck_assert_int_eq(s.status, 0);
	gdb_session_free(&s);
}
END_TEST

static const char triple_script[] =
	"set pagination off\n"
	"target remote 127.0.0.1:PORT\n"
	"continue\n"
	"monitor explain\n"
	"continue\n";

START_TEST(a_triple_fault_stops_the_vm_with_its_chain)
{
	const char *args[] = { "--entry", "ukl", "--pti", "off", "--scenario", "ukl-stack-df", "ukl_df=none", NULL };
	struct gdb_session s;
	gdb_session_start(&s, args, true);
	gdb_session_gdb(&s, triple_script);
	gdb_session_finish(&s);
	assert_output(&s, "stopped: triple fault: ");
	assert_output(&s, "#PF at ukl_stack_probe");
	assert_output(&s, "-> shutdown");
	/* The run ends as it would have without gdb: the triple fault the
	 * scenario shows (an expected failure to the matrix). */
	assert_output(&s, "exited with code 01");
	ck_assert_int_eq(s.status, 1);
	ck_assert_str_eq(e2e_str(s.json, "end"), "triple-fault");
	gdb_session_free(&s);
}
END_TEST

/* ---- a hostile peer ------------------------------------------------------------------------------------------ */

static int connect_to(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void send_text(int fd, const char *bytes, size_t n)
{
	ck_assert_int_eq(send(fd, bytes, n, MSG_NOSIGNAL), (ssize_t)n);
}

static void send_packet(int fd, const char *payload)
{
	char frame[512];
	unsigned sum = 0;
	for (const char *p = payload; *p; p++)
		sum = (sum + (unsigned char)*p) & 0xff;
	int n = snprintf(frame, sizeof(frame), "$%s#%02x", payload, sum);
	send_text(fd, frame, (size_t)n);
}

/* Reads until `want` appears (or 20 s pass); what came, NUL-terminated. */
static const char *read_until(int fd, const char *want)
{
	static char buf[65536];
	size_t have = 0;
	buf[0] = '\0';
	struct pollfd p = { .fd = fd, .events = POLLIN };
	while (!strstr(buf, want) && have < sizeof(buf) - 1 && poll(&p, 1, 20000) > 0) {
		ssize_t n = recv(fd, buf + have, sizeof(buf) - 1 - have, 0);
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
	}
	return buf;
}

/* What entrybox said comes with a failure: a peer's view alone does not say why the stub went quiet. */
static void expect(struct gdb_session *s, int fd, const char *want)
{
	const char *got = read_until(fd, want);
	ck_assert_msg(strstr(got, want) != NULL, "wanted '%s', got '%s'; entrybox's stderr:\n%s", want, got,
		      gdb_session_stderr(s, 1000));
}

START_TEST(a_hostile_peer_gets_answers_and_no_crash)
{
	const char *args[] = { "--scenario", "syscall-loop", "--iters", "20", NULL };
	struct gdb_session s;
	gdb_session_start(&s, args, true);
	int fd = connect_to(s.port);
	/* One gdb at a time: a second connection is closed at once. */
	int second = connect_to(s.port);
	ck_assert_str_eq(read_until(second, "never"), "");
	close(second);
	send_packet(fd, "qSupported:swbreak+");
	expect(&s, fd, "PacketSize=4000");
	/* Noise, a damaged packet ('-'), an unknown packet (empty reply). */
	send_text(fd, "\x01\x02zz$qC#00", 10);
	expect(&s, fd, "-");
	send_packet(fd, "qNoSuchThing");
	expect(&s, fd, "$#00");
	/* Memory outside guest RAM and not mapped at all. */
	send_packet(fd, "m7ffffff00000,10");
	expect(&s, fd, "$E14#");
	/* Before its first instruction paging is off: physical addresses past RAM fail too. */
	send_packet(fd, "mfffffff0,8");
	expect(&s, fd, "$E14#");
	/* A packet longer than PacketSize is consumed and refused. */
	static char big[20000];
	big[0] = '$';
	memset(big + 1, 'm', sizeof(big) - 4);
	memcpy(big + sizeof(big) - 3, "#00", 3);
	send_text(fd, big, sizeof(big));
	expect(&s, fd, "$E16#");
	send_packet(fd, "qRcmd,726f6c6573");
	expect(&s, fd, "$OK#");
	/* Gone in the middle of a step: the run goes on without a debugger. */
	send_packet(fd, "vCont;s:1");
	close(fd);
	gdb_session_finish(&s);
	ck_assert_int_eq(s.status, 0);
	ck_assert_str_eq(e2e_str(s.json, "outcome"), "pass");
	ck_assert_msg(strstr(s.stderr_text, "a second debugger was turned away") != NULL, "%s", s.stderr_text);
	gdb_session_free(&s);
}
END_TEST

/* One packet's payload from a no-ack stub: what lies between '$' and '#'. */
static void read_packet(struct gdb_session *s, int fd, char *out, size_t len)
{
	static char buf[8192];
	size_t have = 0;
	const char *start = NULL, *hash = NULL;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	while (have < sizeof(buf) - 1) {
		buf[have] = '\0';
		start = strchr(buf, '$');
		hash = start ? strchr(start, '#') : NULL;
		if (hash && strlen(hash) >= 3)
			break;
		ssize_t n = poll(&p, 1, 20000) > 0 ? recv(fd, buf + have, sizeof(buf) - 1 - have, 0) : -1;
		ck_assert_msg(n > 0, "no packet; got '%s'; entrybox's stderr:\n%s", buf, gdb_session_stderr(s, 1000));
		have += (size_t)n;
	}
	ck_assert_msg(hash && (size_t)(hash - start - 1) < len, "no packet in '%s'", buf);
	snprintf(out, len, "%.*s", (int)(hash - start - 1), start + 1);
	/* One packet at a time: nothing else is in flight here. */
	ck_assert_uint_eq(strlen(hash), 3);
}

/* Every stop reply carries RBP, RSP and RIP (gdb's registers 6, 7 and 16,
 * eight bytes each at their number's place in `g`) so that gdb needs no `g`
 * per step: what it says is what `g` reads at the same stop, step after step.
 * The run is profiled, and its profile counts those stops. */
START_TEST(stop_replies_expedite_what_g_reads)
{
	const char *args[] = { "--scenario", "syscall-loop", "--iters", "20", NULL };
	struct gdb_session s;
	setenv("ENTRYBOX_GDB_PROFILE", "1", 1);
	gdb_session_start(&s, args, true);
	unsetenv("ENTRYBOX_GDB_PROFILE");
	int fd = connect_to(s.port);
	send_packet(fd, "QStartNoAckMode");
	expect(&s, fd, "$OK#");
	static char stop[4096], g[8192];
	uint64_t first_rip = 0, last_rip = 0;
	for (int step = 0; step < 40; step++) {
		send_packet(fd, step == 0 ? "?" : "vCont;s:1");
		read_packet(&s, fd, stop, sizeof(stop));
		ck_assert_msg(strncmp(stop, "T05thread:1;", 12) == 0, "%s", stop);
		send_packet(fd, "g");
		read_packet(&s, fd, g, sizeof(g));
		unsigned seen = 0;
		for (char *item = strtok(stop + 12, ";"); item; item = strtok(NULL, ";")) {
			unsigned regno;
			char hex[17];
			if (sscanf(item, "%x:%16[0-9a-f]", &regno, hex) != 2)
				continue;
			ck_assert_msg(regno == 6 || regno == 7 || regno == 16, "register %u in the stop reply", regno);
			ck_assert_uint_eq(strlen(hex), 16);
			ck_assert_msg(strncmp(hex, g + 16 * regno, 16) == 0, "step %d, register %u: %s in the stop, %.16s in g",
				      step, regno, hex, g + 16 * regno);
			seen++;
		}
		ck_assert_uint_eq(seen, 3);
		char rip_hex[17];
		snprintf(rip_hex, sizeof(rip_hex), "%.16s", g + 16 * 16);
		uint64_t rip = 0;
		for (int b = 7; b >= 0; b--)
			rip = rip << 8 | strtoull((char[]){ rip_hex[2 * b], rip_hex[2 * b + 1], 0 }, NULL, 16);
		if (step == 0)
			first_rip = rip;
		last_rip = rip;
	}
	ck_assert_msg(last_rip != first_rip, "39 steps left RIP at 0x%llx", (unsigned long long)first_rip);
	send_packet(fd, "D");
	expect(&s, fd, "$OK#");
	close(fd);
	gdb_session_finish(&s);
	ck_assert_int_eq(s.status, 0);
	ck_assert_str_eq(e2e_str(s.json, "outcome"), "pass");
	/* 39 steps; 82 packets came (QStartNoAckMode, ?, 39 vCont, 40 g, D).
	 * The stop before the first instruction is told either by the
	 * connection thread or by the waiting vCPU, and the profile counts it in
	 * one of the two orders only, so 39 or 40 stops (which guest image gives
	 * which is not understood: it changed with the guest's boot code). */
	const char *profile = strstr(s.stderr_text, "gdb: profile over ");
	unsigned stops = 0;
	double per_stop = 0;
	ck_assert_msg(profile && sscanf(profile, "gdb: profile over %u stops, per stop: %lf packets in", &stops,
					&per_stop) == 2, "%s", s.stderr_text);
	ck_assert_msg(stops == 39 || stops == 40, "%s", profile);
	ck_assert_msg(per_stop >= 2.0 && per_stop <= 2.2, "%s", profile);
	double step_us = 0;
	const char *step = strstr(profile, " step ");
	ck_assert_msg(step && sscanf(step, " step %lf", &step_us) == 1 && step_us > 0, "%s", profile);
	gdb_session_free(&s);
}
END_TEST

START_TEST(an_interrupt_stops_a_running_vm_and_kill_ends_the_run)
{
	/* Enough syscalls that the run is still going when the interrupt comes. */
	const char *args[] = { "--scenario", "syscall-loop", "--iters", "100000", "--timeout", "60", NULL };
	struct gdb_session s;
	gdb_session_start(&s, args, false);
	int fd = connect_to(s.port);
	send_packet(fd, "?");
	expect(&s, fd, "$T05thread:1;");
	send_packet(fd, "vCont;c");
	usleep(100 * 1000);
	send_text(fd, "\x03", 1);
	expect(&s, fd, "$T02thread:1;");
	send_packet(fd, "k");
	close(fd);
	gdb_session_finish(&s);
	ck_assert_str_eq(e2e_str(s.json, "end"), "debugger");
	ck_assert_int_eq(s.status, 1);
	gdb_session_free(&s);
}
END_TEST

START_TEST(a_run_nobody_attaches_to_ends_at_its_time_limit)
{
	/* Waiting for a gdb counts; only a gdb at its prompt stops the clock. */
	const char *args[] = { "--scenario", "syscall-loop", "--timeout", "2", NULL };
	struct gdb_session s;
	gdb_session_start(&s, args, true);
	ck_assert_int_gt(s.port, 0);
	gdb_session_finish(&s);
	ck_assert_int_eq(s.status, 1);
	ck_assert_str_eq(e2e_str(s.json, "end"), "timeout");
	ck_assert_msg(strstr(s.stderr_text, "waiting for gdb at 127.0.0.1:") != NULL, "%s", s.stderr_text);
	gdb_session_free(&s);
}
END_TEST

int main(void)
{
	e2e_require_kvm();
	gdb_session_require_gdb();
	Suite *s = suite_create("gdb");
	TCase *tc = tcase_create("gdb");
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, gdb_follows_a_syscall_to_the_violation);
	tcase_add_test(tc, stepi_crosses_sysret_and_syscall_as_the_cpu_does);
	tcase_add_test(tc, hardware_breakpoints_beyond_the_free_slots_are_refused);
	tcase_add_test(tc, an_injection_and_the_panic_it_causes_stop_the_vm);
	tcase_add_test(tc, monitor_inject_delivers_before_the_next_instruction);
	tcase_add_test(tc, a_triple_fault_stops_the_vm_with_its_chain);
	tcase_add_test(tc, a_hostile_peer_gets_answers_and_no_crash);
	tcase_add_test(tc, stop_replies_expedite_what_g_reads);
	tcase_add_test(tc, an_interrupt_stops_a_running_vm_and_kill_ends_the_run);
	tcase_add_test(tc, a_run_nobody_attaches_to_ends_at_its_time_limit);
	suite_add_tcase(s, tc);
	return check_run(s);
}
