#!/bin/sh
# crash3.sh: replies {} to two documents, then dies of SIGSEGV on its third.
n=0
while IFS= read -r line; do
  n=$((n + 1))
  if [ "$n" -eq 3 ]; then
    echo "crash3: dying on document $n" >&2
    kill -SEGV $$
  fi
  echo '{}'
done
