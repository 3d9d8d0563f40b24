import { describe, expect, it } from 'vitest';
import { DEBIAN_PYTHON, pythonMissing } from './python.js';
import { skipIfMissing } from './skip.js';

describe('pythonMissing', () => {
  it('names the failed import and carries its stderr', (ctx) => {
    skipIfMissing(ctx, pythonMissing());
    const reason = pythonMissing('swarmd_no_such_module');
    expect(reason).toContain(`${DEBIAN_PYTHON} -c 'import swarmd_no_such_module' failed (exit 1`);
    expect(reason).toContain("ModuleNotFoundError: No module named 'swarmd_no_such_module'");
    expect(reason).toContain('apt-get install python3 python3-swarmd_no_such_module');
  });

  it('says the interpreter is fine by returning undefined for a module it has', (ctx) => {
    skipIfMissing(ctx, pythonMissing());
    expect(pythonMissing('json')).toBeUndefined();
  });
});
