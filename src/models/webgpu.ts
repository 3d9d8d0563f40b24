import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { SwarmdError, errorLine } from '../core/index.js';

/** What a WebGPU adapter says about itself, joined for logs and /status (e.g. `nvidia hopper (Vulkan)`). */
export type AdapterName = string;

export class WebGpuError extends SwarmdError {}

const NO_ADAPTER = 'no WebGPU adapter: is a Vulkan driver installed? see README, "GPU training"';

interface AdapterInfo {
  vendor?: string;
  architecture?: string;
  device?: string;
  description?: string;
}
interface Gpu {
  requestAdapter(opts?: { powerPreference?: string }): Promise<{ info?: AdapterInfo } | null>;
}
interface DawnModule {
  create(flags: string[]): Gpu;
  globals: Record<string, unknown>;
}

let installed: Promise<AdapterName> | null = null;

/**
 * Makes WebGPU available to tfjs in Node: loads Dawn from the optional npm package `webgpu`, puts its
 * classes and `navigator.gpu` on globalThis (what @tensorflow/tfjs-backend-webgpu looks for when it is
 * imported), and asks for an adapter. Throws WebGpuError when the package is missing or no adapter is found
 * (no GPU, no Vulkan loader, or only a software rasteriser, which Dawn refuses). Runs once per process.
 */
export function installWebGpu(): Promise<AdapterName> {
  installed ??= install().catch((err: unknown) => {
    installed = null;
    throw err;
  });
  return installed;
}

async function install(): Promise<AdapterName> {
  let dawn: DawnModule;
  try {
    dawn = (await import(/* optional */ 'webgpu' as string)) as DawnModule;
  } catch (err) {
    throw new WebGpuError(
      'WEBGPU_MISSING',
      `the optional package 'webgpu' did not load (${errorLine(err)}): run 'npm install webgpu' on a GPU site`,
    );
  }
  // Without a Vulkan loader Dawn finds no adapter and prints a two-line warning on stderr: say it in one.
  if (process.platform === 'linux' && !hasVulkanLoader()) {
    throw new WebGpuError('WEBGPU_NO_ADAPTER', `${NO_ADAPTER} (no Vulkan loader libvulkan.so.1 found)`);
  }
  const gpu = dawn.create([]);
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new WebGpuError('WEBGPU_NO_ADAPTER', NO_ADAPTER);
  for (const [name, value] of Object.entries(dawn.globals)) {
    if (!(name in globalThis))
      Object.defineProperty(globalThis, name, { value, configurable: true, writable: true });
  }
  const nav = (globalThis as { navigator?: object }).navigator;
  if (nav) Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  else Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true, writable: true });
  return adapterName(adapter.info ?? {});
}

/** Whether the Vulkan loader is where the dynamic linker would look (standard folders, LD_LIBRARY_PATH). */
function hasVulkanLoader(): boolean {
  const dirs = [
    ...(process.env.LD_LIBRARY_PATH ?? '').split(':').filter(Boolean),
    '/usr/lib/x86_64-linux-gnu',
    '/usr/lib/aarch64-linux-gnu',
    '/lib/x86_64-linux-gnu',
    '/usr/lib64',
    '/usr/lib',
    '/lib64',
    '/usr/local/lib',
  ];
  return dirs.some((d) => existsSync(join(d, 'libvulkan.so.1')));
}

export function adapterName(info: AdapterInfo): AdapterName {
  const parts = [info.vendor, info.architecture, info.device, info.description].filter((p) => p);
  return [...new Set(parts)].join(' ') || 'unnamed adapter';
}
