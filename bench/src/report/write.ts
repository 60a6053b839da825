import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { markdown } from './markdown.js';
import { svgPlot } from './svg.js';
import type { RunReport } from './types.js';

/** bench/results/<timestamp>-<mode>.{json,md,svg}, plus latest-<mode>.* copies for docs to link. */
export function writeReport(outDir: string, rep: RunReport): string[] {
  mkdirSync(outDir, { recursive: true });
  const stamp = rep.started_at.replace(/[:]/g, '').replace(/\..*$/, '');
  const base = `${stamp}-${rep.mode}`;
  const files: Record<string, string> = {
    json: JSON.stringify(rep, null, 2) + '\n',
    md: markdown(rep),
    svg: svgPlot(rep),
  };
  const written: string[] = [];
  for (const [ext, body] of Object.entries(files)) {
    for (const name of [`${base}.${ext}`, `latest-${rep.mode}.${ext}`]) {
      writeFileSync(join(outDir, name), body);
      written.push(join(outDir, name));
    }
  }
  return written.filter((f) => !f.includes('latest-'));
}
