#!/bin/sh
# autogen.sh: generate the configure script and Makefile.in from a git checkout.
set -e
cd "$(dirname "$0")"
mkdir -p m4 build-aux
autoreconf --force --install --verbose
# the TAP test driver is not copied by automake on its own
cp -f "$(automake --print-libdir)/tap-driver.sh" build-aux/
echo "Now run ./configure && make"
