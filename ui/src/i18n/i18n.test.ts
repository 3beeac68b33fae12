import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DICTS } from './index';
import { zhCN } from './zh-CN';

const placeholders = (s: string) => [...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]).sort();

describe('translations', () => {
  it('both languages have the same keys and placeholders', () => {
    const zh = DICTS['zh-CN'];
    const en = DICTS.en;
    expect(Object.keys(en).sort()).toEqual(Object.keys(zh).sort());
    for (const k of Object.keys(zh) as (keyof typeof zhCN)[]) {
      expect(placeholders(en[k]), k).toEqual(placeholders(zh[k]));
      expect(en[k].trim(), k).not.toBe('');
    }
  });
  it('components hold no hard-coded Chinese text', () => {
    const dir = join(__dirname, '..');
    const files: string[] = [];
    const walk = (d: string) => readdirSync(d).forEach((f) => {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.includes('i18n') && !p.includes('backend')) files.push(p);
    });
    walk(dir);
    expect(files.length).toBeGreaterThan(5);
    for (const f of files) {
      const src = readFileSync(f, 'utf8').replace(/\/\/.*$/gm, '');
      expect(src.match(/[\u4e00-\u9fff]/g), f).toBeNull();
    }
  });
  it('every key used in a component exists', () => {
    const dir = join(__dirname, '..');
    const used = new Set<string>();
    const walk = (d: string) => readdirSync(d).forEach((f) => {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (p.endsWith('.ts') && !p.endsWith('.test.ts') && !p.includes('i18n')) for (const m of readFileSync(p, 'utf8').matchAll(/\bt\('([\w.]+)'/g)) used.add(m[1]);
    });
    walk(dir);
    const missing = [...used].filter((k) => !(k in zhCN));
    expect(missing).toEqual([]);
  });
});
