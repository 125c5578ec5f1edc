# sipgw - SIP <-> ISDN PRI gateway. SPDX-License-Identifier: GPL-2.0-only
#
#   make run    install what is missing, build, run the no-cards demo
#   make test   install what is missing, build, run every test
#   make bench  benchmarks (figures only, never pass/fail on time)

PKGS    := sofia-sip-ua spandsp speexdsp sqlite3 libconfig
BUILD   ?= build
CC      ?= cc
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	   -D_GNU_SOURCE -Isrc -Ihw -I. $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpri -lm
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

LIB_SRC   := $(wildcard src/core/*.c src/q931/*.c src/sip/*.c src/bridge/*.c src/dsp/*.c src/rtp/*.c hw/*.c)
GW_SRC    := src/sipgw.c
PBX_SRC   := $(wildcard src/sim/pbx*.c src/sim/sim_*.c)
PHONE_SRC := $(wildcard src/sim/phone*.c src/sim/sim_*.c)
UNIT_SRC  := $(wildcard tests/unit/*.c)

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

PROGS := $(BUILD)/sipgw $(BUILD)/sipgw-pbx $(BUILD)/sipgw-phone

.PHONY: all deps run test unit unit-asan flows bench clean
all: $(PROGS) $(BUILD)/unit-tests

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libsipgw.a: $(call obj,$(LIB_SRC))
	ar rcs $@ $^

$(BUILD)/sipgw: $(call obj,$(GW_SRC)) $(BUILD)/libsipgw.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/sipgw-pbx: $(call obj,$(PBX_SRC)) $(BUILD)/libsipgw.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/sipgw-phone: $(call obj,$(PHONE_SRC)) $(BUILD)/libsipgw.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/unit-tests: $(call obj,$(UNIT_SRC)) $(BUILD)/libsipgw.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(shell pkg-config --libs cunit)

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)

deps:
	@scripts/install-deps.sh

run: deps
	$(MAKE) $(PROGS)
	scripts/demo.sh

unit: $(BUILD)/unit-tests
	$(BUILD)/unit-tests

unit-asan:
	$(MAKE) BUILD=build-asan OPT="-O1 $(SAN)" build-asan/unit-tests
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 build-asan/unit-tests

# sipgw under ASan+UBSan, for the flow tests that feed it hostile input (RFC 4475).
.PHONY: asan-sipgw
asan-sipgw:
	$(MAKE) BUILD=build-asan OPT="-O1 $(SAN)" build-asan/sipgw

flows: $(PROGS) asan-sipgw
	python3 tests/flows/run_flows.py --build $(BUILD)

test: deps
	$(MAKE) all
	$(MAKE) unit
	$(MAKE) unit-asan
	$(MAKE) flows

bench: deps
	@scripts/install-bench-deps.sh
	$(MAKE) $(PROGS)
	python3 bench/bench.py --build $(BUILD)

clean:
	rm -rf build build-asan
