// The harness's own name and version, read from package.json.
import { readFileSync } from 'node:fs';
import path from 'node:path';

const pkg = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '../package.json'), 'utf8')) as { name: string; version: string };

export const HARNESS = { name: pkg.name, version: pkg.version } as const;
