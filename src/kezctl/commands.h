/* kezctl's commands: each takes its own arguments (argv[0] is the command). */
#ifndef KEZCTL_COMMANDS_H
#define KEZCTL_COMMANDS_H

/* Exit statuses shared by every command. */
#define KEZCTL_OK        0
#define KEZCTL_REFUSED   1 /* the server answered with an error */
#define KEZCTL_USAGE     2
#define KEZCTL_TRANSPORT 3 /* no answer: connection refused, timeout, ... */

int cmd_keygen(int argc, char **argv);
int cmd_register(int argc, char **argv);
int cmd_lookup(int argc, char **argv);
int cmd_webfinger(int argc, char **argv);
int cmd_envelopes(int argc, char **argv);
int cmd_nats_keys(int argc, char **argv);

/* Prints one usage line for kezctl and returns KEZCTL_USAGE. */
int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
