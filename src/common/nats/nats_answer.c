#include "common/nats/nats_answer.h"

#include <stdio.h>
#include <string.h>

#include "common/nats/nats_auth.h"
#include "common/nats/nats_jwt.h"

/* Signs claims (NULL: they could not be made; released here) into `out`. 0, or -1. */
static int sign_claims(const struct nats_answer_signer *s, json_t *claims, struct buf *out)
{
	int rc = !claims	     ? -1
		 : s->issuer_keypair ? nats_jwt_encode_keypair(claims, s->issuer_keypair, out)
				     : nats_jwt_encode(claims, s->issuer_seed, out);
	json_decref(claims);
	return rc;
}

static int sign_refusal(const struct nats_answer_signer *s, const struct nats_auth_request *r, const char *why,
			int64_t now, struct buf *out)
{
	return sign_claims(s, nats_auth_response_claims(r, s->issuer_public, NULL, why, now), out);
}

static int sign_grant(const struct nats_answer_signer *s, const struct nats_auth_request *r, const char *handle,
		      int64_t now, struct buf *out)
{
	struct buf user;
	buf_init(&user, NATS_JWT_MAX);
	int rc = sign_claims(s, nats_auth_user_claims(r, s->issuer_public, s->account, handle, r->client_key, now,
						      s->user_ttl),
			     &user);
	if (rc == 0)
		rc = buf_putc(&user, '\0');
	if (rc == 0)
		rc = sign_claims(s, nats_auth_response_claims(r, s->issuer_public, user.data, NULL, now), out);
	buf_free(&user);
	return rc;
}

enum nats_answer_kind nats_answer_request(const struct nats_answer_signer *s, const char *jwt, size_t len,
					  const char *server_xkey, int64_t now, nats_key_lookup lookup,
					  void *lookup_ctx, struct nats_answer *a, struct buf *out)
{
	memset(a, 0, sizeof *a);
	struct nats_auth_request r;
	if (nats_auth_parse_request(jwt, len, s->issuer_public, now, &r, a->why, sizeof a->why) < 0)
		return a->kind = NATS_ANSWER_NONE;
	if (server_xkey && r.has_server_xkey && strcmp(server_xkey, r.server_xkey) != 0) {
		snprintf(a->why, sizeof a->why, "the request was sealed by another key than the one it names");
		return a->kind = NATS_ANSWER_NONE;
	}
	enum nats_nonce_check proof = nats_auth_check_nonce(&r);
	int found = 0;
	if (proof != NATS_NONCE_OK) {
		snprintf(a->why, sizeof a->why, "%s", nats_nonce_check_text(proof));
		a->refusal = NATS_REFUSAL_PROOF;
	} else if ((found = lookup(lookup_ctx, r.client_key, a->handle)) < 0) {
		snprintf(a->why, sizeof a->why, "the registry could not be read");
		a->refusal = NATS_REFUSAL_REGISTRY;
	} else if (found == 0) {
		snprintf(a->why, sizeof a->why, "the key is not registered");
		a->refusal = NATS_REFUSAL_UNREGISTERED;
	}
	size_t mark = out->len;
	int rc;
	if (found == 1) {
		a->kind = NATS_ANSWER_GRANTED;
		rc = sign_grant(s, &r, a->handle, now, out);
	} else {
		a->handle[0] = '\0';
		a->kind = NATS_ANSWER_REFUSED;
		rc = sign_refusal(s, &r, a->why, now, out);
	}
	if (rc < 0) {
		out->len = mark;
		snprintf(a->why, sizeof a->why, "cannot sign the answer");
		a->kind = NATS_ANSWER_FAILED;
	}
	return a->kind;
}
