/*
 * watcher: finds the files the inputs' globs name. It watches the
 * directory of each glob for creations, moves and deletions only (an
 * inotify descriptor of its own on the loop: libuv 1.44's fs-event handle
 * drops IN_Q_OVERFLOW silently, and never IN_MODIFY: an event per append
 * costs more than the matching), rescans on every such event (debounced)
 * and on overflow, and also when the daemon asks (its 1 s safety net).
 * Inputs with poll: true get no inotify watch: the rescan timer alone
 * finds their files (NFS). It never opens the files: the daemon does.
 */
#ifndef EW_WATCHER_H
#define EW_WATCHER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <uv.h>

struct ew_err;
struct config_input;
struct watcher;

/* One regular file that matched input's paths and none of its excludes,
 * with its stat (symlinks followed). path is borrowed until the callback
 * returns. Called once per file per scan; a file matched by two inputs
 * is reported for the first only. */
typedef void watcher_file_fn(void *arg, size_t input, const char *path,
    const struct stat *st);
/* A scan is complete (every file of it has been reported). */
typedef void watcher_done_fn(void *arg);

/* Copies what it needs of inputs[0..n). Arms nothing yet. */
struct watcher	*watcher_create(uv_loop_t *loop,
		    const struct config_input *inputs, size_t n,
		    watcher_file_fn *file, watcher_done_fn *done, void *arg,
		    struct ew_err *err);
/* Adds the inotify watches (directories that do not exist yet are
 * watched once they appear: their parent is watched). 0 or -errno. */
int		 watcher_start(struct watcher *w);
/* Globs every input now and reports the files synchronously. */
void		 watcher_scan(struct watcher *w);
/* True if path matches input's paths and not its excludes. */
bool		 watcher_path_matches(const struct watcher *w, size_t input,
		    const char *path);
/* Starts closing; memory goes when the handles are closed. */
void		 watcher_close(struct watcher *w);

#endif
