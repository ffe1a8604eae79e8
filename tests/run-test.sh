#!/bin/sh
# run-test.sh: runs one g_test binary with TAP output (through libtool, so valgrind can wrap it).
# QUARRY_TEST_WRAPPER="valgrind --error-exitcode=1 --leak-check=full" make check
exec ${QUARRY_TEST_WRAPPER:+libtool --mode=execute $QUARRY_TEST_WRAPPER} "$@" --tap
