#include "common/kez/api_error.h"

static const struct api_error_info catalogue[API_ERROR_COUNT] = {
	[API_OK]                     = { 200, "ok", "ok" },
	[API_NOT_FOUND]              = { 404, "not_found", "nothing is here" },
	[API_METHOD_NOT_ALLOWED]     = { 405, "method_not_allowed", "this path does not take that method; see the Allow header" },
	[API_BAD_REQUEST]            = { 400, "bad_request", "the request is not valid HTTP/1.1" },
	[API_HEADERS_TOO_LARGE]      = { 431, "headers_too_large", "the request line and headers are larger than the server accepts" },
	[API_PAYLOAD_TOO_LARGE]      = { 413, "payload_too_large", "the request body is larger than the server accepts" },
	[API_UNSUPPORTED_MEDIA_TYPE] = { 415, "unsupported_media_type", "send the body as Content-Type: application/json" },
	[API_MALFORMED_JSON]         = { 400, "malformed_json", "the body is not one valid JSON object" },
	[API_INVALID_ENVELOPE]       = { 400, "invalid_envelope", "the body is not a handle_registration envelope" },
	[API_UNSUPPORTED_ALGORITHM]  = { 400, "unsupported_algorithm", "signature.alg must be \"ed25519-sha512-jcs\"" },
	[API_INVALID_KEY]            = { 400, "invalid_key", "a key must be \"ed25519:\" followed by 64 lowercase hex digits" },
	[API_KEY_MISMATCH]           = { 400, "key_mismatch", "signature.key must equal payload.primary" },
	[API_WRONG_SERVER]           = { 400, "wrong_server", "payload.server does not name this server" },
	[API_INVALID_HANDLE]         = { 400, "invalid_handle", "a handle is 3 to 32 characters of a-z, 0-9, _ and -, starting with a letter or digit" },
	[API_HANDLE_RESERVED]        = { 403, "handle_reserved", "this handle is reserved" },
	[API_INVALID_TIMESTAMP]      = { 400, "invalid_timestamp", "payload.created_at must be an RFC 3339 timestamp" },
	[API_STALE_TIMESTAMP]        = { 400, "stale_timestamp", "payload.created_at must be within 300 seconds of the server's clock" },
	[API_INVALID_SIGNATURE]      = { 401, "invalid_signature", "the signature does not verify over the JCS form of the payload" },
	[API_HANDLE_TAKEN]           = { 409, "handle_taken", "this handle is already registered" },
	[API_KEY_TAKEN]              = { 409, "key_taken", "this key is already bound to another handle" },
	[API_MISSING_RESOURCE]       = { 400, "missing_resource", "the resource query parameter is required" },
	[API_FORBIDDEN]              = { 403, "forbidden", "this endpoint is not available to you" },
	[API_NOT_IMPLEMENTED]        = { 501, "not_implemented", "the NATS auth callout is not configured on this server" },
	[API_STORAGE_FULL]           = { 507, "storage_full", "the registry is full; the operator must raise its size" },
	[API_UNAVAILABLE]            = { 503, "unavailable", "the server cannot serve this right now; try again shortly" },
	[API_RATE_LIMITED]           = { 429, "rate_limited", "too many writes from your address; try again after Retry-After seconds" },
	[API_INTERNAL]               = { 500, "internal", "the server failed; try again" },
	[API_CHAIN_MISMATCH]         = { 400, "chain_mismatch", "payload.chain must be the key the path names" },
	[API_UNSUPPORTED_OP]         = { 400, "unsupported_op", "payload.op must be \"add\", \"revoke\" or \"rotate\"" },
	[API_INVALID_EVENT]          = { 400, "invalid_event", "the event's body or prev is not valid for its op and seq" },
	[API_FUTURE_TIMESTAMP]       = { 400, "future_timestamp", "payload.created_at is more than 300 seconds ahead of the server's clock" },
	[API_SEQ_CONFLICT]           = { 409, "seq_conflict", "payload.seq and payload.prev must continue the chain as it stands" },
	[API_WRONG_SIGNING_KEY]      = { 403, "wrong_signing_key", "signature.key is not the chain's current signing key" },
	[API_TIMESTAMP_REGRESSION]   = { 400, "timestamp_regression", "payload.created_at is earlier than the previous event's" },
	[API_INVALID_REVOKE]         = { 400, "invalid_revoke", "a revoke must name an earlier add of this chain that is not yet revoked" },
	[API_CHAIN_FULL]             = { 403, "chain_full", "this chain holds as many events as the server allows" },
	[API_NOT_REGISTERED]         = { 403, "not_registered", "only primary keys of handles registered here may keep a chain on this server" },
};

const struct api_error_info *api_error_info(enum api_error e)
{
	if ((int)e < 0 || e >= API_ERROR_COUNT)
		e = API_INTERNAL;
	return &catalogue[e];
}
