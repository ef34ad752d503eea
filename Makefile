# kez-chat-server — build, run and test.
#
#   make / make build   build only (release by default)
#   make deps           install missing Debian packages (as root)
#   make run            deps, build, start
#   make test           deps, build, then every test (unit + integration)
#   make test-sanitize  the whole suite again on an ASan+UBSan build
#
# Variables: BUILD=release|sanitize, RUN_ARGS="--bind 127.0.0.1:6969 ..."

SHELL       := /bin/bash
BUILD       ?= release
OUT         := build/$(BUILD)
PREFIX      ?= /usr/local

# Debian packages the build and the tests need (bookworm names).
BUILD_DEPS  := gcc make pkg-config libc6-dev libssl-dev liblmdb-dev libjansson-dev \
               libseccomp-dev node-llhttp libcurl4-openssl-dev libnats-dev libsodium-dev
TEST_DEPS   := python3 python3-pytest python3-cryptography python3-yaml lmdb-utils procps curl \
               systemd docker-compose wrk chromium fonts-liberation nodejs
BENCH_DEPS  := wrk nginx-light openssl linux-perf

# llhttp: Debian's node-llhttp ships the C sources; newer releases ship
# libllhttp-dev with a pkg-config file. Accept either.
LLHTTP_PC   := $(shell pkg-config --exists libllhttp 2>/dev/null && echo yes)
ifeq ($(LLHTTP_PC),yes)
LLHTTP_CFLAGS := $(shell pkg-config --cflags libllhttp)
LLHTTP_LIBS   := $(shell pkg-config --libs libllhttp)
LLHTTP_SRC    :=
else
LLHTTP_DIR    ?= /usr/share/llhttp
LLHTTP_CFLAGS := -I/usr/share/include/llhttp
LLHTTP_LIBS   :=
LLHTTP_SRC    := $(wildcard $(LLHTTP_DIR)/*.c)
endif

CC          ?= cc
WARN        := -Wall -Wextra -Werror -Wshadow -Wformat=2 -Wvla -Wstrict-prototypes \
               -Wmissing-prototypes -Wno-unused-parameter
CPPFLAGS    += -D_GNU_SOURCE -Isrc $(LLHTTP_CFLAGS)
CFLAGS_release  := -O2 -g -fstack-protector-strong -D_FORTIFY_SOURCE=2 -fPIE
CFLAGS_sanitize := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
                   -fno-sanitize-recover=undefined -DKEZ_SANITIZE=1
CFLAGS_hooks    := $(CFLAGS_release) -DKEZ_TEST_HOOKS
LDFLAGS_release  := -pie -Wl,-z,relro,-z,now
LDFLAGS_hooks    := $(LDFLAGS_release)
LDFLAGS_sanitize := -fsanitize=address,undefined
CFLAGS      := -std=c17 $(WARN) $(CFLAGS_$(BUILD))
LDLIBS      := -lcrypto -lsodium -llmdb -ljansson -lseccomp $(LLHTTP_LIBS)

COMMON_SRC  := $(wildcard src/common/*/*.c)
DAEMON_SRC  := $(wildcard src/master/*.c src/worker/*.c src/signer/*.c src/writer/*.c src/natsauth/*.c)
# Test-only probes (src/probes/probes.h): in the hooks build only.
ifeq ($(BUILD),hooks)
DAEMON_SRC  += $(wildcard src/probes/*.c)
endif
KEZCTL_SRC  := $(wildcard src/kezctl/*.c)
UNIT_SRC    := $(wildcard tests/unit/*.c tests/unit/worker/*.c)

COMMON_OBJ  := $(COMMON_SRC:%.c=$(OUT)/%.o)
DAEMON_OBJ  := $(DAEMON_SRC:%.c=$(OUT)/%.o)
KEZCTL_OBJ  := $(KEZCTL_SRC:%.c=$(OUT)/%.o)
UNIT_OBJ    := $(UNIT_SRC:%.c=$(OUT)/%.o)
LLHTTP_OBJ  := $(patsubst $(LLHTTP_DIR)/%.c,$(OUT)/llhttp/%.o,$(LLHTTP_SRC))

SERVER      := $(OUT)/kez-chat-server
UNIT_TESTS  := $(OUT)/unit-tests
KEZCTL      := $(OUT)/kezctl
NATS_PROBE  := $(OUT)/nats-probe
ED_SPEED    := $(OUT)/ed25519-speed
NATS_STORM  := $(OUT)/nats-storm

.PHONY: all deps build run test test-sanitize unit clean install bench fuzz fuzz-build
.DEFAULT_GOAL := all

all: build
build: $(SERVER) $(UNIT_TESTS) $(KEZCTL) $(NATS_PROBE) $(ED_SPEED) $(NATS_STORM)

# Installs what is missing when run as root; otherwise says what to install.
DEPS ?= $(BUILD_DEPS) $(TEST_DEPS)
deps:
	@missing=""; for p in $(DEPS); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	case " $(DEPS) " in *" nodejs "*) command -v npm >/dev/null || missing="$$missing npm";; esac; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing:$$missing"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	  else \
	    echo "missing Debian packages:$$missing (run 'make deps' as root, or apt-get install them)"; exit 1; \
	  fi; \
	fi

# The common rooms, one static library: each binary takes only what it uses.
COMMON_LIB  := $(OUT)/libkezcommon.a
$(COMMON_LIB): $(COMMON_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(SERVER): $(DAEMON_OBJ) $(LLHTTP_OBJ) $(COMMON_LIB)
	$(CC) $(CFLAGS) $(LDFLAGS_$(BUILD)) -o $@ $^ $(LDLIBS) -lnats

# Worker modules with unit tests of their own.
UNIT_WORKER_OBJ := $(patsubst %,$(OUT)/src/worker/%.o,static_files webfinger mime_types percent deadlines router response pending client_addr rate_limit connection http_parse sigchain_path connection_out chain_cache) $(LLHTTP_OBJ)
$(UNIT_TESTS): $(UNIT_OBJ) $(UNIT_WORKER_OBJ) $(COMMON_LIB)
	$(CC) $(CFLAGS) $(LDFLAGS_$(BUILD)) -o $@ $^ $(LDLIBS)

# A libnats client the NATS tests drive (not installed).
$(NATS_PROBE): $(OUT)/tests/tools/nats_probe.o $(COMMON_LIB)
	$(CC) $(CFLAGS) $(LDFLAGS_$(BUILD)) -o $@ $^ $(LDLIBS) -lnats

# Ed25519 rates of OpenSSL and libsodium side by side (make bench runs it).
$(ED_SPEED): $(OUT)/bench/ed25519_speed.o
	$(CC) $(CFLAGS) $(LDFLAGS_$(BUILD)) -o $@ $^ -lcrypto -lsodium

# The connect-storm load generator of make bench (a raw NATS client per user).
$(NATS_STORM): $(OUT)/bench/nats_storm.o $(COMMON_LIB)
	$(CC) $(CFLAGS) $(LDFLAGS_$(BUILD)) -o $@ $^ $(LDLIBS)

$(KEZCTL): $(KEZCTL_OBJ) $(COMMON_LIB)
	$(CC) $(CFLAGS) $(LDFLAGS_$(BUILD)) -o $@ $^ $(LDLIBS) -lcurl

$(OUT)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

# Third-party C sources: built as they are, without this project's -Werror set.
$(OUT)/llhttp/%.o: $(LLHTTP_DIR)/%.c
	@mkdir -p $(dir $@)
	$(CC) $(LLHTTP_CFLAGS) $(CFLAGS_$(BUILD)) -std=c17 -w -c -o $@ $<

-include $(COMMON_OBJ:.o=.d) $(DAEMON_OBJ:.o=.d) $(UNIT_OBJ:.o=.d) $(KEZCTL_OBJ:.o=.d)

RUN_ARGS ?=
run: deps
	$(MAKE) build
	@if [ "$$(id -u)" = 0 ] && ! printf '%s' "$(RUN_ARGS)" | grep -q -- '--user' && [ -z "$$KEZ_CHAT_USER" ]; then \
	  echo "running as root: dropping to user 'nobody' (set RUN_ARGS=\"--user NAME\" to choose)"; \
	  exec $(SERVER) --user nobody $(RUN_ARGS); \
	else exec $(SERVER) $(RUN_ARGS); fi

# The test command: unit tests (as pytest cases) and integration tests against
# the real daemon. KEZ_BUILD tells the suite which binaries to start.
PYTEST ?= /usr/bin/python3 -m pytest
# The sandbox tests start a build with test-only probes compiled in
# (build/hooks); production binaries have none.
test: deps
	$(MAKE) build
	$(MAKE) BUILD=hooks build/hooks/kez-chat-server
	tools/fetch-nats-server.sh >/dev/null
	KEZ_BUILD=$(OUT) $(PYTEST) -q -p no:cacheprovider tests

test-sanitize:
	$(MAKE) BUILD=sanitize test

unit: build
	$(UNIT_TESTS)

# Benchmarks against nginx in the same run; writes bench/RESULTS.md.
# BENCH_ARGS=--quick for a short run.
bench:
	$(MAKE) deps DEPS="$(BUILD_DEPS) $(TEST_DEPS) $(BENCH_DEPS)"
	$(MAKE) BUILD=release build
	KEZ_BUILD=build/release /usr/bin/python3 bench/bench.py $(BENCH_ARGS)

# libFuzzer harnesses (clang): `make fuzz` runs each for FUZZ_SECONDS on its
# committed corpus (fuzz/corpus/NAME), after replaying fuzz/regressions/NAME.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS := envelope jcs webfinger ipc nats_jwt http sigchain_event
FUZZ_OUT     := build/fuzz
FUZZ_FLAGS   := -std=c17 -g -O1 -fno-sanitize-recover=undefined \
                -D_GNU_SOURCE -DKEZ_SANITIZE=1 -Isrc $(LLHTTP_CFLAGS) -w
FUZZ_LIB_SRC := $(COMMON_SRC) $(filter-out src/worker/worker.c,$(wildcard src/worker/*.c)) \
                src/signer/nats_callout.c
# The code under test is compiled once, instrumented, into one archive that
# every harness links (each takes only the objects it uses).
FUZZ_OBJ     := $(FUZZ_LIB_SRC:%.c=$(FUZZ_OUT)/obj/%.o) \
                $(patsubst $(LLHTTP_DIR)/%.c,$(FUZZ_OUT)/obj/llhttp/%.o,$(LLHTTP_SRC))
FUZZ_LIB     := $(FUZZ_OUT)/libfuzzed.a

$(FUZZ_OUT)/obj/src/%.o: src/%.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined -MMD -MP -c -o $@ $<

$(FUZZ_OUT)/obj/llhttp/%.o: $(LLHTTP_DIR)/%.c
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link,address,undefined -c -o $@ $<

$(FUZZ_LIB): $(FUZZ_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(FUZZ_OUT)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_LIB)
	clang $(FUZZ_FLAGS) -fsanitize=fuzzer,address,undefined -MMD -MP -o $@ $< $(FUZZ_LIB) $(LDLIBS)

-include $(FUZZ_OBJ:.o=.d) $(FUZZ_TARGETS:%=$(FUZZ_OUT)/fuzz_%.d)

fuzz-build:
	$(MAKE) deps DEPS="$(BUILD_DEPS) clang libclang-rt-14-dev"
	$(MAKE) $(FUZZ_TARGETS:%=$(FUZZ_OUT)/fuzz_%)

fuzz: fuzz-build
	@set -e; rm -f $(FUZZ_OUT)/crash-* $(FUZZ_OUT)/leak-* $(FUZZ_OUT)/timeout-* $(FUZZ_OUT)/oom-*; \
	for t in $(FUZZ_TARGETS); do \
	  mkdir -p fuzz/corpus/$$t fuzz/regressions/$$t $(FUZZ_OUT)/corpus/$$t; \
	  if [ -n "$$(ls fuzz/regressions/$$t)" ]; then $(FUZZ_OUT)/fuzz_$$t fuzz/regressions/$$t/* >/dev/null 2>&1 \
	    || { echo "fuzz_$$t: a regression input fails again"; exit 1; }; fi; \
	  echo "fuzz_$$t: $(FUZZ_SECONDS) s"; \
	  rc=0; $(FUZZ_OUT)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=16384 -artifact_prefix=$(FUZZ_OUT)/ \
	    $(FUZZ_OUT)/corpus/$$t fuzz/corpus/$$t >$(FUZZ_OUT)/fuzz_$$t.log 2>&1 || rc=$$?; \
	  grep -E "^(Done|INFO: Running|#[0-9]+ *DONE)|ERROR|SUMMARY" $(FUZZ_OUT)/fuzz_$$t.log || true; \
	  found="$$(ls $(FUZZ_OUT)/crash-* $(FUZZ_OUT)/leak-* $(FUZZ_OUT)/timeout-* $(FUZZ_OUT)/oom-* 2>/dev/null || true)"; \
	  if [ "$$rc" -ne 0 ] || [ -n "$$found" ]; then \
	    echo "fuzz_$$t found a problem (exit status $$rc): $$found; its log: $(FUZZ_OUT)/fuzz_$$t.log"; exit 1; fi; \
	done; echo "fuzz: no crashes"

install: build
	install -D -m 0755 $(SERVER) $(DESTDIR)$(PREFIX)/bin/kez-chat-server
	install -D -m 0755 $(KEZCTL) $(DESTDIR)$(PREFIX)/bin/kezctl

clean:
	rm -rf build
