# tests/fuzz/fuzz.mk: libFuzzer harnesses (included from Makefile.am).
#
# Every harness is built twice: in every build as a replay test for `make check`
# (tests/fuzz/replay-NAME runs the harness over its committed seeds and the inputs of past
# findings, so the harnesses cannot rot and the findings stay fixed), and with
# `./configure --enable-fuzzing CC=clang` as a libFuzzer binary (tests/fuzz/fuzz-NAME) that
# `make fuzz FUZZ_SECONDS=N` runs (tests/fuzz/run-fuzz.sh).

FUZZ_CPPFLAGS = $(AM_CPPFLAGS) -I$(top_srcdir)/tests/fuzz \
	-DFUZZ_BUILDDIR=\"$(abs_top_builddir)\" -DFUZZ_SRCDIR=\"$(abs_top_srcdir)\"
FUZZ_LDADD = libquarry.la $(GLIB_LIBS) $(JSONC_LIBS)
FUZZ_IN = $(abs_top_srcdir)/tests/fuzz
FUZZ_STAGE_SRC = tests/fuzz/fuzz-stage.c tests/fuzz/fuzz-common.h
EXTRA_DIST += tests/fuzz/run-fuzz.sh tests/fuzz/seeds tests/fuzz/regressions tests/fuzz/README.md

FUZZ_REPLAY = \
	tests/fuzz/replay-document tests/fuzz/replay-config tests/fuzz/replay-jsonl \
	tests/fuzz/replay-html-strip tests/fuzz/replay-header-parse tests/fuzz/replay-tag-decode \
	tests/fuzz/replay-entity-link tests/fuzz/replay-summarize tests/fuzz/replay-cables
check_PROGRAMS += $(FUZZ_REPLAY)
TESTS += $(FUZZ_REPLAY)

# replay-NAME: the harness with fuzz-replay.c's main, over seeds/KIND and regressions/NAME
tests_fuzz_replay_document_SOURCES = tests/fuzz/fuzz-document.c tests/fuzz/fuzz-common.h tests/fuzz/fuzz-replay.c
tests_fuzz_replay_document_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_REPLAY_INPUTS=\"$(FUZZ_IN)/seeds/document:$(FUZZ_IN)/regressions/document\"
tests_fuzz_replay_document_LDADD = $(FUZZ_LDADD)
tests_fuzz_replay_config_SOURCES = tests/fuzz/fuzz-config.c tests/fuzz/fuzz-common.h tests/fuzz/fuzz-replay.c
tests_fuzz_replay_config_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_REPLAY_INPUTS=\"$(FUZZ_IN)/seeds/config:$(FUZZ_IN)/regressions/config:$(abs_top_srcdir)/configs\"
tests_fuzz_replay_config_LDADD = $(FUZZ_LDADD)
tests_fuzz_replay_jsonl_SOURCES = tests/fuzz/fuzz-jsonl.c tests/fuzz/fuzz-common.h tests/fuzz/fuzz-replay.c core/input.c core/input.h
tests_fuzz_replay_jsonl_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_REPLAY_INPUTS=\"$(FUZZ_IN)/seeds/jsonl:$(FUZZ_IN)/regressions/jsonl\"
tests_fuzz_replay_jsonl_LDADD = $(FUZZ_LDADD)

FUZZ_STAGE_INPUTS = $(FUZZ_IN)/seeds/stage
tests_fuzz_replay_html_strip_SOURCES = $(FUZZ_STAGE_SRC) tests/fuzz/fuzz-replay.c
tests_fuzz_replay_html_strip_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_STAGES=\"html-strip\" -DFUZZ_REPLAY_INPUTS=\"$(FUZZ_STAGE_INPUTS):$(FUZZ_IN)/regressions/html-strip\"
tests_fuzz_replay_html_strip_LDADD = $(FUZZ_LDADD)
tests_fuzz_replay_header_parse_SOURCES = $(FUZZ_STAGE_SRC) tests/fuzz/fuzz-replay.c
tests_fuzz_replay_header_parse_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_STAGES=\"header-parse\" -DFUZZ_REPLAY_INPUTS=\"$(FUZZ_STAGE_INPUTS):$(FUZZ_IN)/regressions/header-parse\"
tests_fuzz_replay_header_parse_LDADD = $(FUZZ_LDADD)
tests_fuzz_replay_tag_decode_SOURCES = $(FUZZ_STAGE_SRC) tests/fuzz/fuzz-replay.c
tests_fuzz_replay_tag_decode_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_STAGES=\"tag-decode\" -DFUZZ_REPLAY_INPUTS=\"$(FUZZ_STAGE_INPUTS):$(FUZZ_IN)/regressions/tag-decode\"
tests_fuzz_replay_tag_decode_LDADD = $(FUZZ_LDADD)
tests_fuzz_replay_entity_link_SOURCES = $(FUZZ_STAGE_SRC) tests/fuzz/fuzz-replay.c
tests_fuzz_replay_entity_link_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_STAGES=\"tag-decode\;entity-link\" -DFUZZ_REPLAY_INPUTS=\"$(FUZZ_STAGE_INPUTS):$(FUZZ_IN)/regressions/entity-link\"
tests_fuzz_replay_entity_link_LDADD = $(FUZZ_LDADD)
tests_fuzz_replay_summarize_SOURCES = $(FUZZ_STAGE_SRC) tests/fuzz/fuzz-replay.c
tests_fuzz_replay_summarize_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_STAGES=\"header-parse\;summarize\" -DFUZZ_REPLAY_INPUTS=\"$(FUZZ_STAGE_INPUTS):$(FUZZ_IN)/regressions/summarize\"
tests_fuzz_replay_summarize_LDADD = $(FUZZ_LDADD)
tests_fuzz_replay_cables_SOURCES = $(FUZZ_STAGE_SRC) tests/fuzz/fuzz-replay.c
tests_fuzz_replay_cables_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_STAGES=\"@cables.ini\" -DFUZZ_REPLAY_INPUTS=\"$(FUZZ_STAGE_INPUTS):$(FUZZ_IN)/regressions/cables\"
tests_fuzz_replay_cables_LDADD = $(FUZZ_LDADD)

if ENABLE_FUZZING
# fuzz-NAME: the same harnesses linked with libFuzzer's main
FUZZ_TARGETS = \
	tests/fuzz/fuzz-document tests/fuzz/fuzz-config tests/fuzz/fuzz-jsonl \
	tests/fuzz/fuzz-html-strip tests/fuzz/fuzz-header-parse tests/fuzz/fuzz-tag-decode \
	tests/fuzz/fuzz-entity-link tests/fuzz/fuzz-summarize tests/fuzz/fuzz-cables
EXTRA_PROGRAMS += $(FUZZ_TARGETS)
CLEANFILES += $(FUZZ_TARGETS)
FUZZ_LINK = -fsanitize=fuzzer
tests_fuzz_fuzz_document_SOURCES = tests/fuzz/fuzz-document.c tests/fuzz/fuzz-common.h
tests_fuzz_fuzz_document_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_document_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_document_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_config_SOURCES = tests/fuzz/fuzz-config.c tests/fuzz/fuzz-common.h
tests_fuzz_fuzz_config_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_config_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_config_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_jsonl_SOURCES = tests/fuzz/fuzz-jsonl.c tests/fuzz/fuzz-common.h core/input.c core/input.h
tests_fuzz_fuzz_jsonl_CPPFLAGS = $(FUZZ_CPPFLAGS)
tests_fuzz_fuzz_jsonl_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_jsonl_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_html_strip_SOURCES = $(FUZZ_STAGE_SRC)
tests_fuzz_fuzz_html_strip_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_STAGES=\"html-strip\"
tests_fuzz_fuzz_html_strip_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_html_strip_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_header_parse_SOURCES = $(FUZZ_STAGE_SRC)
tests_fuzz_fuzz_header_parse_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_STAGES=\"header-parse\"
tests_fuzz_fuzz_header_parse_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_header_parse_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_tag_decode_SOURCES = $(FUZZ_STAGE_SRC)
tests_fuzz_fuzz_tag_decode_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_STAGES=\"tag-decode\"
tests_fuzz_fuzz_tag_decode_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_tag_decode_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_entity_link_SOURCES = $(FUZZ_STAGE_SRC)
tests_fuzz_fuzz_entity_link_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_STAGES=\"tag-decode\;entity-link\"
tests_fuzz_fuzz_entity_link_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_entity_link_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_summarize_SOURCES = $(FUZZ_STAGE_SRC)
tests_fuzz_fuzz_summarize_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_STAGES=\"header-parse\;summarize\"
tests_fuzz_fuzz_summarize_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_summarize_LDADD = $(FUZZ_LDADD)
tests_fuzz_fuzz_cables_SOURCES = $(FUZZ_STAGE_SRC)
tests_fuzz_fuzz_cables_CPPFLAGS = $(FUZZ_CPPFLAGS) -DFUZZ_STAGES=\"@cables.ini\"
tests_fuzz_fuzz_cables_LDFLAGS = $(FUZZ_LINK)
tests_fuzz_fuzz_cables_LDADD = $(FUZZ_LDADD)

FUZZ_SECONDS ?= 60
FUZZ_JOBS ?= 2
FUZZ_SEED ?= 0
fuzz: all $(FUZZ_TARGETS)
	FUZZ_SECONDS=$(FUZZ_SECONDS) FUZZ_JOBS=$(FUZZ_JOBS) FUZZ_SEED=$(FUZZ_SEED) QUARRY_SHARED_DIR="$${QUARRY_SHARED_DIR:-$(abs_top_srcdir)/../shared}" \
	  $(SHELL) $(srcdir)/tests/fuzz/run-fuzz.sh $(abs_top_srcdir) $(abs_top_builddir) $(FUZZ_TARGETS)
else
fuzz:
	@echo "make fuzz needs a libFuzzer build: ./configure --enable-fuzzing CC=clang" >&2; exit 1
endif
.PHONY: fuzz
