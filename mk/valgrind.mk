# Memory checks: every C example under valgrind memcheck (tools/valgrind.sh,
# explained in docs/reliability.md). Needs valgrind (installed with apt-get
# when missing and run as root).
#   make test-valgrind
.PHONY: test-valgrind

test-valgrind: test-c
	tools/valgrind.sh

TEST_TARGETS += test-valgrind
