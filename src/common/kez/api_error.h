/* The catalogue of API errors: HTTP status, stable code and default message.
 * Shared by the worker (which answers) and the verifier/writer (which decide). */
#ifndef KEZ_API_ERROR_H
#define KEZ_API_ERROR_H

enum api_error {
	API_OK = 0,
	API_NOT_FOUND,
	API_METHOD_NOT_ALLOWED,
	API_BAD_REQUEST,
	API_HEADERS_TOO_LARGE,
	API_PAYLOAD_TOO_LARGE,
	API_UNSUPPORTED_MEDIA_TYPE,
	API_MALFORMED_JSON,
	API_INVALID_ENVELOPE,
	API_UNSUPPORTED_ALGORITHM,
	API_INVALID_KEY,
	API_KEY_MISMATCH,
	API_WRONG_SERVER,
	API_INVALID_HANDLE,
	API_HANDLE_RESERVED,
	API_INVALID_TIMESTAMP,
	API_STALE_TIMESTAMP,
	API_INVALID_SIGNATURE,
	API_HANDLE_TAKEN,
	API_KEY_TAKEN,
	API_MISSING_RESOURCE,
	API_FORBIDDEN,
	API_NOT_IMPLEMENTED,
	API_STORAGE_FULL,
	API_UNAVAILABLE,
	API_RATE_LIMITED,
	API_INTERNAL,
	/* the sigchain service (SIGCHAIN.md) */
	API_CHAIN_MISMATCH,
	API_UNSUPPORTED_OP,
	API_INVALID_EVENT,
	API_FUTURE_TIMESTAMP,
	API_SEQ_CONFLICT,
	API_WRONG_SIGNING_KEY,
	API_TIMESTAMP_REGRESSION,
	API_INVALID_REVOKE,
	API_CHAIN_FULL,
	API_NOT_REGISTERED,
	API_ERROR_COUNT
};

struct api_error_info {
	int         status;  /* HTTP status */
	const char *code;    /* the stable "error" field */
	const char *message; /* default human sentence */
};

/* Never NULL: an out-of-range value maps to API_INTERNAL. */
const struct api_error_info *api_error_info(enum api_error e);

#endif
