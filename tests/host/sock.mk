# tests/host/sock.mk - the pure parts of the socket system calls
# (kernel/fs/sockmsg.c: control messages, sockaddr checks) in the host
# unit tests; tests/host/test_sockmsg.c holds the tests.

HOST_SRCS += kernel/fs/sockmsg.c
