# tests/host/vfs.mk - pure parts of the file system code in the host unit
# tests: the procfs text buffer and the byte-range lock arithmetic.
HOST_SRCS += kernel/lib/seqbuf.c kernel/fs/lockrange.c
