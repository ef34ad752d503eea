/* One request to the kez-chat API and its answer on the terminal: the JSON
 * document on stdout, or the server's error on stderr. */
#ifndef KEZCTL_API_CALL_H
#define KEZCTL_API_CALL_H

#include <jansson.h>
#include <stddef.h>

/* The bound of every URL kezctl builds. */
#define API_MAX_URL 8192

/* GET (body NULL) or POST `url`. When the answer has status `want_status`
 * and a JSON body, prints it indented and returns KEZCTL_OK; another answer
 * prints "kezctl: <code>: <message>" (from the error JSON) and returns
 * KEZCTL_REFUSED; no answer prints the transport error and returns
 * KEZCTL_TRANSPORT. */
int api_call(const char *url, const char *body, size_t len, long want_status);

/* Prints "kezctl: <code>: <message>" from an error document (doc may be
 * NULL), or says the answer was not this API's. */
void api_print_refusal(const char *url, long http_status, const json_t *doc);

/* Prints s on stderr with control characters shown as '?': the text comes
 * from the network and must not drive the terminal. */
void print_untrusted(const char *s);

#endif
