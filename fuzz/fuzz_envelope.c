/* Registration envelopes: checks 3-13 on arbitrary bytes. */
#include <stddef.h>
#include <stdint.h>

#include "common/kez/envelope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct reserved_list reserved;
	if (!reserved.names)
		reserved_list_init(&reserved);
	struct envelope_policy policy = { .server = "kez.lat", .reserved = &reserved, .now = 1779678000 };
	struct envelope_result result;
	char detail[160];
	(void)envelope_check((const char *)data, size, &policy, &result, detail, sizeof detail);
	return 0;
}
