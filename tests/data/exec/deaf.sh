#!/bin/sh
# deaf.sh: never reads its stdin: a large request must not block quarry's write forever.
exec sleep 3600
