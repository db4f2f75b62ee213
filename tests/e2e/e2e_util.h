/* SPDX-License-Identifier: MIT */
/* Running the real entrybox binary from end-to-end tests and reading its JSON. */
#ifndef ENTRYBOX_E2E_UTIL_H
#define ENTRYBOX_E2E_UTIL_H

#include <json-c/json.h>
#include <stdbool.h>

struct e2e_run {
	int status;              /* exit status of entrybox, -1 if it died by a signal */
	char stderr_text[8192];
	int stderr_lines;
	json_object *json;       /* parsed --json output, NULL if none */
};

/* Runs ENTRYBOX_BIN with argv (NULL-terminated, without argv[0]); when
 * with_json, appends "--json FILE" and parses it. */
void e2e_run(struct e2e_run *out, bool with_json, const char *const *args);
void e2e_free(struct e2e_run *r);

const char *e2e_str(json_object *o, const char *key);
long long e2e_int(json_object *o, const char *key);
/* For the programs of the `kvm` suite, first thing in main(): returns when
 * /dev/kvm is usable, otherwise ends the program as failed with one line that
 * says where these tests run (tools/svm-box.sh).  Never a skip: a suite that
 * cannot run must not look as if it passed. */
void e2e_require_kvm(void);
/* Exits with status 77 (meson's SKIP) after printing "SKIP: reason" when QEMU is absent. */
void e2e_require_qemu(void);
/* The path of a hostile test guest (tests/guests/NAME.S) in $HOSTILE_GUEST_DIR. */
void e2e_hostile_guest(const char *name, char *buf, size_t len);
/* What every engine must make of the hostile guests: `verdicts` (two result
 * lines that count, one too long to be one) and `flood` (the console limit). */
void e2e_assert_repeated_verdicts(const struct e2e_run *r, const char *engine);
void e2e_assert_flood_stopped(const struct e2e_run *r, const char *engine);
/* True when the JSON's violations[] has an entry with this rule and a non-empty symbol and insn. */
bool e2e_has_violation(json_object *o, const char *rule);

#endif
