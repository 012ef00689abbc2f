/* fixtures.h - tiny real media files from tests/fixtures/media for the
 * media unit tests (found beside this source file, so no working directory
 * is assumed). */
#ifndef PIGEON_TEST_MEDIA_FIXTURES_H
#define PIGEON_TEST_MEDIA_FIXTURES_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The whole file, malloc'd; *len its size. Fails the test when missing. */
static inline unsigned char *fx_load(const char *name, size_t *len)
{
    char path[1024];
    const char *here = __FILE__;
    const char *slash = strrchr(here, '/');
    int dir = slash ? (int)(slash - here) : 1;
    snprintf(path, sizeof path, "%.*s/../../fixtures/media/%s", dir, slash ? here : ".", name);
    FILE *f = fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "missing fixture %s\n", path);
        abort();
    }
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *buf = malloc(n > 0 ? (size_t)n : 1);
    if (buf == NULL || fread(buf, 1, (size_t)n, f) != (size_t)n)
        abort();
    fclose(f);
    *len = (size_t)n;
    return buf;
}

#endif
