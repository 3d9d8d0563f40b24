import * as tf from '@tensorflow/tfjs';
import { SwarmdError } from '../core/index.js';

/** Backends in order of preference. wasm before cpu: measured 5.8x faster training here (bench/). */
export const BACKEND_ORDER = ['tfjs-node-gpu', 'tfjs-node', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_ORDER)[number];
export type BackendPreference = BackendName | 'auto';

export interface BackendInfo {
  /** The swarmd name of the backend in use. */
  name: BackendName;
  /** tfjs's own name for it (`tensorflow`, `wasm`, `cpu`). */
  tfjsName: string;
  /** Backends tried before this one and why each was not used. */
  skipped: { name: BackendName; reason: string }[];
}

export class BackendError extends SwarmdError {}

type Loader = () => Promise<string>;

// Native bindings register the `tensorflow` backend on import; their install step downloads libtensorflow,
// so on most machines the import fails and we fall through.
const loaders: Record<BackendName, Loader> = {
  'tfjs-node-gpu': async () => {
    await import(/* optional */ '@tensorflow/tfjs-node-gpu' as string);
    return 'tensorflow';
  },
  'tfjs-node': async () => {
    await import(/* optional */ '@tensorflow/tfjs-node' as string);
    return 'tensorflow';
  },
  wasm: async () => {
    await import('@tensorflow/tfjs-backend-wasm');
    return 'wasm';
  },
  cpu: async () => 'cpu',
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
      const tfjsName = await loaders[name]();
      if (!(await tf.setBackend(tfjsName))) throw new Error(`tfjs could not initialise '${tfjsName}'`);
      await tf.ready();
      return { name, tfjsName, skipped };
    } catch (err) {
      skipped.push({ name, reason: firstLine(err) });
    }
  }
  const why = skipped.map((s) => `${s.name}: ${s.reason}`).join('; ');
  throw new BackendError(
    'BACKEND_UNAVAILABLE',
    `no usable tfjs backend (${why}); run with --backend auto, or install @tensorflow/tfjs-node for native speed`,
  );
}

function firstLine(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  return msg.split('\n')[0].slice(0, 200);
}
