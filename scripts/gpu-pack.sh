#!/usr/bin/env bash
# Packs what scripts/gpu-check.sh needs on a GPU machine that has the NVIDIA driver but no Node, no npm, no
# network and no Vulkan loader, into .gpu/ (git-ignored, ~35 MB): this machine's node binary, the two bench
# programs bundled with tfjs (esbuild), the wasm binaries, Dawn (dawn.node from the npm package `webgpu`,
# linux-x64 only) and the Debian Vulkan/GL loader packages. Run here (x86-64 Linux, npm ci done), then carry
# .gpu to the GPU machine with the repository and run scripts/gpu-check.sh there.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(uname -m)" = x86_64 ] || { echo "gpu-pack: build on x86-64 (the GPU machine's architecture)" >&2; exit 1; }
[ -f node_modules/webgpu/dist/linux-x64/dawn.node ] || {
  echo "gpu-pack: node_modules/webgpu is missing: npm ci (without --omit=optional) first" >&2
  exit 1
}
G=.gpu
rm -rf "$G/app" # the compressed binaries and .debs are kept: they change only with node or the lock
mkdir -p "$G/app/node_modules/webgpu/dist/linux-x64" "$G/deb"

npm run build >/dev/null
# ESM bundles of CommonJS tfjs need require/__dirname; the wasm backend finds its .wasm beside __dirname.
banner="import { createRequire as __cr } from 'node:module'; import { fileURLToPath as __fu } from 'node:url';"
banner+=" import { dirname as __dn } from 'node:path'; const require = __cr(import.meta.url);"
banner+=" const __filename = __fu(import.meta.url); const __dirname = __dn(__filename);"
# The training worker thread is a bundle of its own beside them (train-worker.js, found next to the caller).
npx esbuild dist/bench/train-speed.js dist/bench/tcga-train.js dist/src/models/train-worker.js --bundle \
  --platform=node --format=esm --target=node20 --outdir="$G/app" --entry-names='[name]' --log-level=warning \
  --banner:js="$banner" \
  --external:webgpu --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu
cp node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$G/app/"
cp node_modules/webgpu/package.json node_modules/webgpu/index.js "$G/app/node_modules/webgpu/"
[ "$G/dawn.node.xz" -nt node_modules/webgpu/dist/linux-x64/dawn.node ] ||
  xz -T0 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node >"$G/dawn.node.xz"
[ "$G/node.xz" -nt "$(command -v node)" ] || xz -T0 -6 -c "$(command -v node)" >"$G/node.xz"

# The Vulkan loader and GL dispatch libraries, amd64, from Debian (unpacked with dpkg -x there).
[ -n "$(ls "$G"/deb/*.deb 2>/dev/null)" ] && { du -sh "$G"; exit 0; }
lists=$(mktemp -d)
o="-oAPT::Architecture=amd64 -oAPT::Architectures=amd64 -oDir::State::Lists=$lists"
mkdir -p "$lists/partial"
apt-get $o update >/dev/null
(cd "$G/deb" && apt-get $o download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2 >/dev/null)
rm -rf "$lists"
du -sh "$G"
