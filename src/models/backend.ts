import * as tf from '@tensorflow/tfjs';
import { SwarmdError, errorLine } from '../core/index.js';
import { useFastMatMulGradient } from './wasm-matmul.js';
import { installWebGpu } from './webgpu.js';

/**
 * Backends in order of preference. webgpu (Dawn over Vulkan) before tfjs-node: measured 6–9× faster than
 * wasm at batch 256 on an H200, while tfjs-node is the CPU. wasm before cpu: 5.8× faster training (bench/).
 */
export const BACKEND_ORDER = ['tfjs-node-gpu', 'webgpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_ORDER)[number];
export type BackendPreference = BackendName | 'auto';

export interface BackendInfo {
  /** The swarmd name of the backend in use. */
  name: BackendName;
  /** tfjs's own name for it (`tensorflow`, `webgpu`, `wasm`, `cpu`). */
  tfjsName: string;
  /** What computes: the WebGPU adapter's name, or the CPU. */
  device: string;
  /** Backends tried before this one and why each was not used. */
  skipped: { name: BackendName; reason: string }[];
}

export class BackendError extends SwarmdError {}

type Loader = () => Promise<{ tfjsName: string; device: string }>;

// Native bindings register the `tensorflow` backend on import; their install step downloads libtensorflow,
// so on most machines the import fails and we fall through.
const loaders: Record<BackendName, Loader> = {
  'tfjs-node-gpu': async () => {
    await import(/* optional */ '@tensorflow/tfjs-node-gpu' as string);
    return { tfjsName: 'tensorflow', device: 'CUDA (libtensorflow)' };
  },
  // The backend registers itself on import only if navigator.gpu exists: install Dawn first.
  webgpu: async () => {
    const device = await installWebGpu();
    await import('@tensorflow/tfjs-backend-webgpu');
    return { tfjsName: 'webgpu', device };
  },
  'tfjs-node': async () => {
    await import(/* optional */ '@tensorflow/tfjs-node' as string);
    return { tfjsName: 'tensorflow', device: 'CPU (libtensorflow)' };
  },
  wasm: async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    useFastMatMulGradient();
    return { tfjsName: 'wasm', device: 'CPU (wasm, 1 thread)' };
  },
  cpu: async () => ({ tfjsName: 'cpu', device: 'CPU (JavaScript)' }),
};

export function parseBackendPreference(value: string): BackendPreference {
  if (value === 'auto' || (BACKEND_ORDER as readonly string[]).includes(value))
    return value as BackendPreference;
  throw new BackendError(
    'BACKEND_UNKNOWN',
    `unknown backend '${value}': use one of auto, ${BACKEND_ORDER.join(', ')}`,
  );
}

/**
 * Picks the first backend that loads and initialises, starting at `preference` ('auto' = the whole order).
 * An explicit preference that fails is an error, not a silent fallback: the user asked for it.
 */
export async function selectBackend(preference: BackendPreference = 'auto'): Promise<BackendInfo> {
  tf.env().set('PROD', true); // silences tfjs's console banner; swarmd reports the backend itself
  const candidates = preference === 'auto' ? [...BACKEND_ORDER] : [preference];
  const skipped: BackendInfo['skipped'] = [];
  for (const name of candidates) {
    try {
      const { tfjsName, device } = await loaders[name]();
      if (!(await tf.setBackend(tfjsName))) throw new Error(`tfjs could not initialise '${tfjsName}'`);
      await tf.ready();
      return { name, tfjsName, device, skipped };
    } catch (err) {
      skipped.push({ name, reason: errorLine(err) });
    }
  }
  const why = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  if (preference !== 'auto') throw new BackendError('BACKEND_UNAVAILABLE', `backend ${why}`);
  throw new BackendError(
    'BACKEND_UNAVAILABLE',
    `no usable tfjs backend (${why}); install @tensorflow/tfjs-node for native speed`,
  );
}
