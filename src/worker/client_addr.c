/* Client addresses (client_addr.h). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "worker/client_addr.h"

static void set_v4(struct peer_addr *out, const void *four)
{
	memset(out, 0, sizeof *out);
	out->family = AF_INET;
	memcpy(out->bytes, four, 4);
}

static void set_v6(struct peer_addr *out, const struct in6_addr *a)
{
	/* An IPv4 client seen through a dual-stack socket is still that client. */
	if (IN6_IS_ADDR_V4MAPPED(a)) {
		set_v4(out, a->s6_addr + 12);
		return;
	}
	memset(out, 0, sizeof *out);
	out->family = AF_INET6;
	memcpy(out->bytes, a->s6_addr, 16);
}

void peer_addr_from(const struct sockaddr_storage *ss, struct peer_addr *out)
{
	memset(out, 0, sizeof *out);
	if (ss->ss_family == AF_INET)
		set_v4(out, &((const struct sockaddr_in *)ss)->sin_addr);
	else if (ss->ss_family == AF_INET6)
		set_v6(out, &((const struct sockaddr_in6 *)ss)->sin6_addr);
}

bool peer_addr_is_loopback(const struct peer_addr *a)
{
	if (a->family == AF_INET)
		return a->bytes[0] == 127;
	if (a->family == AF_INET6)
		return memcmp(a->bytes, &in6addr_loopback, 16) == 0; /* bytes may be unaligned */
	return false;
}

bool peer_addr_equal(const struct peer_addr *a, const struct peer_addr *b)
{
	size_t n = a->family == AF_INET ? 4 : 16;
	return a->family != 0 && a->family == b->family && memcmp(a->bytes, b->bytes, n) == 0;
}

bool peer_addr_parse(const char *s, size_t n, struct peer_addr *out)
{
	while (n && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']')
		s++, n -= 2;
	char text[INET6_ADDRSTRLEN];
	if (n == 0 || n >= sizeof text)
		return false;
	memcpy(text, s, n);
	text[n] = '\0';
	struct in_addr a4;
	struct in6_addr a6;
	if (inet_pton(AF_INET, text, &a4) == 1) {
		set_v4(out, &a4);
		return true;
	}
	if (inet_pton(AF_INET6, text, &a6) == 1) {
		set_v6(out, &a6);
		return true;
	}
	return false;
}

bool peer_addr_last_forwarded(const char *list, size_t n, struct peer_addr *out)
{
	const char *comma = n ? memrchr(list, ',', n) : NULL;
	size_t start = comma ? (size_t)(comma - list) + 1 : 0;
	return peer_addr_parse(list + start, n - start, out);
}
