/* SPDX-License-Identifier: MIT */
/* entrybox new-model NAME --from MODEL: a new entry model to change, started
 * as a renamed copy of an existing one (new_model.h says what is renamed). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli_common.h"
#include "cli/commands.h"
#include "new_model.h"

#define MAX_FILES 64
#define MAX_SHARED 256
#define FILE_MAX_BYTES (4u << 20)

static const char new_model_help[] =
	"usage: entrybox new-model NAME --from MODEL [--source DIR]\n"
	"Writes entry/ID/ (ID is NAME with '-' as '_') as a copy of MODEL's folder, renamed, and MODEL's\n"
	"block of rows in entry/models.def as NAME's.  MODEL is any model of `entrybox list` (kpti,\n"
	"pertask, pervcpu, xen, ukl).  DIR is the source tree: by default the current directory when it\n"
	"holds entry/models.def, else the tree this entrybox was built from.  Then build (ninja reads\n"
	"models.def again) and run: entrybox run --entry NAME.  docs/models.md walks through a model.\n";

struct args {
	const char *name, *from, *source;
};

enum { OPT_FROM = 0x300, OPT_SOURCE };

static int handle(void *ctx, int opt, const char *arg)
{
	struct args *a = ctx;
	switch (opt) {
	case 0:
		if (a->name)
			return cli_fail(EBX_STATUS_USAGE, "new-model: one NAME only ('%s' and '%s')", a->name, arg);
		a->name = arg;
		return 0;
	case OPT_FROM:
		a->from = arg;
		return 0;
	case OPT_SOURCE:
		a->source = arg;
		return 0;
	case OPT_HELP:
		fputs(new_model_help, stdout);
		return CLI_HELP_SHOWN;
	default:
		return cli_fail(EBX_STATUS_USAGE, "internal: unhandled option %d", opt);
	}
}

/* ---- files ------------------------------------------------------------------------------------ */

/* a/b into out; false when it does not fit (the caller says so). */
static bool join(char *out, size_t len, const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	if (la + 1 + lb >= len) {
		if (len)
			out[0] = '\0';
		return false;
	}
	memcpy(out, a, la);
	out[la] = '/';
	memcpy(out + la + 1, b, lb + 1);
	return true;
}

/* Paths inside the tree stay this much shorter than PATH_MAX. */
#define TREE_PATH_MAX (PATH_MAX - 256)

static char *read_text(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *text = malloc(FILE_MAX_BYTES + 1);
	size_t n = text ? fread(text, 1, FILE_MAX_BYTES + 1, f) : 0;
	bool ok = text && !ferror(f) && n <= FILE_MAX_BYTES && !memchr(text, '\0', n);
	fclose(f);
	if (!ok) {
		free(text);
		errno = EINVAL;
		return NULL;
	}
	text[n] = '\0';
	return text;
}

static int write_text(const char *path, const char *text, bool exclusive)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | (exclusive ? O_EXCL : O_TRUNC), 0644);
	if (fd < 0)
		return -1;
	size_t len = strlen(text), done = 0;
	while (done < len) {
		ssize_t w = write(fd, text + done, len - done);
		if (w <= 0) {
			close(fd);
			return -1;
		}
		done += (size_t)w;
	}
	return close(fd);
}

/* Replaces `path` with `text` through a temporary file, so a failure leaves the old one. */
static int replace_text(const char *path, const char *text)
{
	char tmp[PATH_MAX];
	int n = snprintf(tmp, sizeof(tmp), "%s.new-model.tmp", path);
	if (n < 0 || (size_t)n >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (write_text(tmp, text, false) != 0 || rename(tmp, path) != 0) {
		int e = errno;
		unlink(tmp);
		errno = e;
		return -1;
	}
	return 0;
}

static bool source_file(const char *name)
{
	const char *dot = strrchr(name, '.');
	return dot && (!strcmp(dot, ".c") || !strcmp(dot, ".h") || !strcmp(dot, ".S") || !strcmp(dot, ".inc") ||
		       !strcmp(dot, ".def"));
}

/* The regular files of a folder, sorted. */
static size_t list_files(const char *dir, char *names[MAX_FILES])
{
	DIR *d = opendir(dir);
	size_t n = 0;
	if (!d)
		return 0;
	for (struct dirent *e; (e = readdir(d)) != NULL && n < MAX_FILES;) {
		char path[PATH_MAX];
		struct stat st;
		if (!join(path, sizeof(path), dir, e->d_name)) continue;
		if (e->d_name[0] != '.' && stat(path, &st) == 0 && S_ISREG(st.st_mode))
			names[n++] = strdup(e->d_name);
	}
	closedir(d);
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			char *t = names[j];
			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	return n;
}

/* ---- identifiers the rest of the tree uses ----------------------------------------------------- */

struct idents {
	char *name[MAX_SHARED];
	bool shared[MAX_SHARED];
	size_t n;
};

static void collect(void *ctx, const char *s, size_t len)
{
	struct idents *ids = ctx;
	for (size_t i = 0; i < ids->n; i++)
		if (strlen(ids->name[i]) == len && !strncmp(ids->name[i], s, len))
			return;
	if (ids->n < MAX_SHARED)
		ids->name[ids->n++] = strndup(s, len);
}

/* Marks the identifiers some file under `dir` (the template folder left out) uses. */
static void mark_used(const char *dir, const char *skip, struct idents *ids)
{
	DIR *d = opendir(dir);
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		char path[PATH_MAX];
		struct stat st;
		if (e->d_name[0] == '.')
			continue;
		if (!join(path, sizeof(path), dir, e->d_name)) continue;
		if (strcmp(path, skip) == 0 || stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode)) {
			mark_used(path, skip, ids);
		} else if (S_ISREG(st.st_mode) && source_file(e->d_name)) {
			char *text = read_text(path);
			for (size_t i = 0; text && i < ids->n; i++)
				ids->shared[i] |= model_copy_uses(text, ids->name[i]);
			free(text);
		}
	}
	closedir(d);
}

/* ---- the command -------------------------------------------------------------------------------- */

static bool has_models_def(const char *dir)
{
	char path[PATH_MAX];
	return join(path, sizeof(path), dir, "entry/models.def") && access(path, R_OK) == 0;
}

static int resolve_source(const struct args *a, char *out, size_t len)
{
	const char *dir = a->source;
	if (!dir)
		dir = has_models_def(".") ? "." : ENTRYBOX_SOURCE_ROOT;
	if (!has_models_def(dir))
		return cli_fail(EBX_STATUS_USAGE, "new-model: %s is no entrybox source tree (no entry/models.def); "
				"use --source DIR", dir);
	if (strlen(dir) >= len || strlen(dir) >= TREE_PATH_MAX)
		return cli_fail(EBX_STATUS_USAGE, "new-model: source path too long: %s", dir);
	snprintf(out, len, "%s", dir);
	return 0;
}

struct job {
	char src[PATH_MAX], from_dir[PATH_MAX], new_dir[PATH_MAX], def_path[PATH_MAX];
	char id[NEW_MODEL_NAME_MAX + 1];
	char *files[MAX_FILES];
	size_t nfiles;
	struct idents ids;
	const char *shared[MAX_SHARED];
	struct model_copy copy;
};

static void job_free(struct job *j)
{
	for (size_t i = 0; i < j->nfiles; i++)
		free(j->files[i]);
	for (size_t i = 0; i < j->ids.n; i++)
		free(j->ids.name[i]);
}

static int prepare(struct job *j, const struct args *a)
{
	char why[160];
	if (!model_copy_name_ok(a->name, j->id, why, sizeof(why)))
		return cli_fail(EBX_STATUS_USAGE, "new-model: '%s': %s", a->name, why);
	int rc = resolve_source(a, j->src, sizeof(j->src));
	if (rc)
		return rc;
	/* The tree's path is short enough for all of these (resolve_source). */
	char entry[PATH_MAX], guest[PATH_MAX];
	join(entry, sizeof(entry), j->src, "entry");
	join(guest, sizeof(guest), j->src, "guest");
	join(j->def_path, sizeof(j->def_path), entry, "models.def");
	join(j->new_dir, sizeof(j->new_dir), entry, j->id);
	char from_id[NEW_MODEL_NAME_MAX + 1];
	if (!model_copy_name_ok(a->from, from_id, why, sizeof(why)))
		return cli_fail(EBX_STATUS_USAGE, "new-model: --from '%s': %s", a->from, why);
	join(j->from_dir, sizeof(j->from_dir), entry, from_id);
	if (access(j->new_dir, F_OK) == 0)
		return cli_fail(EBX_STATUS_USAGE, "new-model: %s exists already", j->new_dir);
	j->nfiles = list_files(j->from_dir, j->files);
	if (j->nfiles == 0)
		return cli_fail(EBX_STATUS_USAGE, "new-model: --from %s: no files in %s", a->from, j->from_dir);
	for (size_t i = 0; i < j->nfiles; i++) {
		char path[PATH_MAX];
		char *text = join(path, sizeof(path), j->from_dir, j->files[i]) ? read_text(path) : NULL;
		if (!text)
			return cli_fail(EBX_STATUS_USAGE, "new-model: cannot read %s: %s", path, strerror(errno));
		model_copy_identifiers(text, from_id, collect, &j->ids);
		free(text);
	}
	mark_used(guest, j->from_dir, &j->ids);
	mark_used(entry, j->from_dir, &j->ids);
	size_t nshared = 0;
	for (size_t i = 0; i < j->ids.n; i++)
		if (j->ids.shared[i])
			j->shared[nshared++] = j->ids.name[i];
	static char from_id_copy[NEW_MODEL_NAME_MAX + 1];
	snprintf(from_id_copy, sizeof(from_id_copy), "%s", from_id);
	j->copy = (struct model_copy){
		.from_id = from_id_copy, .from_name = a->from, .id = j->id, .name = a->name,
		.shared = j->shared, .nshared = nshared, .files = (const char *const *)j->files, .nfiles = j->nfiles,
	};
	return 0;
}

static int write_folder(struct job *j)
{
	if (mkdir(j->new_dir, 0755) != 0)
		return cli_fail(EBX_STATUS_USAGE, "new-model: cannot create %s: %s", j->new_dir, strerror(errno));
	for (size_t i = 0; i < j->nfiles; i++) {
		char from[PATH_MAX], to[PATH_MAX];
		char *text = join(from, sizeof(from), j->from_dir, j->files[i]) ? read_text(from) : NULL;
		char *copied = text ? model_copy_text(&j->copy, text) : NULL;
		char *name = model_copy_file_name(&j->copy, j->files[i]);
		int rc = 0;
		if (!copied || !name) {
			rc = cli_fail(EBX_STATUS_ENV, "new-model: cannot copy %s", from);
		} else {
			if (!join(to, sizeof(to), j->new_dir, name) || write_text(to, copied, true) != 0)
				rc = cli_fail(EBX_STATUS_USAGE, "new-model: cannot write %s: %s", to, strerror(errno));
			else
				printf("wrote     %s\n", to);
		}
		free(text);
		free(copied);
		free(name);
		if (rc)
			return rc;
	}
	return 0;
}

static int write_rows(struct job *j)
{
	char why[160];
	char *def = read_text(j->def_path);
	if (!def)
		return cli_fail(EBX_STATUS_USAGE, "new-model: cannot read %s: %s", j->def_path, strerror(errno));
	char *rows = model_copy_rows(&j->copy, def, why, sizeof(why));
	char *out = rows ? model_copy_insert_rows(def, rows) : NULL;
	int rc = 0;
	if (!rows)
		rc = cli_fail(EBX_STATUS_USAGE, "new-model: %s", why);
	else if (!out || replace_text(j->def_path, out) != 0)
		rc = cli_fail(EBX_STATUS_USAGE, "new-model: cannot update %s: %s", j->def_path, strerror(errno));
	else
		printf("added     the rows of %s to %s:\n%s", j->copy.name, j->def_path, rows);
	free(def);
	free(rows);
	free(out);
	return rc;
}

int cmd_new_model(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "from", required_argument, NULL, OPT_FROM },
		{ "source", required_argument, NULL, OPT_SOURCE },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct args a = { 0 };
	int rc = cli_parse("new-model", argc, argv, opts, handle, &a);
	if (rc != 0)
		return rc == CLI_HELP_SHOWN ? EBX_STATUS_OK : rc;
	if (!a.name || !a.from)
		return cli_fail(EBX_STATUS_USAGE, "new-model: NAME and --from MODEL are required (see entrybox new-model --help)");
	struct job *j = calloc(1, sizeof(*j));
	if (!j)
		return cli_fail(EBX_STATUS_ENV, "out of memory");
	/* The rows are checked before anything is written: a name models.def
	 * has already, or a template it lacks, leaves the tree untouched. */
	rc = prepare(j, &a);
	if (rc == 0) {
		char why[160];
		char *def = read_text(j->def_path);
		char *rows = def ? model_copy_rows(&j->copy, def, why, sizeof(why)) : NULL;
		if (!def)
			rc = cli_fail(EBX_STATUS_USAGE, "new-model: cannot read %s: %s", j->def_path, strerror(errno));
		else if (!rows)
			rc = cli_fail(EBX_STATUS_USAGE, "new-model: %s", why);
		free(def);
		free(rows);
	}
	if (rc == 0)
		rc = write_folder(j);
	if (rc == 0)
		rc = write_rows(j);
	if (rc == 0)
		printf("next      build (ninja -C BUILD runs meson again for the new row), then\n"
		       "          entrybox run --entry %s --scenario syscall-loop; docs/models.md says what to change\n",
		       a.name);
	job_free(j);
	free(j);
	return rc;
}
