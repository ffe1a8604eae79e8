#!/bin/sh
# run-test.sh: runs one g_test binary with TAP output. Under valgrind, through the build's
# libtool so the real binary (not its wrapper script) is checked:
#   make check QUARRY_TEST_WRAPPER="valgrind --error-exitcode=1 --leak-check=full"
if [ -n "$QUARRY_TEST_WRAPPER" ]; then
  exec ./libtool --mode=execute $QUARRY_TEST_WRAPPER "$@" --tap
fi
exec "$@" --tap
