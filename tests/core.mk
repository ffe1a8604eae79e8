# tests/core.mk: tests of libquarry and the quarry command (included from Makefile.am).

# test plugins: a working pair (tests/plugins) and modules broken on purpose (tests/broken)
# Those written in the documented option-table style are built as an author would,
# -Wextra with no warning turned off, so the style cannot drift into warnings again.
STRICT_PLUGIN_CFLAGS = -Wextra -Werror=missing-field-initializers
check_LTLIBRARIES += \
	tests/plugins/test-replace.la tests/plugins/test-needs.la tests/plugins/test-worker.la \
	tests/broken/broken-abi.la tests/broken/broken-nosym.la \
	tests/broken/broken-undefined.la tests/broken/broken-setup.la \
	tests/broken/broken-crash.la tests/broken/broken-abort.la tests/broken/broken-sleep.la \
	tests/broken/broken-sloppy.la tests/broken/broken-lazy.la tests/broken/broken-options.la
tests_plugins_test_replace_la_SOURCES = tests/plugins/test-replace.c
tests_plugins_test_replace_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_test_replace_la_LIBADD = $(PLUGIN_LIBADD)
tests_plugins_test_worker_la_SOURCES = tests/plugins/test-worker.c
tests_plugins_test_worker_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_test_worker_la_LIBADD = $(PLUGIN_LIBADD)
tests_plugins_test_worker_la_CFLAGS = $(AM_CFLAGS) $(STRICT_PLUGIN_CFLAGS)
tests_plugins_test_needs_la_SOURCES = tests/plugins/test-needs.c
tests_plugins_test_needs_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_plugins_test_needs_la_LIBADD = $(PLUGIN_LIBADD)
# it declares ABI 1.0: a newer function used there must not build
tests_plugins_test_needs_la_CFLAGS = $(AM_CFLAGS) $(STRICT_PLUGIN_CFLAGS) -Werror=deprecated-declarations
tests_broken_broken_abi_la_SOURCES = tests/broken/broken-abi.c
tests_broken_broken_abi_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_broken_broken_abi_la_LIBADD = $(PLUGIN_LIBADD)
tests_broken_broken_nosym_la_SOURCES = tests/broken/broken-nosym.c
tests_broken_broken_nosym_la_LDFLAGS = -module -avoid-version -rpath /nowhere
tests_broken_broken_nosym_la_LIBADD = $(GLIB_LIBS)
tests_broken_broken_nosym_la_CFLAGS = $(AM_CFLAGS) $(GMODULE_CFLAGS)
# no -no-undefined: this one must link with a hole in it
tests_broken_broken_undefined_la_SOURCES = tests/broken/broken-undefined.c
tests_broken_broken_undefined_la_LDFLAGS = -module -avoid-version -rpath /nowhere
tests_broken_broken_undefined_la_LIBADD = $(PLUGIN_LIBADD)
# no -no-undefined either: a call to a function nothing defines, which lazy binding hid
tests_broken_broken_lazy_la_SOURCES = tests/broken/broken-lazy.c
tests_broken_broken_lazy_la_LDFLAGS = -module -avoid-version -rpath /nowhere
tests_broken_broken_lazy_la_LIBADD = $(PLUGIN_LIBADD)
tests_broken_broken_options_la_SOURCES = tests/broken/broken-options.c
tests_broken_broken_options_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_broken_broken_options_la_LIBADD = $(PLUGIN_LIBADD)
tests_broken_broken_options_la_CFLAGS = $(AM_CFLAGS) $(STRICT_PLUGIN_CFLAGS)
tests_broken_broken_setup_la_SOURCES = tests/broken/broken-setup.c
tests_broken_broken_setup_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_broken_broken_setup_la_LIBADD = $(PLUGIN_LIBADD)

# stages that crash or hang in process, for the run loop's isolation (test-run)
tests_broken_broken_crash_la_SOURCES = tests/broken/broken-crash.c
tests_broken_broken_crash_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_broken_broken_crash_la_LIBADD = $(PLUGIN_LIBADD)
tests_broken_broken_abort_la_SOURCES = tests/broken/broken-abort.c
tests_broken_broken_abort_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_broken_broken_abort_la_LIBADD = $(PLUGIN_LIBADD)
tests_broken_broken_sloppy_la_SOURCES = tests/broken/broken-sloppy.c
tests_broken_broken_sloppy_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_broken_broken_sloppy_la_LIBADD = $(PLUGIN_LIBADD)
tests_broken_broken_sloppy_la_CFLAGS = $(AM_CFLAGS) $(STRICT_PLUGIN_CFLAGS)
tests_broken_broken_sleep_la_SOURCES = tests/broken/broken-sleep.c
tests_broken_broken_sleep_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
tests_broken_broken_sleep_la_LIBADD = $(PLUGIN_LIBADD)

# a file with a module's name that is not a module at all
check_DATA += tests/broken/not-a-module.so
tests/broken/not-a-module.so: $(srcdir)/tests/broken/not-a-module.so.in
	$(AM_V_GEN)$(MKDIR_P) tests/broken && cp $(srcdir)/tests/broken/not-a-module.so.in $@
CLEANFILES += tests/broken/not-a-module.so
EXTRA_DIST += tests/broken/not-a-module.so.in

check_PROGRAMS += tests/test-document tests/test-config tests/test-pipeline tests/test-run tests/test-view
TESTS += tests/test-document tests/test-config tests/test-pipeline tests/test-run tests/test-view
tests_test_document_SOURCES = tests/test-document.c
tests_test_document_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_document_LDADD = $(TEST_LDADD)
tests_test_config_SOURCES = tests/test-config.c
tests_test_config_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_config_LDADD = $(TEST_LDADD)
tests_test_pipeline_SOURCES = tests/test-pipeline.c
tests_test_pipeline_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_pipeline_LDADD = $(TEST_LDADD)
tests_test_run_SOURCES = tests/test-run.c
tests_test_run_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_run_LDADD = $(TEST_LDADD)
tests_test_view_SOURCES = tests/test-view.c
tests_test_view_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_view_LDADD = $(TEST_LDADD)

# modules cut short, as an interrupted copy or a full disk leaves them: the loader
# must refuse them with a reason instead of dying with SIGBUS inside dlopen
check_DATA += tests/broken/broken-truncated.so tests/broken/broken-empty.so
tests/broken/broken-truncated.so: tests/plugins/test-replace.la
	$(AM_V_GEN)$(MKDIR_P) tests/broken && so=tests/plugins/.libs/test-replace.so && \
	  head -c $$(( $$(wc -c < $$so) / 2 )) $$so > $@.tmp && mv $@.tmp $@
tests/broken/broken-empty.so:
	$(AM_V_GEN)$(MKDIR_P) tests/broken && : > $@
CLEANFILES += tests/broken/broken-truncated.so tests/broken/broken-empty.so

# the quarry command against broken and hostile input (issue 14's table)
check_PROGRAMS += tests/test-bad-input
TESTS += tests/test-bad-input
tests_test_bad_input_SOURCES = tests/test-bad-input.c
tests_test_bad_input_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_bad_input_LDADD = $(TEST_LDADD)

# what a plugin author gets: the test kit's own assertions, quarry new-plugin
check_PROGRAMS += tests/test-sdk
TESTS += tests/test-sdk
tests_test_sdk_SOURCES = tests/test-sdk.c
tests_test_sdk_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_sdk_LDADD = $(TEST_LDADD)

# the plugin template, built and tested here too so that it cannot rot
check_LTLIBRARIES += examples/plugin-template/my-stage.la
examples_plugin_template_my_stage_la_SOURCES = examples/plugin-template/my-stage.c
examples_plugin_template_my_stage_la_LDFLAGS = $(TEST_PLUGIN_LDFLAGS)
examples_plugin_template_my_stage_la_LIBADD = $(PLUGIN_LIBADD)
check_PROGRAMS += examples/plugin-template/test-my-stage
TESTS += examples/plugin-template/test-my-stage
examples_plugin_template_test_my_stage_SOURCES = examples/plugin-template/test-my-stage.c
examples_plugin_template_test_my_stage_LDADD = libquarry-testing.la libquarry.la $(GLIB_LIBS) $(JSONC_LIBS)
# --shard and merge: shards merged are one process's output byte for byte (issue 17)
check_PROGRAMS += tests/test-scale
TESTS += tests/test-scale
tests_test_scale_SOURCES = tests/test-scale.c
tests_test_scale_CPPFLAGS = $(TEST_CPPFLAGS)
tests_test_scale_LDADD = $(TEST_LDADD)
