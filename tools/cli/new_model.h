/* SPDX-License-Identifier: MIT */
/*
 * What `entrybox new-model NAME --from MODEL` writes: a copy of a model's
 * folder and its block of models.def rows, renamed.  Only text in, text out
 * here (the command, cmd_new_model.c, reads and writes the files), so the
 * renaming is unit-tested on strings.
 *
 * A model's symbols are local to its own object (guest/meson.build), so the
 * copy builds beside its template whatever it keeps; the renaming is for the
 * people reading reports: identifiers that start with the template's id and
 * that no other file of the tree uses get the new id, the row and its
 * options name the new model, and includes of the template's own files
 * follow them into the new folder.
 */
#ifndef ENTRYBOX_NEW_MODEL_H
#define ENTRYBOX_NEW_MODEL_H

#include <stdbool.h>
#include <stddef.h>

#define NEW_MODEL_NAME_MAX 31

struct model_copy {
	const char *from_id, *from_name;   /* the template: its folder and entry= name */
	const char *id, *name;             /* the new model */
	/* Identifiers starting with "<from_id>_" that files outside the template
	 * folder use (a percpu field, an application's hook): kept as they are. */
	const char *const *shared;
	size_t nshared;
	/* The template folder's file names, for includes of them. */
	const char *const *files;
	size_t nfiles;
};

/* NAME as entry= takes it: a lower-case letter, then lower-case letters,
 * digits and '-' (not last), at most 31 characters.  Writes the model id
 * (the folder and C name: '-' as '_') to id (at least 32 bytes); false with
 * a reason otherwise. */
bool model_copy_name_ok(const char *name, char *id, char *why, size_t whylen);

/* The copied file's name: a leading "<from_id>" becomes the new id. malloc'd. */
char *model_copy_file_name(const struct model_copy *c, const char *file);

/* The copied text of one file of the template folder, or of its rows.  malloc'd, NULL when out of memory. */
char *model_copy_text(const struct model_copy *c, const char *text);

/* The template's block of rows in models.def (its ENTRY_MODEL row up to the
 * next one), copied for the new model.  malloc'd; NULL with a reason when
 * models.def has no such row or already has the new one. */
char *model_copy_rows(const struct model_copy *c, const char *models_def, char *why, size_t whylen);

/* models.def with `rows` added after the last model's block (before the
 * file's closing #ifdef lines).  malloc'd. */
char *model_copy_insert_rows(const char *models_def, const char *rows);

/* Identifiers of `text` that start with "<prefix>_": calls fn for each
 * occurrence (the command collects the template's and tests them against
 * the rest of the tree). */
void model_copy_identifiers(const char *text, const char *prefix, void (*fn)(void *ctx, const char *ident, size_t len),
			    void *ctx);

/* True when `text` holds `ident` as a whole identifier. */
bool model_copy_uses(const char *text, const char *ident);

#endif
