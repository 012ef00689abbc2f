/* harness_http.c - see harness.h: HTTP exchanges through libcurl, users,
 * and small waiting and escaping helpers. */
#include "harness.h"
#include "harness_internal.h"

#include <curl/curl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>

#include <cmocka.h>

#define H_HTTP_TIMEOUT_MS 30000

static pthread_once_t s_curl_once = PTHREAD_ONCE_INIT;

/* ------------------------------------------------------------------ HTTP */

static void s_curl_init(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    atexit(curl_global_cleanup);
}

typedef struct {
    char *data;
    size_t len;
} s_buf_t;

static size_t s_collect(char *ptr, size_t size, size_t nmemb, void *arg)
{
    s_buf_t *b = arg;
    size_t n = size * nmemb;
    char *grown = realloc(b->data, b->len + n + 1);
    if (!grown)
        return 0;
    memcpy(grown + b->len, ptr, n);
    b->len += n;
    grown[b->len] = '\0';
    b->data = grown;
    return n;
}

static bool s_has_header(const char *const *headers, const char *name)
{
    size_t len = strlen(name);
    for (size_t i = 0; headers && headers[i]; i++) {
        if (strncasecmp(headers[i], name, len) == 0 && headers[i][len] == ':')
            return true;
    }
    return false;
}

h_resp_t h_http_raw(const h_system_t *sys, const char *method, const char *path, const char *token,
                    const void *body, size_t body_len, const char *const *headers)
{
    pthread_once(&s_curl_once, s_curl_init);
    h_resp_t r = {0};
    s_buf_t resp_body = {0}, resp_headers = {0};
    CURL *curl = curl_easy_init();
    assert_non_null(curl);

    char url[2048];
    snprintf(url, sizeof url, "%s%s", sys->base_url, path);
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, (long)H_HTTP_TIMEOUT_MS);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, s_collect);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &resp_body);
    curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, s_collect);
    curl_easy_setopt(curl, CURLOPT_HEADERDATA, &resp_headers);

    if (strcmp(method, "GET") == 0) {
        curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
    } else if (strcmp(method, "HEAD") == 0) {
        curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
    } else {
        /* A POST-style request with an explicit (possibly empty) body. */
        curl_easy_setopt(curl, CURLOPT_POST, 1L);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(body ? body_len : 0));
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body ? body : "");
        if (strcmp(method, "POST") != 0)
            curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
    }

    struct curl_slist *list = NULL;
    char auth[1024];
    if (token) {
        snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
        list = curl_slist_append(list, auth);
    }
    if (body && !s_has_header(headers, "Content-Type"))
        list = curl_slist_append(list, "Content-Type: application/json");
    for (size_t i = 0; headers && headers[i]; i++)
        list = curl_slist_append(list, headers[i]);
    if (list)
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);

    CURLcode rc = curl_easy_perform(curl);
    if (rc == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
    curl_slist_free_all(list);
    curl_easy_cleanup(curl);

    r.body = resp_body.data ? resp_body.data : strdup("");
    r.body_len = resp_body.len;
    r.headers = resp_headers.data ? resp_headers.data : strdup("");
    if (r.body_len > 0)
        r.json = json_loadb(r.body, r.body_len, 0, NULL);
    return r;
}

h_resp_t h_http(const h_system_t *sys, const char *method, const char *path, const char *token,
                const char *body, const char *const *headers)
{
    return h_http_raw(sys, method, path, token, body, body ? strlen(body) : 0, headers);
}

void h_resp_free(h_resp_t *r)
{
    free(r->body);
    free(r->headers);
    json_decref(r->json);
    memset(r, 0, sizeof *r);
}

char *h_resp_header(const h_resp_t *r, const char *name)
{
    /* Several header blocks may be present (a "100 Continue" first): the last
     * occurrence wins. */
    size_t len = strlen(name);
    const char *found = NULL;
    for (const char *line = r->headers; line && *line;) {
        if (strncasecmp(line, name, len) == 0 && line[len] == ':')
            found = line + len + 1;
        const char *next = strchr(line, '\n');
        line = next ? next + 1 : NULL;
    }
    if (!found)
        return NULL;
    while (*found == ' ' || *found == '\t')
        found++;
    size_t n = strcspn(found, "\r\n");
    return strndup(found, n);
}

void h_expect_error(const h_resp_t *r, long status, const char *code)
{
    json_t *err = r->json ? json_object_get(r->json, "error") : NULL;
    const char *got = json_string_value(json_object_get(err, "code"));
    const char *message = json_string_value(json_object_get(err, "message"));
    if (r->status != status || !got || strcmp(got, code) != 0 || !message) {
        fail_msg("expected %ld {\"error\":{\"code\":\"%s\",\"message\":...}}, got %ld: %.500s",
                 status, code, r->status, r->body ? r->body : "");
    }
}

/* ------------------------------------------------------------------ users */

void h_unique_name(const char *prefix, char *out, size_t size)
{
    char suffix[32];
    snprintf(suffix, sizeof suffix, "%012llx",
             (unsigned long long)(hi_random_u64() & 0xffffffffffffULL));
    size_t room = 32 - strlen(suffix) - 1; /* usernames are at most 32 */
    snprintf(out, size, "%.*s_%s", (int)room, prefix, suffix);
}

void h_register(const h_system_t *sys, const char *username, const char *nickname, char *token,
                int64_t *id)
{
    char password[40];
    snprintf(password, sizeof password, "pw-%016llx", (unsigned long long)hi_random_u64());
    json_t *req = json_pack("{s:s, s:s, s:s}", "username", username, "password", password,
                            "nickname", nickname);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    h_resp_t r = h_http(sys, "POST", "/v1/auth/register", NULL, body, NULL);
    free(body);
    const char *tok = json_string_value(json_object_get(r.json, "token"));
    json_t *uid = json_object_get(json_object_get(r.json, "user"), "id");
    if (r.status != 201 || !tok || !json_is_integer(uid)) {
        h_dump_logs();
        fail_msg("could not register %s: %ld %.500s", username, r.status, r.body);
    }
    snprintf(token, 128, "%s", tok);
    if (id)
        *id = json_integer_value(uid);
    h_resp_free(&r);
}

bool h_wait_until(bool (*cond)(void *arg), void *arg, int timeout_ms)
{
    int64_t deadline = hi_now_ms() + timeout_ms;
    for (;;) {
        if (cond(arg))
            return true;
        if (hi_now_ms() >= deadline)
            return false;
        hi_sleep_ms(20);
    }
}

char *h_escape(const char *text)
{
    pthread_once(&s_curl_once, s_curl_init);
    char *escaped = curl_easy_escape(NULL, text, 0);
    assert_non_null(escaped);
    char *copy = strdup(escaped);
    curl_free(escaped);
    return copy;
}
