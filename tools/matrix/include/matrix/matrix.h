/* SPDX-License-Identifier: MIT */
/*
 * entrybox matrix: every model x mode x scenario, each run a child process of
 * entrybox itself.  The cells are planned (matrix_plan.c), run in parallel
 * (matrix_runner.c), judged from their JSON (matrix_results.c), then written
 * out as JSON, CSV, a table and plots.
 */
#ifndef ENTRYBOX_MATRIX_H
#define ENTRYBOX_MATRIX_H

#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>

#include "cli/selection.h"

/* kvm: this machine's /dev/kvm; qemu-tcg: QEMU's TCG, the reference CPU;
 * libvirt: libvirt domains; svm-box: this VMM inside SVM boxes (kvm_amd). */
enum matrix_engine {
	MATRIX_ENGINE_KVM = 0, MATRIX_ENGINE_QEMU_TCG, MATRIX_ENGINE_LIBVIRT, MATRIX_ENGINE_SVM_BOX, MATRIX_ENGINE_COUNT
};

/* How a cell came out, as the table shows it. */
enum matrix_category {
	MATRIX_PASS = 0,        /* outcome "pass" as expected, no violation */
	MATRIX_XFAIL,           /* an expected failure that showed what proves it */
	MATRIX_UNEXPECTED,      /* mismatch, violation, crash or timeout of the run */
	MATRIX_NA,              /* the guest refused the combination (status 2) */
	MATRIX_UNSUPPORTED,     /* the machine lacks what the combination needs (status 3) */
	MATRIX_DEVIATION,       /* a mismatch the backend is known to cause (backend_deviation) */
	MATRIX_CATEGORY_COUNT,
};

/* A cell is tried on at most this many libvirt hosts. */
#define MATRIX_MAX_ATTEMPTS 8

/* One attempt of a cell on a libvirt host. */
struct matrix_attempt {
	const char *host;         /* URI, NULL: libvirt's default */
	char result[200];         /* "ran", or how the host failed it */
};

struct matrix_host;

/* One run of the matrix. */
struct matrix_cell {
	/* the plan */
	enum matrix_engine engine;
	const char *model, *scenario;
	bool pti, pcid;
	unsigned vcpus;
	unsigned long iters;      /* guest iters=, 0: the matrix's --iters or the run's default */
	/* A cost run: syscall-loop again with twice the iterations, so the exits
	 * per round trip come from the difference of two whole runs. */
	bool cost_run;
	struct matrix_cell *cost_partner;  /* grid cell <-> its cost run */
	/* the run (matrix_runner.c) */
	int exit_status;          /* the child's exit status, -1 when it died by a signal */
	int term_signal;          /* the signal that ended it, 0 if none */
	bool killed;              /* the runner killed it after its deadline */
	double wall_seconds;
	char json_path[PATH_MAX], log_path[PATH_MAX];
	/* --engine libvirt: the hosts it was tried on, the last one ran it (matrix_hosts.h) */
	struct matrix_host *host;
	unsigned nattempts;
	struct matrix_attempt attempts[MATRIX_MAX_ATTEMPTS];
	/* the verdict (matrix_results.c) */
	enum matrix_category category;
	struct json_object *row;  /* the run's JSON object (owned), or one made for a run that left none */
	bool has_cost;            /* syscall round-trip cost measured (a syscall-loop measure region) */
	double instructions_per_rt, exits_per_rt;  /* exits_per_rt < 0: not known (the cost run failed) */
	bool disagrees;           /* the other engine's cell of the same selection came out differently */
};

#define MATRIX_MAX_LIST 64

struct matrix_options {
	unsigned jobs;
	unsigned box_jobs;        /* SVM boxes at once, 0: --jobs */
	const char *out_dir;
	bool engines[MATRIX_ENGINE_COUNT];
	const char *models[MATRIX_MAX_LIST];
	size_t nmodels;           /* 0: every model in entry/models.def */
	const char *scenarios[MATRIX_MAX_LIST];
	size_t nscenarios;        /* 0: every scenario in scenarios.def */
	bool pti[2], pcid[2];     /* [0] = off, [1] = on: which values run */
	unsigned vcpus[MATRIX_MAX_LIST];
	size_t nvcpus;
	unsigned long iters;      /* 0: the run's default */
	double timeout;           /* per run, 0: the run's default */
	const char *guest;        /* resolved guest image */
	const char *extra[SELECTION_MAX_EXTRA];
	size_t nextra;
	bool plots;
	/* --engine libvirt: cells go to these libvirt URIs (NULL: libvirt's
	 * default), as domains of this type, their consoles connecting back to
	 * console_host (NULL: the run's default). */
	const char *connect;
	const char *domain_type;
	const char *console_host;
};

struct matrix_hosts;

struct matrix {
	struct matrix_options opt;
	struct matrix_hosts *hosts;  /* --engine libvirt */
	struct matrix_cell *cells;
	size_t ncells;            /* every run: the grid, then the cost runs */
	size_t ngrid;             /* the table's cells: cells[0, ngrid) */
	double wall_seconds;
	char backend[8];          /* the KVM backend the kvm cells reported ("pvm", "vmx", ...) */
};

const char *matrix_engine_name(enum matrix_engine e);
const char *matrix_category_name(enum matrix_category c);

#endif
