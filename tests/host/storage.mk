# tests/host/storage.mk - storage code in the host unit tests: the virtqueue
# ring logic (against a simulated device) and, with a file as the block
# device, the block cache and ext2 (images made by mke2fs, checked by e2fsck).
#
#   make host-test       includes these tests (see the main Makefile)

STORAGE_HOST_SRCS := kernel/drivers/virtio/virtq.c
HOST_SRCS += $(STORAGE_HOST_SRCS)
HOST_TESTS += $(wildcard tests/host/storage/*.c)

STORAGE_HEADERS := $(wildcard kernel/drivers/virtio/virtq.h tests/host/storage/*.h)
$(patsubst kernel/%.c,$(BUILD)/host/plain/%.o,$(STORAGE_HOST_SRCS)): $(STORAGE_HEADERS)
$(patsubst kernel/%.c,$(BUILD)/host/kdebug/%.o,$(STORAGE_HOST_SRCS)): $(STORAGE_HEADERS)
$(BUILD)/host/unit $(BUILD)/host/unit-kdebug: $(STORAGE_HEADERS)
