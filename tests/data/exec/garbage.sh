#!/bin/sh
# garbage.sh: answers every document with a line that is not JSON.
while IFS= read -r line; do
  echo 'this is not JSON {'
done
