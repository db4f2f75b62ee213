/* SPDX-License-Identifier: MIT */
/* The outcome of one guest run, whatever engine ran it (our VMM, QEMU, libvirt). */
#ifndef ENTRYBOX_RESULT_H
#define ENTRYBOX_RESULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define RESULT_MAX_VIOLATIONS 64
#define RESULT_MAX_INJECTIONS 8
#define RESULT_MAX_COVERAGE   8
#define RESULT_MAX_TASKS      16   /* EBX_MAX_TASKS */
/* A sweep reports at most this many points (longer paths are cut by the
 * sweep itself); with every other array and string bounded, the JSON object
 * of any run stays below RESULT_JSON_MAX, which the writer enforces. */
#define RESULT_MAX_SWEEP_POINTS 4096
#define RESULT_JSON_MAX (16u << 20)

/* How a finished run is judged, whatever engine ran it.  The values are the
 * JSON's "status" and the CLI's exit statuses of docs/design.md §8 (the CLI maps
 * them in tools/cli/status.h and asserts that they agree). */
enum run_verdict {
	RUN_VERDICT_OK = 0,          /* outcome matched expectation, no violation */
	RUN_VERDICT_MISMATCH = 1,    /* outcome differs from expectation, or a violation */
	RUN_VERDICT_BAD_INPUT = 2,   /* bad input: guest image, command line the guest refuses */
	RUN_VERDICT_ENVIRONMENT = 3, /* environment missing: no /dev/kvm, no QEMU, CPU lacks a feature */
};

/* How the run ended, as the VMM saw it. */
enum run_end {
	RUN_END_GUEST_EXIT = 0,   /* the guest wrote isa-debug-exit */
	RUN_END_TRIPLE_FAULT,     /* KVM_EXIT_SHUTDOWN */
	RUN_END_TIMEOUT,          /* watchdog */
	RUN_END_INTERNAL_ERROR,   /* KVM_EXIT_INTERNAL_ERROR / FAIL_ENTRY / unknown exit */
	RUN_END_HOSTILE,          /* the guest broke the contract (bad record, flood); run stopped */
	RUN_END_HORIZON,          /* a sweep point's path returned to the code that entered it: decided */
	RUN_END_HOST_LOST,        /* the engine lost the machine that ran the guest (a libvirt host) */
	RUN_END_DEBUGGER,         /* the debugger ended it (gdb's kill) */
};

struct violation_report {
	char rule[32];
	char symbol[96];          /* RIP as symbol+offset */
	char insn[96];            /* disassembly of the instruction at RIP */
	char source[128];         /* file:line when DWARF has it */
	char stack[48];           /* name of the stack region RSP is in, or "unregistered" */
	char detail[320];
	uint64_t rip, rsp, cr3, gs_base;
	uint32_t cpu;
	uint8_t cpl;
};

/* What followed an injection (or a sweep point).  The names are the JSON
 * "outcome" values. */
enum inject_outcome {
	INJECT_NOT_REACHED = 0,   /* its point never came, or it could not be delivered */
	INJECT_SURVIVED,
	INJECT_VIOLATION,
	INJECT_TRIPLE_FAULT,
	INJECT_FAILED,            /* the guest did not end as expected, or the path returned differently */
};

const char *inject_outcome_name(enum inject_outcome o);

/* One --inject: whether its point was reached and what followed. */
struct injection_report {
	char spec[128];
	bool reached;
	char at[96];              /* symbol+offset where it was delivered */
	uint64_t rip;
	enum inject_outcome outcome;
	char detail[192];
};

/* One point of a sweep (an @each: injection). */
struct sweep_point {
	uint64_t rip;
	char at[96];
	char insn[64];
	enum inject_outcome outcome;
	char detail[160];         /* the rule, the end reason, or why it was not reached */
};

struct sweep_report {
	char spec[128], path[96], mode[12];
	unsigned points, survived, violations, triple_faults, failed, not_reached;
	double wall_seconds;      /* the whole sweep, baseline run included */
	double points_seconds;    /* the points alone, from the first to the last */
	double restore_seconds;   /* total time spent restoring snapshots (snapshot mode) */
	char horizon[8];          /* "return" (a point is decided when its path returns) or "end" */
	uint64_t restored_pages;  /* RAM pages copied back, over all restores */
	unsigned slot_reloads;    /* restores that changed a page table under shadow paging */
	struct sweep_point *per_point;  /* `points` entries, malloc'd; result_release() frees */
};

/* One of the VMM's checks of its own coverage (result_coverage.h). */
struct coverage_check {
	char check[32];           /* "syscall-boundary", "stepped-round-trips", ... */
	uint64_t expected;        /* how often it had to happen */
	uint64_t observed;        /* how often the VMM saw it happen */
	char what[160];           /* what was counted */
};

/* A guest panic, from its console ("panic" event and panic line), with what
 * the engine adds: where RIP is in the image, the stack RSP was on, and the
 * CR3 the exception was taken on when the VMM watched it. */
struct guest_panic {
	bool seen;                /* the guest said it panics */
	bool exception;           /* an unexpected kernel-mode exception: the fields below */
	unsigned vector;
	uint64_t error, rip, cr2, rsp, cr3;
	bool cr3_known;
	char message[200];        /* the guest's own panic line */
	char symbol[96], source[128], stack[48];
	char cr3_kind[96];        /* "user PGD of task 0", ..., or why it is not known */
};

struct run_result {
	char engine[16];          /* "kvm", "qemu-tcg", "qemu-kvm", "libvirt" */
	char backend[8];          /* "vmx", "svm", "pvm", "tcg", "unknown" */
	char host[256];           /* the libvirt URI that ran it; "" for engines on this machine */
	char confinement[16];     /* our VMM: "process", "vcpu-threads" or "off"; "" for other engines */
	char model[32], scenario[32];  /* a model name is at most 31 characters (abi.h) */
	char pti[4], pcid[4];
	unsigned vcpus, tasks;
	char options[160];        /* the model's options as the guest ran them, "key=value ..." */
	char refused[200];        /* the guest's own reason for not running: its command line, or unsupported */
	char outcome[32];         /* from the guest's result line: "pass", "fail", ... or the run end */
	char expected[32];
	char detail[256];
	unsigned kernel_db;       /* #DBs the guest kernel took in kernel mode and survived (its result line) */
	unsigned result_lines;    /* "@entrybox" result lines the guest printed (one is the contract) */
	enum run_end end;
	int guest_exit_code;      /* the value written to isa-debug-exit, -1 if none */
	uint64_t exits;           /* KVM exits taken (0 under other engines) */
	/* The same exits by kind, to see what a run's exit count is made of. */
	uint64_t exits_io, exits_debug, exits_mmio, exits_intr, exits_other;
	uint64_t checks;          /* rule evaluations performed */
	uint64_t syscall_repairs; /* pvm SYSCALL repairs */
	uint64_t hv_bounces, hv_irets, hv_refused; /* entry=xen hv=vmm hypercalls served by the VMM */
	size_t nviolations;       /* distinct (rule, rip) violations stored, <= RESULT_MAX_VIOLATIONS */
	uint64_t violation_occurrences; /* every failed check, repeats and overflow included */
	struct violation_report violations[RESULT_MAX_VIOLATIONS];
	/* single-step measurement of the region the guest marked (0 if none) */
	char measure_name[32];
	uint64_t measure_iterations, measure_instructions, measure_exits;
	/* Kernel-side instructions of each complete round trip (SYSCALL through
	 * SYSRET) inside the region: the entry path's own cost, free of whatever
	 * else the region's marker syscalls did. */
	uint64_t measure_trips, measure_trip_min, measure_trip_median, measure_trip_max;
	double wall_seconds;
	char backend_deviation[160]; /* a known backend deviation explains the mismatch (deviations.h) */
	/* Kernel-mode exceptions the rules judge where they happen: the vectors
	 * watched, those no breakpoint was left for, how many were judged. */
	char faults_watched[32], faults_unwatched[32];
	uint64_t faults_judged;
	char end_reason[256];     /* one line: how the run ended and why */
	/* triple fault: the exception chain the final state shows; a run the
	 * guest found unsupported: what of the machine this VMM itself took */
	char explanation[512];
	struct guest_panic panic;
	size_t ninjections;
	struct injection_report injections[RESULT_MAX_INJECTIONS];
	struct sweep_report *sweep;   /* NULL unless an @each: injection ran */
	bool point_return_differs;    /* RUN_END_HORIZON: the path returned, but not as it did without the point */
	/* From the guest's result line: system calls each task made (by task id). */
	unsigned ntask_syscalls;
	uint64_t task_syscalls[RESULT_MAX_TASKS];
	uint64_t syscall_boundaries; /* SYSCALLs from ring 3 the VMM stopped at */
	unsigned ncoverage;
	struct coverage_check coverage[RESULT_MAX_COVERAGE];
};

/* Frees what a result owns (the sweep's points); r stays usable. */
void result_release(struct run_result *r);

/* "guest-exit", "triple-fault", "timeout", "internal-error", "hostile",
 * "host-lost": the name of a run end in JSON, summaries and outcomes. */
const char *result_end_name(enum run_end end);

/* The verdict on a finished run. */
enum run_verdict result_verdict(const struct run_result *r);

/* Makes json-c take its hash seed now.  It does so on the first object it
 * parses, from RDRAND where the CPU has it and else from getrandom or
 * /dev/urandom; a confined vCPU thread may open no file, and parses the
 * guest's result line.  Call once before the threads confine themselves. */
void result_json_prepare(void);

/* Parse one serial line; if it is an "@entrybox" result line, fill the outcome
 * fields of r, count it in r->result_lines and return true. */
bool result_parse_serial_line(const char *line, struct run_result *r);

/* "#PF" and the like for an exception vector, "vector N" past the named ones. */
const char *result_vector_name(unsigned vector);

/* The contract is one result line per run: a guest that printed several may
 * have printed the verdict it wanted us to see, not the one it reached.  Ends
 * such a run as hostile (every engine calls this once the run is over). */
void result_reject_repeated_verdicts(struct run_result *r);

/* Write r as the one JSON object of docs/design.md §8 (json-c), to a file or to
 * an open stream.  Returns 0, or -1 with errno (EFBIG: the object would exceed
 * RESULT_JSON_MAX, which no run of this program can reach). */
int result_write_json(const struct run_result *r, const char *path /* "-" = stdout */);
int result_write_json_stream(const struct run_result *r, FILE *f);

#endif
