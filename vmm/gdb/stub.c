/* SPDX-License-Identifier: MIT */
/* The stub's life: set-up before the run, the end of the run, freeing. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stub_internal.h"

#define DEFAULT_HOST "127.0.0.1"

static bool parse_port(const char *text, uint16_t *port)
{
	if (text[0] == '\0' || strlen(text) > 5)
		return false;
	unsigned long v = 0;
	for (const char *p = text; *p; p++) {
		if (*p < '0' || *p > '9')
			return false;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v > 65535)
		return false;
	*port = (uint16_t)v;
	return true;
}

bool gdb_config_parse(const char *text, struct gdb_config *cfg, char *err, size_t errlen)
{
	memset(cfg, 0, sizeof(*cfg));
	const char *colon = strrchr(text, ':');
	const char *port = colon ? colon + 1 : text;
	size_t host_len = colon ? (size_t)(colon - text) : 0;
	if (host_len >= sizeof(cfg->host) || !parse_port(port, &cfg->port)) {
		snprintf(err, errlen, "--gdb takes [HOST:]PORT (an IPv4 address and 0..65535), not '%.80s'", text);
		return false;
	}
	if (host_len == 0 || (host_len == 9 && strncmp(text, "localhost", 9) == 0))
		snprintf(cfg->host, sizeof(cfg->host), "%s", DEFAULT_HOST);
	else
		snprintf(cfg->host, sizeof(cfg->host), "%.*s", (int)host_len, text);
	return true;
}

static struct gdb_stub *create(struct session *s, const struct gdb_config *cfg)
{
	struct gdb_stub *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->s = s;
	g->cfg = *cfg;
	g->listen_fd = g->client_fd = g->wake_fd = -1;
	pthread_mutex_init(&g->lock, NULL);
	pthread_mutex_init(&g->conn_lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&g->cv, &ca);
	pthread_condattr_destroy(&ca);
	/* Every vCPU places the (empty) table once before it first runs. */
	atomic_store(&g->bp_generation, 1);
	for (unsigned i = 0; i < s->nvcpus; i++) {
		g->vcpu[i].action = GDB_ACT_CONTINUE;
		g->vcpu[i].event_vector = g->vcpu[i].event_slot = -1;
	}
	unsigned reserve = bp_vmm_reserve(s);
	g->slot_budget = reserve < DBG_SLOTS ? DBG_SLOTS - reserve : 0;
	/* --gdb-wait: every vCPU parks before its first instruction. */
	atomic_store(&g->stop_requested, cfg->wait);
	return g;
}

bool gdb_stub_start(struct session *s, const struct gdb_config *cfg, char *err, size_t errlen)
{
	if (s->nvcpus > GDB_MAX_CPUS) {
		snprintf(err, errlen, "--gdb: at most %u vCPUs", GDB_MAX_CPUS);
		return false;
	}
	struct gdb_stub *g = create(s, cfg);
	if (!g) {
		snprintf(err, errlen, "out of memory");
		return false;
	}
	s->gdb = g;
	if (!server_listen(g, err, errlen) || !session_observe(s, &gdb_observer, g))
		return false;
	/* A step's marks come from the vCPU that runs it; with one vCPU that is always the same thread. */
	g->profile.on = cfg->profile && s->nvcpus == 1;
	if (cfg->profile && s->nvcpus != 1)
		session_say(s, "gdb: no profile: it times runs of one vCPU");
	session_say(s, "gdb: listening on %s%s", g->where, cfg->wait ? " (the VM waits before its first instruction)" : "");
	return server_start(g, err, errlen);
}

void gdb_stub_finish(struct session *s, int status)
{
	struct gdb_stub *g = s->gdb;
	if (!g)
		return;
	g->exit_status = status;
	server_stop(g);
}

void gdb_stub_free(struct session *s)
{
	struct gdb_stub *g = s->gdb;
	if (!g)
		return;
	server_stop(g);
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->conn_lock);
	pthread_mutex_destroy(&g->lock);
	free(g);
	s->gdb = NULL;
}
