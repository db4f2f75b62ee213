/* SPDX-License-Identifier: MIT */
/* The entry-hazard and preemption programs: what the user side and the
 * kernel's judges agree on. */
#ifndef ENTRYBOX_USER_HAZARDS_H
#define ENTRYBOX_USER_HAZARDS_H

#include <stdint.h>

#define NONCANONICAL_RIP    0x800000000000ull   /* sysret-noncanonical: RIP = RCX = this */
#define TF_SYSCALLS         3        /* tf-syscall: SYSCALLs with TF set, one #DB each */
#define PREEMPT_TARGET      5        /* preempt: preemptions each task waits for */
#define PREEMPT_SPIN        500000   /* loop iterations between two looks */
#define PREEMPT_MAX_ROUNDS  4000     /* then give up: the ticks do not come */

/* Exit codes: which check failed. */
#define HAZ_EXIT_SURVIVED       0x600   /* the bad frame returned to user as if nothing happened */
#define HAZ_EXIT_NO_DF          0x601   /* the overflow probe was not stopped by the guard page */
#define HAZ_EXIT_NOT_PREEMPTED  0x602
#define HAZ_EXIT_TF_LEFT_SET    0x603
#define HAZ_EXIT_NT_SYSRET      0x604   /* NT lost across the SYSRET exit */
#define HAZ_EXIT_NT_KERNEL      0x605   /* the kernel ran with NT, IF or TF set */
#define HAZ_EXIT_NT_IRET        0x606   /* NT lost across the IRET exit */
#define HAZ_EXIT_NT_LEFT_SET    0x607
#define HAZ_EXIT_PROBE_REFUSED  0x608   /* the syscall itself runs on the entry stack: no probe */
#define HAZ_EXIT_DEBUGREG       0x609   /* SYS_SET_DEBUGREG refused a valid watchpoint */
#define HAZ_EXIT_NO_WATCH       0x60a   /* a plain read of the watched word raised no #DB */
#define HAZ_EXIT_MOVSS_SYSCALL  0x60b   /* MOV SS; SYSCALL: no kernel #DB, or a wrong result */
#define HAZ_EXIT_MOVSS_INT3     0x60c   /* MOV SS; INT3: no kernel #DB, or the #BP went missing */
#define HAZ_EXIT_NO_DEFER       0x60d   /* the MOV SS #DB came in user mode, before SYSCALL ran */
#define HAZ_EXIT_INITIAL_GPR    0x60e   /* a register was not zero at the first user instruction */
#define HAZ_EXIT_INITIAL_FLAGS  0x60f   /* RFLAGS was not 0x202 there */
#define HAZ_EXIT_BAD_RSP        0x640   /* + i: SYSCALL with the i-th bad RSP gave a wrong result or RSP */
#define HAZ_EXIT_BAD_POINTER    0x650   /* + i: the i-th bad pointer was not refused with -EFAULT/-EINVAL */
#define HAZ_EXIT_PUSH_SURVIVED  0x65f   /* a push on RSP 0 did not kill the task */
#define HAZ_EXIT_NO_FSGSBASE    0x660   /* the kernel did not set CR4.FSGSBASE: the CPU has none */
#define HAZ_EXIT_GSBASE_LOST    0x661   /* + 2 * value + 0: a syscall changed the written GS base */
#define HAZ_EXIT_FSBASE_LOST    0x662   /* + 2 * value: ... the FS base */
#define HAZ_EXIT_GSBASE_STEP    0x668   /* + value: the single step went wrong with this GS base */
#define GSBASE_KERNEL_LOOKING   0xffff888000001000ull   /* a direct-map address: negative, like the kernel's */
#define FSBASE_VALUE            0x0000123456789000ull
#define GSBASE_SYSCALLS         8
#define HAZ_EXIT_COMPAT_SYSCALL 0x1000000 /* | what user_compat_syscall32 returned */
#define HAZ_EXIT_COMPAT_INT80   0x2000000 /* | what user_compat_int80 returned */
#define HAZ_EXIT_COMPAT_ENOSYS  0x3000000 /* SYSCALL from compatibility mode got -ENOSYS, int $0x80 worked */
#define HAZ_EXIT_TEST_SS        0x4000000 /* | round: the 32-bit push and pop went wrong */
#define COMPAT_ENOSYS_RESULT    (0x10000 | (-ENOSYS & 0xffff))
#define SS_ROUNDS               24
#define HAZ_EXIT_NMI_NEST       0x670   /* + the probe's NMI_NEST_* code */
#define HAZ_EXIT_NO_LDT         0x680   /* SYS_LDT16 refused */
#define HAZ_EXIT_ESPFIX_REPORT  0x681   /* SYS_ESPFIX_SEEN refused */
#define ESPFIX_ROUNDS           4       /* IRETs to the 16-bit SS per task */
#define NMI_NEST_ROUNDS         4
#define HAZ_EXIT_TF_COUNT       0x610   /* + i: #DB count wrong after the i-th SYSCALL */
#define HAZ_EXIT_TF_RIP         0x620   /* + i: #DB reported the wrong RIP */

/* user_hazards.S */
uint64_t user_tf_syscall(void);
uint64_t user_nt_syscall(uint64_t nr, uint64_t arg, uint64_t *result);
uint64_t user_nt_iret(void);
void user_spin(uint64_t n);
long user_mov_ss_syscall(const uint16_t *ss_word);
void user_mov_ss_int3(const uint16_t *ss_word);
/* SYSCALL nr with RSP = rsp; returns RAX, and in *rsp_after the RSP it came back with. */
long user_syscall_rsp(uint64_t rsp, long nr, uint64_t *rsp_after);
/* Pushes with RSP = rsp (at user_push_rsp_fault); returns only if the push did. */
void user_push_rsp(uint64_t rsp);
extern const char user_push_rsp_fault[];
/* user_compat.S: 32-bit routines, run with user_compat_run. */
uint64_t user_compat_run(uint64_t routine32, uint64_t stack_top);
extern const char user_compat_syscall32[], user_compat_int80[], user_compat_int80_insn[], user_compat_test_ss[];
extern const char user_compat_espfix[], user_compat_espfix_trap[];
extern const char user_compat_espfix_int3[], user_compat_espfix_int3_insn[];

/* One instruction with TF set: one single-step #DB from user mode. */
void user_single_step(void);

/* syscall-bad-rsp: the stack pointers SYSCALL is made with (a kernel address
 * that is mapped, but not writable and no stack: kernel text). */
#define BAD_RSP_VALUES { 0, 0x8000000000000000ull, 0xffffffff80100000ull, 0xfffffffffffffff8ull }
#define BAD_RSP_COUNT 4

/* Runs the scenario's program if it is one of these; returns otherwise. */
void user_hazards(uint64_t id, uint64_t scenario);

#endif
