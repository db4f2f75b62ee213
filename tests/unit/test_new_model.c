/* SPDX-License-Identifier: MIT */
/* entrybox new-model's renaming (tools/cli/new_model.c), on strings. */
#include <check.h>
#include "check_run.h"
#include <stdlib.h>
#include <string.h>

#include "new_model.h"

static const char *const shared[] = { "ukl_app_kernel_entry", "ukl_in_user", "ukl_df", "ukl_tasks" };
static const char *const files[] = { "ukl.c", "ukl.S", "ukl_abi.h", "policies.def" };
static const struct model_copy ukl = {
	.from_id = "ukl", .from_name = "ukl", .id = "my_ukl", .name = "my-ukl",
	.shared = shared, .nshared = 4, .files = files, .nfiles = 4,
};

static void expect_copy(const struct model_copy *c, const char *in, const char *want)
{
	char *out = model_copy_text(c, in);
	ck_assert_ptr_nonnull(out);
	ck_assert_str_eq(out, want);
	free(out);
}

START_TEST(names)
{
	char id[32], why[128];

	ck_assert(model_copy_name_ok("kpti-cswitch", id, why, sizeof(why)));
	ck_assert_str_eq(id, "kpti_cswitch");
	ck_assert(model_copy_name_ok("a234567890123456789012345678901", id, why, sizeof(why)));
	ck_assert(!model_copy_name_ok("a2345678901234567890123456789012", id, why, sizeof(why)));
	ck_assert(strstr(why, "1 to 31"));
	ck_assert(!model_copy_name_ok("", id, why, sizeof(why)));
	ck_assert(!model_copy_name_ok("Kpti", id, why, sizeof(why)));
	ck_assert(!model_copy_name_ok("9pti", id, why, sizeof(why)));
	ck_assert(!model_copy_name_ok("kpti-", id, why, sizeof(why)));
	ck_assert(!model_copy_name_ok("k_pti", id, why, sizeof(why)));
	ck_assert(!model_copy_name_ok("k pti", id, why, sizeof(why)));
}
END_TEST

START_TEST(identifiers_and_row)
{
	expect_copy(&ukl, "const struct entry_model entry_model_ukl = { .name = \"ukl\" };",
		    "const struct entry_model entry_model_my_ukl = { .name = \"my-ukl\" };");
	/* The model's own identifiers follow it; the tree's stay. */
	expect_copy(&ukl, "ukl_select(x); ukl_app_kernel_entry = (uint64_t)ukl_entry_SYSCALL_64; pc->ukl_in_user = 0;",
		    "my_ukl_select(x); ukl_app_kernel_entry = (uint64_t)my_ukl_entry_SYSCALL_64; pc->ukl_in_user = 0;");
	/* Not a prefix of a longer word, not inside another identifier. */
	expect_copy(&ukl, "uklx ukl2 my_ukl_x PCPU_UKL_IN_USER", "uklx ukl2 my_ukl_x PCPU_UKL_IN_USER");
	/* Code names it by id, text by name, paths by id. */
	expect_copy(&ukl, "ENTRY_OPT(mode->opts, ukl, ukl_df) /* the ukl model, entry/ukl/, ukl.c. */ \"entry=ukl\"",
		    "ENTRY_OPT(mode->opts, my_ukl, ukl_df) /* the my-ukl model, entry/my_ukl/, my_ukl.c. */ \"entry=my-ukl\"");
	/* A quote in a character literal opens no string. */
	expect_copy(&ukl, "c == '\"' ? ukl_x : 0; \"ukl\"", "c == '\"' ? my_ukl_x : 0; \"my-ukl\"");
}
END_TEST

START_TEST(includes_follow_own_files_only)
{
	expect_copy(&ukl, "#include \"ukl/ukl_abi.h\"\n#include \"ukl/ukl_app.h\"\n#include \"ukl/policies.def\"\n",
		    "#include \"my_ukl/my_ukl_abi.h\"\n#include \"ukl/ukl_app.h\"\n#include \"my_ukl/policies.def\"\n");
	char *f = model_copy_file_name(&ukl, "ukl_abi.h");
	ck_assert_str_eq(f, "my_ukl_abi.h");
	free(f);
	f = model_copy_file_name(&ukl, "copy.c");
	ck_assert_str_eq(f, "copy.c");
	free(f);
	f = model_copy_file_name(&ukl, "uklx.c");
	ck_assert_str_eq(f, "uklx.c");
	free(f);
}
END_TEST

static const char def[] =
	"/* comment */\n"
	"ENTRY_MODEL(kpti, \"kpti\", \"kpti summary\")\n"
	"ENTRY_OPTION(kpti, bug, \"bugs\")\n"
	"ENTRY_VALUE(kpti, bug, none, \"none\", \"no bug\")\n"
	"\n"
	"ENTRY_MODEL(ukl, \"ukl\", \"UKL summary\")\n"
	"ENTRY_RANGE(ukl, ukl_tasks, 0, 8, \"apps\")\n"
	"#include \"ukl/policies.def\"\n"
	"\n"
	"#ifdef ENTRY_MODELS_DEF_MODEL\n"
	"#undef ENTRY_MODEL\n"
	"#endif\n";

START_TEST(rows_copied_and_inserted)
{
	char why[160];
	char *rows = model_copy_rows(&ukl, def, why, sizeof(why));
	ck_assert_msg(rows, "%s", why);
	ck_assert_str_eq(rows, "ENTRY_MODEL(my_ukl, \"my-ukl\", \"started from ukl: UKL summary\")\n"
			       "ENTRY_RANGE(my_ukl, ukl_tasks, 0, 8, \"apps\")\n"
			       "#include \"my_ukl/policies.def\"\n");
	char *out = model_copy_insert_rows(def, rows);
	ck_assert(strstr(out, "#include \"ukl/policies.def\"\n\nENTRY_MODEL(my_ukl,"));
	ck_assert(strstr(out, "#include \"my_ukl/policies.def\"\n\n#ifdef ENTRY_MODELS_DEF_MODEL\n"));
	/* Copying again: models.def has the model now. */
	ck_assert_ptr_null(model_copy_rows(&ukl, out, why, sizeof(why)));
	ck_assert_msg(strstr(why, "already has a model 'my_ukl'"), "%s", why);
	free(out);
	free(rows);

	struct model_copy kpti = { .from_id = "kpti", .from_name = "kpti", .id = "kpti_cswitch", .name = "kpti-cswitch" };
	rows = model_copy_rows(&kpti, def, why, sizeof(why));
	ck_assert_str_eq(rows, "ENTRY_MODEL(kpti_cswitch, \"kpti-cswitch\", \"started from kpti: kpti-cswitch summary\")\n"
			       "ENTRY_OPTION(kpti_cswitch, bug, \"bugs\")\n"
			       "ENTRY_VALUE(kpti_cswitch, bug, none, \"none\", \"no bug\")\n");
	free(rows);
	struct model_copy none = { .from_id = "xen", .from_name = "xen", .id = "x2", .name = "x2" };
	ck_assert_ptr_null(model_copy_rows(&none, def, why, sizeof(why)));
	ck_assert_msg(strstr(why, "no model 'xen'"), "%s", why);
}
END_TEST

static void count(void *ctx, const char *s, size_t len)
{
	(void)s;
	(void)len;
	(*(int *)ctx)++;
}

START_TEST(identifier_scan)
{
	int n = 0;
	model_copy_identifiers("ukl_a x_ukl_b ukl ukl_c(ukl_d)", "ukl", count, &n);
	ck_assert_int_eq(n, 3);
	ck_assert(model_copy_uses("x = ukl_in_user;", "ukl_in_user"));
	ck_assert(!model_copy_uses("x = ukl_in_user2;", "ukl_in_user"));
	ck_assert(!model_copy_uses("x = my_ukl_in_user;", "ukl_in_user"));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("new-model");
	TCase *tc = tcase_create("copy");
	tcase_add_test(tc, names);
	tcase_add_test(tc, identifiers_and_row);
	tcase_add_test(tc, includes_follow_own_files_only);
	tcase_add_test(tc, rows_copied_and_inserted);
	tcase_add_test(tc, identifier_scan);
	suite_add_tcase(s, tc);
	return check_run(s);
}
