/*
 * watcher: turns the inputs' globs into files. It owns one inotify
 * descriptor (polled on the loop), the table of watched directories and a
 * debounce timer; it never opens, reads or remembers the files it
 * reports: every scan reports every matching regular file afresh, and the
 * daemon decides what is new.
 *
 * Invariants: only directories are watched, for creations, moves and
 * deletions (never IN_MODIFY, SPEC §6); the watch table is rebuilt at the
 * start of every scan, before globbing, so a file created while a watch is
 * being added is found either by that scan or by the event that follows
 * it. A scan reports each (device, inode) once, for the first input (and
 * glob) that names it.
 */
#include <errno.h>
#include <fnmatch.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "base.h"
#include "config.h"
#include "hmap.h"
#include "config.h"
#include "log.h"
#include "watcher.h"

#define WATCH_MASK	(IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM | \
			 IN_DELETE | IN_DELETE_SELF | IN_MOVE_SELF | \
			 IN_ONLYDIR)
#define DEBOUNCE_MS	20	/* a burst of events gives one scan */
#define MATCH_FLAGS	(FNM_PATHNAME | FNM_PERIOD)	/* as glob(3) */

/* One glob, cut at its '/'s. */
struct wglob {
	char	 *pat;
	char	**prefix;	/* every leading part of pat, pat last */
	size_t	  nprefix;
	char	 *litdir;	/* deepest directory without wildcards */
	size_t	  lit;		/* prefix[lit..]: wildcard dirs */
};

struct winput {
	struct wglob	 *globs;
	size_t		  nglobs;
	char		**exclude;
	size_t		  nexclude;
	bool		  poll;
};

/* A watched directory. Two paths to one directory share a wd. */
struct wdir {
	int	 wd;
	char	*path;
	bool	 keep;		/* wanted by the scan in progress */
};

/* (device, inode) pairs reported in the current scan. */
struct seen_ent {
	struct hnode	 node;		/* in seen.index */
	uint64_t	 dev, ino;
};

struct seen {
	struct seen_ent	*ents;
	size_t		 n, cap;
	struct hmap	 index;
};

struct watcher {
	uv_loop_t	*loop;
	struct winput	*inputs;
	size_t		 ninputs;
	watcher_file_fn	*file;
	watcher_done_fn	*done;
	void		*arg;

	int		 ifd;		/* inotify; -1 until started */
	uv_poll_t	 poll;
	uv_timer_t	 debounce;
	int		 open_handles;
	bool		 poll_inited;
	bool		 closing;
	bool		 warned;	/* watches fail; said once */
	bool		 sync_failed;	/* in the sync under way */

	struct wdir	*dirs;
	size_t		 ndirs;
	size_t		 capdirs;
	struct seen	 seen;
};

static bool
has_magic(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] == '*' || s[i] == '?' || s[i] == '[' || s[i] == '\\')
			return true;
	return false;
}

/* Cuts pat at its '/'s: "/a/b?/c/d*" gives the prefixes "/a", "/a/b?",
 * "/a/b?/c" and pat itself, and the literal directory "/a". */
static void
glob_split(struct wglob *g, const char *pat)
{
	const char *p, *slash;
	bool magic = false;
	size_t n = 0;

	g->pat = xstrdup(pat);
	for (p = pat; *p != '\0'; p++)
		if (*p == '/')
			n++;
	g->prefix = xcalloc(n + 1, sizeof(*g->prefix));
	g->litdir = xstrdup("/");
	p = pat;
	while (*p == '/')
		p++;
	while (*p != '\0') {
		slash = strchr(p, '/');
		if (slash == NULL) {
			g->prefix[g->nprefix++] = xstrdup(pat);
			break;
		}
		if (!magic && has_magic(p, (size_t)(slash - p)))
			magic = true;
		g->prefix[g->nprefix++] = xstrndup(pat, (size_t)(slash - pat));
		if (!magic) {
			free(g->litdir);
			g->litdir = xstrndup(pat, (size_t)(slash - pat));
			g->lit = g->nprefix;
		}
		p = slash;
		while (*p == '/')
			p++;
	}
}

static void
destroy(struct watcher *w)
{
	size_t i, j;

	if (w == NULL)
		return;
	for (i = 0; i < w->ninputs; i++) {
		for (j = 0; j < w->inputs[i].nglobs; j++) {
			struct wglob *g = &w->inputs[i].globs[j];
			size_t k;

			for (k = 0; k < g->nprefix; k++)
				free(g->prefix[k]);
			free(g->prefix);
			free(g->litdir);
			free(g->pat);
		}
		free(w->inputs[i].globs);
		for (j = 0; j < w->inputs[i].nexclude; j++)
			free(w->inputs[i].exclude[j]);
		free(w->inputs[i].exclude);
	}
	free(w->inputs);
	for (i = 0; i < w->ndirs; i++)
		free(w->dirs[i].path);
	free(w->dirs);
	free(w->seen.ents);
	hmap_free(&w->seen.index);
	if (w->ifd != -1)
		close(w->ifd);
	free(w);
}

static void
close_cb(uv_handle_t *h)
{
	struct watcher *w = h->data;

	if (--w->open_handles == 0)
		destroy(w);
}

/* Forgets the pairs of the last scan (keeping the entries' memory). */
static void
seen_clear(struct seen *s)
{
	s->n = 0;
	hmap_free(&s->index);
}

/* Adds (dev, ino); false if it was there. */
static bool
seen_add(struct seen *s, uint64_t dev, uint64_t ino)
{
	uint64_t key[2] = { dev, ino };
	uint64_t hash = ew_hash(key, sizeof(key));
	struct hnode *n;
	size_t i;

	for (n = hmap_first(&s->index, hash); n != NULL;
	    n = hmap_next_same(n)) {
		const struct seen_ent *e = container_of(n, struct seen_ent,
		    node);

		if (e->dev == dev && e->ino == ino)
			return false;
	}
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 64;
		s->ents = xrealloc(s->ents, s->cap * sizeof(*s->ents));
		/* the entries moved: index them again (amortised O(1)) */
		hmap_free(&s->index);
		for (i = 0; i < s->n; i++)
			hmap_insert(&s->index, &s->ents[i].node,
			    s->ents[i].node.hash);
	}
	s->ents[s->n].dev = dev;
	s->ents[s->n].ino = ino;
	hmap_insert(&s->index, &s->ents[s->n].node, hash);
	s->n++;
	return true;
}

struct watcher *
watcher_create(uv_loop_t *loop, const struct config_input *inputs, size_t n,
    watcher_file_fn *file, watcher_done_fn *done, void *arg,
    struct ew_err *err)
{
	struct watcher *w = xcalloc(1, sizeof(*w));
	size_t i, j;

	(void)err;		/* nothing here can fail but memory */
	w->loop = loop;
	w->ifd = -1;
	w->file = file;
	w->done = done;
	w->arg = arg;
	w->inputs = xcalloc(n, sizeof(*w->inputs));
	w->ninputs = n;
	for (i = 0; i < n; i++) {
		struct winput *in = &w->inputs[i];

		in->poll = inputs[i].poll;
		in->globs = xcalloc(inputs[i].npaths, sizeof(*in->globs));
		in->nglobs = inputs[i].npaths;
		for (j = 0; j < in->nglobs; j++)
			glob_split(&in->globs[j], inputs[i].paths[j]);
		in->exclude = xcalloc(inputs[i].nexclude,
		    sizeof(*in->exclude));
		in->nexclude = inputs[i].nexclude;
		for (j = 0; j < in->nexclude; j++)
			in->exclude[j] = xstrdup(inputs[i].exclude[j]);
	}
	uv_timer_init(loop, &w->debounce);
	w->debounce.data = w;
	w->open_handles = 1;
	return w;
}

/* Watches path; the table keeps one entry per (wd, path). Returns 0 or
 * a negative errno. */
static int
add_watch(struct watcher *w, const char *path)
{
	size_t i;
	int wd;

	wd = inotify_add_watch(w->ifd, path, WATCH_MASK);
	if (wd == -1)
		return -errno;
	for (i = 0; i < w->ndirs; i++) {
		if (w->dirs[i].wd == wd && strcmp(w->dirs[i].path, path) == 0) {
			w->dirs[i].keep = true;
			return 0;
		}
	}
	if (w->ndirs == w->capdirs) {
		w->capdirs = w->capdirs ? w->capdirs * 2 : 8;
		w->dirs = xrealloc(w->dirs, w->capdirs * sizeof(*w->dirs));
	}
	w->dirs[w->ndirs].wd = wd;
	w->dirs[w->ndirs].path = xstrdup(path);
	w->dirs[w->ndirs].keep = true;
	w->ndirs++;
	return 0;
}

static void
watch_failed(struct watcher *w, const char *path, int r)
{
	if (!w->warned && !w->sync_failed)
		log_warn("%s: cannot watch: %s, new files are found by the "
		    "1 s rescan", path, strerror(-r));
	w->sync_failed = true;
}

/* The directory, or its nearest existing ancestor until it appears. */
static void
watch_dir_or_ancestor(struct watcher *w, const char *dir)
{
	char *p = xstrdup(dir), *slash;
	int r;

	for (;;) {
		r = add_watch(w, p);
		if (r == 0 || (r != -ENOENT && r != -ENOTDIR))
			break;
		slash = strrchr(p, '/');
		if (slash == NULL || (slash == p && p[1] == '\0'))
			break;
		slash[slash == p ? 1 : 0] = '\0';
	}
	if (r < 0)
		watch_failed(w, p, r);
	free(p);
}

/* Directories matching a wildcard level of a glob (a trailing '/' makes
 * glob(3) return directories only). */
static void
watch_matches(struct watcher *w, const char *dirpat)
{
	char *pat = xasprintf("%s/", dirpat);
	glob_t gl;
	size_t i;
	int r;

	if (glob(pat, 0, NULL, &gl) == 0) {
		for (i = 0; i < gl.gl_pathc; i++) {
			char *d = gl.gl_pathv[i];
			size_t len = strlen(d);

			/* the event filter joins names with one '/' */
			while (len > 1 && d[len - 1] == '/')
				d[--len] = '\0';
			r = add_watch(w, d);
			/* gone since the glob, or not a directory: fine */
			if (r < 0 && r != -ENOENT && r != -ENOTDIR)
				watch_failed(w, d, r);
		}
	}
	globfree(&gl);
	free(pat);
}

/* Rebuilds the watch table for the globs as the tree stands now. */
static void
sync_watches(struct watcher *w)
{
	size_t i, j, k;

	for (i = 0; i < w->ndirs; i++)
		w->dirs[i].keep = false;
	w->sync_failed = false;
	for (i = 0; i < w->ninputs; i++) {
		if (w->inputs[i].poll)
			continue;
		for (j = 0; j < w->inputs[i].nglobs; j++) {
			struct wglob *g = &w->inputs[i].globs[j];

			watch_dir_or_ancestor(w, g->litdir);
			for (k = g->lit; k + 1 < g->nprefix; k++)
				watch_matches(w, g->prefix[k]);
		}
	}
	if (w->warned && !w->sync_failed)
		log_info("watching every input directory again");
	w->warned = w->sync_failed;
	for (i = 0; i < w->ndirs; ) {
		bool shared = false;

		if (w->dirs[i].keep) {
			i++;
			continue;
		}
		for (j = 0; j < w->ndirs; j++)
			if (w->dirs[j].keep && w->dirs[j].wd == w->dirs[i].wd)
				shared = true;
		if (!shared)	/* EINVAL if the kernel dropped it: fine */
			(void)inotify_rm_watch(w->ifd, w->dirs[i].wd);
		free(w->dirs[i].path);
		w->dirs[i] = w->dirs[--w->ndirs];
	}
}

static void
drop_wd(struct watcher *w, int wd)
{
	size_t i;

	for (i = 0; i < w->ndirs; ) {
		if (w->dirs[i].wd == wd) {
			free(w->dirs[i].path);
			w->dirs[i] = w->dirs[--w->ndirs];
		} else {
			i++;
		}
	}
}

/* Could name (in directory wd) matter to a glob: a file it matches, or a
 * directory (or a symlink to one) on the way to one? */
static bool
name_matters(const struct watcher *w, int wd, const char *name)
{
	char *path;
	size_t d, i, j, k;
	bool hit = false;

	for (d = 0; d < w->ndirs && !hit; d++) {
		if (w->dirs[d].wd != wd)
			continue;
		path = xasprintf("%s%s%s", w->dirs[d].path,
		    strcmp(w->dirs[d].path, "/") == 0 ? "" : "/", name);
		for (i = 0; i < w->ninputs && !hit; i++) {
			if (w->inputs[i].poll)
				continue;
			for (j = 0; j < w->inputs[i].nglobs && !hit; j++) {
				const struct wglob *g = &w->inputs[i].globs[j];

				for (k = 0; k < g->nprefix && !hit; k++)
					hit = fnmatch(g->prefix[k], path,
					    MATCH_FLAGS) == 0;
			}
		}
		free(path);
	}
	return hit;
}

static void
debounce_cb(uv_timer_t *timer)
{
	struct watcher *w = container_of(timer, struct watcher, debounce);

	if (w->closing)
		return;
	watcher_scan(w);
}

static void
schedule_scan(struct watcher *w)
{
	if (!w->closing && !uv_is_active((uv_handle_t *)&w->debounce))
		uv_timer_start(&w->debounce, debounce_cb, DEBOUNCE_MS, 0);
}

static void
inotify_cb(uv_poll_t *h, int status, int events)
{
	struct watcher *w = container_of(h, struct watcher, poll);
	union {
		struct inotify_event	ev;
		char			b[16384];
	} u;
	struct inotify_event ev;
	bool scan = false;
	ssize_t n, off;

	(void)events;
	if (w->closing)
		return;
	if (status < 0) {
		log_warn("inotify: %s, rescanning", uv_strerror(status));
		schedule_scan(w);
		return;
	}
	for (;;) {
		n = read(w->ifd, u.b, sizeof(u.b));
		if (n == -1 && errno == EINTR)
			continue;
		if (n <= 0)	/* EAGAIN: drained */
			break;
		for (off = 0; off + (ssize_t)sizeof(ev) <= n;
		    off += (ssize_t)sizeof(ev) + ev.len) {
			memcpy(&ev, u.b + off, sizeof(ev));
			if (ev.mask & IN_Q_OVERFLOW) {
				log_warn("inotify: event queue overflowed, "
				    "rescanning everything");
				scan = true;
			} else if (ev.mask & IN_IGNORED) {
				drop_wd(w, ev.wd);	/* the kernel did */
				scan = true;
			} else if (ev.mask & (IN_DELETE_SELF | IN_MOVE_SELF)) {
				scan = true;
			} else if (!scan && ev.len > 0 &&
			    name_matters(w, ev.wd, u.b + off + sizeof(ev))) {
				scan = true;
			}
		}
	}
	if (scan)
		schedule_scan(w);
}

int
watcher_start(struct watcher *w)
{
	size_t i;
	int r;

	for (i = 0; i < w->ninputs; i++)
		if (!w->inputs[i].poll)
			break;
	if (i == w->ninputs || w->ifd != -1)
		return 0;	/* poll inputs only: no inotify at all */
	w->ifd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (w->ifd == -1)
		return -errno;
	if ((r = uv_poll_init(w->loop, &w->poll, w->ifd)) < 0)
		goto fail;
	w->poll.data = w;
	w->poll_inited = true;
	w->open_handles++;
	if ((r = uv_poll_start(&w->poll, UV_READABLE, inotify_cb)) < 0)
		goto fail;
	sync_watches(w);
	return 0;
fail:
	if (w->poll_inited) {
		/* the fd is closed with the watcher, after the handle */
		uv_poll_stop(&w->poll);
		return r;
	}
	close(w->ifd);
	w->ifd = -1;
	return r;
}


/* Globs one input and reports its files. False if the watcher started
 * closing inside a callback. */
static bool
scan_input(struct watcher *w, size_t input)
{
	const struct winput *in = &w->inputs[input];
	struct stat st;
	glob_t gl;
	size_t j, k;
	bool ok = true;

	for (j = 0; j < in->nglobs && ok; j++) {
		/* unreadable directories are skipped (no GLOB_ERR): the
		 * daemon reports what it cannot open, not what it cannot
		 * see */
		if (glob(in->globs[j].pat, 0, NULL, &gl) != 0) {
			globfree(&gl);
			continue;
		}
		for (k = 0; k < gl.gl_pathc && ok; k++) {
			const char *p = gl.gl_pathv[k];

			if (config_excludes((const char *const *)in->exclude,
			    in->nexclude, p) || stat(p, &st) == -1 ||
			    !S_ISREG(st.st_mode))
				continue;
			if (!seen_add(&w->seen, (uint64_t)st.st_dev,
			    (uint64_t)st.st_ino))
				continue;
			w->file(w->arg, input, p, &st);
			ok = !w->closing;
		}
		globfree(&gl);
	}
	return ok;
}

void
watcher_scan(struct watcher *w)
{
	size_t i;

	if (w->closing)
		return;
	/* this scan covers the events a pending debounce was for */
	uv_timer_stop(&w->debounce);
	if (w->ifd != -1)
		sync_watches(w);
	seen_clear(&w->seen);
	for (i = 0; i < w->ninputs; i++)
		if (!scan_input(w, i))
			return;	/* closed from a callback: no done */
	w->done(w->arg);
}

bool
watcher_path_matches(const struct watcher *w, size_t input,
    const char *path)
{
	const struct winput *in;
	size_t j;

	if (input >= w->ninputs)
		return false;
	in = &w->inputs[input];
	for (j = 0; j < in->nglobs; j++)
		if (fnmatch(in->globs[j].pat, path, MATCH_FLAGS) == 0)
			return !config_excludes(
			    (const char *const *)in->exclude, in->nexclude,
			    path);
	return false;
}

void
watcher_close(struct watcher *w)
{
	if (w == NULL || w->closing)
		return;
	w->closing = true;
	uv_close((uv_handle_t *)&w->debounce, close_cb);
	if (w->poll_inited)
		uv_close((uv_handle_t *)&w->poll, close_cb);
}
