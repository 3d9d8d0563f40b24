#!/usr/bin/env bash
# The GPU check of issue 13, one script, a few minutes on one NVIDIA GPU: training speed of the default model
# on tfjs webgpu vs tfjs wasm vs PyTorch (CUDA and all CPU cores), 9101×15 and 3556×11, batch 32 and 256;
# then TCGA-11 trained on webgpu and on wasm with the same split, key and seeds, both accuracies printed.
# Needs .gpu/ from scripts/gpu-pack.sh beside it (this machine needs no Node, npm or network), and python3
# with torch for the PyTorch rows. Where the NVIDIA driver is present but no Vulkan loader, the carried
# Debian loader packages are unpacked into / (as on a bare GPU container; needs root).
#   scripts/gpu-check.sh [epochs]      (default 10)
set -uo pipefail
cd "$(dirname "$0")/.."
G=.gpu
EPOCHS=${1:-10}
[ -f "$G/node.xz" ] || { echo "gpu-check: $G/ is missing: run scripts/gpu-pack.sh first and carry $G" >&2; exit 1; }
unxz_to() { python3 -c 'import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2],"wb"))' "$1" "$2"; }

if command -v nvidia-smi >/dev/null; then
  nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  if ! ldconfig -p | grep -q 'libvulkan.so.1 '; then
    echo "gpu-check: no Vulkan loader here: unpacking the carried Debian packages into /"
    for f in "$G"/deb/*.deb; do dpkg -x "$f" /; done
    ldconfig
  fi
  nv=/usr/local/nvidia/share
  [ -f "$nv/vulkan/icd.d/nvidia_icd.json" ] && export VK_DRIVER_FILES=${VK_DRIVER_FILES:-$nv/vulkan/icd.d/nvidia_icd.json}
  [ -f "$nv/glvnd/egl_vendor.d/10_nvidia.json" ] &&
    export __EGL_VENDOR_LIBRARY_FILENAMES=${__EGL_VENDOR_LIBRARY_FILENAMES:-$nv/glvnd/egl_vendor.d/10_nvidia.json}
else
  echo "gpu-check: no nvidia-smi: expect 'no WebGPU adapter' below"
fi

NODE=$(mktemp -d)/node
unxz_to "$G/node.xz" "$NODE" && chmod +x "$NODE"
dawn="$G/app/node_modules/webgpu/dist/linux-x64/dawn.node"
[ -f "$dawn" ] || unxz_to "$G/dawn.node.xz" "$dawn"
echo "node $("$NODE" --version), $(nproc) CPU cores, python3 torch $(python3 -c 'import torch; print(torch.__version__)' 2>&1 | tail -1)"

cuda=$(python3 -c 'import torch; print("cuda," if torch.cuda.is_available() else "")' 2>/dev/null)
time "$NODE" "$G/app/train-speed.js" --shape 9101x15,3556x11 --batch 32,256 --samples 4096 \
  --backends webgpu,wasm --torch "${cuda}cpuN" --python python3
for b in webgpu wasm; do
  "$NODE" "$G/app/tcga-train.js" --backend "$b" --epochs "$EPOCHS" --batch 32 || echo "tcga $b: failed (above)"
done
