#include "kezctl/envelope_build.h"

#include <jansson.h>

#include "common/kez/ed25519.h"
#include "common/kez/jcs.h"
#include "common/kez/key_text.h"
#include "common/kez/rfc3339.h"

int envelope_build(struct buf *out, struct buf *scratch, const char *handle, const char *server,
		   const uint8_t seed[32], const uint8_t pub[32], int64_t created_at)
{
	char key[KEY_TEXT_LEN + 1], when[RFC3339_UTC_LEN + 1], sig_hex[2 * ED25519_SIG_LEN + 1];
	key_text_format(pub, key);
	rfc3339_format_utc(created_at, when);
	json_t *payload = json_pack("{s:s, s:i, s:s, s:s, s:s, s:s}", "type", "kez.chat.handle_registration",
				    "version", 1, "handle", handle, "primary", key, "server", server,
				    "created_at", when);
	if (!payload)
		return -1;
	/* The signature covers the payload's canonical bytes, exactly. */
	uint8_t sig[ED25519_SIG_LEN];
	buf_reset(scratch);
	int rc = -1;
	if (jcs_serialize(payload, scratch) == 0 &&
	    ed25519_sign(seed, (const uint8_t *)scratch->data, scratch->len, sig) == 0) {
		hex_encode(sig, sizeof sig, sig_hex);
		json_t *envelope = json_pack("{s:s, s:O, s:{s:s, s:s, s:s}}", "kez", "handle_registration",
					     "payload", payload, "signature", "alg", "ed25519-sha512-jcs", "key", key,
					     "sig", sig_hex);
		if (envelope && jcs_serialize(envelope, out) == 0)
			rc = 0;
		json_decref(envelope);
	}
	json_decref(payload);
	return rc;
}
