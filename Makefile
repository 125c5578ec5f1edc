# sipgw - SIP <-> ISDN PRI gateway. SPDX-License-Identifier: GPL-2.0-only
#
#   make run    install what is missing, build, run the no-cards demo
#   make test   install what is missing, build, run every test
#   make bench  benchmarks (figures only, never pass/fail on time)
#   make fuzz   libFuzzer targets in tests/fuzz, each FUZZ_TIME seconds

PKGS    := sofia-sip-ua spandsp speexdsp sqlite3 libconfig opus libtiff-4 libsrtp2 libsystemd
BUILD   ?= build
CC      ?= cc
OPT     ?= -O2
CFLAGS  ?= $(OPT) -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-missing-field-initializers \
	   -D_GNU_SOURCE -Isrc -Ihw -I. $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
# DAHDI's userspace API (hw/dahdi.c, the fake): dahdi/user.h ships in Debian's
# dahdi-dkms under /usr/src/dahdi-VERSION/include; the newest wins.
DAHDI_INC ?= $(patsubst %/dahdi/user.h,%,$(lastword $(sort $(wildcard /usr/src/dahdi-*/include/dahdi/user.h))))
CFLAGS  += $(if $(DAHDI_INC),-I$(DAHDI_INC))
LDLIBS  += $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lpri -ltonezone -lm
# OpenSSL's libcrypto: config checks the TLS certificate against its key (src/core/config_tls.c)
LDLIBS  += $(shell pkg-config --libs libcrypto 2>/dev/null)
SAN     := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined

LIB_SRC   := $(wildcard src/core/*.c src/q931/*.c src/sip/*.c src/bridge/*.c src/route/*.c src/dsp/*.c src/rtp/*.c hw/*.c)
GW_SRC    := src/sipgw.c $(wildcard src/gw_*.c)
CTL_SRC   := $(wildcard src/ctl/*.c)
PBX_SRC   := $(wildcard src/sim/pbx*.c src/sim/sim_*.c)
PHONE_SRC := $(wildcard src/sim/phone*.c src/sim/sim_*.c)
UNIT_SRC  := $(wildcard tests/unit/*.c)

# the Debian interpreter scripts/install-deps.sh installs (with its python3-*
# packages), not whichever python3 comes first in PATH
PYTHON  ?= /usr/bin/python3

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

LOAD_PROGS := $(BUILD)/load-pbx $(BUILD)/load-phone
PROGS := $(BUILD)/sipgw $(BUILD)/sipgwctl $(BUILD)/sipgw-pbx $(BUILD)/sipgw-phone $(BUILD)/sipgw-faxtiff
# The fake DAHDI of the tests (hw/fake/fakedahdi.c): an LD_PRELOAD shim, kept
# out of libsipgw.a, whose read/write/open would otherwise replace libc's.
FAKE_DAHDI := $(BUILD)/libfakedahdi.so
FAKE_DAHDI_SRC := hw/fake/fakedahdi.c hw/fake/fake_card.c src/core/dahdi_conf.c

.PHONY: all deps run test unit unit-asan flows bench clean layers
all: $(PROGS) $(BUILD)/unit-tests $(FAKE_DAHDI) $(LOAD_PROGS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/libsipgw.a: $(call obj,$(LIB_SRC))
	ar rcs $@ $^

$(BUILD)/sipgw: $(call obj,$(GW_SRC)) $(BUILD)/libsipgw.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
# the operator's client of the control socket (core/ctl.h)
$(BUILD)/sipgwctl: $(call obj,$(CTL_SRC)) $(BUILD)/libsipgw.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/sipgw-pbx: $(call obj,$(PBX_SRC)) $(BUILD)/libsipgw.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/sipgw-phone: $(call obj,$(PHONE_SRC)) $(BUILD)/libsipgw.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
# The load rig (bench/load_*.c): one process per side drives many spans or
# answers many calls, frame-timing every stream; bench.py --rig and a smoke
# flow (flows_load.py) use them. One file each, so cheap enough for make all.
$(BUILD)/load-pbx: $(call obj,bench/load_pbx.c bench/load_pbx_cli.c src/sim/sim_stream.c) $(BUILD)/libsipgw.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/load-phone: $(call obj,bench/load_phone.c src/sim/sim_stream.c) $(BUILD)/libsipgw.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
# fax DSP figures (bench/bench_fax.c), run by make bench
$(BUILD)/bench-fax: $(call obj,bench/bench_fax.c) $(BUILD)/libsipgw.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
# the fax flows' TIFF-F pages: made, counted, compared (src/sim/faxtiff.c)
$(BUILD)/sipgw-faxtiff: $(call obj,src/sim/faxtiff.c) $(BUILD)/libsipgw.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
$(FAKE_DAHDI): $(FAKE_DAHDI_SRC) hw/fake/fake.h hw/fake/fakedahdi.map src/core/dahdi_conf.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -shared -Wl,--version-script=hw/fake/fakedahdi.map -o $@ $(FAKE_DAHDI_SRC) -ldl -lpthread
# DSP stage figures (bench/bench_*.c): CPU per channel, printed by make bench
$(BUILD)/bench-jbuf: $(call obj,bench/bench_jbuf.c) $(BUILD)/libsipgw.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
$(BUILD)/bench-chain: $(call obj,bench/bench_chain.c) $(BUILD)/libsipgw.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
# the echo canceller candidates (bench/bench_ec.c)
$(BUILD)/bench-ec: $(call obj,bench/bench_ec.c bench/bench_ec_spandsp.c) $(BUILD)/libsipgw.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)
# The simulators' shared pieces (src/sim/sim_*.c) are tested too.
$(BUILD)/unit-tests: $(call obj,$(UNIT_SRC) $(wildcard src/sim/sim_*.c)) $(BUILD)/libsipgw.a
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

# DESIGN.md's layering on the #include lines: core/ and bridge/ stay below
# the protocols and routing, no circle across folders.
layers:
	$(PYTHON) tests/layers/check_layers.py

# Every flow on loopback spans, then again on dahdi spans through the fake DAHDI;
# two runners at once (-j 2): the flows mostly wait on real-time audio and timers.
flows: $(PROGS) $(LOAD_PROGS) $(FAKE_DAHDI) asan-sipgw
	$(PYTHON) tests/flows/run_flows.py --build $(BUILD) -j 2
	$(PYTHON) tests/flows/run_flows.py --build $(BUILD) --span-type dahdi -j 2

# The builds use both cores of a small box (-j2); the tests run one by one.
test: deps
	$(MAKE) -j2 all
	$(MAKE) layers
	$(MAKE) -j2 unit
	$(MAKE) -j2 unit-asan
	$(MAKE) -j2 fuzz-replay
	$(MAKE) -j2 flows
	$(MAKE) test-package

# the load rig's call counts (bench/rig_bench.py): a quick RIG_N=23,240 while others work
RIG_N ?= 23,240,480,720,1024
bench: deps
	@scripts/install-bench-deps.sh
	$(MAKE) $(PROGS) $(LOAD_PROGS) $(BUILD)/bench-jbuf $(BUILD)/bench-ec $(BUILD)/bench-chain $(BUILD)/codec-bench $(BUILD)/bench-fax \
		$(BUILD)/bench-trace $(BUILD)/udp-floor
	$(BUILD)/udp-floor
	$(BUILD)/bench-chain
	$(BUILD)/bench-trace
	$(BUILD)/bench-fax
	$(BUILD)/bench-jbuf
	$(BUILD)/bench-ec tests/data
	$(BUILD)/codec-bench
	$(PYTHON) bench/bench.py --build $(BUILD) --rig $(RIG_N)
	$(PYTHON) bench/bench.py --build $(BUILD)
	$(PYTHON) bench/bench_mem.py --build $(BUILD)

# the raw UDP floor on this box (bench/udp_floor.c), figures only
$(BUILD)/udp-floor: bench/udp_floor.c
	@mkdir -p $(@D)
	$(CC) $(CFLAGS) -o $@ $<

# CPU per traced message: pcap and ladders (bench/bench_trace.c), figures only
$(BUILD)/bench-trace: $(call obj,bench/bench_trace.c) $(BUILD)/libsipgw.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

# CPU per codec and leg (bench/codec_bench.c), figures only
$(BUILD)/codec-bench: $(call obj,bench/codec_bench.c) $(BUILD)/libsipgw.a
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS)

clean:
	rm -rf build build-asan

# make install, make deb, make test-package
include dist/install.mk

# ---- fuzzing (tests/fuzz): libFuzzer targets, clang only ----
# Every object is built again with clang, instrumented for coverage and under
# ASan + UBSan, in build-fuzz. `make fuzz` runs each target FUZZ_TIME seconds
# on its corpus and keeps what it finds in build-fuzz/findings/TARGET (not in
# the tree); `make fuzz-replay` (part of `make test`) runs every corpus file
# once and fails on a crash, a sanitizer report or a leak.
FUZZ_BUILD   := build-fuzz
FUZZ_TIME    ?= 60
FUZZ_NAMES   := $(patsubst tests/fuzz/fuzz_%.c,%,$(wildcard tests/fuzz/fuzz_*.c))
FUZZ_BINS    := $(FUZZ_NAMES:%=$(FUZZ_BUILD)/fuzz_%)
FUZZ_OPT     := -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined \
		-fno-omit-frame-pointer
FUZZ_ENV     := ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0
# libpri 1.6 cannot free an instance; fuzz_q931 makes one per input, so its
# copy of libpri allocates through fuzz_pri_malloc & co. (tests/fuzz/pri_arena.c),
# which free all of an instance at once, and tells time by fuzz_pri_gettimeofday,
# which the fuzzer moves on to expire libpri's timers.
PRI_ARENA_SYMS := --redefine-sym malloc=fuzz_pri_malloc --redefine-sym calloc=fuzz_pri_calloc \
		  --redefine-sym free=fuzz_pri_free --redefine-sym gettimeofday=fuzz_pri_gettimeofday

.PHONY: fuzz fuzz-build fuzz-replay fuzz-cov fuzz-clean
clean: fuzz-clean
fuzz-clean:
	rm -rf $(FUZZ_BUILD) $(FUZZ_COV_BUILD)
.PRECIOUS: $(BUILD)/tests/fuzz/%.o

$(BUILD)/libpri-arena.a: /usr/lib/libpri.a
	@mkdir -p $(dir $@)
	objcopy $(PRI_ARENA_SYMS) $< $@
$(BUILD)/fuzz_q931: $(BUILD)/tests/fuzz/fuzz_q931.o $(BUILD)/tests/fuzz/pri_arena.o \
		    $(BUILD)/libsipgw.a $(BUILD)/libpri-arena.a
	$(CC) $(CFLAGS) -fsanitize=fuzzer -Wl,--wrap=call_leg_gone -o $@ $^ $(filter-out -lpri,$(LDLIBS))
# fuzz_sim_dtmf: the simulators' DTMF parsers, outside libsipgw.a
$(BUILD)/fuzz_sim_dtmf: $(BUILD)/tests/fuzz/fuzz_sim_dtmf.o $(BUILD)/src/sim/sim_dtmf.o $(BUILD)/libsipgw.a
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)
# fuzz_sim_stream: the load rig's RTP header and frame timing, outside libsipgw.a
$(BUILD)/fuzz_sim_stream: $(BUILD)/tests/fuzz/fuzz_sim_stream.o $(BUILD)/src/sim/sim_stream.o $(BUILD)/libsipgw.a
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)
# fuzz_ctl_views: sipgwctl's views of calls and routing, outside libsipgw.a
$(BUILD)/fuzz_ctl_views: $(BUILD)/tests/fuzz/fuzz_ctl_views.o $(BUILD)/src/gw_calls.o $(BUILD)/src/gw_dialpeers.o \
			 $(BUILD)/src/gw_registrations.o $(BUILD)/libsipgw.a
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)
# fuzz_ctl_spans: sipgwctl's span commands, in the daemon's gw_spans.c (not in libsipgw.a)
$(BUILD)/fuzz_ctl_spans: $(BUILD)/tests/fuzz/fuzz_ctl_spans.o $(BUILD)/src/gw_spans.o $(BUILD)/libsipgw.a
	$(CC) $(CFLAGS) -fsanitize=fuzzer -o $@ $^ $(LDLIBS)
# fuzz_auth keeps the registrar's auth module (tests/fuzz/fuzz_auth.c says why)
$(BUILD)/fuzz_auth: FUZZ_LDFLAGS := -Wl,--wrap=auth_mod_create
$(BUILD)/fuzz_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/libsipgw.a
	$(CC) $(CFLAGS) -fsanitize=fuzzer $(FUZZ_LDFLAGS) -o $@ $^ $(LDLIBS)

fuzz-build: deps
	$(MAKE) BUILD=$(FUZZ_BUILD) CC=clang OPT="$(FUZZ_OPT)" $(FUZZ_BINS)

fuzz: fuzz-build
	@failed=""; for t in $(FUZZ_NAMES); do \
		mkdir -p $(FUZZ_BUILD)/findings/$$t; \
		echo "== fuzz_$$t, $(FUZZ_TIME) s"; \
		$(FUZZ_ENV) $(FUZZ_BUILD)/fuzz_$$t -max_total_time=$(FUZZ_TIME) -print_final_stats=1 \
			-artifact_prefix=$(FUZZ_BUILD)/findings/$$t- \
			$(FUZZ_BUILD)/findings/$$t tests/fuzz/corpus/$$t 2>&1 | grep -v -E '^#[0-9]+.(NEW|REDUCE) ' \
			|| true; \
		ls $(FUZZ_BUILD)/findings/$$t-* >/dev/null 2>&1 && failed="$$failed $$t"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz: findings in$$failed: $(FUZZ_BUILD)/findings/TARGET-*"; exit 1; fi

# Line coverage of each target's corpus (and its findings, if any), by
# clang's source-based coverage; needs llvm-14 (llvm-cov, llvm-profdata).
FUZZ_COV_BUILD := build-fuzz-cov
fuzz-cov: deps
	@command -v llvm-cov-14 >/dev/null || { echo "fuzz-cov: needs llvm-14 (apt-get install llvm-14)"; exit 1; }
	$(MAKE) BUILD=$(FUZZ_COV_BUILD) CC=clang \
		OPT="-O1 -fsanitize=fuzzer-no-link -fprofile-instr-generate -fcoverage-mapping" \
		$(FUZZ_NAMES:%=$(FUZZ_COV_BUILD)/fuzz_%)
	@for t in $(FUZZ_NAMES); do \
		LLVM_PROFILE_FILE=$(FUZZ_COV_BUILD)/$$t.profraw $(FUZZ_COV_BUILD)/fuzz_$$t -runs=0 \
			tests/fuzz/corpus/$$t $$(test -d $(FUZZ_BUILD)/findings/$$t && echo $(FUZZ_BUILD)/findings/$$t) \
			>/dev/null 2>&1 || exit 1; \
		llvm-profdata-14 merge -o $(FUZZ_COV_BUILD)/$$t.profdata $(FUZZ_COV_BUILD)/$$t.profraw; \
		case $$t in sdp) f=src/sip/sdp.c;; rtcp) f=src/rtp/rtcp.c;; codec) f="src/dsp/codec.c src/dsp/codec_opus.c";; \
			auth) f=src/sip/registrar.c;; \
			dialpeer) f="src/core/dialpeer.c src/route/dialpeer.c";; \
			config) f="src/core/config.c src/core/config_spans.c src/core/config_sip.c src/route/route_check.c";; \
			netaddr) f="src/core/netaddr.c src/sip/sip_addr.c";; dtmf_info) f=src/sip/sip_dtmf.c;; sim_dtmf) f=src/sim/sim_dtmf.c;; udptl) f=src/rtp/udptl.c;; sdp_t38) f=src/sip/sdp_t38.c;; q931) f="src/q931/span.c src/q931/span_dchan.c src/q931/span_event.c src/q931/span_chan.c src/q931/span_maint.c src/q931/pri_leg.c src/q931/q931_trace.c";; *) f=;; esac; \
		echo "== fuzz_$$t"; \
		llvm-cov-14 report $(FUZZ_COV_BUILD)/fuzz_$$t -instr-profile=$(FUZZ_COV_BUILD)/$$t.profdata \
			-show-region-summary=false -show-branch-summary=false $$f | grep -v "^---"; \
	done

fuzz-replay: fuzz-build
	@for t in $(FUZZ_NAMES); do \
		echo "== fuzz_$$t: $$(ls tests/fuzz/corpus/$$t | wc -l) corpus files"; \
		$(FUZZ_ENV) $(FUZZ_BUILD)/fuzz_$$t -runs=0 -artifact_prefix=$(FUZZ_BUILD)/replay-$$t- \
			tests/fuzz/corpus/$$t 2>$(FUZZ_BUILD)/replay-$$t.log \
			|| { cat $(FUZZ_BUILD)/replay-$$t.log; echo "fuzz-replay: fuzz_$$t FAILED"; exit 1; }; \
	done; echo "fuzz-replay: every corpus file ran clean"
