/* admin_http.c - the small HTTP port every service serves: /healthz, /readyz, /metrics.
 *
 * libmicrohttpd with one internal polling thread; the answers are tiny and
 * made on that thread, so a handful of connections and a little memory per
 * connection are plenty (a scraper or a probe, not the public). */
#include "admin_http.h"

#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "log.h"

#define S_CONNECTION_LIMIT 16
#define S_MEMORY_LIMIT (32 * 1024)
#define S_TIMEOUT_S 10

struct pc_admin_http {
    struct MHD_Daemon *daemon; /* owns the listening socket and its thread */
    pc_metrics_t *metrics;     /* borrowed; may be NULL */
    bool (*ready)(void *arg);  /* /readyz probe, called on the daemon's thread; NULL = ready */
    void *arg;                 /* for ready() */
};

static void s_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char line[256];
    vsnprintf(line, sizeof line, fmt, ap);
    line[strcspn(line, "\r\n")] = '\0';
    pc_warn("admin http: %s", line);
}

static enum MHD_Result s_reply(struct MHD_Connection *conn, unsigned int code,
                               const char *content_type, char *body_owned, const char *body_static)
{
    struct MHD_Response *resp;
    if (body_owned != NULL)
        resp =
            MHD_create_response_from_buffer(strlen(body_owned), body_owned, MHD_RESPMEM_MUST_FREE);
    else if (body_static != NULL)
        resp = MHD_create_response_from_buffer(strlen(body_static), (void *)body_static,
                                               MHD_RESPMEM_PERSISTENT);
    else /* e.g. /metrics when rendering ran out of memory */
        resp = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (resp == NULL) {
        free(body_owned);
        return MHD_NO;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    enum MHD_Result ret = MHD_queue_response(conn, code, resp);
    MHD_destroy_response(resp);
    return ret;
}

static enum MHD_Result s_handle(void *cls, struct MHD_Connection *conn, const char *url,
                                const char *method, const char *version, const char *upload_data,
                                size_t *upload_data_size, void **req_cls)
{
    pc_admin_http_t *admin = cls;
    static const char json[] = "application/json";
    bool get =
        strcmp(method, MHD_HTTP_METHOD_GET) == 0 || strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;

    /* Answered on the first call, before any body: none of these paths
     * takes one, and MHD discards what a client sends anyway. */
    if (get && strcmp(url, "/healthz") == 0)
        return s_reply(conn, MHD_HTTP_OK, json, NULL, "{\"status\":\"ok\"}");
    if (get && strcmp(url, "/readyz") == 0) {
        if (admin->ready == NULL || admin->ready(admin->arg))
            return s_reply(conn, MHD_HTTP_OK, json, NULL, "{\"status\":\"ready\"}");
        return s_reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, json, NULL,
                       "{\"error\":{\"code\":\"unavailable\",\"message\":"
                       "\"a dependency of this process is not reachable\"}}");
    }
    if (get && strcmp(url, "/metrics") == 0) {
        char *text = pc_metrics_render(admin->metrics);
        if (text == NULL)
            return s_reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, json, NULL,
                           "{\"error\":{\"code\":\"internal\",\"message\":"
                           "\"could not render metrics\"}}");
        return s_reply(conn, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", text, NULL);
    }
    return s_reply(conn, MHD_HTTP_NOT_FOUND, json, NULL,
                   "{\"error\":{\"code\":\"not_found\",\"message\":\"no such path\"}}");
}

/* Resolves bind_addr (an IP address or a host name) to a socket address. */
static bool s_resolve(const char *bind_addr, int port, struct sockaddr_storage *out,
                      socklen_t *outlen)
{
    char service[16];
    snprintf(service, sizeof service, "%d", port);
    struct addrinfo hints = {
        .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    const char *host = bind_addr;
    if (host == NULL || host[0] == '\0' || strcmp(host, "*") == 0)
        host = "0.0.0.0";
    struct addrinfo *res = NULL;
    int rc = getaddrinfo(host, service, &hints, &res);
    if (rc != 0 || res == NULL) {
        pc_error("could not resolve admin bind address \"%s\": %s", host, gai_strerror(rc));
        return false;
    }
    memcpy(out, res->ai_addr, res->ai_addrlen);
    *outlen = res->ai_addrlen;
    freeaddrinfo(res);
    return true;
}

pc_admin_http_t *pc_admin_http_new(const char *bind_addr, int port, pc_metrics_t *metrics,
                                   bool (*ready)(void *arg), void *arg, int *bound_port)
{
    struct sockaddr_storage addr;
    socklen_t addrlen;
    if (port < 0 || port > 65535 || !s_resolve(bind_addr, port, &addr, &addrlen))
        return NULL;
    pc_admin_http_t *admin = calloc(1, sizeof *admin);
    if (admin == NULL)
        return NULL;
    admin->metrics = metrics;
    admin->ready = ready;
    admin->arg = arg;

    unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO | MHD_USE_ERROR_LOG;
    if (addr.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    admin->daemon = MHD_start_daemon(
        /* The logger goes first so MHD logs option errors through it too. */
        flags, (uint16_t)port, NULL, NULL, s_handle, admin, MHD_OPTION_EXTERNAL_LOGGER, s_mhd_log,
        NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr, MHD_OPTION_CONNECTION_LIMIT,
        (unsigned int)S_CONNECTION_LIMIT, MHD_OPTION_CONNECTION_MEMORY_LIMIT,
        (size_t)S_MEMORY_LIMIT, MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)S_TIMEOUT_S,
        MHD_OPTION_END);
    if (admin->daemon == NULL) {
        pc_error("could not start the admin HTTP server on %s:%d",
                 bind_addr ? bind_addr : "0.0.0.0", port);
        free(admin);
        return NULL;
    }
    const union MHD_DaemonInfo *info =
        MHD_get_daemon_info(admin->daemon, MHD_DAEMON_INFO_BIND_PORT);
    int bound = info ? (int)info->port : port;
    if (bound_port != NULL)
        *bound_port = bound;
    pc_debug("admin HTTP listening on %s:%d", bind_addr ? bind_addr : "0.0.0.0", bound);
    return admin;
}

void pc_admin_http_destroy(pc_admin_http_t **adminp)
{
    if (adminp == NULL || *adminp == NULL)
        return;
    pc_admin_http_t *admin = *adminp;
    if (admin->daemon != NULL)
        MHD_stop_daemon(admin->daemon);
    free(admin);
    *adminp = NULL;
}
