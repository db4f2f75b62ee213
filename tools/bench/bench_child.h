/* SPDX-License-Identifier: MIT */
/* One timed `entrybox run|qemu ...` child process, as a user would start it. */
#ifndef ENTRYBOX_BENCH_CHILD_H
#define ENTRYBOX_BENCH_CHILD_H

#include <json-c/json.h>

struct bench_child {
	int status;               /* exit status, -1 when killed by a signal or not started */
	double wall_seconds;      /* fork to reaped, the whole process */
	json_object *json;        /* the run's --json object, NULL when none */
};

/* Runs this entrybox binary with args (NULL-terminated, without argv[0]),
 * output discarded, adding "--json FILE" when with_json. */
void bench_child_run(const char *const *args, int with_json, struct bench_child *out);
void bench_child_free(struct bench_child *c);

#endif
