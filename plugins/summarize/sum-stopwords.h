/* sum-stopwords.h: the built-in English stop-word list. */
#pragma once

/* NULL-terminated, lower case: the Snowball English list plus a few words that
 * carry no topic in cables ("said", "would", "also"). */
extern const char *const sum_stopwords_english[];
