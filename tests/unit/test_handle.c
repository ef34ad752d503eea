#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "common/handle.h"
#include "unit.h"

#define VALID(s) handle_is_valid(s, strlen(s))

UNIT_TEST(handle_rules)
{
	CHECK(VALID("abc"));
	CHECK(VALID("tudisco"));
	CHECK(VALID("0day"));
	CHECK(VALID("a_b-c"));
	CHECK(VALID("abcdefghijklmnopqrstuvwxyz012345")); /* 32 */
	CHECK(!VALID("abcdefghijklmnopqrstuvwxyz0123456")); /* 33 */
	CHECK(!VALID("ab"));
	CHECK(!VALID(""));
	CHECK(!VALID("_abc"));
	CHECK(!VALID("-abc"));
	CHECK(!VALID("Alice"));
	CHECK(!VALID("al ice"));
	CHECK(!VALID("al.ice"));
	CHECK(!VALID("alice@kez"));
	CHECK(!VALID("\xc3\xa9t\xc3\xa9"));
	CHECK(!handle_is_valid("abc\0d", 5));
}

UNIT_TEST(handle_reserved_builtin)
{
	struct reserved_list list;
	CHECK(reserved_list_init(&list) == 0);
	const char *names[] = { "admin", "administrator", "root", "no-reply", "everyone", "kezchat", "www" };
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		CHECK(reserved_list_contains(&list, names[i], strlen(names[i])));
	CHECK(!reserved_list_contains(&list, "alice", 5));
	CHECK(!reserved_list_contains(&list, "admins", 6));
	CHECK(!reserved_list_contains(&list, "adm", 3));
	reserved_list_free(&list);
}

UNIT_TEST(handle_reserved_file)
{
	char path[] = "/tmp/kez-reserved-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	const char text[] = "# operator additions\nblocked\n  Spaced  \n\nother # trailing comment\n";
	CHECK(write(fd, text, sizeof text - 1) == (ssize_t)(sizeof text - 1));
	close(fd);
	struct reserved_list list;
	char err[256] = "";
	CHECK(reserved_list_init(&list) == 0);
	CHECK(reserved_list_load(&list, path, err, sizeof err) == 0);
	CHECK(reserved_list_contains(&list, "blocked", 7));
	CHECK(reserved_list_contains(&list, "spaced", 6));
	CHECK(reserved_list_contains(&list, "other", 5));
	CHECK(reserved_list_contains(&list, "admin", 5));
	reserved_list_free(&list);

	FILE *f = fopen(path, "w");
	fputs("fine\nnot valid!\n", f);
	fclose(f);
	CHECK(reserved_list_init(&list) == 0);
	CHECK(reserved_list_load(&list, path, err, sizeof err) < 0);
	CHECK(strstr(err, "line 2") != NULL);
	reserved_list_free(&list);
	unlink(path);

	CHECK(reserved_list_init(&list) == 0);
	CHECK(reserved_list_load(&list, "/nonexistent/reserved.txt", err, sizeof err) < 0);
	reserved_list_free(&list);
}
