/* ops.c - /healthz, /readyz and /metrics on the gateway's own HTTP port. */
#include <stdlib.h>
#include <string.h>

#include "backend.h"
#include "handlers.h"
#include "metrics.h"
#include "registry.h"
#include "status.h"

/* Services the gateway cannot answer anything useful without: every call is
 * authenticated through pigeon-auth. The others are needed route by route
 * (their calls answer 503 while they are away), so one of them missing
 * does not take the whole gateway out of a load balancer. */
static const gw_service_t s_required[] = {GW_SVC_AUTH};

void gw_h_healthz(gw_request_t *req, gw_reply_t *out)
{
    gw_reply_json(out, PC_OK, json_pack("{s:s}", "status", "ok"));
}

void gw_h_readyz(gw_request_t *req, gw_reply_t *out)
{
    if (!pc_registry_ready(req->ctx->registry)) {
        gw_reply_error(out, PC_UNAVAILABLE, "service registry not loaded yet");
        return;
    }
    /* PostgreSQL unreachable: calls go on with the last snapshot, but the
     * services behind it cannot work either and the view ages; take this
     * gateway out of the load balancer until the registry refreshes again. */
    if (!pc_registry_fresh(req->ctx->registry)) {
        gw_reply_error(out, PC_UNAVAILABLE, "service registry cannot be refreshed");
        return;
    }
    for (size_t i = 0; i < sizeof s_required / sizeof s_required[0]; i++) {
        pc_instance_t inst;
        const char *name = gw_service_name(s_required[i]);
        if (pc_registry_lookup(req->ctx->registry, name, &inst, 1) == 0) {
            gw_reply_error(out, PC_UNAVAILABLE, "no live instance of service \"%s\"", name);
            return;
        }
    }
    gw_reply_json(out, PC_OK, json_pack("{s:s}", "status", "ok"));
}

void gw_h_metrics(gw_request_t *req, gw_reply_t *out)
{
    char *text = pc_metrics_render(req->ctx->metrics);
    if (!text) {
        gw_reply_error(out, PC_INTERNAL, "could not render metrics");
        return;
    }
    gw_reply_clear(out);
    out->status = PC_OK;
    out->body = text;
    out->body_len = strlen(text);
    out->content_type = "text/plain; version=0.0.4; charset=utf-8";
}
