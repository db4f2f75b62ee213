/* SPDX-License-Identifier: MIT */
/* entrybox matrix: every model x mode x scenario, in parallel, as child runs
 * of entrybox itself; a table, results.json, results.csv and plots. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/commands.h"
#include "cli/guest_image.h"
#include "engines/libvirt.h"
#include "engines/qemu.h"
#include "matrix/matrix.h"
#include "matrix/matrix_results.h"
#include "matrix_box.h"
#include "matrix_csv.h"
#include "matrix_hosts.h"
#include "matrix_plan.h"
#include "matrix_plots.h"
#include "matrix_progress.h"
#include "matrix_runner.h"
#include "matrix_table.h"

static const char matrix_help[] =
	"usage: entrybox matrix [--jobs N] [--out DIR] [--engine kvm|qemu-tcg|libvirt|svm-box[,...]] [--box-jobs N]\n"
	"                       [--connect URI[,URI...]] [--domain-type qemu|kvm] [--console-host ADDR]\n"
	"                       [--models M,...] [--scenarios S,...] [--pti on,off] [--pcid on,off]\n"
	"                       [--vcpus N,...] [--iters N] [--timeout S] [--guest ELF] [--no-plots]\n"
	"                       [--extra KEY=VALUE]... [KEY=VALUE]...\n"
	"Runs every model x pti x pcid x vcpus x scenario (default: all of them, pti and pcid on and off,\n"
	"vcpus 1 and 2) as separate 'entrybox run' (or 'entrybox qemu --accel tcg') processes, --jobs at a\n"
	"time (default: the number of cores). Writes DIR/results.json, DIR/results.csv, DIR/runs/ (each run's\n"
	"JSON and log) and plots DIR/cost.{png,svg}, DIR/outcomes.{png,svg} (gnuplot); prints a table.\n"
	"A combination the guest refuses is n/a, one the machine cannot run is unsupported.\n"
	"With several engines, a selection whose runs disagree is marked '!' and listed as DISAGREE: a different\n"
	"outcome, or (kvm vs svm-box, both under this VMM) different rules violated or instructions per round trip.\n"
	"--engine svm-box runs the cells under this VMM inside SVM boxes (tools/svm-box.sh: kvm_amd nested in QEMU\n"
	"TCG), --box-jobs boxes at once (default --jobs), so a machine without /dev/kvm runs them too.\n"
	"--engine libvirt runs each cell as a libvirt domain; with several --connect URIs the cells are spread\n"
	"over the hosts. Each host gets the guest image uploaded at the start (on another machine); a host that\n"
	"cannot be reached is left out. A run whose host fails it (connection lost, domain not started) is\n"
	"tried on another host; every cell is listed once, with its host and attempts. A remote host needs\n"
	"--console-host: an address of this machine the hosts reach.\n"
	"Exit status: 0 every run as expected and no disagreement; 1 otherwise; 2 bad usage; 3 no KVM/QEMU.\n";

enum matrix_opt {
	MOPT_JOBS = 0x200, MOPT_OUT, MOPT_ENGINE, MOPT_MODELS, MOPT_SCENARIOS, MOPT_PTI, MOPT_PCID, MOPT_VCPUS,
	MOPT_ITERS, MOPT_TIMEOUT, MOPT_GUEST, MOPT_EXTRA, MOPT_NO_PLOTS, MOPT_HELP, MOPT_CONNECT, MOPT_DOMAIN_TYPE,
	MOPT_BOX_JOBS, MOPT_CONSOLE_HOST,
};

/* Extras are checked by the same rules as run's, so a bad one stops the
 * matrix here instead of making every cell n/a.  Each goes to the models
 * that take its key (their rows show it); a key no model takes is an error. */
static int add_extra(struct matrix_options *o, const char *arg)
{
	struct selection s;
	selection_defaults(&s);
	for (size_t i = 0; i < o->nextra; i++)
		s.extra[s.nextra++] = o->extra[i];
	int rc = selection_add_extra(&s, arg);
	if (rc == 0)
		rc = matrix_plan_check_extra(arg);
	if (rc == 0)
		o->extra[o->nextra++] = arg;
	return rc;
}

static int parse_number(const char *flag, const char *arg, unsigned long max, unsigned long *out)
{
	return cli_parse_uint(flag, arg, 1, max, out) ? 0 : EBX_STATUS_USAGE;
}

static int handle(void *ctx, int opt, const char *arg)
{
	struct matrix_options *o = ctx;
	unsigned long n;
	int rc;
	switch (opt) {
	case MOPT_JOBS:
		rc = parse_number("--jobs", arg, 256, &n);
		o->jobs = (unsigned)n;
		return rc;
	case MOPT_BOX_JOBS:
		rc = parse_number("--box-jobs", arg, BOX_POOL_MAX, &n);
		o->box_jobs = (unsigned)n;
		return rc;
	case MOPT_OUT: o->out_dir = arg; return 0;
	case MOPT_ENGINE: return matrix_plan_engines(o, (char *)arg);
	case MOPT_MODELS: return matrix_plan_models(o, (char *)arg);
	case MOPT_SCENARIOS: return matrix_plan_scenarios(o, (char *)arg);
	case MOPT_PTI: return matrix_plan_on_off("--pti", o->pti, (char *)arg);
	case MOPT_PCID: return matrix_plan_on_off("--pcid", o->pcid, (char *)arg);
	case MOPT_VCPUS: return matrix_plan_vcpus(o, (char *)arg);
	case MOPT_ITERS: return parse_number("--iters", arg, 10000000ul, &o->iters);
	case MOPT_TIMEOUT: return cli_parse_seconds("--timeout", arg, 3600.0, &o->timeout) ? 0 : EBX_STATUS_USAGE;
	case MOPT_GUEST: o->guest = arg; return 0;
	case MOPT_NO_PLOTS: o->plots = false; return 0;
	case MOPT_CONNECT:
		if (libvirt_uri_count(arg) == 0)
			return cli_fail(EBX_STATUS_USAGE, "--connect '%s': expects URI[,URI...] with no empty item", arg);
		o->connect = arg;
		return 0;
	case MOPT_CONSOLE_HOST:
		if (!*arg)
			return cli_fail(EBX_STATUS_USAGE, "--console-host takes an address of this machine");
		o->console_host = arg;
		return 0;
	case MOPT_DOMAIN_TYPE:
		if (strcmp(arg, "qemu") != 0 && strcmp(arg, "kvm") != 0)
			return cli_fail(EBX_STATUS_USAGE, "--domain-type takes qemu or kvm, not '%s'", arg);
		o->domain_type = arg;
		return 0;
	case MOPT_EXTRA:
	case 0:
		return add_extra(o, arg);
	case MOPT_HELP:
		fputs(matrix_help, stdout);
		return CLI_HELP_SHOWN;
	default:
		return cli_fail(EBX_STATUS_USAGE, "matrix: unexpected option");
	}
}

static int parse(int argc, char **argv, struct matrix_options *o)
{
	static const struct option opts[] = {
		{ "jobs", required_argument, NULL, MOPT_JOBS },
		{ "box-jobs", required_argument, NULL, MOPT_BOX_JOBS },
		{ "out", required_argument, NULL, MOPT_OUT },
		{ "engine", required_argument, NULL, MOPT_ENGINE },
		{ "models", required_argument, NULL, MOPT_MODELS },
		{ "scenarios", required_argument, NULL, MOPT_SCENARIOS },
		{ "pti", required_argument, NULL, MOPT_PTI },
		{ "pcid", required_argument, NULL, MOPT_PCID },
		{ "vcpus", required_argument, NULL, MOPT_VCPUS },
		{ "iters", required_argument, NULL, MOPT_ITERS },
		{ "timeout", required_argument, NULL, MOPT_TIMEOUT },
		{ "guest", required_argument, NULL, MOPT_GUEST },
		{ "extra", required_argument, NULL, MOPT_EXTRA },
		{ "no-plots", no_argument, NULL, MOPT_NO_PLOTS },
		{ "connect", required_argument, NULL, MOPT_CONNECT },
		{ "domain-type", required_argument, NULL, MOPT_DOMAIN_TYPE },
		{ "console-host", required_argument, NULL, MOPT_CONSOLE_HOST },
		{ "help", no_argument, NULL, MOPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	matrix_plan_defaults(o);
	long cores = sysconf(_SC_NPROCESSORS_ONLN);
	o->jobs = cores > 0 ? (unsigned)cores : 1;
	o->out_dir = "matrix-out";
	return cli_parse("matrix", argc, argv, opts, handle, o);
}

/* Checked once here: otherwise every cell would report the same missing piece. */
static int check_environment(struct matrix_options *o, char *guest, size_t len)
{
	int rc = guest_image_resolve(o->guest, guest, len);
	if (rc != 0)
		return rc;
	o->guest = guest;
	int rc_kvm;
	if (o->engines[MATRIX_ENGINE_KVM] &&
	    (rc_kvm = cli_require_kvm("matrix", "'--engine svm-box' (the cells in SVM boxes) or '--engine qemu-tcg'")) != 0)
		return rc_kvm;
	char box[PATH_MAX];
	if (o->engines[MATRIX_ENGINE_SVM_BOX] && !box_pool_script(box, sizeof(box)))
		return cli_fail(EBX_STATUS_ENV, "matrix: --engine svm-box: no executable %s", box);
	char qemu[PATH_MAX];
	if (o->engines[MATRIX_ENGINE_QEMU_TCG] && !qemu_find_binary(NULL, qemu, sizeof(qemu)))
		return cli_fail(EBX_STATUS_ENV, "matrix: no qemu-system-x86_64 (or $ENTRYBOX_QEMU) for --engine qemu-tcg");
	return 0;
}

struct run_ctx {
	struct matrix_progress progress;
};

static void on_done(void *ctx, struct matrix_cell *c)
{
	struct run_ctx *r = ctx;
	matrix_results_judge(c);
	matrix_progress_cell(&r->progress, c);
}

static int write_outputs(const struct matrix *m)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/results.json", m->opt.out_dir);
	if (matrix_results_write_json(m, path) != 0)
		return cli_fail(EBX_STATUS_USAGE, "matrix: cannot write %s: %s", path, strerror(errno));
	snprintf(path, sizeof(path), "%s/results.csv", m->opt.out_dir);
	if (matrix_csv_write(m, path) != 0)
		return cli_fail(EBX_STATUS_USAGE, "matrix: cannot write %s: %s", path, strerror(errno));
	return 0;
}

static bool any_unexpected(const struct matrix *m)
{
	for (size_t i = 0; i < m->ngrid; i++)
		if (m->cells[i].category == MATRIX_UNEXPECTED)
			return true;
	return false;
}

static int run_matrix(struct matrix *m)
{
	if (matrix_plan_build(m) != 0)
		return cli_fail(EBX_STATUS_ENV, "matrix: out of memory");
	if (m->ncells == 0)
		return cli_fail(EBX_STATUS_USAGE, "matrix: the filters leave no run");
	struct run_ctx ctx;
	fprintf(stderr, "entrybox matrix: %zu runs (%zu cells, %zu cost runs), %u at a time, results in %s/\n",
		m->ncells, m->ngrid, m->ncells - m->ngrid, m->opt.jobs, m->opt.out_dir);
	matrix_progress_start(&ctx.progress, stderr, m->ncells);
	int rc = matrix_run_all(m, on_done, &ctx);
	matrix_progress_finish(&ctx.progress);
	m->wall_seconds = matrix_progress_now() - ctx.progress.start;
	if (rc != 0)
		return rc;
	matrix_results_costs(m);
	size_t disagreements = matrix_results_compare(m);
	matrix_results_backend(m);
	if ((rc = write_outputs(m)) != 0)
		return rc;
	matrix_table_print(stdout, m, disagreements);
	if (m->hosts)
		matrix_hosts_report(m->hosts, stdout);
	if (m->opt.plots && matrix_plots_draw(m) == 0)
		printf("plots: %s/cost.{png,svg} %s/outcomes.{png,svg}\n", m->opt.out_dir, m->opt.out_dir);
	printf("results: %s/results.json %s/results.csv\n", m->opt.out_dir, m->opt.out_dir);
	fflush(stdout);
	return any_unexpected(m) || disagreements ? EBX_STATUS_MISMATCH : EBX_STATUS_OK;
}

int cmd_matrix(int argc, char **argv)
{
	struct matrix m;
	memset(&m, 0, sizeof(m));
	int rc = parse(argc, argv, &m.opt);
	if (rc != 0)
		return rc == CLI_HELP_SHOWN ? EBX_STATUS_OK : rc;
	char guest[PATH_MAX];
	if ((rc = check_environment(&m.opt, guest, sizeof(guest))) != 0)
		return rc;
	struct matrix_hosts *hosts = NULL;
	if (m.opt.engines[MATRIX_ENGINE_LIBVIRT]) {
		hosts = calloc(1, sizeof(*hosts));
		if (!hosts)
			return cli_fail(EBX_STATUS_ENV, "matrix: out of memory");
		if ((rc = matrix_hosts_open(hosts, m.opt.connect, m.opt.guest)) != 0) {
			matrix_hosts_close(hosts);
			free(hosts);
			return rc;
		}
		m.hosts = hosts;
	}
	rc = run_matrix(&m);
	matrix_results_free(&m);
	free(m.cells);
	if (hosts)
		matrix_hosts_close(hosts);
	free(hosts);
	return rc;
}
