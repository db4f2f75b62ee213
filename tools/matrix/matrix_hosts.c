/* SPDX-License-Identifier: MIT */
#include "matrix_hosts.h"

#include <json-c/json.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/status.h"
#include "matrix/matrix_results.h"

static const char *uri_name(const char *uri)
{
	return uri ? uri : "(libvirt's default URI)";
}

static int split(struct matrix_hosts *h, const char *list)
{
	if (!list) {
		h->n = 1;
		h->host[0].uri = NULL;
		return 0;
	}
	h->list = strdup(list);
	if (!h->list)
		return -1;
	char *save = NULL;
	for (char *uri = strtok_r(h->list, ",", &save); uri && h->n < LIBVIRT_URI_LIST_MAX;
	     uri = strtok_r(NULL, ",", &save))
		h->host[h->n++].uri = uri;
	return 0;
}

int matrix_hosts_open(struct matrix_hosts *h, const char *list, const char *guest)
{
	memset(h, 0, sizeof(*h));
	if (split(h, list) != 0)
		return cli_fail(EBX_STATUS_ENV, "matrix: out of memory");
	unsigned up = 0;
	for (unsigned i = 0; i < h->n; i++) {
		struct matrix_host *host = &h->host[i];
		char path[PATH_MAX], err[PATH_MAX + 200];
		/* The image where the runs will look for it: placed once, before
		 * several runs could race to upload it. */
		host->up = libvirt_prepare_image(host->uri, guest, LIBVIRT_IMAGE_AUTO, path, sizeof(path), err,
						 sizeof(err));
		if (host->up) {
			up++;
			continue;
		}
		host->down_at_start = true;
		snprintf(host->why, sizeof(host->why), "%.199s", err);
		fprintf(stderr, "entrybox matrix: libvirt host %s left out: %s\n", uri_name(host->uri), err);
	}
	if (up == 0)
		return cli_fail(EBX_STATUS_ENV, "matrix: no libvirt host can run the matrix");
	return 0;
}

void matrix_hosts_close(struct matrix_hosts *h)
{
	free(h->list);
	h->list = NULL;
}

static bool tried_on(const struct matrix_cell *c, const struct matrix_host *host)
{
	for (unsigned i = 0; i < c->nattempts; i++)
		if (c->attempts[i].host == host->uri)
			return true;
	return false;
}

struct matrix_host *matrix_hosts_pick(struct matrix_hosts *h, const struct matrix_cell *c)
{
	if (c->nattempts >= MATRIX_MAX_ATTEMPTS)
		return NULL;
	struct matrix_host *best = NULL;
	for (unsigned i = 0; i < h->n; i++) {
		struct matrix_host *host = &h->host[i];
		if (!host->up || tried_on(c, host))
			continue;
		/* The fewest in flight, then the fewest so far: an even spread. */
		if (!best || host->running < best->running ||
		    (host->running == best->running && host->assigned < best->assigned))
			best = host;
	}
	return best;
}

/* "host-lost: <why>" from the run's own JSON, or "" when the run was not lost. */
static void lost_reason(const struct matrix_cell *c, char *out, size_t len)
{
	out[0] = '\0';
	struct json_object *o = json_object_from_file(c->json_path), *end, *why;
	if (!o)
		return;
	if (json_object_object_get_ex(o, "end", &end) && json_object_is_type(end, json_type_string) &&
	    strcmp(json_object_get_string(end), "host-lost") == 0) {
		const char *reason = json_object_object_get_ex(o, "end_reason", &why) ? json_object_get_string(why) : "";
		snprintf(out, len, "host-lost: %s", reason ? reason : "");
	}
	json_object_put(o);
}

/* Whether the host failed this attempt, and how. A run the host could not even
 * start exits with status 3 and leaves no JSON (its one line is in the log). */
static bool host_failed(const struct matrix_cell *c, char *how, size_t len)
{
	if (c->killed || c->exit_status < 0)
		return false;
	lost_reason(c, how, len);
	if (how[0])
		return true;
	if (c->exit_status != EBX_STATUS_ENV || access(c->json_path, F_OK) == 0)
		return false;
	char last[160];
	matrix_log_last_line(c->log_path, last, sizeof(last));
	snprintf(how, len, "not started: %s", last[0] ? last : "no reason given");
	return true;
}

static void mark_down(struct matrix_host *host, const char *why)
{
	host->up = false;
	snprintf(host->why, sizeof(host->why), "%s", why);
	fprintf(stderr, "entrybox matrix: libvirt host %s is down (%s); its runs go to the other hosts\n",
		uri_name(host->uri), why);
}

bool matrix_hosts_attempt_done(struct matrix_hosts *h, struct matrix_cell *c)
{
	(void)h;
	struct matrix_host *host = c->host;
	struct matrix_attempt *a = &c->attempts[c->nattempts - 1];
	host->running--;
	if (!host_failed(c, a->result, sizeof(a->result))) {
		snprintf(a->result, sizeof(a->result), "ran");
		host->ran++;
		return false;
	}
	host->lost++;
	char err[200];
	if (host->up && !libvirt_host_reachable(host->uri, err, sizeof(err)))
		mark_down(host, err);
	return true;
}

void matrix_hosts_report(const struct matrix_hosts *h, FILE *out)
{
	for (unsigned i = 0; i < h->n; i++) {
		const struct matrix_host *host = &h->host[i];
		if (host->down_at_start) {
			fprintf(out, "libvirt host %s: left out at the start (%s)\n", uri_name(host->uri), host->why);
			continue;
		}
		fprintf(out, "libvirt host %s: %u runs, %u failed by the host%s%s\n", uri_name(host->uri), host->ran,
			host->lost, host->up ? "" : ", down: ", host->up ? "" : host->why);
	}
}
