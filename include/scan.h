/*
 * scan: `errwatchd --scan`: files (or stdin) from their first byte through
 * lines, match and table, no Redis; prints per-class counts as a table or
 * JSON (SPEC §2). The daemon counts with the same modules, so both agree.
 */
#ifndef EW_SCAN_H
#define EW_SCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

struct ew_err;
struct setup;

enum scan_result {
	SCAN_OK = 0,
	SCAN_BAD_INPUT,		/* --input names no input: a usage error */
	SCAN_IO,		/* a file could not be read (others were) */
};

struct scan_opts {
	const char	*input;		/* --input NAME, or NULL */
	bool		 json;
	char *const	*files;		/* none: stdin */
	size_t		 nfiles;
	FILE		*out;
};

/* Scans and prints. Messages about unreadable files go to the log. */
enum scan_result scan_run(const struct setup *s, const struct scan_opts *o,
		    struct ew_err *err);

#endif
