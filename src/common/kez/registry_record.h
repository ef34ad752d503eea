/* How a registry record is laid out in the "handles" table: the value of a
 * handle is format (1), primary key (32), registered_at (8, big-endian unix
 * seconds). Used by the read side (registry.c) and the write side
 * (registry_write.c) alone. */
#ifndef KEZ_REGISTRY_RECORD_H
#define KEZ_REGISTRY_RECORD_H

#include <lmdb.h>
#include <stddef.h>
#include <stdint.h>

#include "common/kez/registry.h"

#define RECORD_FORMAT 1
#define RECORD_SIZE   (1 + 32 + 8)
#define KEY_SIZE      32

void registry_encode_record(const uint8_t key[KEY_SIZE], int64_t at, uint8_t out[RECORD_SIZE]);
/* Fills primary and registered_at. 0, or -1 for a value of another size or
 * format version. */
int  registry_decode_record(const MDB_val *v, struct registry_record *rec);
/* One log line for the first damaged record found (a damaged registry would
 * otherwise log at every lookup of it). */
void registry_report_bad_record(const char *what, const char *handle, size_t len);

#endif
