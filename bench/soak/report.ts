/** Prints a soak's result (figures as JSON, then each site's log verdict, then one verdict line); sets the exit code. */
export function reportSoak(
  name: string,
  r: { ok: boolean; problems: string[]; logVerdicts: string[] },
  passed: string,
): void {
  console.log(JSON.stringify({ ...r, logVerdicts: undefined }, null, 2));
  for (const v of r.logVerdicts) console.log(v);
  console.log(r.ok ? `${name} passed: ${passed}` : `${name} FAILED: ${r.problems.join('; ')}`);
  process.exitCode = r.ok ? 0 : 1;
}
