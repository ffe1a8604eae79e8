#!/bin/sh
# silent.sh: reads one document, writes nothing and exits.
IFS= read -r line
echo "silent: leaving without a reply" >&2
exit 0
