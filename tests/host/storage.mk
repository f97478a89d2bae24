# tests/host/storage.mk - storage code in the host unit tests: the virtqueue
# ring logic (against a simulated device) and, with an image file as the
# block device (tests/host/storage/env_host.c), the block cache and ext2 on
# images made by mke2fs, checked afterwards by `e2fsck -fn`.
#
#   make host-test       includes these tests (see the main Makefile)

STORAGE_HOST_SRCS := kernel/drivers/virtio/virtq.c kernel/drivers/block/bcache.c \
	kernel/drivers/block/bio.c \
	$(filter-out kernel/fs/ext2/ext2_vfs.c,$(wildcard kernel/fs/ext2/*.c))
HOST_SRCS += $(STORAGE_HOST_SRCS)
HOST_TESTS += $(wildcard tests/host/storage/*.c)

STORAGE_HEADERS := $(wildcard kernel/drivers/virtio/virtq.h kernel/drivers/block/*.h \
	kernel/fs/ext2/*.h tests/host/storage/*.h tests/host/shim/sched/mutex.h)
$(patsubst kernel/%.c,$(BUILD)/host/plain/%.o,$(STORAGE_HOST_SRCS)): $(STORAGE_HEADERS)
$(patsubst kernel/%.c,$(BUILD)/host/kdebug/%.o,$(STORAGE_HOST_SRCS)): $(STORAGE_HEADERS)
$(BUILD)/host/unit $(BUILD)/host/unit-kdebug: $(STORAGE_HEADERS)
