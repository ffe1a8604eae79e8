#!/bin/sh
# hang.sh: replies {} to each document except its second, on which it never answers.
n=0
while IFS= read -r line; do
  n=$((n + 1))
  if [ "$n" -eq 2 ]; then
    exec sleep 3600
  fi
  echo '{}'
done
