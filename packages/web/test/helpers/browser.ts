import { existsSync, mkdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/**
 * Helpers for the browser tests: Debian's Chromium through playwright-core
 * (never a downloaded browser), the built web client, screenshots for
 * docs/screenshots, and console-error collection.
 */
const here = dirname(fileURLToPath(import.meta.url));
export const WEB_ROOT = join(here, '..', '..');
export const WEB_DIST = join(WEB_ROOT, 'dist');
export const REPO_ROOT = join(WEB_ROOT, '..', '..');
export const SCREENSHOTS = join(REPO_ROOT, 'docs', 'screenshots');
export const CHROMIUM = process.env.PARLEY_CHROMIUM ?? '/usr/bin/chromium';

/** Build the client unless a build is there (the root `npm test` builds it first). */
export function ensureBuilt(): void {
  if (existsSync(join(WEB_DIST, 'index.html'))) return;
  const r = spawnSync('npm', ['run', 'build', '-w', '@parley/web'], { cwd: REPO_ROOT, stdio: 'inherit', timeout: 120_000 });
  if (r.status !== 0) throw new Error('building the web client failed');
}

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    timeout: 30_000,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update',
      '--disable-sync', '--no-first-run', '--disable-dev-shm-usage'],
  });
}

export interface Tab { ctx: BrowserContext; page: Page; name: string }

/** Console errors and uncaught exceptions of every page, to assert none at the end. */
export class ConsoleWatch {
  readonly errors: string[] = [];

  watch(page: Page, name: string): void {
    page.on('console', (m) => { if (m.type() === 'error') this.errors.push(`${name}: ${m.text()}`); });
    page.on('pageerror', (e) => this.errors.push(`${name}: uncaught ${e.message}`));
  }
}

export async function newTab(browser: Browser, watch: ConsoleWatch, name: string, viewport = { width: 1180, height: 760 }): Promise<Tab> {
  const ctx = await browser.newContext({ viewport, locale: 'en-US', timezoneId: 'UTC' });
  ctx.setDefaultTimeout(10_000);
  const page = await ctx.newPage();
  watch.watch(page, name);
  return { ctx, page, name };
}

export async function shot(page: Page, file: string): Promise<void> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  await page.mouse.move(1, 1); // no hover actions in the picture
  await page.screenshot({ path: join(SCREENSHOTS, file) });
}

/** A small valid PNG (a colour gradient), made here so the test needs no fixture files. */
export function makePng(width: number, height: number): Buffer {
  const raw = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    raw[row] = 0;
    for (let x = 0; x < width; x++) {
      raw[row + 1 + x * 3] = Math.round((x / width) * 255);
      raw[row + 2 + x * 3] = 90;
      raw[row + 3 + x * 3] = Math.round((y / height) * 255);
    }
  }
  const crcTable = Array.from({ length: 256 }, (_, n) => {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    return c >>> 0;
  });
  const crc = (buf: Buffer) => {
    let c = 0xffffffff;
    for (const b of buf) c = crcTable[(c ^ b) & 0xff]! ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  };
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc(td));
    return Buffer.concat([len, td, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 2; ihdr[10] = 0; ihdr[11] = 0; ihdr[12] = 0;
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0)),
  ]);
}
