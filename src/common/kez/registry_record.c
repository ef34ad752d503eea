/* The registry's record layout (registry_record.h). */
#include "common/kez/registry_record.h"

#include <stdbool.h>
#include <string.h>

#include "common/base/log.h"

/* A damaged registry would otherwise log at every lookup of the bad record. */
static bool reported_bad_record;

void registry_report_bad_record(const char *what, const char *handle, size_t len)
{
	if (reported_bad_record)
		return;
	reported_bad_record = true;
	/* The handle is shown only when it is one: the bytes came from the file. */
	bool showable = handle_is_valid(handle, len);
	log_error("registry record%s%.*s%s is damaged (%s); further damage is not logged", showable ? " '" : "",
		  showable ? (int)len : 0, showable ? handle : "", showable ? "'" : "", what);
}

void registry_encode_record(const uint8_t key[KEY_SIZE], int64_t at, uint8_t out[RECORD_SIZE])
{
	out[0] = RECORD_FORMAT;
	memcpy(out + 1, key, KEY_SIZE);
	uint64_t t = (uint64_t)at;
	for (int i = 0; i < 8; i++)
		out[1 + KEY_SIZE + i] = (uint8_t)(t >> (56 - 8 * i));
}

/* Fills primary and registered_at. 0, or -1 for a value of another size or
 * format version. */
int registry_decode_record(const MDB_val *v, struct registry_record *rec)
{
	const uint8_t *p = v->mv_data;
	if (v->mv_size != RECORD_SIZE || p[0] != RECORD_FORMAT)
		return -1;
	memcpy(rec->primary, p + 1, KEY_SIZE);
	uint64_t t = 0;
	for (int i = 0; i < 8; i++)
		t = t << 8 | p[1 + KEY_SIZE + i];
	rec->registered_at = (int64_t)t;
	return 0;
}

