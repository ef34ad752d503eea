#include "kezctl/api_call.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>

#include "kezctl/commands.h"
#include "kezctl/http_client.h"

void print_untrusted(const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		fputc(c < 0x20 || c == 0x7f ? '?' : c, stderr);
	}
}

void api_print_refusal(const char *url, long http_status, const json_t *doc)
{
	const char *code = json_string_value(json_object_get(doc, "error"));
	const char *message = json_string_value(json_object_get(doc, "message"));
	fputs("kezctl: ", stderr);
	if (code && message) {
		print_untrusted(code);
		fputs(": ", stderr);
		print_untrusted(message);
	} else {
		/* Not this API's error shape: a proxy, or not a kez-chat server. */
		fprintf(stderr, "unexpected_answer: HTTP %ld from ", http_status);
		print_untrusted(url);
	}
	fputc('\n', stderr);
}

int api_call(const char *url, const char *body, size_t len, long want_status)
{
	struct http_result r;
	if (http_request(url, body, len, &r) < 0) {
		fputs("kezctl: ", stderr);
		print_untrusted(r.error);
		fputc('\n', stderr);
		http_result_free(&r);
		return KEZCTL_TRANSPORT;
	}
	json_t *doc = r.body.len ? json_loadb(r.body.data, r.body.len, JSON_REJECT_DUPLICATES, NULL) : NULL;
	int status = KEZCTL_REFUSED;
	if (r.status == want_status && json_is_object(doc)) {
		char *text = json_dumps(doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		if (text && puts(text) >= 0)
			status = KEZCTL_OK;
		else
			fprintf(stderr, "kezctl: cannot print the answer\n");
		free(text);
	} else {
		api_print_refusal(url, r.status, doc);
	}
	json_decref(doc);
	http_result_free(&r);
	return status;
}
