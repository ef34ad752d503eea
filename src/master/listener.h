/* The listening socket: opened by the master before any child exists. */
#ifndef KEZ_LISTENER_H
#define KEZ_LISTENER_H

#include "common/config/config.h"

/* Binds and listens on cfg->bind_addr. Returns the fd, or -1 after printing
 * one clear line (e.g. "cannot listen on 0.0.0.0:6969: address already in use"). */
int listener_open(const struct config *cfg);
/* The same for --metrics-bind (-1 when it is not set, or after the line). */
int listener_open_metrics(const struct config *cfg);

#endif
