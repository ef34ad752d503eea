#include "common/kez/sigchain_build.h"

#include <stdio.h>
#include <string.h>

#include "common/kez/ed25519.h"
#include "common/kez/jcs.h"
#include "common/kez/key_text.h"
#include "common/kez/rfc3339.h"

int sigchain_sign_payload(json_t *payload, const uint8_t seed[32], struct buf *out)
{
	uint8_t pub[ED25519_KEY_LEN], sig[ED25519_SIG_LEN];
	char key[KEY_TEXT_LEN + 1], sig_hex[2 * ED25519_SIG_LEN + 1];
	if (ed25519_public_key(seed, pub) < 0)
		return -1;
	key_text_format(pub, key);
	struct buf signed_bytes;
	buf_init(&signed_bytes, out->max);
	int rc = -1;
	if (jcs_serialize(payload, &signed_bytes) == 0 &&
	    ed25519_sign(seed, (const uint8_t *)signed_bytes.data, signed_bytes.len, sig) == 0) {
		hex_encode(sig, sizeof sig, sig_hex);
		json_t *event = json_pack("{s:s, s:O, s:{s:s, s:s, s:s}}", "kez", "sigchain_event", "payload", payload,
					  "signature", "alg", "ed25519-sha512-jcs", "key", key, "sig", sig_hex);
		if (event && jcs_serialize(event, out) == 0)
			rc = 0;
		json_decref(event);
	}
	buf_free(&signed_bytes);
	return rc;
}

int sigchain_build(const struct sigchain_draft *d, const uint8_t seed[32], struct buf *out)
{
	char chain[KEY_TEXT_LEN + 1], prev[SIGCHAIN_HASH_TEXT_LEN + 1];
	key_text_format(d->chain, chain);
	if (d->prev)
		sigchain_hash_format(d->prev, prev);
	json_t *payload = json_pack("{s:s, s:i, s:s, s:I, s:o, s:s, s:s, s:O}", "type", "kez.sigchain.event", "version", 1,
				    "chain", chain, "seq", (json_int_t)d->seq, "prev",
				    d->prev ? json_string(prev) : json_null(), "op", sigchain_op_name(d->op),
				    "created_at", d->created_at, "body", d->body);
	if (!payload)
		return -1;
	int rc = sigchain_sign_payload(payload, seed, out);
	json_decref(payload);
	return rc;
}

void sigchain_format_ms(int64_t unix_ms, char out[SIGCHAIN_TIME_MS_LEN + 1])
{
	int64_t s = unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000;
	char whole[RFC3339_UTC_LEN + 1];
	rfc3339_format_utc(s, whole);
	/* "...:SS" then ".mmmZ" in place of the 'Z' */
	snprintf(out, SIGCHAIN_TIME_MS_LEN + 1, "%.19s.%03dZ", whole, (int)(unix_ms - s * 1000));
}
