#include "sigchain_fixture.h"

#include <stdlib.h>
#include <string.h>

#include "common/kez/ed25519.h"
#include "common/kez/key_text.h"
#include "common/kez/sigchain_build.h"

void sc_key_make(unsigned n, struct sc_key *k)
{
	char label[32];
	snprintf(label, sizeof label, "sigchain test key %u", n);
	if (sigchain_sha256(label, strlen(label), k->seed) < 0 || ed25519_public_key(k->seed, k->pub) < 0)
		memset(k, 0, sizeof *k);
	hex_encode(k->pub, 32, k->hex);
	key_text_format(k->pub, k->text);
}

int sc_event(struct buf *out, const struct sc_key *signer, const uint8_t chain[32], uint32_t seq,
	     const uint8_t *prev, enum sigchain_op op, const char *created_at, json_t *body)
{
	struct sigchain_draft d = { .chain = chain, .seq = seq, .prev = prev, .op = op, .created_at = created_at,
				    .body = body };
	buf_reset(out);
	int rc = body ? sigchain_build(&d, signer->seed, out) : -1;
	json_decref(body);
	if (rc == 0)
		rc = buf_putc(out, '\0');
	if (rc == 0)
		out->len--;
	return rc;
}

char *sc_replace(const char *text, const char *from, const char *to)
{
	const char *at = strstr(text, from);
	if (!at)
		return NULL;
	size_t head = (size_t)(at - text), from_len = strlen(from), to_len = strlen(to);
	size_t tail = strlen(at + from_len);
	char *s = malloc(head + to_len + tail + 1);
	if (!s)
		return NULL;
	memcpy(s, text, head);
	memcpy(s + head, to, to_len);
	memcpy(s + head + to_len, at + from_len, tail + 1);
	return s;
}

enum api_error sc_parse(const char *text, const char *chain_hex, struct sigchain_event *ev, char *detail,
			size_t detail_len)
{
	struct sigchain_parse_policy p = { .chain_hex = chain_hex, .chain_hex_len = chain_hex ? strlen(chain_hex) : 0,
					   .check_clock = true, .now = SC_NOW };
	return sigchain_event_parse(text, text ? strlen(text) : 0, &p, ev, detail, detail_len);
}
