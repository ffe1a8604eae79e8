# tests/core.mk: tests of libquarry and the quarry command (included from Makefile.am).
