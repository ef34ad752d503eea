/* The subcommands of `kezctl sigchain` (cmd_sigchain.c dispatches). */
#ifndef KEZCTL_SIGCHAIN_COMMANDS_H
#define KEZCTL_SIGCHAIN_COMMANDS_H

#include "kezctl/commands.h"

extern const struct command sigchain_add, sigchain_revoke, sigchain_rotate, sigchain_import; /* sigchain_write.c */
extern const struct command sigchain_show, sigchain_export, sigchain_verify_file;            /* sigchain_read.c */

#endif
