/* The web client's files: path safety, content types, serving from memory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "static.h"

static void s_write(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* A throwaway web folder: index.html, app.js, css/app.css, a dot file, a
 * symlink to a file outside it. */
static int s_setup(void **state)
{
    char *dir = strdup("/tmp/pigeon-static-XXXXXX");
    assert_non_null(mkdtemp(dir));
    char p[512];
    snprintf(p, sizeof p, "%s/index.html", dir);
    s_write(p, "<!doctype html><meta charset=\"utf-8\"><title>鸽子</title>");
    snprintf(p, sizeof p, "%s/app.js", dir);
    s_write(p, "export const x = 1;\n");
    snprintf(p, sizeof p, "%s/css", dir);
    assert_int_equal(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/css/app.css", dir);
    s_write(p, "body{}\n");
    snprintf(p, sizeof p, "%s/.secret", dir);
    s_write(p, "no");
    snprintf(p, sizeof p, "%s/passwd.txt", dir);
    assert_int_equal(symlink("/etc/passwd", p), 0);
    *state = dir;
    return 0;
}

static int s_teardown(void **state)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", (char *)*state);
    assert_int_equal(system(cmd), 0);
    free(*state);
    return 0;
}

static void test_static_serves_index_at_root(void **state)
{
    char err[256];
    gw_static_t *s = gw_static_new(*state, err, sizeof err);
    assert_non_null(s);
    assert_int_equal(gw_static_count(s), 3); /* no dot file, no symlink */

    gw_reply_t r = {0};
    assert_true(gw_static_serve(s, "GET", "/", NULL, &r));
    assert_int_equal(r.status, 200);
    assert_string_equal(r.content_type, "text/html; charset=utf-8");
    /* The body is bytes with a length, not a C string. */
    assert_non_null(memmem(r.body, r.body_len, "鸽子", strlen("鸽子")));
    assert_non_null(r.fixed_headers);
    bool csp = false, nosniff = false;
    for (const char *const *h = r.fixed_headers; h[0]; h += 2) {
        if (strcmp(h[0], "Content-Security-Policy") == 0)
            csp = strstr(h[1], "default-src 'self'") && strstr(h[1], "script-src 'self'") &&
                  strstr(h[1], "frame-ancestors 'none'");
        if (strcmp(h[0], "X-Content-Type-Options") == 0)
            nosniff = strcmp(h[1], "nosniff") == 0;
    }
    assert_true(csp);
    assert_true(nosniff);
    assert_string_equal(r.headers[0].name, "ETag");
    char etag[96];
    snprintf(etag, sizeof etag, "%s", r.headers[0].value);
    gw_reply_clear(&r);

    /* A revalidation with the ETag: 304, no body. */
    assert_true(gw_static_serve(s, "GET", "/index.html", etag, &r));
    assert_int_equal(r.status, 304);
    assert_null(r.body);
    gw_reply_clear(&r);

    assert_true(gw_static_serve(s, "HEAD", "/css/app.css", NULL, &r));
    assert_string_equal(r.content_type, "text/css; charset=utf-8");
    gw_reply_clear(&r);
    gw_static_destroy(&s);
    assert_null(s);
}

static void test_static_refuses_unsafe_and_unknown_paths(void **state)
{
    char err[256];
    gw_static_t *s = gw_static_new(*state, err, sizeof err);
    assert_non_null(s);
    gw_reply_t r = {0};
    const char *bad[] = {"/../index.html", "/css/../app.js", "/.secret", "/passwd.txt",
                         "//app.js",       "/css/",          "/nope.js", "/app.js/",
                         "/app%2ejs",      "/a\\b",          "app.js",   ""};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(gw_static_serve(s, "GET", bad[i], NULL, &r));
    assert_false(gw_static_serve(s, "POST", "/app.js", NULL, &r));
    assert_false(gw_static_serve(s, "DELETE", "/", NULL, &r));
    assert_int_equal(r.status, 0); /* untouched */
    assert_false(gw_static_serve(NULL, "GET", "/", NULL, &r));
    gw_static_destroy(&s);
}

static void test_static_path_rules(void **state)
{
    (void)state;
    assert_true(gw_static_path_ok("/index.html"));
    assert_true(gw_static_path_ok("/js/chat-view.js"));
    assert_false(gw_static_path_ok("/.."));
    assert_false(gw_static_path_ok("/a/./b"));
    assert_false(gw_static_path_ok("/a b"));
    assert_false(gw_static_path_ok("/caf\xc3\xa9"));
    assert_false(gw_static_path_ok(NULL));
}

static void test_static_content_types(void **state)
{
    (void)state;
    assert_string_equal(gw_static_content_type("/app.js"), "text/javascript; charset=utf-8");
    assert_string_equal(gw_static_content_type("/A.CSS"), "text/css; charset=utf-8");
    assert_string_equal(gw_static_content_type("/icon.svg"), "image/svg+xml");
    assert_string_equal(gw_static_content_type("/x.png"), "image/png");
    assert_string_equal(gw_static_content_type("/x.webmanifest"),
                        "application/manifest+json; charset=utf-8");
    assert_string_equal(gw_static_content_type("/Makefile"), "application/octet-stream");
    assert_string_equal(gw_static_content_type("/dir.d/file"), "application/octet-stream");
}

static void test_static_folder_choice(void **state)
{
    char *d = gw_static_dir("/srv/web", "/x/bin/pigeon-gateway");
    assert_string_equal(d, "/srv/web"); /* PIGEON_WEB_DIR wins */
    free(d);
    /* <exe>/../../web: state is /tmp/pigeon-static-X, so an exe two levels below it
     * finds a sibling "web" only if present; here none is: the system folder or NULL. */
    d = gw_static_dir(NULL, "/nonexistent/bin/pigeon-gateway");
    if (d)
        assert_string_equal(d, "/usr/share/pigeon/web");
    free(d);
    char err[64];
    assert_null(gw_static_new("/nonexistent/pigeon-web", err, sizeof err));
    assert_non_null(strstr(err, "could not open web folder"));
    (void)state;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_static_serves_index_at_root, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_static_refuses_unsafe_and_unknown_paths, s_setup,
                                        s_teardown),
        cmocka_unit_test(test_static_path_rules),
        cmocka_unit_test(test_static_content_types),
        cmocka_unit_test(test_static_folder_choice),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
