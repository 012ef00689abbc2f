/* static.h - the web client's files (web/), served at / by the gateway.
 *
 * Every regular file under the folder is read into memory once at start;
 * a request is answered from that table only, so no client path ever
 * reaches the file system (no "..", no symlinks, nothing added later).
 * Cost: the folder's size in memory (bounded by GW_STATIC_MAX_TOTAL). */
#ifndef PIGEON_GW_STATIC_H
#define PIGEON_GW_STATIC_H

#include <stdbool.h>
#include <stddef.h>

#include "reply.h"

#define GW_STATIC_MAX_FILES 512                /* files in the folder */
#define GW_STATIC_MAX_FILE (4 * 1024 * 1024)   /* bytes of one file */
#define GW_STATIC_MAX_TOTAL (32 * 1024 * 1024) /* bytes of all files */

typedef struct gw_static gw_static_t;

/* Loads the regular files under dir (dot files, symlinks and other kinds
 * are skipped). NULL with a message in err when dir cannot be read or
 * passes a limit. */
gw_static_t *gw_static_new(const char *dir, char *err, size_t errlen);

/* Frees s; accepts NULL and sets *sp to NULL. */
void gw_static_destroy(gw_static_t **sp);

/* Files loaded. */
size_t gw_static_count(const gw_static_t *s);

/* The folder to serve: PIGEON_WEB_DIR when set (env_dir), else
 * <dir of exe>/../../web when it exists (a build tree: build/bin/), else
 * /usr/share/pigeon/web when it exists; NULL when none does. The caller
 * frees. */
char *gw_static_dir(const char *env_dir, const char *exe);

/* True for a request path that may name a file: starts with '/', no empty,
 * "." or ".." segment, no segment starting with '.', no backslash, no
 * control or non-ASCII byte, at most 255 bytes. */
bool gw_static_path_ok(const char *path);

/* Content-Type for a file name by its extension; application/octet-stream
 * for an unknown one. */
const char *gw_static_content_type(const char *name);

/* Answers GET or HEAD of path from the table ("/" is /index.html) with the
 * file, or 304 when if_none_match names its ETag. False, with out
 * untouched, when the method or path names no file. */
bool gw_static_serve(const gw_static_t *s, const char *method, const char *path,
                     const char *if_none_match, gw_reply_t *out);

#endif
