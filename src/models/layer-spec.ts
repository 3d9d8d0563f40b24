import { z } from 'zod';

/**
 * A site's own backbone (`arch: layers`): a small declarative list every site holds identically in the
 * swarm config. Dense layers are named `dense_1`, `dense_2`, … in the order they appear (or by `name`), so
 * `inr.layers` can put the lock into them; the task's output layer (`output`) follows the list.
 */
export const ACTIVATIONS = ['relu', 'tanh', 'sigmoid', 'elu', 'selu', 'softplus', 'linear'] as const;

export type LayerSpec =
  | { dense: number; name?: string }
  | { activation: (typeof ACTIVATIONS)[number] }
  | { dropout: number }
  | { layerNorm: true }
  | { residual: LayerSpec[] };

export const LayerSpecSchema: z.ZodType<LayerSpec> = z.lazy(() =>
  z.union([
    z
      .object({
        dense: z.number().int().min(1).max(65_536),
        name: z
          .string()
          .regex(/^[\w-]+$/)
          .optional(),
      })
      .strict(),
    z.object({ activation: z.enum(ACTIVATIONS) }).strict(),
    z.object({ dropout: z.number().min(0).lt(1) }).strict(),
    z.object({ layerNorm: z.literal(true) }).strict(),
    z.object({ residual: z.array(LayerSpecSchema).min(1) }).strict(),
  ]),
);

/** The dense layers' names, in order (what `inr.layers` and the L2 penalty may name). */
export function denseLayerNames(specs: LayerSpec[]): string[] {
  const names: string[] = [];
  walk(specs, (s) => {
    if ('dense' in s) names.push(s.name ?? `dense_${names.length + 1}`);
  });
  return names;
}

function walk(specs: LayerSpec[], visit: (s: LayerSpec) => void): void {
  for (const s of specs) {
    visit(s);
    if ('residual' in s) walk(s.residual, visit);
  }
}
