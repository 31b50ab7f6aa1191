#!/bin/sh
# Keeps only this platform's onnxruntime-node binaries in a pruned app tree ($1): the npm package
# ships them for darwin, win32 and linux on x64 and arm64 (~25 MB each), and an image runs one.
set -eu
arch=$(node -p process.arch)
for dir in "$1"/node_modules/.pnpm/onnxruntime-node@*/node_modules/onnxruntime-node/bin/napi-v*/*/*; do
  [ -d "$dir" ] || continue
  case "$dir" in
    */linux/"$arch") ;;
    *) rm -rf "$dir" ;;
  esac
done
