// Takes docs/playground.png: a Poisson run on counts, then a Gaussian run on the separated toy data, in headless
// Chromium. Run after `pnpm build`: `node scripts/screenshot.mjs` (CHROMIUM_PATH overrides /usr/bin/chromium).
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { serveStatic, WEB_ROOT } from '../dist/serve.js';

const out = fileURLToPath(new URL('../docs/playground.png', import.meta.url));
const server = await serveStatic(WEB_ROOT);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
  args: ['--no-sandbox', '--headless=new', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1300, height: 1000 } });
  await page.goto(server.url);
  const train = async (id) => {
    await page.click('#train');
    await page.waitForSelector(`#runs tr[data-run="${id}"][data-status="completed"], body[data-state="error"]`, {
      timeout: 120_000,
    });
    if ((await page.getAttribute('body', 'data-state')) === 'error') throw new Error(await page.textContent('#status'));
  };
  await page.selectOption('#dataset', 'counts');
  await train(1);
  await page.selectOption('#dataset', 'toy2d-separated');
  await train(2);
  await page.waitForFunction(() => document.querySelectorAll('.chart canvas').length >= 4);
  await page.waitForTimeout(500); // let the last redraw land
  await page.screenshot({ path: out, fullPage: true });
  console.log(`wrote ${out}`);
} finally {
  await browser.close();
  await server.close();
}
