#include "kezctl/http_client.h"

#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#define MAX_RESPONSE (1024 * 1024)
#define TIMEOUT_S    10L

void http_client_init(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

void http_client_cleanup(void)
{
	curl_global_cleanup();
}

static size_t collect(char *data, size_t size, size_t n, void *user)
{
	struct buf *b = user;
	return buf_append(b, data, size * n) == 0 ? size * n : 0;
}

int http_request(const char *url, const char *body, size_t len, struct http_result *out)
{
	memset(out, 0, sizeof *out);
	buf_init(&out->body, MAX_RESPONSE);
	CURL *curl = curl_easy_init();
	if (!curl) {
		snprintf(out->error, sizeof out->error, "cannot start libcurl");
		return -1;
	}
	struct curl_slist *headers = NULL;
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, TIMEOUT_S);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, &out->body);
	curl_easy_setopt(curl, CURLOPT_USERAGENT, "kezctl");
	if (body) {
		headers = curl_slist_append(headers, "Content-Type: application/json");
		headers = curl_slist_append(headers, "Expect:");
		curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, (long)len);
	}
	CURLcode rc = curl_easy_perform(curl);
	if (rc == CURLE_OK)
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &out->status);
	else
		snprintf(out->error, sizeof out->error, "%s: %s", url, curl_easy_strerror(rc));
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
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '_' || c == '.' || c == '~') {
			if (buf_putc(out, (char)c) < 0)
				return -1;
		} else if (buf_putc(out, '%') < 0 || buf_putc(out, hex[c >> 4]) < 0 || buf_putc(out, hex[c & 15]) < 0) {
			return -1;
		}
	}
	return 0;
}
