#!/bin/sh
# Build the BPF objects from bpf/*.bpf.c with clang (part of `npm run build` when clang exists;
# `npm run build:bpf` insists). The objects are committed and shipped in the package, so an
# install needs no compiler. DWARF is stripped (BTF, which the loader needs, stays) and source paths
# are mapped to bpf/, so the bytes do not depend on the directory the build ran in.
set -eu
cd "$(dirname "$0")"
need=${1:-}
CLANG=${CLANG:-clang}
if ! command -v "$CLANG" >/dev/null 2>&1; then
  if [ "$need" = "--require" ]; then echo "build:bpf: clang not found (apt install clang llvm libbpf-dev)" >&2; exit 1; fi
  exit 0
fi
STRIP=$(command -v llvm-strip || ls /usr/bin/llvm-strip-* 2>/dev/null | head -n 1 || true)
ARCH_INC=/usr/include/$(uname -m)-linux-gnu
for src in *.bpf.c; do
  obj=${src%.c}.o
  tmp=$obj.tmp
  # the prefix maps keep the build directory out of BTF's file names, so every checkout builds the
  # same bytes as the committed objects (a rebuild does not dirty the tree)
  if ! "$CLANG" -O2 -g -target bpf -I"$ARCH_INC" -ffile-prefix-map="$PWD"=bpf -fdebug-prefix-map="$PWD"=bpf \
    -Wall -Werror -c "$src" -o "$tmp"; then
    rm -f "$tmp"
    # as part of `npm run build`, a missing header (libbpf-dev) must not fail the TypeScript build:
    # the committed object stays
    if [ "$need" = "--require" ]; then exit 1; fi
    echo "build:bpf: could not compile $src (need clang, llvm, libbpf-dev); keeping the shipped $obj" >&2
    continue
  fi
  if [ -n "$STRIP" ]; then "$STRIP" -g "$tmp"; fi
  if [ -f "$obj" ] && cmp -s "$tmp" "$obj"; then rm -f "$tmp"; else mv "$tmp" "$obj"; fi
done
