#!/bin/sh
# Prints the SHA-256 of every file under a directory (default .), sorted by
# path, to compare a synced copy with the archive: unsquashfs -d x demo.sqfs
# gives the same list.
set -eu
cd "${1:-.}"
find . -type f -print | LC_ALL=C sort | while read -r f; do sha256sum "$f"; done
