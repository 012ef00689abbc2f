/* log.h - one JSON object a line on stderr.
 *
 * {"time":"...","level":"info","service":"auth","instance":"...","trace":"...","msg":"..."}
 * Messages are written like PostgreSQL's ("could not connect to ..."). Never
 * pass tokens, passwords, tickets or message bodies. Thread-safe: one write(2)
 * per line. */
#ifndef PIGEON_LOG_H
#define PIGEON_LOG_H

typedef enum { PC_LOG_DEBUG = 0, PC_LOG_INFO, PC_LOG_WARN, PC_LOG_ERROR } pc_log_level_t;

/* Called once at start-up, before any thread; strings are copied. */
void pc_log_init(const char *service, const char *instance, pc_log_level_t min_level);

/* Parses "debug"/"info"/"warn"/"error"; returns -1 for anything else. */
int pc_log_level_parse(const char *text);

void pc_log(pc_log_level_t level, const char *trace_id, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#define pc_debug(...) pc_log(PC_LOG_DEBUG, NULL, __VA_ARGS__)
#define pc_info(...) pc_log(PC_LOG_INFO, NULL, __VA_ARGS__)
#define pc_warn(...) pc_log(PC_LOG_WARN, NULL, __VA_ARGS__)
#define pc_error(...) pc_log(PC_LOG_ERROR, NULL, __VA_ARGS__)

#endif
