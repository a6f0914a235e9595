# Gatehouse - plain Makefile with pkg-config.
#
#   make            build build/gatehouse (release)
#   make run        install missing packages, build, bootstrap a demo, serve
#   make test       install missing packages, build with -Werror, run every
#                   test: unit (ASan+UBSan), fuzz corpus replay, end-to-end,
#                   browser (chromium + playwright-core, screenshots in
#                   build/test-artifacts/)
#   make fuzz       build the libFuzzer targets with clang (build/fuzz/)
#   make bench      build the server and the load driver (build/bench/ghbench),
#                   bootstrap a fresh server, run the scenarios, print a table
#                   (bench/run.sh; not part of make test, which only builds
#                   the driver so that it keeps compiling with -Werror)

PKGS     := libmicrohttpd jansson sqlite3 libpq libcrypto libssl libargon2 cjose
CC       ?= cc
WARN     := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wformat=2 \
            -Wmissing-prototypes -Wno-missing-field-initializers -Werror
CSTD     := -std=c17 -D_GNU_SOURCE
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpthread

CFLAGS_REL  := $(CSTD) $(WARN) -O2 -g -fstack-protector-strong \
               -D_FORTIFY_SOURCE=2 -fPIE $(PKG_CFLAGS)
LDFLAGS_REL := -pie -Wl,-z,relro,-z,now
SAN         := -fsanitize=address,undefined -fno-sanitize-recover=all \
               -fno-omit-frame-pointer
CFLAGS_SAN  := $(CSTD) $(WARN) -O1 -g $(SAN) $(PKG_CFLAGS)

LIB_SRC  := $(filter-out src/main.c,$(shell find src -name '*.c' | sort))
REL_OBJ  := $(LIB_SRC:src/%.c=build/rel/%.o)
SAN_OBJ  := $(LIB_SRC:src/%.c=build/san/%.o)

UNIT_SRC := $(shell find tests/unit -name 'test_*.c' 2>/dev/null | sort)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/unit/%)

FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
FUZZ_REPLAY := $(FUZZ_SRC:fuzz/%.c=build/fuzz-replay/%)
FUZZ_BIN := $(FUZZ_SRC:fuzz/%.c=build/fuzz/%)

BENCH_SRC := $(wildcard bench/driver/*.c)
BENCH_HDR := $(wildcard bench/driver/*.h)

.PHONY: all run test deps unit unit-pg fuzz-replay e2e e2e-pg interop \
        checksrc fuzz clean bench build-san browser

all: build/gatehouse

deps:
	@scripts/deps.sh

build/rel/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_REL) -MMD -MP -c -o $@ $<

build/san/%.o: src/%.c
	@mkdir -p $(dir $@)
	@echo "  CC-SAN  $<"
	@$(CC) $(CFLAGS_SAN) -MMD -MP -c -o $@ $<

build/libgatehouse.a: $(REL_OBJ)
	@ar rcs $@ $^

build/libgatehouse-san.a: $(SAN_OBJ)
	@ar rcs $@ $^

build/gatehouse: build/rel/main.o build/libgatehouse.a
	@echo "  LINK    $@"
	@$(CC) $(LDFLAGS_REL) -o $@ $^ $(PKG_LIBS)

build/rel/main.o: src/main.c
	@mkdir -p $(dir $@)
	@echo "  CC      $<"
	@$(CC) $(CFLAGS_REL) -MMD -MP -c -o $@ $<

build/san/main.o: src/main.c
	@mkdir -p $(dir $@)
	@echo "  CC-SAN  $<"
	@$(CC) $(CFLAGS_SAN) -MMD -MP -c -o $@ $<

# The sanitizer build of the server, used by the end-to-end tests so that
# every attack they send also runs under ASan+UBSan.
build/gatehouse-san: build/san/main.o build/libgatehouse-san.a
	@echo "  LINK    $@"
	@$(CC) $(SAN) -o $@ $^ $(PKG_LIBS)

build-san: build/gatehouse-san

build/unit/%: tests/unit/%.c $(shell find tests/unit -name "*.h") build/libgatehouse-san.a
	@mkdir -p $(dir $@)
	@echo "  TEST    $@"
	@$(CC) $(CFLAGS_SAN) -Isrc -o $@ $< build/libgatehouse-san.a \
	    $(PKG_LIBS) $(shell pkg-config --libs cmocka)

# Fuzz targets: replayed over their corpus with a plain main under
# ASan+UBSan (gcc), or built as real libFuzzer binaries with clang.
build/fuzz-replay/%: fuzz/%.c fuzz/fuzz_check.h fuzz/replay.c \
    build/libgatehouse-san.a
	@mkdir -p $(dir $@)
	@echo "  FUZZ    $@"
	@$(CC) $(CFLAGS_SAN) -Isrc -o $@ $< fuzz/replay.c \
	    build/libgatehouse-san.a $(PKG_LIBS)

build/fuzz/%: fuzz/%.c fuzz/fuzz_check.h $(LIB_SRC)
	@mkdir -p $(dir $@)
	clang $(CSTD) -O1 -g -fsanitize=fuzzer,address,undefined \
	    $(PKG_CFLAGS) -Isrc -o $@ $< $(LIB_SRC) $(PKG_LIBS)

fuzz: $(FUZZ_BIN)

# The load driver: plain C17 + pthreads + libcrypto (PKCE), same warnings.
build/bench/ghbench: $(BENCH_SRC) $(BENCH_HDR)
	@mkdir -p $(dir $@)
	@echo "  LINK    $@"
	@$(CC) $(CSTD) $(WARN) -O2 -g -pthread \
	    $(shell pkg-config --cflags libcrypto 2>/dev/null) -o $@ \
	    $(BENCH_SRC) $(shell pkg-config --libs libcrypto 2>/dev/null)

# fault injection for the e2e tests (LD_PRELOAD)
SHIMS := build/test/fsync_fail.so build/test/header_fail.so \
    build/test/crypto_fail.so build/test/time_shift.so \
    build/test/sql_pause.so build/test/alloc_fail.so \
    build/test/send_delay.so build/test/free_watch.so \
    build/test/realtime_shift.so
build/test/%.so: tests/faults/%.c
	@mkdir -p $(dir $@)
	@echo "  SHIM    $@"
	@$(CC) $(CSTD) $(WARN) $(PKG_CFLAGS) -O1 -shared -fPIC -o $@ $< -ldl

bench: build/gatehouse build/bench/ghbench
	@bench/run.sh

checksrc:
	@scripts/checksrc.sh

unit: $(UNIT_BIN)
	@env -u GH_TEST_PG_URL scripts/run-unit.sh $(UNIT_BIN)

# the store contract tests again, on PostgreSQL: GH_TEST_PG_URL, or a
# throwaway server started for the run
unit-pg: $(filter build/unit/store/%,$(UNIT_BIN))
	@UNIT_LABEL=unit-pg scripts/pg-throwaway.sh run \
	    scripts/run-unit.sh $^

fuzz-replay: $(FUZZ_REPLAY)
	@scripts/run-fuzz-replay.sh $(FUZZ_REPLAY)

e2e: build/gatehouse build/gatehouse-san $(SHIMS)
	@env -u GH_TEST_PG_URL scripts/run-e2e.sh

# every end-to-end test again, each server on a fresh PostgreSQL database
e2e-pg: build/gatehouse build/gatehouse-san $(SHIMS)
	@E2E_LABEL=e2e-pg scripts/pg-throwaway.sh run scripts/run-e2e.sh

browser: build/gatehouse-san
	@scripts/run-browser.sh

run: deps
	@$(MAKE) --no-print-directory build/gatehouse
	@scripts/run-demo.sh

test: deps
	@$(MAKE) --no-print-directory checksrc
	@$(MAKE) --no-print-directory build/gatehouse build/gatehouse-san \
	    build/bench/ghbench $(SHIMS) $(UNIT_BIN) \
	    $(FUZZ_REPLAY)
	@scripts/test-all.sh

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
