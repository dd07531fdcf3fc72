/*
 * fdcount.h: the descriptors this test process holds, for the unit tests
 * that check no descriptor leaks (a parked or retired file closes its
 * own). Include after check.h.
 */
#ifndef EW_FDCOUNT_H
#define EW_FDCOUNT_H

#include <dirent.h>

/* Entries of /proc/self/fd, the directory stream's own included: compare
 * two counts, never one with a constant. */
static inline int
count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	CHECK(d != NULL);
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

#endif
