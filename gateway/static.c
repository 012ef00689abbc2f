/* static.c - the web client's files, loaded once and served from memory. */
#include "static.h"

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "media_http.h"
#include "random.h"
#include "status.h"

#define GW_STATIC_DEPTH 8 /* folder levels below the root */

typedef struct {
    char *path;       /* "/index.html": request path of the file */
    char *data;       /* its bytes */
    size_t len;       /* bytes in data */
    const char *type; /* Content-Type (static string) */
    char etag[36];    /* strong ETag: quoted first 16 bytes of SHA-256, hex */
} gw_file_t;

struct gw_static {
    gw_file_t files[GW_STATIC_MAX_FILES]; /* sorted by nothing: a few dozen, scanned */
    size_t count;                         /* files used */
    size_t total;                         /* bytes of all files */
};

/* Headers of every file answer. The policy lets the client load only its
 * own scripts and styles, show blob: pictures and voice (media is fetched
 * with the bearer token), and talk to this origin over HTTP and WebSocket. */
#define GW_CSP                                                                                     \
    "default-src 'self'; img-src 'self' blob: data:; media-src 'self' blob:; "                     \
    "connect-src 'self' ws: wss:; script-src 'self'; style-src 'self'; "                           \
    "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

static const char *const s_common_headers[] = {
    "Content-Security-Policy",
    GW_CSP,
    "X-Content-Type-Options",
    "nosniff",
    "Referrer-Policy",
    "no-referrer",
    /* Every file is revalidated (cheap: a 304 by ETag), so a new build is
     * seen at once; the names carry no version to cache them longer. */
    "Cache-Control",
    "no-cache",
    NULL,
};

static const struct {
    const char *ext;  /* extension without the dot, lower-case */
    const char *type; /* Content-Type */
} s_types[] = {
    {"html", "text/html; charset=utf-8"},
    {"js", "text/javascript; charset=utf-8"},
    {"mjs", "text/javascript; charset=utf-8"},
    {"css", "text/css; charset=utf-8"},
    {"json", "application/json; charset=utf-8"},
    {"webmanifest", "application/manifest+json; charset=utf-8"},
    {"svg", "image/svg+xml"},
    {"png", "image/png"},
    {"jpg", "image/jpeg"},
    {"jpeg", "image/jpeg"},
    {"gif", "image/gif"},
    {"webp", "image/webp"},
    {"ico", "image/x-icon"},
    {"txt", "text/plain; charset=utf-8"},
    {"md", "text/markdown; charset=utf-8"},
    {"woff2", "font/woff2"},
};

const char *gw_static_content_type(const char *name)
{
    const char *dot = name ? strrchr(name, '.') : NULL;
    const char *slash = name ? strrchr(name, '/') : NULL;
    if (dot && (!slash || dot > slash))
        for (size_t i = 0; i < sizeof s_types / sizeof s_types[0]; i++)
            if (strcasecmp(dot + 1, s_types[i].ext) == 0)
                return s_types[i].type;
    return "application/octet-stream";
}

bool gw_static_path_ok(const char *path)
{
    if (!path || path[0] != '/')
        return false;
    size_t n = strlen(path);
    if (n > 255)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        if (c < 0x21 || c > 0x7e || c == '\\' || c == '%')
            return false;
        /* A segment starts after each '/': never empty, never a dot name. */
        if (c == '/' && (path[i + 1] == '/' || path[i + 1] == '.'))
            return false;
    }
    return true;
}

static void s_free_files(gw_static_t *s)
{
    for (size_t i = 0; i < s->count; i++) {
        free(s->files[i].path);
        free(s->files[i].data);
    }
    s->count = 0;
}

/* Reads one regular file (fd opened without following a symlink). */
static int s_add_file(gw_static_t *s, int dirfd, const char *name, const char *rel, char *err,
                      size_t errlen)
{
    int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        if (fd >= 0)
            close(fd);
        return 0; /* not a regular file after all: skipped */
    }
    if (s->count >= GW_STATIC_MAX_FILES || st.st_size > GW_STATIC_MAX_FILE ||
        s->total + (size_t)st.st_size > GW_STATIC_MAX_TOTAL) {
        snprintf(err, errlen, "web folder is too large at \"%s\" (at most %d files of %d bytes)",
                 rel, GW_STATIC_MAX_FILES, GW_STATIC_MAX_FILE);
        close(fd);
        return -1;
    }
    gw_file_t *f = &s->files[s->count];
    f->len = (size_t)st.st_size;
    f->data = malloc(f->len + 1);
    f->path = strdup(rel);
    size_t got = 0;
    while (f->data && got < f->len) {
        ssize_t r = read(fd, f->data + got, f->len - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (!f->data || !f->path || got != f->len) {
        snprintf(err, errlen, "could not read web file \"%s\"", rel);
        free(f->data);
        free(f->path);
        *f = (gw_file_t){0};
        return -1;
    }
    unsigned char d[crypto_hash_sha256_BYTES];
    crypto_hash_sha256(d, (const unsigned char *)f->data, f->len);
    char hex[33];
    pc_hex_encode(d, 16, hex);
    snprintf(f->etag, sizeof f->etag, "\"%s\"", hex);
    f->type = gw_static_content_type(rel);
    s->total += f->len;
    s->count++;
    return 0;
}

/* Walks one folder (fd is consumed); rel is its request path prefix. */
static int s_walk(gw_static_t *s, int fd, const char *rel, int depth, char *err, size_t errlen)
{
    DIR *d = fdopendir(fd);
    if (!d) {
        close(fd);
        snprintf(err, errlen, "could not open web folder \"%s\"", rel[0] ? rel : "/");
        return -1;
    }
    int rc = 0;
    struct dirent *e;
    while (rc == 0 && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue; /* ".", "..", dot files */
        char path[512];
        if (snprintf(path, sizeof path, "%s/%s", rel, e->d_name) >= (int)sizeof path ||
            !gw_static_path_ok(path))
            continue; /* a name no request could ask for */
        struct stat st;
        if (fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
            continue;
        if (S_ISREG(st.st_mode)) {
            rc = s_add_file(s, dirfd(d), e->d_name, path, err, errlen);
        } else if (S_ISDIR(st.st_mode) && depth < GW_STATIC_DEPTH) {
            int sub = openat(dirfd(d), e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
            if (sub >= 0)
                rc = s_walk(s, sub, path, depth + 1, err, errlen);
        } /* symlinks, devices, sockets: never served */
    }
    closedir(d);
    return rc;
}

gw_static_t *gw_static_new(const char *dir, char *err, size_t errlen)
{
    gw_static_t *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "could not open web folder \"%s\": not a readable folder", dir);
        free(s);
        return NULL;
    }
    if (s_walk(s, fd, "", 0, err, errlen) < 0) {
        gw_static_destroy(&s);
        return NULL;
    }
    return s;
}

void gw_static_destroy(gw_static_t **sp)
{
    if (!sp || !*sp)
        return;
    s_free_files(*sp);
    free(*sp);
    *sp = NULL;
}

size_t gw_static_count(const gw_static_t *s)
{
    return s ? s->count : 0;
}

static bool s_is_dir(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

char *gw_static_dir(const char *env_dir, const char *exe)
{
    if (env_dir && env_dir[0])
        return strdup(env_dir);
    if (exe && exe[0] == '/') {
        char buf[PATH_MAX];
        const char *slash = strrchr(exe, '/');
        int n = snprintf(buf, sizeof buf, "%.*s/../../web", (int)(slash - exe), exe);
        char real[PATH_MAX];
        if (n > 0 && n < (int)sizeof buf && realpath(buf, real) && s_is_dir(real))
            return strdup(real);
    }
    if (s_is_dir("/usr/share/pigeon/web"))
        return strdup("/usr/share/pigeon/web");
    return NULL;
}

static const gw_file_t *s_find(const gw_static_t *s, const char *path)
{
    if (strcmp(path, "/") == 0)
        path = "/index.html";
    if (!gw_static_path_ok(path))
        return NULL;
    for (size_t i = 0; i < s->count; i++) /* O(N), N is a few dozen */
        if (strcmp(s->files[i].path, path) == 0)
            return &s->files[i];
    return NULL;
}

bool gw_static_serve(const gw_static_t *s, const char *method, const char *path,
                     const char *if_none_match, gw_reply_t *out)
{
    if (!s || !method || !path || (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0))
        return false;
    const gw_file_t *f = s_find(s, path);
    if (!f)
        return false;
    gw_reply_clear(out);
    out->fixed_headers = s_common_headers;
    gw_reply_header(out, "ETag", "%s", f->etag);
    if (if_none_match && gw_etag_matches(if_none_match, f->etag)) {
        out->status = 304;
        return true;
    }
    /* A copy per answer: libmicrohttpd frees the body it is given. */
    out->body = malloc(f->len ? f->len : 1);
    if (!out->body) {
        gw_reply_error(out, PC_INTERNAL, "out of memory");
        return true;
    }
    memcpy(out->body, f->data, f->len);
    out->body_len = f->len;
    out->content_type = f->type;
    out->status = 200;
    return true;
}
