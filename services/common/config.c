/* config.c - settings from PIGEON_* environment variables, read once at start.
 *
 * An unset or empty variable takes its default (an empty line in an env file
 * means "not set"). Errors name the variable and quote the bad value, except
 * for strings that may carry secrets (PIGEON_DB_URL). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "log.h"

#define S_DEFAULT_DB_URL "host=127.0.0.1 port=55432 dbname=pigeon user=pigeon"

/* The value of `name`, or NULL when unset or empty. */
static const char *s_getenv(const char *name)
{
    const char *v = getenv(name);
    return (v == NULL || v[0] == '\0') ? NULL : v;
}

int pc_env_int(const char *name, long def, long min, long max, long *out, char *err, size_t errlen)
{
    const char *v = s_getenv(name);
    if (v == NULL) {
        *out = def;
        return 0;
    }
    /* strtol alone accepts leading blanks and "+"; a setting is plain digits. */
    const char *p = v[0] == '-' ? v + 1 : v;
    int ok = isdigit((unsigned char)p[0]);
    char *end = NULL;
    errno = 0;
    long n = ok ? strtol(v, &end, 10) : 0;
    if (!ok || errno != 0 || *end != '\0' || n < min || n > max) {
        snprintf(err, errlen, "%s must be an integer from %ld to %ld, not \"%.40s\"", name, min,
                 max, v);
        return -1;
    }
    *out = n;
    return 0;
}

int pc_env_bool(const char *name, bool def, bool *out, char *err, size_t errlen)
{
    static const char *const yes[] = {"1", "true", "yes", "on"};
    static const char *const no[] = {"0", "false", "no", "off"};
    const char *v = s_getenv(name);
    if (v == NULL) {
        *out = def;
        return 0;
    }
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return 0;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return 0;
        }
    }
    snprintf(err, errlen, "%s must be true or false, not \"%.40s\"", name, v);
    return -1;
}

int pc_env_str(const char *name, const char *def, char **out, char *err, size_t errlen)
{
    const char *v = s_getenv(name);
    if (v == NULL)
        v = def;
    *out = NULL;
    if (v == NULL)
        return 0;
    *out = strdup(v);
    if (*out == NULL) {
        snprintf(err, errlen, "out of memory reading %s", name);
        return -1;
    }
    return 0;
}

/* Reads an int setting into an int field (the ranges below all fit). */
static int s_int(const char *name, long def, long min, long max, int *out, char *err, size_t errlen)
{
    long v;
    if (pc_env_int(name, def, min, max, &v, err, errlen) != 0)
        return -1;
    *out = (int)v;
    return 0;
}

/* Instance ids go into the registry and into every log line: keep them to
 * printable ASCII without blanks. */
static bool s_id_ok(const char *s)
{
    if (s[0] == '\0')
        return false;
    for (const char *p = s; *p; p++)
        if (*p <= ' ' || *p > '~' || *p == '"' || *p == '\\')
            return false;
    return true;
}

static int s_instance_id(pc_config_t *cfg, char *err, size_t errlen)
{
    const char *v = s_getenv("PIGEON_INSTANCE_ID");
    if (v != NULL) {
        if (strlen(v) >= sizeof cfg->instance_id || !s_id_ok(v)) {
            snprintf(err, errlen,
                     "PIGEON_INSTANCE_ID must be 1 to %zu printable ASCII characters without "
                     "blanks or quotes, not \"%.40s\"",
                     sizeof cfg->instance_id - 1, v);
            return -1;
        }
        snprintf(cfg->instance_id, sizeof cfg->instance_id, "%s", v);
        return 0;
    }
    char host[256] = "";
    if (gethostname(host, sizeof host) != 0 || host[0] == '\0')
        snprintf(host, sizeof host, "localhost");
    host[sizeof host - 1] = '\0';
    /* Room for "-<pid>" whatever the host name's length. */
    snprintf(cfg->instance_id, sizeof cfg->instance_id, "%.40s-%ld", host, (long)getpid());
    return 0;
}

static bool s_is_wildcard(const char *addr)
{
    return strcmp(addr, "0.0.0.0") == 0 || strcmp(addr, "*") == 0 || strcmp(addr, "::") == 0;
}

static int s_addresses(pc_config_t *cfg, char *err, size_t errlen)
{
    if (pc_env_str("PIGEON_BIND_ADDR", "127.0.0.1", &cfg->bind_addr, err, errlen) != 0)
        return -1;
    if (strlen(cfg->bind_addr) > 255 || strpbrk(cfg->bind_addr, " \t/") != NULL) {
        snprintf(err, errlen, "PIGEON_BIND_ADDR must be an IP address or host name, not \"%.40s\"",
                 cfg->bind_addr);
        return -1;
    }
    const char *adv = s_getenv("PIGEON_ADVERTISE_HOST");
    char host[256] = "";
    if (adv == NULL && s_is_wildcard(cfg->bind_addr)) {
        /* Others cannot dial 0.0.0.0: advertise the name they can resolve. */
        if (gethostname(host, sizeof host) != 0 || host[0] == '\0') {
            snprintf(err, errlen,
                     "could not determine the host name for PIGEON_ADVERTISE_HOST; set it");
            return -1;
        }
        host[sizeof host - 1] = '\0';
        adv = host;
    } else if (adv == NULL) {
        adv = cfg->bind_addr;
    }
    if (strlen(adv) > 255 || strpbrk(adv, " \t/") != NULL) {
        snprintf(err, errlen,
                 "PIGEON_ADVERTISE_HOST must be an IP address or host name, not \"%.40s\"", adv);
        return -1;
    }
    cfg->advertise_host = strdup(adv);
    if (cfg->advertise_host == NULL) {
        snprintf(err, errlen, "out of memory reading PIGEON_ADVERTISE_HOST");
        return -1;
    }
    return 0;
}

static int s_numbers(pc_config_t *cfg, char *err, size_t errlen)
{
    if (s_int("PIGEON_RPC_PORT", 0, 0, 65535, &cfg->rpc_port, err, errlen) != 0 ||
        s_int("PIGEON_PUB_PORT", 0, 0, 65535, &cfg->pub_port, err, errlen) != 0 ||
        s_int("PIGEON_ADMIN_PORT", 0, 0, 65535, &cfg->admin_port, err, errlen) != 0 ||
        s_int("PIGEON_WORKERS", 8, 1, 256, &cfg->workers, err, errlen) != 0 ||
        s_int("PIGEON_DB_STATEMENT_TIMEOUT_MS", 5000, 10, 600000, &cfg->db_timeout_ms, err,
              errlen) != 0 ||
        s_int("PIGEON_RPC_DEADLINE_MS", 5000, 10, 600000, &cfg->rpc_deadline_ms, err, errlen) !=
            0 ||
        s_int("PIGEON_REGISTRY_INTERVAL_MS", 1000, 50, 60000, &cfg->registry_interval_ms, err,
              errlen) != 0 ||
        s_int("PIGEON_REGISTRY_TTL_MS", 5000, 100, 600000, &cfg->registry_ttl_ms, err, errlen) !=
            0 ||
        s_int("PIGEON_SHUTDOWN_GRACE_MS", 10000, 0, 600000, &cfg->shutdown_grace_ms, err, errlen) !=
            0)
        return -1;
    /* An instance heartbeating slower than it expires would flap. */
    if (cfg->registry_ttl_ms <= cfg->registry_interval_ms) {
        snprintf(err, errlen,
                 "PIGEON_REGISTRY_TTL_MS (%d) must be greater than PIGEON_REGISTRY_INTERVAL_MS "
                 "(%d)",
                 cfg->registry_ttl_ms, cfg->registry_interval_ms);
        return -1;
    }
    const char *level = s_getenv("PIGEON_LOG_LEVEL");
    cfg->log_level = PC_LOG_INFO;
    if (level != NULL) {
        cfg->log_level = pc_log_level_parse(level);
        if (cfg->log_level < 0) {
            snprintf(err, errlen,
                     "PIGEON_LOG_LEVEL must be one of debug, info, warn, error, not \"%.40s\"",
                     level);
            return -1;
        }
    }
    return 0;
}

int pc_config_load(pc_config_t *cfg, const char *service, char *err, size_t errlen)
{
    memset(cfg, 0, sizeof *cfg);
    snprintf(cfg->service, sizeof cfg->service, "%s", service ? service : "");
    if (s_instance_id(cfg, err, errlen) != 0)
        goto fail;
    if (pc_env_str("PIGEON_DB_URL", S_DEFAULT_DB_URL, &cfg->db_url, err, errlen) != 0)
        goto fail;
    if (s_addresses(cfg, err, errlen) != 0)
        goto fail;
    if (s_numbers(cfg, err, errlen) != 0)
        goto fail;
    return 0;

fail:
    pc_config_clear(cfg);
    return -1;
}

void pc_config_clear(pc_config_t *cfg)
{
    if (cfg == NULL)
        return;
    free(cfg->db_url);
    free(cfg->bind_addr);
    free(cfg->advertise_host);
    memset(cfg, 0, sizeof *cfg);
}
