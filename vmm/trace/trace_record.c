/* SPDX-License-Identifier: MIT */
#include "trace_record.h"

#include <json-c/json.h>
#include <string.h>

#include "kvm/snapshot.h"
#include "pagetables.h"
#include "run/session.h"

#define USER_HALF_END  0x0000800000000000ull
#define MAX_FAILED     8u

/* ---- classification ----------------------------------------------------------------------- */

static const char *pgd_kind(const struct layout *l, uint64_t cr3)
{
	bool user_half = false;
	int task = layout_task_of_pgd(l, cr3 & PT_CR3_PGD_MASK, &user_half);
	if (task < 0)
		return "other";
	if (l->raw.tasks[task].user_pgd == l->raw.tasks[task].kernel_pgd)
		return "shared";
	return user_half ? "user" : "kernel";
}

static const char *gs_kind(const struct layout *l, uint32_t cpu, uint64_t gs_base)
{
	if (cpu < l->raw.ncpus && gs_base == l->raw.cpus[cpu].percpu_gva)
		return "percpu";
	return gs_base < USER_HALF_END ? "user" : "other";
}

static int stack_index(const struct layout *l, uint64_t rsp, bool *guard)
{
	const struct ebx_stack_desc *st = layout_stack_of_rsp(l, rsp, guard);
	return st ? (int)(st - l->raw.stacks) : -1;
}

/* ---- the instruction ------------------------------------------------------------------------ */

/* Reads what is mapped of the instruction: it may end right before an unmapped page. */
static size_t read_insn(struct gmem *m, uint64_t cr3, uint64_t rip, uint8_t code[X86_MAX_INSN_LEN])
{
	size_t to_page_end = PT_PAGE_SIZE - (size_t)(rip & (PT_PAGE_SIZE - 1));
	size_t want = to_page_end < X86_MAX_INSN_LEN ? to_page_end : X86_MAX_INSN_LEN;
	if (gmem_read_virt(m, cr3, rip, code, X86_MAX_INSN_LEN))
		return X86_MAX_INSN_LEN;
	return gmem_read_virt(m, cr3, rip, code, want) ? want : 0;
}

/* sysret always lands in ring 3; iret does when the frame's CS has RPL 3. */
static bool returns_to_user(struct gmem *m, uint64_t cr3, uint64_t rsp, const char *insn)
{
	if (strncmp(insn, "sysret", 6) == 0)
		return true;
	if (strncmp(insn, "iret", 4) != 0)
		return false;
	uint64_t frame[2]; /* RIP, CS */
	return gmem_read_virt(m, cr3, rsp, frame, sizeof(frame)) && (frame[1] & 3) == 3;
}

static void describe_code(struct session *s, uint64_t rip, char *sym, size_t symlen, char *src, size_t srclen)
{
	src[0] = '\0';
	if (!s->syms) {
		snprintf(sym, symlen, "0x%llx", (unsigned long long)rip);
		return;
	}
	/* libdw loads line tables lazily: keep it to one thread at a time. */
	pthread_mutex_lock(&s->lock);
	symtab_describe(s->syms, rip, sym, symlen);
	if (!symtab_source_line(s->syms, rip, src, srclen))
		src[0] = '\0';
	pthread_mutex_unlock(&s->lock);
}

/* ---- one line ------------------------------------------------------------------------------- */

static void add_str(json_object *o, const char *key, const char *value)
{
	json_object_object_add(o, key, json_object_new_string(value));
}

static void add_hex(json_object *o, const char *key, uint64_t value)
{
	char buf[24];
	snprintf(buf, sizeof(buf), "0x%llx", (unsigned long long)value);
	add_str(o, key, buf);
}

static json_object *failures_json(const struct violation *found, size_t n)
{
	json_object *arr = json_object_new_array();
	for (size_t i = 0; i < n; i++) {
		json_object *f = json_object_new_object();
		add_str(f, "rule", found[i].rule);
		add_str(f, "detail", found[i].detail);
		json_object_array_add(arr, f);
	}
	return arr;
}

static void add_state(json_object *o, const struct layout *l, const struct vcpu_snap *snap, int stack, bool guard)
{
	json_object_object_add(o, "cpl", json_object_new_int(snap->cpl));
	add_str(o, "pgd", pgd_kind(l, snap->cr3));
	add_hex(o, "cr3", snap->cr3);
	add_hex(o, "rsp", snap->rsp);
	add_str(o, "stack", stack >= 0 ? l->raw.stacks[stack].name : "unregistered");
	if (guard)
		json_object_object_add(o, "stack_guard", json_object_new_boolean(true));
	add_str(o, "gs", gs_kind(l, snap->cpu, snap->gs_base));
	json_object_object_add(o, "if", json_object_new_int((snap->rflags & RFLAGS_IF) ? 1 : 0));
}

bool trace_record_step(FILE *f, struct vcpu_state *v, const struct trace_step_in *in, struct trace_step_out *out)
{
	struct session *s = v->s;
	const struct layout *l = &s->layout;
	struct kvm_regs *regs = kvm_regs(&v->vcpu);
	struct kvm_sregs *sregs = kvm_sregs(&v->vcpu);
	if (!regs || !sregs)
		return false;
	uint8_t *code = out->code;
	char insn[96] = "(unreadable)";
	size_t have = read_insn(&s->vm.mem, sregs->cr3, regs->rip, code);
	out->code_len = have;
	size_t len = have ? disasm_one(code, have, regs->rip, insn, sizeof(insn)) : 0;
	if (len == 0)
		snprintf(insn, sizeof(insn), "(unreadable)");
	out->returns_to_user = returns_to_user(&s->vm.mem, sregs->cr3, regs->rsp, insn);
	enum snap_point point = in->boundary ? SNAP_USER_BOUNDARY : out->returns_to_user ? SNAP_RETURN_POINT : SNAP_PLAIN;

	struct vcpu_snap *snapp = &out->snap;
	if (!snapshot_take(&v->vcpu, point, snapp))
		return false;
	const struct vcpu_snap snap = *snapp;
	struct violation found[MAX_FAILED];
	size_t nrules = 0;
	rules_table(&nrules);
	size_t failed = rules_check_all(&snap, l, found, MAX_FAILED);
	size_t kept = failed < MAX_FAILED ? failed : MAX_FAILED;
	v->n.checks += nrules;
	for (size_t i = 0; i < kept; i++)
		vcpu_record_violation(v, &found[i], &snap);

	bool guard = false;
	out->rsp = snap.rsp;
	out->stack_index = stack_index(l, snap.rsp, &guard);
	out->pgd_kind = pgd_kind(l, snap.cr3);
	out->cpl = snap.cpl;
	out->failed = failed;

	char sym[96], src[128];
	describe_code(s, snap.rip, sym, sizeof(sym), src, sizeof(src));
	json_object *o = json_object_new_object();
	json_object_object_add(o, "i", json_object_new_uint64(in->index));
	json_object_object_add(o, "trip", json_object_new_int((int)in->trip));
	add_hex(o, "rip", snap.rip);
	add_str(o, "sym", sym);
	if (src[0])
		add_str(o, "src", src);
	add_str(o, "insn", insn);
	add_state(o, l, &snap, out->stack_index, guard);
	if (in->event)
		add_str(o, "event", in->event);
	if (in->vector >= 0)
		json_object_object_add(o, "vector", json_object_new_int(in->vector));
	if (in->past_gate)
		json_object_object_add(o, "unreported", json_object_new_int(1));
	json_object_object_add(o, "failed", failures_json(found, kept));
	fputs(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN), f);
	fputc('\n', f);
	json_object_put(o);
	return true;
}
