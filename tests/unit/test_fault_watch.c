/* SPDX-License-Identifier: MIT */
/* The fault watch's reading of vector stubs (vmm/run/fault_watch.c): which
 * stubs share a common path it can watch once for several vectors. */
#include <check.h>
#include "check_run.h"

#include "run/fault_watch.h"

#define RIP 0xffffffff80105000ull

START_TEST(push_push_jmp)
{
	/* pushq $-1; pushq $6; jmp rel32 (+0x100 from the end) */
	const uint8_t ud[] = { 0x6a, 0xff, 0x6a, 0x06, 0xe9, 0x00, 0x01, 0x00, 0x00, 0xcc };
	uint64_t target;
	unsigned pushes;
	int64_t last;
	ck_assert(fault_watch_decode_stub(ud, sizeof(ud), RIP, &target, &pushes, &last));
	ck_assert_uint_eq(target, RIP + 9 + 0x100);
	ck_assert_uint_eq(pushes, 2);
	ck_assert_int_eq(last, 6);
}
END_TEST

START_TEST(push_jmp_short_backwards)
{
	/* pushq $14; jmp .-0x20 (rel8) */
	const uint8_t pf[] = { 0x6a, 0x0e, 0xeb, 0xde };
	uint64_t target;
	unsigned pushes;
	int64_t last;
	ck_assert(fault_watch_decode_stub(pf, sizeof(pf), RIP, &target, &pushes, &last));
	ck_assert_uint_eq(target, RIP + 4 - 0x22);
	ck_assert_uint_eq(pushes, 1);
	ck_assert_int_eq(last, 14);
	/* push imm32 */
	const uint8_t big[] = { 0x68, 0x00, 0x01, 0x00, 0x00, 0xeb, 0x00 };
	ck_assert(fault_watch_decode_stub(big, sizeof(big), RIP, &target, &pushes, &last));
	ck_assert_int_eq(last, 0x100);
	ck_assert_uint_eq(target, RIP + 7);
}
END_TEST

START_TEST(anything_else_is_watched_at_its_gate)
{
	uint64_t target;
	unsigned pushes;
	int64_t last;
	const uint8_t jmp_only[] = { 0xe9, 0, 0, 0, 0 };
	const uint8_t swapgs[] = { 0x0f, 0x01, 0xf8, 0x6a, 0x0e, 0xeb, 0x00 };
	const uint8_t cut[] = { 0x6a, 0x0e, 0xe9, 0x00 };
	const uint8_t four_pushes[] = { 0x6a, 1, 0x6a, 2, 0x6a, 3, 0x6a, 4, 0xeb, 0 };
	ck_assert(!fault_watch_decode_stub(jmp_only, sizeof(jmp_only), RIP, &target, &pushes, &last));
	ck_assert(!fault_watch_decode_stub(swapgs, sizeof(swapgs), RIP, &target, &pushes, &last));
	ck_assert(!fault_watch_decode_stub(cut, sizeof(cut), RIP, &target, &pushes, &last));
	ck_assert(!fault_watch_decode_stub(four_pushes, sizeof(four_pushes), RIP, &target, &pushes, &last));
	ck_assert(!fault_watch_decode_stub(jmp_only, 0, RIP, &target, &pushes, &last));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("fault-watch");
	TCase *tc = tcase_create("stubs");
	tcase_add_test(tc, push_push_jmp);
	tcase_add_test(tc, push_jmp_short_backwards);
	tcase_add_test(tc, anything_else_is_watched_at_its_gate);
	suite_add_tcase(s, tc);
	return check_run(s);
}
