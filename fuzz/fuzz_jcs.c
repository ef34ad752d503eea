/* JCS: whatever JSON parses, its canonical form parses again and is its own
 * canonical form (idempotence). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/kez/jcs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t flags = JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL | JSON_DECODE_ANY | JSON_DECODE_INT_AS_REAL;
	json_t *v = json_loadb((const char *)data, size, flags, NULL);
	if (!v)
		return 0;
	struct buf once, twice;
	buf_init(&once, 1 << 20);
	buf_init(&twice, 1 << 20);
	if (jcs_serialize(v, &once) == 0) {
		json_t *again = json_loadb(once.data ? once.data : "", once.len, flags, NULL);
		if (!again || jcs_serialize(again, &twice) < 0 || once.len != twice.len ||
		    memcmp(once.data, twice.data, once.len) != 0)
			abort();
		json_decref(again);
	}
	buf_free(&once);
	buf_free(&twice);
	json_decref(v);
	return 0;
}
