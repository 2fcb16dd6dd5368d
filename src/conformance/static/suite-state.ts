// What the static check groups read: the StatefulSet, its containers and config files located once, and the helpers to find and report on them.
import path from 'node:path';
import type { ManifestObject } from '../../config/manifests.ts';
import { lastDirective } from '../../config/redis-conf.ts';
import { fieldPath } from '../../model/field-path.ts';
import { asLabels, type Labels } from '../../model/label-selector.ts';
import { absent, arr, type ConfKey, type Container, intOf, type Rec, rec, ref } from './manifest-helpers.ts';
import type { SeedDesign } from './seed-design.ts';
import type { StaticCheck } from './static-check.ts';

export class SuiteState {
  readonly objects: readonly ManifestObject[];
  readonly seed: Readonly<SeedDesign>;
  readonly dir: string;
  readonly out: StaticCheck[] = [];

  readonly sts: ManifestObject;
  readonly stsFound: boolean;
  readonly namespace: string;
  readonly podSpec: Rec;
  readonly podLabels: Labels;
  readonly redis: Container;
  readonly sentinel: Container;
  /** spec.replicas (Kubernetes default 1), null when not an integer. */
  readonly replicas: number | null;
  readonly redisConf: ConfKey;
  readonly sentinelConf: ConfKey;

  constructor(objects: readonly ManifestObject[], seed: Readonly<SeedDesign>, dir: string) {
    this.objects = objects;
    this.seed = seed;
    this.dir = dir;
    const all = objects.filter((o) => o.kind === 'StatefulSet');
    const sts = all.find((o) => o.metadata.name === seed.statefulSet) ?? all[0];
    this.stsFound = sts !== undefined;
    this.sts = sts ?? absent('StatefulSet', seed.statefulSet, dir, seed.namespace);
    this.namespace = this.sts.metadata.namespace ?? 'default';
    const template = rec(rec(this.sts.spec).template);
    this.podSpec = rec(template.spec);
    this.podLabels = asLabels(rec(template.metadata).labels);
    const containers = arr(this.podSpec.containers).map(rec);
    const container = (name: string): Container => {
      const index = containers.findIndex((c) => c.name === name);
      return { name, index, spec: containers[index] ?? {} };
    };
    this.redis = container(seed.redisContainer);
    this.sentinel = container(seed.sentinelContainer);
    this.replicas = intOf(rec(this.sts.spec).replicas, 1);
    this.redisConf = this.findConf(this.redis, 'redis.conf', (t) => !/^\s*sentinel\s/m.test(t));
    this.sentinelConf = this.findConf(this.sentinel, 'sentinel.conf', (t) => /^\s*sentinel\s+monitor\s/m.test(t));
  }

  // --- helpers ---------------------------------------------------------------------------------------------

  add(c: Omit<StaticCheck, 'group'>): void {
    this.out.push({ group: 'static', ...c });
  }

  /** Field path inside the StatefulSet for a container (by index, or by name when missing). */
  cField(c: Container, ...rest: (string | number)[]): string {
    const base = `spec.template.spec.containers${c.index >= 0 ? `[${c.index}]` : `[name=${c.name}]`}`;
    const tail = fieldPath(rest);
    return tail === '' ? base : tail.startsWith('[') ? base + tail : `${base}.${tail}`;
  }

  get stsRef(): string {
    return ref(this.sts);
  }

  find(kind: string, name: string): ManifestObject | undefined {
    return this.objects.find((o) => o.kind === kind && o.metadata.name === name && (o.metadata.namespace ?? 'default') === this.namespace);
  }

  /** ConfigMap names mounted into a container (volumeMounts → pod volumes → configMap). */
  mountedConfigMaps(c: Container): { cm: string; mount: Rec }[] {
    const volumes = new Map(
      arr(this.podSpec.volumes)
        .map(rec)
        .map((v) => [v.name, rec(v.configMap).name]),
    );
    return arr(c.spec.volumeMounts)
      .map(rec)
      .flatMap((m) => {
        const cm = volumes.get(m.name);
        return typeof cm === 'string' ? [{ cm, mount: m }] : [];
      });
  }

  /** The config file a container reads: a key of a ConfigMap it mounts, else of any ConfigMap. */
  findConf(c: Container, key: string, looksRight: (text: string) => boolean): ConfKey {
    const cms = this.objects.filter((o) => o.kind === 'ConfigMap');
    const mounted = new Set(this.mountedConfigMaps(c).map((m) => m.cm));
    const candidates = [...cms.filter((o) => mounted.has(o.metadata.name)), ...cms.filter((o) => !mounted.has(o.metadata.name))];
    for (const exact of [true, false]) {
      for (const cm of candidates) {
        for (const [k, v] of Object.entries(rec(cm.data))) {
          if (typeof v !== 'string' || !k.endsWith('.conf') || (exact && k !== key) || !looksRight(v)) continue;
          return { cm, key: k, text: v };
        }
      }
    }
    return { cm: undefined, key, text: '' };
  }

  confWhere(conf: ConfKey, what: string): Pick<StaticCheck, 'file' | 'object' | 'field'> {
    return {
      file: conf.cm?.__file ?? this.dir,
      object: conf.cm ? ref(conf.cm) : `ConfigMap/(none holds ${conf.key})`,
      field: `${fieldPath(['data', conf.key])}: ${what}`,
    };
  }

  /** The script a container's command runs (a *.sh key of a ConfigMap) and every script it sources. */
  scriptOf(c: Container): { cm: ManifestObject; key: string; text: string; withSourced: string; sourced: string[] } | undefined {
    const words = [...arr(c.spec.command), ...arr(c.spec.args)].map(String);
    for (const cm of this.objects.filter((o) => o.kind === 'ConfigMap')) {
      const data = rec(cm.data);
      const key = words.map((w) => path.posix.basename(w)).find((w) => w.endsWith('.sh') && typeof data[w] === 'string');
      if (!key) continue;
      const seen = [key];
      for (let i = 0; i < seen.length; i++) {
        for (const m of String(data[seen[i]!]).matchAll(/^\s*(?:\.|source)\s+[^\n#;]*?([\w.-]+\.sh)\b/gm)) {
          if (typeof data[m[1]!] === 'string' && !seen.includes(m[1]!)) seen.push(m[1]!);
        }
      }
      return { cm, key, text: String(data[key]), withSourced: seen.map((k) => String(data[k])).join('\n'), sourced: seen.slice(1) };
    }
    return undefined;
  }

  env(c: Container, name: string): { index: number; v: Rec } | undefined {
    const list = arr(c.spec.env).map(rec);
    const index = list.findIndex((e) => e.name === name);
    return index >= 0 ? { index, v: list[index]! } : undefined;
  }

  /** The default a script gives a variable (`${VAR:=x}` or `${VAR:-x}`), unless the container sets it. */
  setting(c: Container, name: string, fallback: string): string {
    const v = this.env(c, name)?.v.value;
    if (typeof v === 'string') return v;
    const m = new RegExp(`\\$\\{${name}:?[=-]([^}]*)\\}`).exec(this.scriptOf(c)?.withSourced ?? '');
    return m ? m[1]! : fallback;
  }

  /** The DNS name of pod `ordinal` (or of the pod named `name`) through the governing headless Service. */
  podHost(ordinal: number, name = `${this.sts.metadata.name}-${ordinal}`): string {
    const headless = String(rec(this.sts.spec).serviceName ?? this.seed.headlessService);
    return `${name}.${headless}.${this.namespace}.svc.cluster.local`;
  }

  get majority(): number | null {
    return this.replicas === null ? null : Math.floor(this.replicas / 2) + 1;
  }

  get quorum(): number | null {
    const q = Number(lastDirective(this.sentinelConf.text, ['sentinel', 'monitor'])?.[3]);
    return Number.isInteger(q) ? q : null;
  }

  get masterName(): string {
    return lastDirective(this.sentinelConf.text, ['sentinel', 'monitor'])?.[0] ?? this.seed.masterName;
  }

  /** The start script must not override seed parameters it does not own (appended lines or server flags). */
  scriptKeeps(c: Container, directives: string[], name: string, confName: string): void {
    const script = this.scriptOf(c);
    const found: string[] = [];
    for (const m of (script?.text ?? '').matchAll(/^\s*echo\s+["']?([^"'\n]*)/gm)) {
      const line = m[1]!.trim().toLowerCase().replace(/\s+/g, ' ');
      for (const d of directives) if (line === d || line.startsWith(`${d} `)) found.push(m[1]!.trim());
    }
    for (const m of (script?.text ?? '').matchAll(/--([a-z-]+)/g)) {
      const flag = m[1]!.toLowerCase();
      if (directives.some((d) => d === flag)) found.push(`--${flag}`);
    }
    this.add({
      name,
      valid: script !== undefined && found.length === 0,
      expected: `no override of ${directives.join(', ')}`,
      observed: script === undefined ? `(the ${c.name} container runs no script of a ConfigMap)` : found.length === 0 ? 'none' : found.join('; '),
      file: script?.cm.__file ?? this.sts.__file,
      object: script ? ref(script.cm) : this.stsRef,
      field: script ? fieldPath(['data', script.key]) : this.cField(c, 'command'),
      explanation: `The ${confName} parameters checked here are what runs only if ${script?.key ?? 'the start script'} does not replace them when it writes the final config.`,
    });
  }
}
