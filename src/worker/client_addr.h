/* Client addresses: the TCP peer, and the last X-Forwarded-For entry when
 * the peer is the trusted proxy (API.md §5). */
#ifndef KEZ_WORKER_CLIENT_ADDR_H
#define KEZ_WORKER_CLIENT_ADDR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "worker/worker.h"

void peer_addr_from(const struct sockaddr_storage *ss, struct peer_addr *out);
bool peer_addr_is_loopback(const struct peer_addr *a);
bool peer_addr_equal(const struct peer_addr *a, const struct peer_addr *b);
/* A literal IPv4 or IPv6 address (surrounding blanks and [] allowed). */
bool peer_addr_parse(const char *s, size_t n, struct peer_addr *out);
/* The last entry of an X-Forwarded-For list. false when it is no address. */
bool peer_addr_last_forwarded(const char *list, size_t n, struct peer_addr *out);

#endif
