#include "common/nats_jwt.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "common/base64url.h"
#include "common/ed25519.h"
#include "common/nkeys.h"

static const char header_json[] = "{\"typ\":\"JWT\",\"alg\":\"ed25519-nkey\"}";

json_t *nats_jwt_decode(const char *jwt, size_t len, uint8_t issuer_prefix, uint8_t issuer[32], char *err,
			size_t errlen)
{
	if (len > NATS_JWT_MAX) {
		snprintf(err, errlen, "JWT longer than %d bytes", NATS_JWT_MAX);
		return NULL;
	}
	const char *dot1 = memchr(jwt, '.', len);
	const char *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - jwt)) : NULL;
	if (!dot1 || !dot2 || memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - jwt))) {
		snprintf(err, errlen, "not a JWT (three dot-separated parts)");
		return NULL;
	}
	static uint8_t part[NATS_JWT_MAX];
	int n = base64_decode_any(jwt, (size_t)(dot1 - jwt), part, sizeof part);
	json_t *header = n > 0 ? json_loadb((const char *)part, (size_t)n, JSON_REJECT_DUPLICATES, NULL) : NULL;
	const char *typ = json_string_value(json_object_get(header, "typ"));
	const char *alg = json_string_value(json_object_get(header, "alg"));
	bool header_ok = typ && alg && strcasecmp(typ, "JWT") == 0 &&
			 (strcmp(alg, "ed25519-nkey") == 0 || strcmp(alg, "ed25519") == 0);
	json_decref(header);
	if (!header_ok) {
		snprintf(err, errlen, "JWT header is not typ JWT, alg ed25519-nkey");
		return NULL;
	}
	n = base64_decode_any(dot1 + 1, (size_t)(dot2 - dot1 - 1), part, sizeof part);
	json_t *claims = n > 0 ? json_loadb((const char *)part, (size_t)n, JSON_REJECT_DUPLICATES, NULL) : NULL;
	if (!json_is_object(claims)) {
		json_decref(claims);
		snprintf(err, errlen, "JWT claims are not a JSON object");
		return NULL;
	}
	const char *iss = json_string_value(json_object_get(claims, "iss"));
	uint8_t sig[ED25519_SIG_LEN];
	if (!iss || nkey_decode_public(iss, strlen(iss), issuer_prefix, issuer) < 0) {
		snprintf(err, errlen, "JWT issuer is not the expected kind of nkey");
	} else if (base64_decode_any(dot2 + 1, len - (size_t)(dot2 + 1 - jwt), sig, sizeof sig) != ED25519_SIG_LEN ||
		   !ed25519_verify(issuer, (const uint8_t *)jwt, (size_t)(dot2 - jwt), sig)) {
		snprintf(err, errlen, "JWT signature does not verify");
	} else {
		return claims;
	}
	json_decref(claims);
	return NULL;
}

static int set_jti(json_t *claims)
{
	if (json_object_set_new(claims, "jti", json_string("")) < 0)
		return -1;
	char *text = json_dumps(claims, JSON_COMPACT);
	if (!text)
		return -1;
	uint8_t hash[32];
	unsigned hash_len = 0;
	int ok = EVP_Digest(text, strlen(text), hash, &hash_len, EVP_sha512_256(), NULL) == 1 && hash_len == 32;
	free(text);
	char jti[64];
	nkey_base32_encode(hash, sizeof hash, jti);
	return ok && json_object_set_new(claims, "jti", json_string(jti)) == 0 ? 0 : -1;
}

int nats_jwt_encode(json_t *claims, const uint8_t seed[32], struct buf *out)
{
	if (set_jti(claims) < 0)
		return -1;
	char *payload = json_dumps(claims, JSON_COMPACT);
	if (!payload)
		return -1;
	size_t start = out->len;
	int rc = -1;
	uint8_t sig[ED25519_SIG_LEN];
	if (base64url_encode((const uint8_t *)header_json, sizeof header_json - 1, out) == 0 && buf_putc(out, '.') == 0 &&
	    base64url_encode((const uint8_t *)payload, strlen(payload), out) == 0 &&
	    ed25519_sign(seed, (const uint8_t *)out->data + start, out->len - start, sig) == 0 && buf_putc(out, '.') == 0 &&
	    base64url_encode(sig, sizeof sig, out) == 0)
		rc = 0;
	free(payload);
	return rc;
}
