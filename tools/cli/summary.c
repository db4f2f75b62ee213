/* SPDX-License-Identifier: MIT */
#include "summary.h"

#include <string.h>

#include "result/result_coverage.h"
#include "result/result_inject.h"

static const char *status_word(enum ebx_status s)
{
	switch (s) {
	case EBX_STATUS_OK: return "OK";
	case EBX_STATUS_MISMATCH: return "MISMATCH";
	case EBX_STATUS_USAGE: return "BAD INPUT";
	case EBX_STATUS_ENV: return "ENVIRONMENT";
	}
	return "?";
}

static const char *or_dash(const char *s)
{
	return s[0] ? s : "-";
}

static void print_violation(FILE *out, const struct violation_report *v)
{
	fprintf(out, "VIOLATION %s at %s: %s -- %s (stack %s, cr3 0x%llx, gs 0x%llx", v->rule, or_dash(v->symbol),
		or_dash(v->insn), or_dash(v->detail), or_dash(v->stack), (unsigned long long)v->cr3,
		(unsigned long long)v->gs_base);
	if (v->source[0])
		fprintf(out, ", %s", v->source);
	fprintf(out, ", cpu %u, cpl %u)\n", v->cpu, v->cpl);
}

static void print_violations(FILE *out, const struct run_result *r)
{
	size_t stored = r->nviolations < RESULT_MAX_VIOLATIONS ? r->nviolations : RESULT_MAX_VIOLATIONS;
	for (size_t i = 0; i < stored; i++)
		print_violation(out, &r->violations[i]);
	if (r->nviolations > stored)
		fprintf(out, "  ... and %zu more violations (only the first %d are kept)\n", r->nviolations - stored,
			RESULT_MAX_VIOLATIONS);
}

static void print_panic(FILE *out, const struct run_result *r)
{
	const struct guest_panic *p = &r->panic;
	if (!p->seen)
		return;
	if (!p->exception) {
		fprintf(out, "panic     %s\n", or_dash(p->message));
		return;
	}
	fprintf(out, "panic     %s (vector %u) at %s", result_vector_name(p->vector), p->vector,
		p->symbol[0] ? p->symbol : "?");
	if (p->source[0])
		fprintf(out, " (%s)", p->source);
	fprintf(out, ", error 0x%llx, cr2 0x%llx\n", (unsigned long long)p->error, (unsigned long long)p->cr2);
	fprintf(out, "          rsp 0x%llx on %s, cr3 ", (unsigned long long)p->rsp, or_dash(p->stack));
	if (p->cr3_known)
		fprintf(out, "0x%llx (%s)\n", (unsigned long long)p->cr3, p->cr3_kind);
	else
		fprintf(out, "%s\n", or_dash(p->cr3_kind));
}

static void print_fault_watch(FILE *out, const struct run_result *r)
{
	if (!r->faults_watched[0] && !r->faults_unwatched[0])
		return;
	fprintf(out, "faults    kernel-mode %s judged where they happen (%llu seen)", or_dash(r->faults_watched),
		(unsigned long long)r->faults_judged);
	if (r->faults_unwatched[0])
		fprintf(out, "; no breakpoint left for %s", r->faults_unwatched);
	fputc('\n', out);
}

static void print_measure(FILE *out, const struct run_result *r)
{
	if (!r->measure_name[0])
		return;
	fprintf(out, "measure   %s: %llu round trips, %llu instructions, %llu exits", r->measure_name,
		(unsigned long long)r->measure_iterations, (unsigned long long)r->measure_instructions,
		(unsigned long long)r->measure_exits);
	if (r->measure_iterations)
		fprintf(out, " = %.1f instructions per round trip",
			(double)r->measure_instructions / (double)r->measure_iterations);
	fputc('\n', out);
	if (r->measure_trips)
		fprintf(out, "          kernel side of one SYSCALL..SYSRET: min %llu, median %llu, max %llu instructions (%llu stepped)\n",
			(unsigned long long)r->measure_trip_min, (unsigned long long)r->measure_trip_median,
			(unsigned long long)r->measure_trip_max, (unsigned long long)r->measure_trips);
}

/* Facts about the engine that change how to read the outcome (docs/design.md §10). */
static void print_engine_notes(FILE *out, const struct run_result *r)
{
	if (strcmp(r->engine, "qemu-kvm") == 0 && strcmp(r->backend, "pvm") == 0)
		fprintf(out, "note      on kvm_pvm, SYSCALL from ring 3 does not reach CPL 0 under QEMU+KVM either:"
			     " scenarios with syscalls cannot pass here; use --accel tcg for semantics\n");
	if (strncmp(r->engine, "qemu", 4) == 0)
		fprintf(out, "note      QEMU runs no per-exit checks: exits, checks and violations come only from"
			     " entrybox run\n");
}

void summary_print(FILE *out, const struct run_result *r, enum ebx_status status)
{
	fprintf(out, "run       entry=%s pti=%s pcid=%s vcpus=%u tasks=%u scenario=%s%s%s\n", or_dash(r->model),
		or_dash(r->pti), or_dash(r->pcid), r->vcpus, r->tasks, or_dash(r->scenario), r->options[0] ? " " : "",
		r->options);
	if (r->refused[0])
		fprintf(out, "refused   %s\n", r->refused);
	fprintf(out, "engine    %s (backend %s)\n", or_dash(r->engine), or_dash(r->backend));
	fprintf(out, "outcome   %s (expected %s)\n", or_dash(r->outcome), or_dash(r->expected));
	if (r->detail[0])
		fprintf(out, "detail    %s\n", r->detail);
	fprintf(out, "end       %s: %s\n", result_end_name(r->end), or_dash(r->end_reason));
	fprintf(out, "counts    %llu exits, %llu checks, %llu syscall repairs, %zu violations\n",
		(unsigned long long)r->exits, (unsigned long long)r->checks,
		(unsigned long long)r->syscall_repairs, r->nviolations);
	if (r->kernel_db)
		fprintf(out, "kernel #DB %u taken in kernel mode and survived (paranoid entry; @entrybox kernel-debug lines)\n",
			r->kernel_db);
	if (r->hv_bounces || r->hv_irets || r->hv_refused)
		fprintf(out, "hv        %llu syscall bounces, %llu irets, %llu iret frames refused (the VMM as hypervisor)\n",
			(unsigned long long)r->hv_bounces, (unsigned long long)r->hv_irets,
			(unsigned long long)r->hv_refused);
	if (r->backend_deviation[0])
		fprintf(out, "deviation %s (a known %s behaviour, not the entry model's)\n", r->backend_deviation,
			r->backend);
	print_panic(out, r);
	print_fault_watch(out, r);
	print_measure(out, r);
	result_coverage_print(out, r);
	result_inject_print(out, r);
	print_violations(out, r);
	print_engine_notes(out, r);
	fprintf(out, "time      %.3f s\n", r->wall_seconds);
	fprintf(out, "status    %d %s\n", (int)status, status_word(status));
}
