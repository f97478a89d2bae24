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

# ---- fuzzing: the ext2 core on arbitrary images (part of `make fuzz`) ----

STORAGE_FUZZ_SRCS := kernel/drivers/block/bcache.c kernel/drivers/block/bio.c \
	$(filter-out kernel/fs/ext2/ext2_vfs.c,$(wildcard kernel/fs/ext2/*.c))

$(BUILD)/fuzz/storage_ext2: tests/fuzz/storage_ext2.c $(STORAGE_FUZZ_SRCS) $(STORAGE_HEADERS) \
		tests/host/host.c
	@mkdir -p $(@D)
	@echo "  FUZZCC  $@"
	@$(CLANG) $(FUZZ_CFLAGS) -c kernel/lib/printf.c $(HOST_RENAME) -o $@.printf.o
	@$(CLANG) $(FUZZ_CFLAGS) -o $@ $< $(STORAGE_FUZZ_SRCS) tests/host/host.c \
		kernel/lib/strutil.c $@.printf.o

# Seeds: small images mke2fs fills from a directory, 1 KiB blocks.
.PHONY: fuzz-storage
FUZZ_EXTRA += fuzz-storage
fuzz-storage: deps-test $(BUILD)/fuzz/storage_ext2
	@set -e; c=$(BUILD)/fuzz/corpus/storage_ext2; s=$(BUILD)/fuzz/storage-seed; \
	mkdir -p $$c $$s/d/sub; echo hello > $$s/d/a; ln -sf a $$s/d/l; \
	head -c 20000 /dev/zero > $$s/d/sub/z; \
	mke2fs -q -F -t ext2 -b 1024 -N 32 -d $$s/d $$c/seed-1k 256k >/dev/null; \
	echo "  FUZZ    storage_ext2 ($(FUZZ_SECONDS) s)"; \
	$(BUILD)/fuzz/storage_ext2 -max_total_time=$(FUZZ_SECONDS) -close_fd_mask=3 \
		-max_len=262144 -artifact_prefix=$(BUILD)/fuzz/storage_ext2- $$c \
		> $(BUILD)/fuzz/storage_ext2.log 2>&1 || { tail -40 $(BUILD)/fuzz/storage_ext2.log; exit 1; }; \
	grep -E "stat::number_of_executed_units" $(BUILD)/fuzz/storage_ext2.log || true
