#!/bin/sh
# make-common-words.sh: writes plugins/entity-spot/data/common-words.txt from Debian's wamerican.
# Run by hand during development (needs the wamerican package); the output is committed.
# Only the all-lower-case entries of 2+ letters: a word the list has only capitalized
# (Moscow, Lavrov) is a name, and possessives ("cat's") add nothing.
set -eu
words=${1:-/usr/share/dict/american-english}
out=${2:-plugins/entity-spot/data/common-words.txt}
version=$(dpkg-query -W -f '${Version}' wamerican 2>/dev/null || echo unknown)
{
  echo "# common-words.txt: English words that are lower-case in ordinary text, one a line."
  echo "# Source: Debian wamerican $version ($words), the all-lower-case entries of two"
  echo "# letters or more (a word the list has only capitalized is a name). Made by"
  echo "# plugins/entity-link/data/tools/make-common-words.sh; do not edit by hand."
  echo "# License (SCOWL; the full notice with the sources' own is /usr/share/doc/wamerican/copyright):"
  echo "#   Copyright 2000-2011 by Kevin Atkinson"
  echo "#   Permission to use, copy, modify, distribute and sell these word lists, the associated"
  echo "#   scripts, the output created from the scripts, and its documentation for any purpose is"
  echo "#   hereby granted without fee, provided that the above copyright notice appears in all"
  echo "#   copies and that both that copyright notice and this permission notice appear in"
  echo "#   supporting documentation. Kevin Atkinson makes no representations about the"
  echo "#   suitability of this array for any purpose. It is provided \"as is\" without express or"
  echo "#   implied warranty."
  LC_ALL=C grep -E '^[a-z]{2,}$' "$words" | LC_ALL=C sort -u
} > "$out"
