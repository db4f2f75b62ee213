/* SPDX-License-Identifier: MIT */
#include "inject/sweep.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "inject/inject.h"
#include "kvm/vmsnap.h"
#include "run/session.h"

#define POINT_TIMEOUT_S 10.0
#define STATIC_PATH_MAX 2048

struct sweep {
	const struct inject_spec *spec;
	enum inject_trigger trigger;
	bool reboot;
	double start;
	/* snapshot mode: the VM and the session just before the path */
	struct vmsnap *snap;
	char snap_err[160];
	struct run_result *r_at_snap;
	struct serial serial_at_snap;
	struct vcpu_rewind vcpu_at_snap[SESSION_MAX_VCPUS];
	uint64_t mmio_at_snap;
	double restore_seconds;
	uint64_t restored_pages;
	unsigned path_vcpu;
	int path_task;
	unsigned slot_reloads;
	bool to_end;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static const struct inject_spec *find_sweep_spec(const struct vm_config *cfg)
{
	for (size_t i = 0; i < cfg->ninject; i++)
		if (inject_spec_is_sweep(&cfg->inject[i]))
			return &cfg->inject[i];
	return NULL;
}

static void vcpus_of(struct session *s, struct kvm_vcpu *out[SESSION_MAX_VCPUS])
{
	for (unsigned i = 0; i < s->nvcpus; i++)
		out[i] = &s->vcpus[i].vcpu;
}

/* In the vCPU thread, at the path start: everything a point run starts
 * from.  The other vCPUs are held at a safe point meanwhile. */
static void on_path_start(void *ctx, struct vcpu_state *v)
{
	struct sweep *sw = ctx;
	struct session *s = v->s;
	if (sw->reboot || sw->snap)
		return;
	if (!session_hold_others(s, v)) {
		snprintf(sw->snap_err, sizeof(sw->snap_err), "the run ended while the other vCPUs were being held");
		session_release_others(s);
		return;
	}
	struct kvm_vcpu *vcpus[SESSION_MAX_VCPUS];
	vcpus_of(s, vcpus);
	uint64_t roots[2 * EBX_MAX_TASKS + SESSION_MAX_VCPUS];
	struct vmsnap_options opt = { .pt_roots = roots, .npt_roots = 0,
				      .shadow_paging = s->backend == BACKEND_PVM || s->backend == BACKEND_UNKNOWN };
	for (unsigned i = 0; i < s->layout.raw.ntasks && i < EBX_MAX_TASKS; i++) {
		roots[opt.npt_roots++] = s->layout.raw.tasks[i].kernel_pgd;
		roots[opt.npt_roots++] = s->layout.raw.tasks[i].user_pgd;
	}
	for (unsigned i = 0; i < s->nvcpus; i++) {
		struct kvm_sregs *sr = kvm_sregs(vcpus[i]);
		if (sr)
			roots[opt.npt_roots++] = sr->cr3;
	}
	if (kvm_settle(&v->vcpu) == 0)
		sw->snap = vmsnap_take(&s->vm, vcpus, s->nvcpus, &opt, sw->snap_err, sizeof(sw->snap_err));
	else
		snprintf(sw->snap_err, sizeof(sw->snap_err), "KVM_RUN (immediate exit): %s", strerror(errno));
	if (sw->snap) {
		pthread_mutex_lock(&s->lock);
		*sw->r_at_snap = *s->r;
		sw->serial_at_snap = s->serial;
		sw->mmio_at_snap = s->mmio_exits;
		pthread_mutex_unlock(&s->lock);
		for (unsigned i = 0; i < s->nvcpus; i++) {
			vcpu_save_rewind(&s->vcpus[i], &sw->vcpu_at_snap[i]);
			/* Only the path's vCPU stands on the boundary it was saved at. */
			if (&s->vcpus[i] != v)
				sw->vcpu_at_snap[i].via = 0;
		}
	}
	session_release_others(s);
}

bool sweep_prepare(struct session *s, struct sweep **out, char *err, size_t errlen)
{
	*out = NULL;
	const struct inject_spec *spec = find_sweep_spec(s->cfg);
	if (!spec || s->cfg->point || s->cfg->discover)
		return true;
	struct sweep *sw = calloc(1, sizeof(*sw));
	if (sw)
		sw->r_at_snap = calloc(1, sizeof(*sw->r_at_snap));
	if (!sw || !sw->r_at_snap) {
		free(sw);
		snprintf(err, errlen, "out of memory");
		return false;
	}
	sw->spec = spec;
	sw->reboot = s->cfg->sweep_reboot;
	sw->to_end = s->cfg->sweep_to_end;
	sw->trigger = spec->path == PATH_SYSCALL ? TRIGGER_SYSCALL : TRIGGER_ADDR;
	sw->start = now();
	inject_set_discovery(s, sw->trigger);
	inject_set_path_start_hook(s, on_path_start, sw);
	*out = sw;
	return true;
}

void sweep_free(struct sweep *sw, struct session *s)
{
	if (!sw)
		return;
	vmsnap_free(&s->vm, sw->snap);
	free(sw->r_at_snap);
	free(sw);
}

/* ---- the points -------------------------------------------------------------------------------- */

static bool symbol_range(struct session *s, const struct inject_spec *spec, uint64_t *from, uint64_t *to)
{
	uint64_t a = 0, asz = 0, b = 0, bsz = 0;
	if (!s->syms || !symtab_lookup(s->syms, spec->path_from, &a, &asz))
		return false;
	if (spec->path == PATH_RANGE && !symtab_lookup(s->syms, spec->path_to, &b, &bsz))
		return false;
	*from = a;
	*to = spec->path == PATH_RANGE ? b + bsz : a + asz;
	return *to > *from && *to - *from < (1u << 20);
}

/* Every instruction start in [from, to), decoded from guest memory under the
 * first task's kernel page tables (they map all kernel text). */
static size_t static_points(struct session *s, uint64_t from, uint64_t to, uint64_t *out, size_t max)
{
	uint64_t cr3 = s->layout.raw.ntasks ? s->layout.raw.tasks[0].kernel_pgd : 0;
	size_t n = 0;
	for (uint64_t a = from; a < to && n < max;) {
		uint8_t code[16];
		char text[64];
		size_t len = 0;
		if (gmem_read_virt(&s->vm.mem, cr3, a, code, sizeof(code)))
			len = disasm_one(code, sizeof(code), a, text, sizeof(text));
		if (len == 0)
			break;
		out[n++] = a;
		a += len;
	}
	return n;
}

static void describe_point(struct session *s, uint64_t rip, struct sweep_point *p)
{
	uint64_t cr3 = s->layout.raw.ntasks ? s->layout.raw.tasks[0].kernel_pgd : 0;
	uint8_t code[16];
	p->rip = rip;
	if (s->syms)
		symtab_describe(s->syms, rip, p->at, sizeof(p->at));
	else
		snprintf(p->at, sizeof(p->at), "0x%" PRIx64, rip);
	if (!gmem_read_virt(&s->vm.mem, cr3, rip, code, sizeof(code)) ||
	    !disasm_one(code, sizeof(code), rip, p->insn, sizeof(p->insn)))
		snprintf(p->insn, sizeof(p->insn), "?");
}

static bool restore(struct sweep *sw, struct session *s, char *err, size_t errlen)
{
	double t0 = now();
	struct kvm_vcpu *vcpus[SESSION_MAX_VCPUS];
	vcpus_of(s, vcpus);
	if (!vmsnap_restore(sw->snap, &s->vm, vcpus, s->nvcpus, err, errlen))
		return false;
	sw->restored_pages += vmsnap_restored_pages(sw->snap);
	sw->slot_reloads += vmsnap_reloaded(sw->snap);
	/* Back on the boundary the snapshot was taken at, every breakpoint armed
	 * again: a point's own joins the standard ones. */
	for (unsigned i = 0; i < s->nvcpus; i++)
		vcpu_rewind(&s->vcpus[i], &sw->vcpu_at_snap[i]);
	*s->r = *sw->r_at_snap;
	s->serial = sw->serial_at_snap;
	s->mmio_exits = sw->mmio_at_snap;
	atomic_store(&s->done, false);
	sw->restore_seconds += now() - t0;
	s->start = now();
	return true;
}

static void run_point_reboot(struct session *s, const struct inject_point *pt, struct run_result *pr)
{
	struct vm_config c = *s->cfg;
	c.inject = NULL;
	c.ninject = 0;
	c.point = pt;
	c.discover = 0;
	c.echo_serial = false;
	if (c.timeout_seconds <= 0 || c.timeout_seconds > POINT_TIMEOUT_S)
		c.timeout_seconds = POINT_TIMEOUT_S;
	vm_run(&c, pr);
}

static void judge_point(struct sweep_report *rep, struct sweep_point *p, const struct run_result *pr,
			bool delivered, const char *why)
{
	if (!delivered) {
		p->outcome = INJECT_NOT_REACHED;
		snprintf(p->detail, sizeof(p->detail), "%s", why);
	} else {
		p->outcome = inject_judge(pr, p->detail, sizeof(p->detail));
	}
	switch (p->outcome) {
	case INJECT_SURVIVED: rep->survived++; break;
	case INJECT_VIOLATION: rep->violations++; break;
	case INJECT_TRIPLE_FAULT: rep->triple_faults++; break;
	case INJECT_NOT_REACHED: rep->not_reached++; break;
	case INJECT_FAILED: rep->failed++; break;
	}
}

static void run_point(struct sweep *sw, struct session *s, const struct inject_point *pt, struct sweep_report *rep,
		      struct sweep_point *p, struct run_result *scratch)
{
	char why[160] = "";
	if (sw->reboot) {
		memset(scratch, 0, sizeof(*scratch));
		run_point_reboot(s, pt, scratch);
		/* The point run reports its own delivery in its first injection slot. */
		bool delivered = scratch->ninjections > 0 && scratch->injections[0].reached;
		snprintf(why, sizeof(why), "%.150s", scratch->ninjections ? scratch->injections[0].detail : "no report");
		judge_point(rep, p, scratch, delivered, why);
		result_release(scratch);
		return;
	}
	char err[160];
	if (!restore(sw, s, err, sizeof(err))) {
		p->outcome = INJECT_NOT_REACHED;
		snprintf(p->detail, sizeof(p->detail), "snapshot restore failed: %.120s", err);
		rep->not_reached++;
		return;
	}
	inject_set_point(s, pt);
	session_run_threads(s);
	serial_flush(&s->serial);
	bool delivered = inject_point_delivered(s, why, sizeof(why));
	judge_point(rep, p, s->r, delivered, why);
}

static struct sweep_report *new_report(struct sweep *sw, size_t npoints)
{
	struct sweep_report *rep = calloc(1, sizeof(*rep));
	if (!rep)
		return NULL;
	rep->per_point = calloc(npoints ? npoints : 1, sizeof(*rep->per_point));
	if (!rep->per_point) {
		free(rep);
		return NULL;
	}
	snprintf(rep->spec, sizeof(rep->spec), "%s", sw->spec->text);
	snprintf(rep->mode, sizeof(rep->mode), "%s", sw->reboot ? "reboot" : "snapshot");
	snprintf(rep->horizon, sizeof(rep->horizon), "%s", sw->to_end ? "end" : "return");
	if (sw->spec->path == PATH_SYSCALL)
		snprintf(rep->path, sizeof(rep->path), "syscall");
	else if (sw->spec->path == PATH_RANGE)
		snprintf(rep->path, sizeof(rep->path), "%.40s..%.40s", sw->spec->path_from, sw->spec->path_to);
	else
		snprintf(rep->path, sizeof(rep->path), "%s", sw->spec->path_from);
	return rep;
}

static size_t collect_points(struct sweep *sw, struct session *s, uint64_t **rips_out, char *err, size_t errlen)
{
	if (sw->trigger == TRIGGER_SYSCALL) {
		const uint64_t *rips;
		bool complete = false;
		size_t n = inject_discovered(s, &rips, &complete, &sw->path_vcpu, &sw->path_task);
		if (!complete) {
			snprintf(err, errlen, n ? "the null syscall did not reach its sysretq within %zu steps" :
						  "the run made no null syscall outside a measured region", n);
			return 0;
		}
		*rips_out = malloc(n * sizeof(uint64_t));
		if (*rips_out)
			memcpy(*rips_out, rips, n * sizeof(uint64_t));
		return *rips_out ? n : 0;
	}
	uint64_t from = 0, to = 0;
	if (!symbol_range(s, sw->spec, &from, &to)) {
		snprintf(err, errlen, "path %s..%s names no symbol range in the guest image", sw->spec->path_from,
			 sw->spec->path_to[0] ? sw->spec->path_to : "(its size)");
		return 0;
	}
	*rips_out = malloc(STATIC_PATH_MAX * sizeof(uint64_t));
	return *rips_out ? static_points(s, from, to, *rips_out, STATIC_PATH_MAX) : 0;
}

void sweep_execute(struct sweep *sw, struct session *s)
{
	char err[200] = "";
	uint64_t *rips = NULL;
	size_t n = collect_points(sw, s, &rips, err, sizeof(err));
	if (!sw->reboot && !sw->snap && !err[0])
		snprintf(err, sizeof(err), "no snapshot before the path: %s", sw->snap_err[0] ? sw->snap_err : "path start never reached");
	struct run_result *baseline = malloc(sizeof(*baseline));
	struct run_result *scratch = calloc(1, sizeof(*scratch));
	struct sweep_report *rep = new_report(sw, n);
	if (!baseline || !scratch || !rep) {
		free(baseline);
		free(scratch);
		free(rips);
		if (rep)
			free(rep->per_point);
		free(rep);
		return;
	}
	*baseline = *s->r;
	if (err[0]) {
		n = 0;
		snprintf(baseline->detail, sizeof(baseline->detail), "sweep not run: %s", err);
		rep->not_reached = 1;
		rep->points = 1;
		rep->per_point[0].outcome = INJECT_NOT_REACHED;
		snprintf(rep->per_point[0].detail, sizeof(rep->per_point[0].detail), "%s", err);
	}
	double points_start = now();
	for (size_t i = 0; i < n; i++) {
		struct inject_point pt = {
			.active = true, .kind = sw->spec->kind, .arg = sw->spec->arg, .trigger = sw->trigger,
			.trigger_addr = rips[i], .steps = sw->trigger == TRIGGER_SYSCALL ? i : 0, .expect_rip = rips[i],
			/* A fresh boot need not run the path on the same vCPU. */
			.vcpu = sw->reboot ? INJECT_ANY_VCPU : sw->path_vcpu, .task = sw->path_task,
			.stop_at_return = !s->cfg->sweep_to_end,
		};
		if (sw->trigger == TRIGGER_SYSCALL)
			pt.compare_return = inject_discovered_return(s, pt.return_gpr, &pt.return_rip);
		struct sweep_point *p = &rep->per_point[i];
		describe_point(s, rips[i], p);
		run_point(sw, s, &pt, rep, p, scratch);
		rep->points++;
	}
	struct inject_point none = { .active = false };
	inject_set_point(s, &none); /* the baseline reports no point of its own */
	rep->restore_seconds = sw->restore_seconds;
	rep->restored_pages = sw->restored_pages;
	rep->slot_reloads = sw->slot_reloads;
	rep->wall_seconds = now() - sw->start;
	rep->points_seconds = now() - points_start;
	*s->r = *baseline;
	s->r->sweep = rep;
	free(baseline);
	free(scratch);
	free(rips);
}
