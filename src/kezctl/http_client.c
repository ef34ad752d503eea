#include "kezctl/http_client.h"

#include <curl/curl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "common/config/config.h"

int http_client_init(void)
{
	return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK ? 0 : -1;
}

void http_client_cleanup(void)
{
	curl_global_cleanup();
}

struct sink {
	struct buf *body;
	bool        too_large;
};

static size_t collect(char *data, size_t size, size_t n, void *user)
{
	struct sink *sink = user;
	if (buf_append(sink->body, data, size * n) < 0) {
		sink->too_large = true;
		return 0; /* libcurl stops the transfer */
	}
	return size * n;
}

int http_request(const char *url, const char *body, size_t len, struct http_result *out)
{
	return http_request_max(url, body, len, HTTP_MAX_RESPONSE, out);
}

int http_request_max(const char *url, const char *body, size_t len, size_t max, struct http_result *out)
{
	memset(out, 0, sizeof *out);
	buf_init(&out->body, max);
	if (body && len > (size_t)LONG_MAX) {
		snprintf(out->error, sizeof out->error, "%s: request body too large", url);
		return -1;
	}
	CURL *curl = curl_easy_init();
	if (!curl) {
		snprintf(out->error, sizeof out->error, "cannot start a libcurl transfer");
		return -1;
	}
	struct sink sink = { .body = &out->body, .too_large = false };
	struct curl_slist *headers = NULL;
	char error_text[CURL_ERROR_SIZE] = "";
	CURLcode rc = CURLE_OK;
	/* Each step runs only while every earlier one succeeded. */
#define SET(option, value) \
	do { if (rc == CURLE_OK) rc = curl_easy_setopt(curl, option, value); } while (0)
	SET(CURLOPT_ERRORBUFFER, error_text);
	SET(CURLOPT_URL, url);
	SET(CURLOPT_PROTOCOLS_STR, "http,https");
	/* The path goes out as built: no dot-segment folding of a handle. */
	SET(CURLOPT_PATH_AS_IS, 1L);
	SET(CURLOPT_TIMEOUT, HTTP_TIMEOUT_S);
	SET(CURLOPT_NOSIGNAL, 1L);
	SET(CURLOPT_USERAGENT, "kezctl/" KEZ_VERSION);
	SET(CURLOPT_WRITEFUNCTION, collect);
	SET(CURLOPT_WRITEDATA, &sink);
	if (body) {
		struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
		/* No "Expect: 100-continue" round trip for a small body. */
		struct curl_slist *h2 = h ? curl_slist_append(h, "Expect:") : NULL;
		if (!h2) {
			curl_slist_free_all(h);
			rc = CURLE_OUT_OF_MEMORY;
		} else {
			headers = h2;
		}
		SET(CURLOPT_HTTPHEADER, headers);
		SET(CURLOPT_POSTFIELDSIZE, (long)len);
		SET(CURLOPT_POSTFIELDS, body);
	}
#undef SET
	if (rc == CURLE_OK)
		rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		rc = curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
	if (rc != CURLE_OK) {
		out->status = 0;
		if (sink.too_large)
			snprintf(out->error, sizeof out->error, "%s: the answer is larger than %zu bytes", url, max);
		else
			snprintf(out->error, sizeof out->error, "%s: %s", url,
				 error_text[0] ? error_text : curl_easy_strerror(rc));
	}
	curl_slist_free_all(headers);
	curl_easy_cleanup(curl);
	return rc == CURLE_OK ? 0 : -1;
}

void http_result_free(struct http_result *r)
{
	buf_free(&r->body);
}

int http_escape(const char *s, struct buf *out)
{
	static const char hex[] = "0123456789ABCDEF";
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		bool unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
				  c == '-' || c == '_' || c == '.' || c == '~';
		if (unreserved) {
			if (buf_putc(out, (char)c) < 0)
				return -1;
		} else {
			char escaped[3] = { '%', hex[c >> 4], hex[c & 15] };
			if (buf_append(out, escaped, sizeof escaped) < 0)
				return -1;
		}
	}
	return 0;
}
