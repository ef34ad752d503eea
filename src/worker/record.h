/* A registry record as the API's JSON (API.md §3, GET /v1/u/{handle}). */
#ifndef KEZ_WORKER_RECORD_H
#define KEZ_WORKER_RECORD_H

#include "common/base/buf.h"
#include "common/config/config.h"
#include "common/kez/registry.h"

/* The most a record can take: the longest handle, --server and
 * --sig-server-url config accepts, two hex keys, the fixed text. */
#define RECORD_JSON_MAX 2048

/* Appends the record; out should be a buf that may grow to RECORD_JSON_MAX.
 * 0, or -1 (out of memory or past out's limit). */
int render_record(const struct config *cfg, struct buf *out, const struct registry_record *rec);

#endif
