/* Registry records as JSON (record.h). */
#include "worker/record.h"

#include "common/kez/key_text.h"
#include "common/kez/rfc3339.h"

int render_record(const struct config *cfg, struct buf *out, const struct registry_record *rec)
{
	char key_hex[65], at[RFC3339_UTC_LEN + 1];
	hex_encode(rec->primary, sizeof rec->primary, key_hex);
	rfc3339_format_utc(rec->registered_at, at);
	/* Handles, domains and URLs were validated to need no JSON escaping;
	 * plain copies keep printf off the lookup path. */
	const char *parts[] = {
		"{\"handle\":\"", rec->handle, "\",\"fqhn\":\"", rec->handle, "@", cfg->server,
		"\",\"primary\":\"ed25519:", key_hex, "\",\"sigchain_url\":\"", cfg->sig_server_url,
		"/v1/sigchains/ed25519/", key_hex, "\",\"registered_at\":\"", at, "\"}",
	};
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		if (buf_append_str(out, parts[i]) < 0)
			return -1;
	return 0;
}
