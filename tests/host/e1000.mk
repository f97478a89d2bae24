# tests/host/e1000.mk - the e1000 driver's descriptor ring bookkeeping
# (kernel/drivers/net/e1000_ring.h, header-only) in the host unit tests.
#
#   make host-test       includes these tests (see the main Makefile)

HOST_TESTS += $(wildcard tests/host/e1000/*.c)
$(BUILD)/host/unit $(BUILD)/host/unit-kdebug: kernel/drivers/net/e1000_ring.h
