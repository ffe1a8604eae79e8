# tests/scale/scale.mk: `make check-scale` (issue 17): GNU parallel and a one-node Slurm cluster
# running quarry shards; not part of `make check` (it starts sshd, munged and Slurm daemons, as root).
EXTRA_PROGRAMS += tests/scale/make-jsonl
tests_scale_make_jsonl_SOURCES = tests/scale/make-jsonl.c
tests_scale_make_jsonl_CPPFLAGS = $(TEST_CPPFLAGS)
tests_scale_make_jsonl_LDADD = libquarry.la $(GLIB_LIBS)
CLEANFILES += tests/scale/make-jsonl
EXTRA_DIST += tests/scale/parallel.sh tests/scale/slurm.sh

# each script runs even when the one before failed; 77 is a skip (a daemon that cannot start)
check-scale: all tests/scale/make-jsonl
	@$(AM_TESTS_ENVIRONMENT) QUARRY_BUILD='$(abs_top_builddir)'; export QUARRY_BUILD; status=0; \
	for t in parallel slurm; do \
	  $(SHELL) $(srcdir)/tests/scale/$$t.sh; rc=$$?; \
	  if [ $$rc -eq 77 ]; then echo "check-scale: $$t skipped"; elif [ $$rc -ne 0 ]; then status=1; fi; \
	done; exit $$status
.PHONY: check-scale
