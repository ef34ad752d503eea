/* Test-only probes: each tries, from inside a confined process, something
 * that process's role must not be able to do, and logs the outcome as
 * "probe <role>: <attempt>: <result>" for tests/test_sandbox.py and its
 * siblings to read. Compiled only into the hooks build (BUILD=hooks, which
 * defines KEZ_TEST_HOOKS); production binaries carry none, and every call
 * site is inside #ifdef KEZ_TEST_HOOKS. A probe runs only when the
 * environment has KEZ_TEST_PROBE. */
#ifndef KEZ_PROBES_H
#define KEZ_PROBES_H

#ifdef KEZ_TEST_HOOKS
/* confined.c: sandbox_enter() (common/proc/sandbox.h) calls
 * void sandbox_probe(const struct child_context *ctx) as its last step. */
#include "common/proc/sandbox.h"
#include "common/proc/ipc.h"

/* A worker, confined, asks the verifier to grant NATS access to a key that
 * is registered to nobody: a request formed as nats-server forms it, signed
 * by a fresh server key, with the nonce correctly signed. Logs
 * "probe worker: grant for unregistered key: <result>" (nats_grant.c). */
void probe_nats_grant(const struct child_context *ctx, struct ipc_channel *to_verifier);

/* The nats client, confined, sends the verifier a VERIFY_REQUEST and an
 * EVENT_VERIFY_REQUEST (a worker's messages) on its own link. Logs
 * "probe nats: verify request: <result>" and "probe nats: event verify
 * request: <result>" (nats_link.c; sandbox_probe calls it). */
void probe_nats_link(const struct child_context *ctx);
#endif

#endif
