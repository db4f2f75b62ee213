/* SPDX-License-Identifier: MIT */
/*
 * A run of `entrybox run --gdb 127.0.0.1:0` driven from a test: start it,
 * learn the port it listens on from its stderr, drive it with the real gdb in
 * batch mode (or with raw protocol bytes), then collect its status and JSON.
 */
#ifndef ENTRYBOX_GDB_SESSION_H
#define ENTRYBOX_GDB_SESSION_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct gdb_session {
	pid_t pid;
	int err_fd;               /* entrybox's stderr */
	int port;
	char json_path[64];
	char stderr_text[16384];
	size_t stderr_len;
	int status;               /* entrybox's exit status, -1 if killed */
	json_object *json;
	char *gdb_out;            /* gdb's stdout and stderr */
	int gdb_status;
};

/* SKIPs the program (status 77, one line) when gdb is not installed. */
void gdb_session_require_gdb(void);
/* Starts `entrybox run ARGS... --gdb 127.0.0.1:0 [--gdb-wait] --json F` and
 * waits until it says where it listens. */
void gdb_session_start(struct gdb_session *s, const char *const *args, bool wait);
/* gdb -batch over the guest image with `script` ("PORT" replaced by the
 * port), its output in s->gdb_out. */
void gdb_session_gdb(struct gdb_session *s, const char *script);
/* What entrybox has said on stderr so far (waiting up to ms for more). */
const char *gdb_session_stderr(struct gdb_session *s, int ms);
/* Waits for entrybox to end and reads its JSON. */
void gdb_session_finish(struct gdb_session *s);
void gdb_session_free(struct gdb_session *s);

/* The hex number after "KEY=" in gdb's output (the n-th occurrence, from 0). */
bool gdb_session_value(const struct gdb_session *s, const char *key, unsigned nth, uint64_t *v);

#endif
