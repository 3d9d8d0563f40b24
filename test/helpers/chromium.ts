import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { PLOT_COLOURS } from '../../src/node/status/index.js';

/** The system Chromium the dashboard tests drive; they skip, saying so, where it is not installed. */
export const CHROMIUM = '/usr/bin/chromium';
/** Why the browser tests cannot run here (their skip note), or undefined when they can. */
export const chromiumMissing = existsSync(CHROMIUM)
  ? undefined
  : `${CHROMIUM} is absent (apt-get install chromium)`;

/** Headless, sandbox-less (containers), and quiet: nothing but the page under test goes on the network. */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Pixels of a canvas within ±40 per channel of each colour (default: the dashboard's plot colours, which
 * only the plot lines, their dots and legend swatches use).
 */
export async function countColourPixels(
  page: Page,
  canvasId: string,
  colours: Record<string, string> = PLOT_COLOURS,
): Promise<Record<string, number>> {
  return page.evaluate(
    ({ id, colours }) => {
      const canvas = document.getElementById(id) as HTMLCanvasElement;
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      const counts: Record<string, number> = {};
      for (const [name, hex] of Object.entries(colours)) {
        const rgb = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
        let n = 0;
        for (let p = 0; p < data.length; p += 4) {
          if (rgb.every((c, k) => Math.abs(data[p + k] - c) <= 40)) n++;
        }
        counts[name] = n;
      }
      return counts;
    },
    { id: canvasId, colours },
  );
}
