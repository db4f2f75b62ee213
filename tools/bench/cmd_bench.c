/* SPDX-License-Identifier: MIT */
/* entrybox bench: the cost of a syscall round trip per model and mode, next
 * to references measured in the same invocation. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench_exit.h"
#include "bench_child.h"
#include "bench_gdb.h"
#include "bench_host.h"
#include "bench_report.h"
#include "cli/commands.h"
#include "cli/selection.h"
#include "matrix/matrix_results.h"

static const char bench_help[] =
	"usage: entrybox bench [--iterations N] [--exits N] [--models M,...] [--iters N] [--out FILE]\n"
	"Measures, each N times (default 5), median and spread:\n"
	"  per model and mode: guest kernel instructions and VM exits per syscall round trip (syscall-loop);\n"
	"  references: the host's getppid round trip, a bare VM exit round trip under this VMM, the same with\n"
	"  every rule evaluated per exit, the boot scenario's wall time under this VMM, QEMU microvm+KVM\n"
	"  and QEMU TCG, a gdb stepi round trip (gdb in batch mode) through this VMM's stub and through\n"
	"  QEMU TCG's (and, from the stub's profile, this VMM's part of it and gdb's), an NMI sweep of the kpti syscall path with snapshots against one rebooting per point\n"
	"  (measured once: it takes a while), and a trace's steps with every rule against bare stepping.\n"
	"  Every figure is printed with its ratio to its reference and written to FILE\n"
	"  (default bench.json).  --exits: exits per exit sample (default 20000); --iters: syscall-loop iters.\n"
	"Exit status: 0 measured; 1 a run failed; 2 bad usage; 3 no /dev/kvm.\n";

enum bench_opt { BOPT_ITERATIONS = 0x300, BOPT_EXITS, BOPT_MODELS, BOPT_ITERS, BOPT_OUT, BOPT_HELP };

#define HOST_CALLS 200000u
#define MAX_REPS 1000u

struct bench_options {
	unsigned long reps, exits, iters;
	const char *models[16];
	size_t nmodels;
	const char *out;
};

static const char *const all_models[] = {
#define ENTRY_MODEL(id, name, summary) name,
#include "models.def"
#undef ENTRY_MODEL
};

static int take_models(struct bench_options *o, char *list)
{
	o->nmodels = 0;
	char *save = NULL;
	for (char *m = strtok_r(list, ",", &save); m; m = strtok_r(NULL, ",", &save)) {
		if (!selection_known_model(m))
			return cli_fail(EBX_STATUS_USAGE, "unknown model '%s' (see entrybox list)", m);
		if (o->nmodels == sizeof(o->models) / sizeof(o->models[0]))
			return cli_fail(EBX_STATUS_USAGE, "too many models");
		o->models[o->nmodels++] = m;
	}
	return o->nmodels ? 0 : cli_fail(EBX_STATUS_USAGE, "--models needs a name");
}

static int handle(void *ctx, int opt, const char *arg)
{
	struct bench_options *o = ctx;
	switch (opt) {
	case BOPT_ITERATIONS: return cli_parse_uint("--iterations", arg, 1, MAX_REPS, &o->reps) ? 0 : EBX_STATUS_USAGE;
	case BOPT_EXITS: return cli_parse_uint("--exits", arg, 1, 100000000ul, &o->exits) ? 0 : EBX_STATUS_USAGE;
	case BOPT_ITERS: return cli_parse_uint("--iters", arg, 1, 10000000ul, &o->iters) ? 0 : EBX_STATUS_USAGE;
	case BOPT_MODELS: return take_models(o, (char *)arg);
	case BOPT_OUT: o->out = arg; return 0;
	case BOPT_HELP: fputs(bench_help, stdout); return CLI_HELP_SHOWN;
	default: return cli_fail(EBX_STATUS_USAGE, "bench: unexpected argument '%s'", arg ? arg : "?");
	}
}

static struct bench_figure *add_ref(struct bench_report *r, const char *name, const char *what, const char *unit,
				    const char *ref, double goal)
{
	struct bench_figure *f = &r->refs[r->nrefs++];
	snprintf(f->name, sizeof(f->name), "%s", name);
	snprintf(f->ref, sizeof(f->ref), "%s", ref);
	f->what = what;
	f->unit = unit;
	f->goal = goal;
	return f;
}

static void set_stat(struct bench_figure *f, double *v, size_t n)
{
	f->stat = bench_stat_of(v, n);
	f->available = n > 0;
}

static void measure_host(struct bench_report *r, unsigned long reps)
{
	double v[MAX_REPS];
	for (unsigned long i = 0; i < reps; i++)
		v[i] = bench_host_getppid_ns(HOST_CALLS);
	set_stat(add_ref(r, "host_getppid_ns", "host getppid round trip", "ns", "", 0), v, reps);
}

/* Bare and rule-checked samples alternate, so drift on the host hits both alike. */
static int measure_exits(struct bench_report *r, const struct bench_options *o)
{
	double bare[MAX_REPS], rules[MAX_REPS];
	struct bench_figure *fb = add_ref(r, "bare_exit_ns", "bare exit round trip (out 0x80, this VMM)", "ns",
					  "host_getppid_ns", 0);
	struct bench_figure *fr = add_ref(r, "rules_exit_ns", "exit round trip + snapshot + every rule", "ns",
					  "bare_exit_ns", 1.5);
	char err[sizeof(fb->note)];
	struct bench_exit_sample s;
	uint64_t checks = 0, failures = 0;
	for (unsigned long i = 0; i < o->reps; i++) {
		if (!bench_exit_measure(false, o->exits, &s, err, sizeof(err)) ||
		    (bare[i] = s.ns_per_exit, !bench_exit_measure(true, o->exits, &s, err, sizeof(err)))) {
			snprintf(fb->note, sizeof(fb->note), "%s", err);
			snprintf(fr->note, sizeof(fr->note), "%s", err);
			return EBX_STATUS_MISMATCH;
		}
		rules[i] = s.ns_per_exit;
		checks += s.checks;
		failures += s.rule_failures;
	}
	set_stat(fb, bare, o->reps);
	set_stat(fr, rules, o->reps);
	snprintf(fr->note, sizeof(fr->note), "%.0f rules per exit; %.1f of them fail per exit: the tiny VM is no kernel, so rules take their reporting paths",
		 (double)checks / (double)(o->exits * o->reps), (double)failures / (double)(o->exits * o->reps));
	return 0;
}

static int measure_boot(struct bench_report *r, const struct bench_options *o, const char *name, const char *what,
			const char *ref, double goal, const char *const *args)
{
	double v[MAX_REPS];
	struct bench_figure *f = add_ref(r, name, what, "s", ref, goal);
	for (unsigned long i = 0; i < o->reps; i++) {
		struct bench_child c;
		bench_child_run(args, 0, &c);
		if (c.status != 0) {
			snprintf(f->note, sizeof(f->note), "'%s %s' ended with status %d", args[0], args[1], c.status);
			return c.status == EBX_STATUS_ENV ? 0 : EBX_STATUS_MISMATCH;
		}
		v[i] = c.wall_seconds;
	}
	set_stat(f, v, o->reps);
	return 0;
}

/* The kpti syscall path swept with an NMI at each instruction: snapshots
 * (R times) against a fresh boot per point (once: it takes about as many
 * boots as the path has instructions). */
static int measure_sweeps(struct bench_report *r, const struct bench_options *o)
{
	static const char *const snap[] = { "run", "--scenario", "syscall-loop", "--inject", "nmi@each:syscall",
					    "--sweep-mode", "snapshot", "--quiet", NULL };
	static const char *const boot[] = { "run", "--scenario", "syscall-loop", "--inject", "nmi@each:syscall",
					    "--sweep-mode", "reboot", "--quiet", NULL };
	struct bench_figure *fb = add_ref(r, "sweep_reboot_ms_per_point", "NMI sweep of the kpti syscall path, reboot",
					  "ms", "", 0);
	struct bench_figure *fs = add_ref(r, "sweep_snapshot_ms_per_point",
					  "the same with snapshots (dirty pages only)", "ms", "sweep_reboot_ms_per_point",
					  1.0 / 30.0);
	double v[MAX_REPS];
	const char *const *modes[] = { boot, snap };
	struct bench_figure *figs[] = { fb, fs };
	for (int m = 0; m < 2; m++) {
		unsigned long reps = m == 0 ? 1 : o->reps;
		for (unsigned long i = 0; i < reps; i++) {
			struct bench_child c;
			bench_child_run(modes[m], 1, &c);
			json_object *sw = c.json ? json_object_object_get(c.json, "sweep") : NULL;
			double points = sw ? json_object_get_double(json_object_object_get(sw, "points")) : 0;
			/* Per point: the baseline run both modes start with is left out. */
			double secs = sw ? json_object_get_double(json_object_object_get(sw, "points_seconds")) : 0;
			bench_child_free(&c);
			if (c.status != 0 || points <= 0 || secs <= 0) {
				snprintf(figs[m]->note, sizeof(figs[m]->note), "the sweep failed (status %d)", c.status);
				return EBX_STATUS_MISMATCH;
			}
			v[i] = 1000.0 * secs / points;
		}
		set_stat(figs[m], v, reps);
	}
	snprintf(fb->note, sizeof(fb->note), "%.1f points/s, measured once", 1000.0 / fb->stat.median);
	snprintf(fs->note, sizeof(fs->note), "%.1f points/s (goal >= 100: %s)", 1000.0 / fs->stat.median,
		 fs->stat.median <= 10.0 ? "met" : "NOT met");
	return 0;
}

/* A trace's steps (every rule, one JSON line each) against the same syscall
 * stepped bare in the same run. */
static int measure_trace(struct bench_report *r, const struct bench_options *o)
{
	struct bench_figure *fb = add_ref(r, "bare_step_us", "single step, bare (kpti null syscall)", "us", "", 0);
	struct bench_figure *ft = add_ref(r, "traced_step_us", "single step traced, every rule and a JSON line", "us",
					  "bare_step_us", 0);
	double bare[MAX_REPS], traced[MAX_REPS];
	char path[] = "/tmp/entrybox-bench-trace-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return EBX_STATUS_MISMATCH;
	close(fd);
	const char *const args[] = { "run", "--scenario", "syscall-loop", "--trace", path, "--trace-path",
				     "null-syscall", "--quiet", NULL };
	int rc = 0;
	for (unsigned long i = 0; i < o->reps && rc == 0; i++) {
		struct bench_child c;
		bench_child_run(args, 0, &c);
		json_object *summary = NULL;
		FILE *f = fopen(path, "r");
		char line[8192];
		while (f && fgets(line, sizeof(line), f))
			if (strstr(line, "\"summary\":true")) {
				json_object_put(summary);
				summary = json_tokener_parse(line);
			}
		if (f)
			fclose(f);
		json_object *b = summary ? json_object_object_get(summary, "bare") : NULL;
		double t = summary ? json_object_get_double(json_object_object_get(summary, "steps_per_second")) : 0;
		double bs = b ? json_object_get_double(json_object_object_get(b, "steps_per_second")) : 0;
		json_object_put(summary);
		if (c.status != 0 || t <= 0 || bs <= 0) {
			snprintf(ft->note, sizeof(ft->note), "the traced run failed (status %d)", c.status);
			rc = EBX_STATUS_MISMATCH;
			break;
		}
		traced[i] = 1e6 / t;
		bare[i] = 1e6 / bs;
	}
	unlink(path);
	if (rc)
		return rc;
	set_stat(fb, bare, o->reps);
	set_stat(ft, traced, o->reps);
	snprintf(ft->note, sizeof(ft->note), "%.0f steps/s traced, %.0f bare", 1e6 / ft->stat.median,
		 1e6 / fb->stat.median);
	return 0;
}

static int measure_boots(struct bench_report *r, const struct bench_options *o)
{
	static const char *const ours[] = { "run", "--scenario", "boot", "--quiet", NULL };
	static const char *const qkvm[] = { "qemu", "--accel", "kvm", "--scenario", "boot", "--quiet", NULL };
	static const char *const qtcg[] = { "qemu", "--accel", "tcg", "--scenario", "boot", "--quiet", NULL };
	int rc = measure_boot(r, o, "boot_qemu_kvm_s", "boot wall time, QEMU microvm -accel kvm", "", 0, qkvm);
	rc |= measure_boot(r, o, "boot_entrybox_s", "boot wall time, entrybox run (this VMM)", "boot_qemu_kvm_s",
			   1.0 / 3.0, ours);
	rc |= measure_boot(r, o, "boot_qemu_tcg_s", "boot wall time, QEMU microvm -accel tcg", "boot_qemu_kvm_s", 0,
			   qtcg);
	return rc ? EBX_STATUS_MISMATCH : 0;
}

/* Steps per gdb session: long enough that gdb's start and symbol loading,
 * outside the timed stepi, do not matter, short enough for QEMU's rate. */
#define GDB_STEPS 4000u

/* stepi through our stub and through QEMU TCG's, alternating so that drift
 * on the host hits both alike.  Without gdb (or its Python) the figures say
 * so; that is no failure of the run. */
static int measure_gdb(struct bench_report *r, const struct bench_options *o)
{
	static const char *const ours[] = { "run", "--scenario", "syscall-loop", "--quiet", "--timeout", "600", NULL };
	static const char *const qemu[] = { "qemu", "--accel", "tcg", "--scenario", "syscall-loop", "--quiet",
					    "--timeout", "600", NULL };
	struct bench_figure *fq = add_ref(r, "gdb_stepi_qemu_tcg_us", "gdb stepi round trip, QEMU TCG's stub", "us",
					  "", 0);
	struct bench_figure *fo = add_ref(r, "gdb_stepi_us", "gdb stepi round trip, this VMM's stub", "us",
					  "gdb_stepi_qemu_tcg_us", 0.1);
	struct bench_figure *fv = add_ref(r, "gdb_stepi_vmm_us", "gdb stepi, this VMM's part (profiled)", "us",
					  "gdb_stepi_qemu_tcg_us", 0);
	struct bench_figure *fg = add_ref(r, "gdb_stepi_gdb_us", "gdb stepi, gdb's part (the stub waits)", "us",
					  "gdb_stepi_qemu_tcg_us", 0);
	double vq[MAX_REPS], vo[MAX_REPS], vv[MAX_REPS], vg[MAX_REPS];
	bool absent = false;
	for (unsigned long i = 0; i < o->reps; i++) {
		/* The timed sessions run as a user's would; a third one, profiled
		 * by the stub, says where a step's time goes. */
		struct bench_gdb_split split;
		double profiled;
		if (bench_gdb_stepi(ours, GDB_STEPS, &vo[i], NULL, &absent, fo->note, sizeof(fo->note)) != 0 ||
		    bench_gdb_stepi(qemu, GDB_STEPS, &vq[i], NULL, &absent, fq->note, sizeof(fq->note)) != 0 ||
		    bench_gdb_stepi(ours, GDB_STEPS, &profiled, &split, &absent, fo->note, sizeof(fo->note)) != 0) {
			/* Every figure says why, whichever run failed. */
			char why[sizeof(fo->note)];
			snprintf(why, sizeof(why), "%s", fo->note[0] ? fo->note : fq->note);
			snprintf(fo->note, sizeof(fo->note), "%s", why);
			snprintf(fq->note, sizeof(fq->note), "%s", why);
			snprintf(fv->note, sizeof(fv->note), "%s", why);
			snprintf(fg->note, sizeof(fg->note), "%s", why);
			return absent ? 0 : EBX_STATUS_MISMATCH;
		}
		vv[i] = split.vmm_us;
		vg[i] = split.gdb_us;
	}
	set_stat(fq, vq, o->reps);
	set_stat(fo, vo, o->reps);
	set_stat(fv, vv, o->reps);
	set_stat(fg, vg, o->reps);
	snprintf(fv->note, sizeof(fv->note), "the stub's profile (ENTRYBOX_GDB_PROFILE) of a third session");
	snprintf(fg->note, sizeof(fg->note), "gdb's own work and the socket: no stub goes below it");
	snprintf(fq->note, sizeof(fq->note), "%.0f steps/s; %u stepi from " BENCH_GDB_FROM " on",
		 1e6 / fq->stat.median, GDB_STEPS);
	snprintf(fo->note, sizeof(fo->note), "%.0f steps/s = %.1fx QEMU's rate (goal: 10x)", 1e6 / fo->stat.median,
		 fq->stat.median / fo->stat.median);
	return 0;
}

struct mode {
	const char *model;
	bool pti, pcid;
};

/* A string member of a run's JSON, "" when absent. */
static const char *json_str(struct json_object *o, const char *key)
{
	struct json_object *v;
	return json_object_object_get_ex(o, key, &v) && json_object_is_type(v, json_type_string)
		       ? json_object_get_string(v)
		       : "";
}

/* R runs of syscall-loop in one mode.  A mode the guest refuses or the
 * machine cannot run is noted, not failed. */
static int measure_mode(struct bench_report *r, const struct bench_options *o, const struct mode *m)
{
	struct bench_figure *fi = &r->insns[r->nmodels], *fe = &r->exits[r->nmodels];
	snprintf(fi->name, sizeof(fi->name), "%s pti=%s pcid=%s", m->model, m->pti ? "on" : "off", m->pcid ? "on" : "off");
	memcpy(fe->name, fi->name, sizeof(fe->name));
	snprintf(fi->ref, sizeof(fi->ref), "%s", r->insns[0].name);
	snprintf(fe->ref, sizeof(fe->ref), "%s", r->insns[0].name);
	fi->what = fi->name, fe->what = "  VM exits, every rule checked";
	fi->unit = "insn", fe->unit = "exits";
	r->nmodels++;
	unsigned long base = o->iters ? o->iters : 200;
	char iters[24], twice[24];
	snprintf(iters, sizeof(iters), "%lu", base);
	snprintf(twice, sizeof(twice), "%lu", 2 * base);
	const char *args[] = { "run", "--entry", m->model, "--pti", m->pti ? "on" : "off", "--pcid", m->pcid ? "on" : "off",
			       "--scenario", "syscall-loop", "--iters", iters, "--quiet", NULL };
	double vi[MAX_REPS], ve[MAX_REPS];
	for (unsigned long i = 0; i < o->reps; i++) {
		struct bench_child c, c2;
		args[10] = iters;
		bench_child_run(args, 1, &c);
		args[10] = twice;
		bench_child_run(args, 1, &c2);
		/* A run that broke a rule or missed its outcome still executed and
		 * measured the path; its cost is reported with a note, and the
		 * matrix is where its verdict belongs. */
		bool ran = (c.status == EBX_STATUS_OK || c.status == EBX_STATUS_MISMATCH) && c2.status == c.status;
		bool ok = ran && matrix_measure_insns(c.json, &vi[i]) &&
			  matrix_exits_per_rt(c.json, c2.json, (double)base, &ve[i]);
		if (ok && c.status == EBX_STATUS_MISMATCH)
			snprintf(fi->note, sizeof(fi->note), "the run did not end as expected (status 1; see entrybox run)");
		if (c.json && !r->backend[0])
			snprintf(r->backend, sizeof(r->backend), "%s",
				 json_object_get_string(json_object_object_get(c.json, "backend")));
		/* A mode the model does not implement passes as not applicable,
		 * with the model's reason: nothing ran to be measured. */
		bool not_applicable = !ok && c.status == EBX_STATUS_OK && c.json &&
				      strcmp(json_str(c.json, "outcome"), "not-applicable") == 0;
		if (not_applicable)
			snprintf(fi->note, sizeof(fi->note), "n/a: %s", json_str(c.json, "detail"));
		bench_child_free(&c);
		bench_child_free(&c2);
		if (!ok) {
			const char *why = c.status == EBX_STATUS_USAGE ? "n/a: the guest refuses this combination"
					  : c.status == EBX_STATUS_ENV ? "unsupported on this machine"
									: "the run failed or measured nothing";
			if (!not_applicable)
				snprintf(fi->note, sizeof(fi->note), "%s (status %d)", why, c.status);
			memcpy(fe->note, fi->note, sizeof(fe->note));
			return not_applicable || c.status == EBX_STATUS_USAGE || c.status == EBX_STATUS_ENV ? 0
													: EBX_STATUS_MISMATCH;
		}
	}
	set_stat(fi, vi, o->reps);
	set_stat(fe, ve, o->reps);
	memcpy(fe->note, fi->note, sizeof(fe->note));
	return 0;
}

static int measure_models(struct bench_report *r, const struct bench_options *o)
{
	int rc = 0;
	size_t n = o->nmodels ? o->nmodels : sizeof(all_models) / sizeof(all_models[0]);
	for (size_t i = 0; i < n; i++)
		for (int pti = 1; pti >= 0; pti--)
			for (int pcid = 0; pcid <= 1 && r->nmodels < BENCH_MAX_FIGURES; pcid++) {
				struct mode m = { o->nmodels ? o->models[i] : all_models[i], pti, pcid };
				rc |= measure_mode(r, o, &m);
			}
	/* Ratios are to the first mode that was measured: the first one asked
	 * for may be a mode the model does not implement. */
	for (size_t i = 0; i < r->nmodels; i++) {
		if (!r->insns[i].available)
			continue;
		for (size_t j = 0; j < r->nmodels; j++) {
			snprintf(r->insns[j].ref, sizeof(r->insns[j].ref), "%s", r->insns[i].name);
			snprintf(r->exits[j].ref, sizeof(r->exits[j].ref), "%s", r->insns[i].name);
		}
		break;
	}
	return rc ? EBX_STATUS_MISMATCH : 0;
}

/* Ring-0 cycles on kvm_pvm time the emulator (docs/design.md §10); say so rather
 * than print numbers that look like entry costs. */
static void cycles_note(struct bench_report *r)
{
	if (strcmp(r->backend, "vmx") == 0 || strcmp(r->backend, "svm") == 0)
		snprintf(r->cycles_note, sizeof(r->cycles_note),
			 "backend %s: the guest's measure region reports no TSC figure yet, so no cycles are given",
			 r->backend);
	else
		snprintf(r->cycles_note, sizeof(r->cycles_note),
			 "backend %s: ring-0 code is emulated here, so its cycles are emulation cycles; left out",
			 r->backend[0] ? r->backend : "unknown");
}

int cmd_bench(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "iterations", required_argument, NULL, BOPT_ITERATIONS }, { "exits", required_argument, NULL, BOPT_EXITS },
		{ "models", required_argument, NULL, BOPT_MODELS },         { "iters", required_argument, NULL, BOPT_ITERS },
		{ "out", required_argument, NULL, BOPT_OUT },               { "help", no_argument, NULL, BOPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct bench_options o = { .reps = 5, .exits = 20000, .out = "bench.json" };
	int rc = cli_parse("bench", argc, argv, opts, handle, &o);
	if (rc != 0)
		return rc == CLI_HELP_SHOWN ? EBX_STATUS_OK : rc;
	int kvm = cli_require_kvm("bench", NULL);
	if (kvm != 0)
		return kvm;
	struct bench_report *r = calloc(1, sizeof(*r));
	if (!r)
		return cli_fail(EBX_STATUS_ENV, "out of memory");
	r->repetitions = (unsigned)o.reps;
	measure_host(r, o.reps);
	rc = measure_exits(r, &o);
	rc |= measure_boots(r, &o);
	rc |= measure_gdb(r, &o);
	rc |= measure_sweeps(r, &o);
	rc |= measure_trace(r, &o);
	rc |= measure_models(r, &o);
	cycles_note(r);
	bench_report_ratios(r);
	bench_report_print(stdout, r);
	if (bench_report_write_json(r, o.out) != 0)
		rc = cli_fail(EBX_STATUS_USAGE, "bench: cannot write %s: %s", o.out, strerror(errno));
	else
		printf("figures: %s\n", o.out);
	free(r);
	return rc ? (rc == EBX_STATUS_USAGE ? rc : EBX_STATUS_MISMATCH) : EBX_STATUS_OK;
}
