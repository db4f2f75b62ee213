/* SPDX-License-Identifier: MIT */
#include "cpu/debug.h"
#include "cpu/cpu.h"
#include "lib/printf.h"
#include "sched/sched.h"
#include "sched/task_stats.h"
#include "user/user_abi.h"

#define DR6_CAUSES   (DR6_B(0) | DR6_B(1) | DR6_B(2) | DR6_B(3) | DR6_BD | DR6_BS | DR6_BT)
#define DR6_WATCH    (DR6_B(0) | DR6_B(1) | DR6_B(2) | DR6_B(3))
#define DR7_RW_IO    2ull                 /* I/O breakpoints need CR4.DE: refused */
#define DR7_FIELDS(n) (0xfull << DR7_RW_SHIFT(n))
#define USER_LIMIT   0x0000800000000000ull

struct debug_cpu {
	unsigned kernel_db;         /* kernel-mode #DBs survived on this CPU */
	uint64_t loaded_addr[4], loaded_dr7;
};

static struct debug_cpu cpus[EBX_MAX_CPUS];

static struct debug_cpu *this_debug_cpu(void)
{
	return &cpus[this_cpu()->cpu % EBX_MAX_CPUS];
}

/* DR6 keeps its cause bits until software clears them: read and reset in one place. */
static uint64_t take_dr6(void)
{
	uint64_t dr6 = read_dr6();

	write_dr6(DR6_RESET_VALUE);
	return dr6 & DR6_CAUSES;
}

void debug_kernel(struct ebx_pt_regs *regs)
{
	/* As Linux's local_db_save(): no breakpoint may fire inside the handler. */
	uint64_t dr7 = read_dr7();
	uint64_t causes;
	struct task *t;

	write_dr7(0);
	causes = take_dr6();
	/* The kernel never single-steps itself: a TF that leaked in (from a
	 * debugger or a path that kept the user's TF) is dropped, as Linux does. */
	if (causes & DR6_BS)
		regs->rflags &= ~RFLAGS_TF;
	this_debug_cpu()->kernel_db++;
	t = current_task();
	if (t && (causes & DR6_WATCH)) {
		/* A user watchpoint matched for the task: Linux sends it SIGTRAP;
		 * here the task's counter is its signal. */
		struct task_stats *st = task_stats(t->id);

		if (st->db_kernel_watch < ARRAY_SIZE(st->db_kernel_rips))
			st->db_kernel_rips[st->db_kernel_watch] = regs->rip;
		st->db_kernel_watch++;
		st->db_kernel_rip = regs->rip;
	}
	kprintf("@entrybox {\"event\":\"kernel-debug\",\"cpu\":%u,\"rip\":\"0x%llx\",\"dr6\":\"0x%llx\",\"task\":%d}\n",
		this_cpu()->cpu, (unsigned long long)regs->rip, (unsigned long long)causes, t ? (int)t->id : -1);
	write_dr7(dr7);
}

bool debug_user(struct task *t, struct ebx_pt_regs *regs)
{
	uint64_t causes = take_dr6();
	struct task_stats *st = task_stats(t->id);
	bool known = false;

	if (causes & DR6_BS) {
		st->db_traps++;
		st->db_last_rip = regs->rip;
		regs->rflags &= ~RFLAGS_TF;
		known = true;
	}
	if (causes & DR6_WATCH) {
		st->db_user_watch++;
		known = true;
	}
	return known;
}

static bool len_ok(uint64_t len_field, uint64_t addr)
{
	static const uint64_t bytes[4] = { 1, 2, 8, 4 };

	return (addr & (bytes[len_field & 3] - 1)) == 0;
}

/* Every enabled breakpoint of dr7 over addr[]: a user address, a data or
 * execute type, aligned to its length (an execute breakpoint is 1 byte). */
static bool dr7_ok(uint64_t dr7, const uint64_t addr[4])
{
	uint64_t allowed = 0;

	for (unsigned n = 0; n < 4; n++) {
		uint64_t rw = (dr7 >> DR7_RW_SHIFT(n)) & 3, len = (dr7 >> DR7_LEN_SHIFT(n)) & 3;

		allowed |= DR7_L(n) | DR7_FIELDS(n);
		if (!(dr7 & DR7_L(n)))
			continue;
		if (rw == DR7_RW_IO || (rw == 0 && len != 0) || addr[n] >= USER_LIMIT || !len_ok(len, addr[n]))
			return false;
	}
	return (dr7 & ~allowed) == 0;
}

long debug_set_task_reg(struct task *t, uint64_t index, uint64_t value)
{
	uint64_t addr[4];

	for (unsigned n = 0; n < 4; n++)
		addr[n] = t->debug_addr[n];
	if (index < 4) {
		addr[index] = value;
		if (value >= USER_LIMIT || !dr7_ok(t->debug_dr7, addr))
			return -EINVAL;
		t->debug_addr[index] = value;
	} else if (index == 7) {
		if (!dr7_ok(value, addr))
			return -EINVAL;
		t->debug_dr7 = value;
	} else {
		return -EINVAL;
	}
	/* Effective at once: the task runs on this CPU. */
	debug_switch_to(t);
	return 0;
}

void debug_switch_to(const struct task *next)
{
	static const uint64_t none[4];
	struct debug_cpu *c = this_debug_cpu();
	const uint64_t *addr = next ? next->debug_addr : none;
	uint64_t dr7 = next ? next->debug_dr7 : 0;

	if (dr7 == c->loaded_dr7 && (dr7 == 0 || (addr[0] == c->loaded_addr[0] && addr[1] == c->loaded_addr[1] &&
						  addr[2] == c->loaded_addr[2] && addr[3] == c->loaded_addr[3])))
		return;
	/* Disabled while the addresses change, so no half-set breakpoint fires. */
	write_dr7(0);
	for (unsigned n = 0; n < 4; n++) {
		write_dr_addr(n, addr[n]);
		c->loaded_addr[n] = addr[n];
	}
	write_dr7(dr7 | (dr7 ? DR7_FIXED : 0));
	c->loaded_dr7 = dr7;
}

unsigned debug_kernel_count(void)
{
	unsigned n = 0;

	for (unsigned i = 0; i < EBX_MAX_CPUS; i++)
		n += __atomic_load_n(&cpus[i].kernel_db, __ATOMIC_RELAXED);
	return n;
}
