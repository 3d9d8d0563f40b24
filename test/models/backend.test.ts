import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// Runs the built code (npm test builds dist/ first), each case in its own Node process: tfjs's backend registry and navigator.gpu are process-global.
// Whether this machine has a WebGPU adapter is asked of Dawn directly, apart from swarmd's code.
function node(script: string) {
  const res = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { code: res.status, stdout: res.stdout, stderr: res.stderr };
}

const probe = node(
  `const { create } = await import('webgpu'); console.log(Boolean(await create([]).requestAdapter()));`,
);
const hasAdapter = probe.stdout.trim() === 'true';
const select = (pref: string) =>
  node(
    `const { selectBackend } = await import('./dist/src/models/backend.js');
     try { console.log(JSON.stringify(await selectBackend('${pref}'))); }
     catch (e) { console.log(JSON.stringify({ error: e.code, message: e.message })); }`,
  );

describe('backend selection', () => {
  it('the webgpu package loads on this machine (optional dependency, installed here)', () => {
    expect(probe.code, probe.stderr).toBe(0);
    expect(['true', 'false']).toContain(probe.stdout.trim());
  });

  it.runIf(!hasAdapter)(
    '--backend webgpu without an adapter fails with an error that says what to do',
    () => {
      const r = select('webgpu');
      const out = JSON.parse(r.stdout) as { error: string; message: string };
      expect(out.error).toBe('BACKEND_UNAVAILABLE');
      expect(out.message).toContain('no WebGPU adapter: is a Vulkan driver installed? see README');
    },
  );

  it.runIf(!hasAdapter)('auto falls through webgpu to wasm and says why webgpu was skipped', () => {
    const out = JSON.parse(select('auto').stdout) as {
      name: string;
      device: string;
      skipped: { name: string; reason: string }[];
    };
    expect(out.name).toBe('wasm');
    expect(out.device).toMatch(/wasm/);
    const webgpu = out.skipped.find((s) => s.name === 'webgpu');
    expect(webgpu?.reason).toMatch(/no WebGPU adapter/);
    expect(out.skipped.map((s) => s.name)).toEqual(['tfjs-node-gpu', 'webgpu', 'tfjs-node']);
  });

  it.runIf(hasAdapter)('auto picks webgpu where an adapter exists and names it', () => {
    const out = JSON.parse(select('auto').stdout) as { name: string; device: string };
    expect(out.name).toBe('webgpu');
    expect(out.device.length).toBeGreaterThan(0);
  });
});
