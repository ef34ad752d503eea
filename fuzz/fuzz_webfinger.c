/* WebFinger query decoding and resource matching. */
#include <stdint.h>

#include "worker/webfinger.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct webfinger_query q;
	if (webfinger_parse_query((const char *)data, size, &q) == 0 && q.has_resource) {
		char handle[HANDLE_MAX_LEN + 1];
		size_t len;
		(void)webfinger_resource_handle(q.resource, "kez.lat", handle, &len);
	}
	return 0;
}
