/* SPDX-License-Identifier: MIT */
/* A run's session: its life, its observers, its end, and its vCPU threads. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "kvm/ram_journal.h"
#include "run/session.h"

#define DEFAULT_TIMEOUT_S  30.0
#define KICK_SIGNAL        SIGUSR1

double session_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct session *session_create(const struct vm_config *cfg, struct run_result *r, unsigned nvcpus)
{
	if (nvcpus == 0 || nvcpus > SESSION_MAX_VCPUS)
		return NULL;
	struct session *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->cfg = cfg;
	s->r = r;
	s->nvcpus = nvcpus;
	s->vm.kvm_fd = s->vm.vm_fd = -1;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->done_cv, &ca);
	pthread_cond_init(&s->hold_cv, &ca);
	pthread_condattr_destroy(&ca);
	for (unsigned i = 0; i < nvcpus; i++) {
		s->vcpus[i].s = s;
		s->vcpus[i].delivered_vector = -1;
		debugctl_init(&s->vcpus[i].dbg);
	}
	s->start = session_now();
	return s;
}

void session_destroy(struct session *s)
{
	if (!s)
		return;
	pthread_cond_destroy(&s->done_cv);
	pthread_cond_destroy(&s->hold_cv);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

bool session_observe(struct session *s, const struct exit_observer *o, void *ctx)
{
	if (s->nobservers >= SESSION_MAX_OBSERVERS)
		return false;
	s->observers[s->nobservers++] = (struct observer_entry){ .o = o, .ctx = ctx };
	return true;
}

void session_end(struct session *s, enum run_end end, const char *fmt, ...)
{
	pthread_mutex_lock(&s->lock);
	if (!atomic_load(&s->done)) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(s->r->end_reason, sizeof(s->r->end_reason), fmt, ap);
		va_end(ap);
		s->r->end = end;
		atomic_store(&s->done, true);
		pthread_cond_broadcast(&s->done_cv);
		pthread_cond_broadcast(&s->hold_cv);
	}
	pthread_mutex_unlock(&s->lock);
	session_kick_all(s);
}

void session_say(const struct session *s, const char *fmt, ...)
{
	FILE *out = s->cfg ? s->cfg->diag : NULL;
	if (!out)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("entrybox: ", out);
	vfprintf(out, fmt, ap);
	fputc('\n', out);
	va_end(ap);
}

static void kick(struct vcpu_state *v)
{
	/* immediate_exit covers a thread that is about to enter KVM_RUN; the
	 * signal covers one already inside it. */
	v->vcpu.run->immediate_exit = 1;
	pthread_kill(v->thread, KICK_SIGNAL);
}

static unsigned running_others(const struct session *s, const struct vcpu_state *self)
{
	unsigned n = 0;
	for (unsigned i = 0; i < s->nvcpus; i++)
		n += &s->vcpus[i] != self && s->vcpus[i].thread_started;
	return n;
}

bool session_hold_others(struct session *s, const struct vcpu_state *self)
{
	pthread_mutex_lock(&s->lock);
	s->holder = self;
	s->held = 0;
	atomic_store(&s->hold, true);
	pthread_mutex_unlock(&s->lock);
	for (unsigned i = 0; i < s->nvcpus; i++)
		if (&s->vcpus[i] != self && s->vcpus[i].thread_started)
			kick(&s->vcpus[i]);
	pthread_mutex_lock(&s->lock);
	while (!atomic_load(&s->done) && s->held < running_others(s, self))
		pthread_cond_wait(&s->hold_cv, &s->lock);
	bool ok = !atomic_load(&s->done);
	pthread_mutex_unlock(&s->lock);
	return ok;
}

void session_release_others(struct session *s)
{
	pthread_mutex_lock(&s->lock);
	atomic_store(&s->hold, false);
	s->holder = NULL;
	pthread_cond_broadcast(&s->hold_cv);
	pthread_mutex_unlock(&s->lock);
}

void session_wait_if_held(struct session *s, struct vcpu_state *v)
{
	if (!atomic_load(&s->hold) || s->holder == v)
		return;
	/* Nothing half done: a pending port access completes before the holder looks. */
	kvm_settle(&v->vcpu);
	pthread_mutex_lock(&s->lock);
	s->held++;
	pthread_cond_broadcast(&s->hold_cv);
	while (atomic_load(&s->hold) && !atomic_load(&s->done))
		pthread_cond_wait(&s->hold_cv, &s->lock);
	s->held--;
	pthread_mutex_unlock(&s->lock);
}

static void on_kick(int sig)
{
	(void)sig; /* only here to make KVM_RUN return EINTR */
}

void session_kick(struct session *s, unsigned vcpu)
{
	if (vcpu >= s->nvcpus || !s->vcpus[vcpu].thread_started)
		return;
	kick(&s->vcpus[vcpu]);
}

void session_kick_all(struct session *s)
{
	for (unsigned i = 0; i < s->nvcpus; i++)
		session_kick(s, i);
}

void session_hold_clock(struct session *s, bool held)
{
	pthread_mutex_lock(&s->lock);
	double now = session_now();
	if (held && !s->clock_held) {
		s->held_since = now;
	} else if (!held && s->clock_held) {
		/* The deadline only ever moves later, so the watchdog is not woken:
		 * it wakes at the old one and sleeps again towards the new.  A gdb
		 * stepping holds and releases the clock at every step, and a wake-up
		 * each time would cost that step a futex and a thread switch. */
		s->held_total += now - s->held_since;
	}
	s->clock_held = held;
	pthread_mutex_unlock(&s->lock);
}

/* The watchdog's deadline now, under `lock`: the limit after the start, plus
 * the time the VM was held. */
static double deadline(const struct session *s, double limit, double now)
{
	double held = s->held_total + (s->clock_held ? now - s->held_since : 0);
	return s->start + limit + held;
}

static void install_kick_handler(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_kick; /* no SA_RESTART: KVM_RUN must return EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(KICK_SIGNAL, &sa, NULL);
}

/* kvm_amd destroys a vCPU's state at a triple fault, and the replay that
 * recovers it starts from the vCPU's last replay point (kvm/shutdown_replay.h,
 * kvm/ram_journal.h).  Points are asked for at this pace: often enough that a
 * replay is short, rarely enough that the journal's cost per point stays a
 * small share of the run. */
#define REPLAY_POINT_MIN_INTERVAL_S 0.001
#define REPLAY_POINT_MAX_INTERVAL_S 0.050
#define REPLAY_POINT_COST_SHARE     0.05

static double replay_point_interval(struct session *s)
{
	double interval = ram_journal_mean_note_seconds(&s->vm) / REPLAY_POINT_COST_SHARE;
	if (interval < REPLAY_POINT_MIN_INTERVAL_S)
		return REPLAY_POINT_MIN_INTERVAL_S;
	return interval > REPLAY_POINT_MAX_INTERVAL_S ? REPLAY_POINT_MAX_INTERVAL_S : interval;
}

static void request_replay_points(struct session *s)
{
	for (unsigned i = 0; i < s->nvcpus; i++)
		atomic_store(&s->vcpus[i].vcpu.replay_point_wanted, true);
	session_kick_all(s);
}

static struct timespec timespec_at(double seconds)
{
	struct timespec ts;
	ts.tv_sec = (time_t)seconds;
	ts.tv_nsec = (long)((seconds - (double)ts.tv_sec) * 1e9);
	return ts;
}

/* Ends the run at its time limit; woken by session_end the moment the run
 * ends, and meanwhile asking for replay points where the VM keeps a journal. */
static void watch(struct session *s)
{
	double limit = s->cfg->timeout_seconds > 0 ? s->cfg->timeout_seconds : DEFAULT_TIMEOUT_S;
	bool tick = s->vm.journal != NULL;
	pthread_mutex_lock(&s->lock);
	while (!atomic_load(&s->done)) {
		double now = session_now();
		double end = deadline(s, limit, now);
		if (now >= end)
			break;
		double step = tick ? replay_point_interval(s) : 0;
		double wake = tick && now + step < end ? now + step : end;
		struct timespec ts = timespec_at(wake);
		int rc = pthread_cond_timedwait(&s->done_cv, &s->lock, &ts);
		if (rc == ETIMEDOUT && tick && !s->clock_held && !atomic_load(&s->done)) {
			pthread_mutex_unlock(&s->lock);
			request_replay_points(s);
			pthread_mutex_lock(&s->lock);
		}
	}
	pthread_mutex_unlock(&s->lock);
	if (!atomic_load(&s->done))
		session_end(s, RUN_END_TIMEOUT, "watchdog: no end after %.1f s", limit);
}

/* A kicked vCPU leaves KVM_RUN within microseconds, unless the kernel's KVM
 * itself is stuck (seen with kvm_amd nested under TCG).  The run's time limit
 * must hold even then: the kick is repeated for this long, then the thread is
 * left where it is and the run ends without it. */
#define JOIN_GRACE_S  5.0
#define JOIN_POLL_S   0.1

static void join_threads(struct session *s)
{
	double give_up = session_now() + JOIN_GRACE_S;
	for (unsigned i = 0; i < s->nvcpus; i++) {
		struct vcpu_state *v = &s->vcpus[i];
		if (!v->thread_started)
			continue;
		int rc;
		do {
			session_kick_all(s);
			struct timespec wait;
			clock_gettime(CLOCK_REALTIME, &wait);
			double t = (double)wait.tv_sec + (double)wait.tv_nsec / 1e9 + JOIN_POLL_S;
			wait = timespec_at(t);
			rc = pthread_timedjoin_np(v->thread, NULL, &wait);
		} while (rc == ETIMEDOUT && session_now() < give_up);
		if (rc != 0) {
			v->stuck = true;
			session_end(s, RUN_END_INTERNAL_ERROR, "vCPU %u never left KVM_RUN", i);
			pthread_mutex_lock(&s->lock);
			size_t len = strlen(s->r->end_reason);
			snprintf(s->r->end_reason + len, sizeof(s->r->end_reason) - len,
				 "; vCPU %u did not leave KVM_RUN within %.0f s of the run's end (the kernel's KVM is stuck)",
				 i, JOIN_GRACE_S);
			pthread_mutex_unlock(&s->lock);
			continue;
		}
		v->thread_started = false;
	}
}

void session_run_threads(struct session *s)
{
	install_kick_handler();
	for (unsigned i = 0; i < s->nvcpus; i++) {
		struct vcpu_state *v = &s->vcpus[i];
		if (pthread_create(&v->thread, NULL, vcpu_thread, v) != 0) {
			session_end(s, RUN_END_INTERNAL_ERROR, "cannot start the thread of vCPU %u", i);
			break;
		}
		v->thread_started = true;
	}
	watch(s);
	join_threads(s);
}

bool session_any_stuck(const struct session *s)
{
	for (unsigned i = 0; i < s->nvcpus; i++)
		if (s->vcpus[i].stuck)
			return true;
	return false;
}
