/* SPDX-License-Identifier: MIT */
#include "cs_thread.h"

#include <pthread.h>
#include <stdint.h>

static pthread_key_t keys[2];
static pthread_once_t keys_once = PTHREAD_ONCE_INIT;
static bool keys_ok;

static void handle_free(void *p)
{
	csh cs = (csh)(uintptr_t)p;

	cs_close(&cs);
}

static void keys_create(void)
{
	keys_ok = pthread_key_create(&keys[0], handle_free) == 0 && pthread_key_create(&keys[1], handle_free) == 0;
}

bool cs_thread_handle(bool detail, csh *out)
{
	if (pthread_once(&keys_once, keys_create) != 0 || !keys_ok)
		return false;
	void *p = pthread_getspecific(keys[detail]);
	if (p != NULL) {
		*out = (csh)(uintptr_t)p;
		return true;
	}
	csh cs;
	if (cs_open(CS_ARCH_X86, CS_MODE_64, &cs) != CS_ERR_OK)
		return false;
	if (cs_option(cs, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT) != CS_ERR_OK ||
	    (detail && cs_option(cs, CS_OPT_DETAIL, CS_OPT_ON) != CS_ERR_OK) ||
	    pthread_setspecific(keys[detail], (void *)(uintptr_t)cs) != 0) {
		cs_close(&cs);
		return false;
	}
	*out = cs;
	return true;
}
