# tests/host/net.mk - the TCP/IP stack (kernel/net) in the host unit tests,
# and its libFuzzer targets.
#
#   make host-test       includes these tests (see the main Makefile)
#   make fuzz-net        builds tests/fuzz/net_*.c with clang-14 and runs each
#                        for FUZZ_SECONDS (default 20); fails on any crash
#                        (part of `make fuzz`, so `make test` runs it too)
#
# Longer fuzzing campaigns: docs/net.md.

NET_HOST_SRCS := $(filter-out kernel/net/%_kernel.c,$(wildcard kernel/net/*.c))
NET_TEST_SUPPORT := tests/host/net/netenv_host.c tests/host/net/sim.c tests/host/net/pkt.c
HOST_SRCS += $(NET_HOST_SRCS)
HOST_TESTS += $(wildcard tests/host/net/*.c)

# The host rules do not track headers; the stack's objects and the test
# binaries depend on every stack and test header.
NET_HEADERS := $(wildcard kernel/net/*.h tests/host/net/*.h)
$(patsubst kernel/%.c,$(BUILD)/host/plain/%.o,$(NET_HOST_SRCS)): $(NET_HEADERS)
$(patsubst kernel/%.c,$(BUILD)/host/kdebug/%.o,$(NET_HOST_SRCS)): $(NET_HEADERS)
$(BUILD)/host/unit $(BUILD)/host/unit-kdebug: $(NET_HEADERS)

# ---- fuzzing ----

FUZZ_SECONDS ?= 20
FUZZ_CC ?= clang-14
NET_FUZZERS := $(patsubst tests/fuzz/%.c,%,$(wildcard tests/fuzz/net_*.c))
NET_FUZZ_CFLAGS := -std=gnu11 -g -O1 -Wall -Wextra -Werror -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=all -DHOST_TEST -Itests/host/shim -Ikernel -Itests/host/net

$(BUILD)/fuzz/net_%: tests/fuzz/net_%.c $(NET_HOST_SRCS) $(NET_TEST_SUPPORT) $(NET_HEADERS)
	@mkdir -p $(@D)
	@echo "  FUZZCC  $@"
	@$(FUZZ_CC) $(NET_FUZZ_CFLAGS) -o $@ $< $(NET_HOST_SRCS) $(NET_TEST_SUPPORT)

.PHONY: fuzz-net
FUZZ_EXTRA += fuzz-net
fuzz-net: deps-test $(addprefix $(BUILD)/fuzz/,$(NET_FUZZERS))
	@set -e; for f in $(NET_FUZZERS); do \
		mkdir -p $(BUILD)/fuzz/corpus/$$f; \
		echo "  FUZZ    $$f ($(FUZZ_SECONDS) s)"; \
		$(BUILD)/fuzz/$$f -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
			-artifact_prefix=$(BUILD)/fuzz/$$f- $(BUILD)/fuzz/corpus/$$f \
			> $(BUILD)/fuzz/$$f.log 2>&1 || { tail -n 60 $(BUILD)/fuzz/$$f.log; exit 1; }; \
		grep -E "stat::number_of_executed_units|stat::peak_rss_mb" $(BUILD)/fuzz/$$f.log | tr '\n' ' '; echo; \
	done
