// Static checks of the StatefulSet: replicas, containers, ports, probes, anti-affinity, storage and the start-up logic.
import { lastDirective } from '../../config/redis-conf.ts';
import { fieldPath } from '../../model/field-path.ts';
import { labelSelectorMatches } from '../../model/label-selector.ts';
import { formatBytes, parseQuantity, parseRedisMemory } from '../../model/quantity.ts';
import { arr, confArgs, type Container, type Rec, rec, ref, show } from './manifest-helpers.ts';
import type { SuiteState } from './suite-state.ts';

// --- StatefulSet ------------------------------------------------------------------------------------------

/** The StatefulSet's checks: its shape, anti-affinity, each container's probes and resources, the memory headroom, the mounted config. */
export function statefulSetChecks(this: SuiteState): void {
  shapeChecks.call(this);
  antiAffinityCheck.call(this);
  containerChecks.call(this);
  memoryHeadroomCheck.call(this);
  configMountChecks.call(this);
}

/** It exists, with the seed's replicas, a selector matching its template, the seed's containers and ports. */
function shapeChecks(this: SuiteState): void {
  const s = this.seed;
  const spec = rec(this.sts.spec);
  const all = this.objects.filter((o) => o.kind === 'StatefulSet');
  this.add({
    name: 'statefulset.exists',
    valid: this.stsFound && this.sts.metadata.name === s.statefulSet,
    expected: `StatefulSet ${s.statefulSet}`,
    observed: all.length === 0 ? 'absent' : all.map(ref).join(', '),
    file: this.sts.__file,
    object: this.stsRef,
    field: 'metadata.name',
    explanation: `The seed runs redis as StatefulSet ${s.statefulSet} (pods ${s.statefulSet}-0…2 with stable DNS names).`,
  });
  this.add({
    name: 'statefulset.replicas',
    valid: this.replicas === s.replicas,
    expected: String(s.replicas),
    observed: show(spec.replicas),
    file: this.sts.__file,
    object: this.stsRef,
    field: 'spec.replicas',
    explanation: 'The seed: 3 pods, one master and two replicas, each with a sentinel; the quorum, the PDB and SENTINEL_HOSTS are sized for it.',
  });
  this.add({
    name: 'statefulset.selector',
    valid: labelSelectorMatches(spec.selector, this.podLabels),
    expected: `selects the pod template labels ${JSON.stringify(this.podLabels)}`,
    observed: show(spec.selector),
    file: this.sts.__file,
    object: this.stsRef,
    field: 'spec.selector',
    explanation: "The API server rejects a StatefulSet whose selector does not match its own pod template's labels.",
  });
  const containers = arr(this.podSpec.containers).map((c) => String(rec(c).name));
  const wanted = [s.redisContainer, s.sentinelContainer];
  const extra = containers.filter((c) => !wanted.includes(c));
  this.add({
    name: 'statefulset.containers',
    valid: wanted.every((w) => containers.filter((c) => c === w).length === 1) && extra.every((c) => c === s.labellerContainer),
    expected: `${wanted.join(', ')} (and the ${s.labellerContainer} sidecar)`,
    observed: containers.join(', ') || '(none)',
    file: this.sts.__file,
    object: this.stsRef,
    field: 'spec.template.spec.containers',
    explanation:
      'The seed pairs each redis with a sentinel sidecar in the same pod: one sentinel per pod is what makes the quorum arithmetic hold. ' +
      `The only other container is the ${s.labellerContainer}, which keeps the pod's ${s.roleLabel} label current for the client Service.`,
  });
  for (const [c, port] of [
    [this.redis, s.redisPort],
    [this.sentinel, s.sentinelPort],
  ] as const) {
    const ports = arr(c.spec.ports).map(rec);
    this.add({
      name: `statefulset.${c.name}.port`,
      valid: ports.some((p) => p.containerPort === port),
      expected: `containerPort ${port}`,
      observed: c.index < 0 ? `(no container ${c.name})` : ports.map((p) => show(p.containerPort)).join(', ') || '(none)',
      file: this.sts.__file,
      object: this.stsRef,
      field: this.cField(c, 'ports'),
      explanation: `The seed: ${c.name} on port ${port}; the Services target it and clients and sentinels connect to it.`,
    });
  }
}

/** Readiness and liveness probes, requests and a memory limit on redis and sentinel. */
function containerChecks(this: SuiteState): void {
  for (const c of [this.redis, this.sentinel]) {
    for (const kind of ['readinessProbe', 'livenessProbe'] as const) {
      const probe = rec(c.spec[kind]);
      const handler = ['exec', 'httpGet', 'tcpSocket', 'grpc'].find((h) => h in probe);
      this.add({
        name: `statefulset.${c.name}.${kind === 'readinessProbe' ? 'readiness' : 'liveness'}-probe`,
        valid: handler !== undefined,
        expected: `a ${kind} with a handler`,
        observed: c.spec[kind] === undefined ? '(absent)' : (handler ?? '(no handler)'),
        file: this.sts.__file,
        object: this.stsRef,
        field: this.cField(c, kind),
        explanation:
          kind === 'readinessProbe'
            ? `Without readiness the ${c.name} container counts as ready as soon as it starts: a rolling update or drain moves on before it serves, and the PDB counts pods that cannot help.`
            : `Without liveness a hung ${c.name} is never restarted.`,
      });
    }
    const res = rec(c.spec.resources);
    const requests = rec(res.requests);
    const missing = ['cpu', 'memory'].filter((r) => parseQuantity(requests[r]) === null);
    this.add({
      name: `statefulset.${c.name}.resource-requests`,
      valid: missing.length === 0,
      expected: 'requests.cpu and requests.memory',
      observed:
        Object.keys(requests).length === 0
          ? '(none)'
          : Object.entries(requests)
              .map(([k, v]) => `${k} ${show(v)}`)
              .join(', '),
      file: this.sts.__file,
      object: this.stsRef,
      field: this.cField(c, 'resources', 'requests'),
      explanation: 'Without requests the scheduler may pack the pod onto a node that cannot hold it, and it is the first to be evicted under pressure.',
    });
    const limit = rec(res.limits).memory;
    this.add({
      name: `statefulset.${c.name}.memory-limit`,
      valid: parseQuantity(limit) !== null,
      expected: 'limits.memory',
      observed: show(limit),
      file: this.sts.__file,
      object: this.stsRef,
      field: this.cField(c, 'resources', 'limits', 'memory'),
      explanation: 'A memory limit bounds what the container can take from its neighbours on the node.',
    });
  }
}

/** The redis memory limit leaves the seed's headroom over maxmemory. */
function memoryHeadroomCheck(this: SuiteState): void {
  const s = this.seed;
  const limit = parseQuantity(rec(rec(this.redis.spec.resources).limits).memory);
  const mm = lastDirective(this.redisConf.text, ['maxmemory']);
  const maxmemory = mm?.length === 1 ? parseRedisMemory(mm[0]!) : null;
  const floor = maxmemory === null ? null : maxmemory * (1 + s.memoryHeadroom);
  this.add({
    name: `statefulset.${this.redis.name}.memory-headroom`,
    valid: limit !== null && floor !== null && limit >= floor,
    expected:
      maxmemory === null
        ? '(needs a maxmemory in redis.conf)'
        : `≥ maxmemory ${confArgs(mm!)} + ${Math.round(s.memoryHeadroom * 100)}% = ${(floor! / 2 ** 20).toFixed(0)}Mi`,
    observed:
      limit === null
        ? show(rec(rec(this.redis.spec.resources).limits).memory)
        : `${formatBytes(limit)}${maxmemory ? ` (maxmemory ${limit >= maxmemory ? '+' : ''}${Math.round((limit / maxmemory - 1) * 100)}%)` : ''}`,
    file: this.sts.__file,
    object: this.stsRef,
    field: this.cField(this.redis, 'resources', 'limits', 'memory'),
    explanation:
      'Redis uses more than maxmemory (fragmentation, client and replication buffers, the AOF-rewrite fork): a limit at or below ' +
      'maxmemory gets the container OOM-killed before eviction starts, which is a failover.',
  });
}

/** Each container mounts the ConfigMaps holding its config and its start-up script. */
function configMountChecks(this: SuiteState): void {
  for (const c of [this.redis, this.sentinel]) {
    const script = this.scriptOf(c);
    const conf = c === this.redis ? this.redisConf : this.sentinelConf;
    const wantedCms = [conf.cm?.metadata.name, script?.cm.metadata.name].filter((n): n is string => n !== undefined);
    const mounted = this.mountedConfigMaps(c).map((m) => m.cm);
    const missingCm = wantedCms.filter((n) => !mounted.includes(n));
    this.add({
      name: `statefulset.${c.name}.config-mounted`,
      valid: conf.cm !== undefined && script !== undefined && missingCm.length === 0,
      expected: `ConfigMaps ${[...new Set(wantedCms)].join(', ') || '(its config and scripts)'} mounted`,
      observed:
        (mounted.length === 0 ? '(no ConfigMap mounted)' : `mounted: ${mounted.join(', ')}`) +
        (script ? '' : '; runs no script of a ConfigMap') +
        (conf.cm ? '' : `; no ConfigMap holds ${conf.key}`),
      file: this.sts.__file,
      object: this.stsRef,
      field: this.cField(c, 'volumeMounts'),
      explanation: `The ${c.name} container's configuration and start-up script come from ConfigMaps; what it does not mount, it does not run.`,
    });
  }
}

function antiAffinityCheck(this: SuiteState): void {
  const anti = rec(rec(this.podSpec.affinity).podAntiAffinity);
  const key = this.seed.antiAffinityTopologyKey;
  const preferred = arr(anti.preferredDuringSchedulingIgnoredDuringExecution).map((t) => rec(rec(t).podAffinityTerm));
  const required = arr(anti.requiredDuringSchedulingIgnoredDuringExecution).map(rec);
  const matches = (t: Rec) => t.topologyKey === key && labelSelectorMatches(t.labelSelector, this.podLabels);
  const ok = preferred.some(matches);
  this.add({
    name: 'statefulset.anti-affinity',
    valid: ok,
    expected: `preferred podAntiAffinity on ${key} selecting the pod labels ${JSON.stringify(this.podLabels)}`,
    observed: ok
      ? 'present'
      : required.some(matches)
        ? 'required (not preferred) anti-affinity'
        : preferred.length + required.length === 0
          ? '(no podAntiAffinity)'
          : `terms on ${[...preferred, ...required].map((t) => show(t.topologyKey)).join(', ')} not selecting the pods`,
    file: this.sts.__file,
    object: this.stsRef,
    field: 'spec.template.spec.affinity.podAntiAffinity',
    explanation:
      'The seed prefers one pod per node so that losing a node loses one redis and one sentinel, not the quorum; ' +
      'preferred (not required) so the pods still schedule on fewer than 3 nodes.',
  });
}

// --- storage ----------------------------------------------------------------------------------------------

export function storageChecks(this: SuiteState): void {
  const s = this.seed;
  const templates = arr(rec(this.sts.spec).volumeClaimTemplates).map(rec);
  const dataDir = this.setting(this.redis, 'DATA_DIR', s.dataDir);
  const mountAt = (c: Container, dir: string) =>
    arr(c.spec.volumeMounts)
      .map(rec)
      .find((m) => m.mountPath === dir);
  const claimNames = templates.map((t) => rec(t.metadata).name);
  const redisMount = mountAt(this.redis, dataDir);
  let index = templates.findIndex((t) => rec(t.metadata).name === redisMount?.name);
  if (index < 0) index = templates.length > 0 ? 0 : -1;
  const tmpl = rec(templates[index]);
  const tspec = rec(tmpl.spec);
  const where = (...rest: (string | number)[]) => ({
    file: this.sts.__file,
    object: this.stsRef,
    field: index < 0 ? 'spec.volumeClaimTemplates' : fieldPath(['spec', 'volumeClaimTemplates', index, 'spec', ...rest]),
  });
  const none = '(no volumeClaimTemplates: the data dies with the pod)';
  const size = rec(rec(tspec.resources).requests).storage;
  this.add({
    name: 'storage.size',
    valid: parseQuantity(size) !== null && parseQuantity(size) === parseQuantity(s.storage),
    expected: s.storage,
    observed: index < 0 ? none : show(size),
    ...where('resources', 'requests', 'storage'),
    explanation: 'The seed: a 10Gi volume per instance, room for the AOF of a 2 GB dataset and its rewrite.',
  });
  const modes = arr(tspec.accessModes);
  this.add({
    name: 'storage.access-modes',
    valid: modes.length === s.accessModes.length && s.accessModes.every((m) => modes.includes(m)),
    expected: JSON.stringify(s.accessModes),
    observed: index < 0 ? none : show(tspec.accessModes),
    ...where('accessModes'),
    explanation: 'Each pod owns its volume; ReadWriteOnce is what the standard storage class provides.',
  });
  this.add({
    name: 'storage.class',
    valid: tspec.storageClassName === s.storageClassName,
    expected: s.storageClassName,
    observed: index < 0 ? none : tspec.storageClassName === undefined ? '(absent: the cluster default class)' : show(tspec.storageClassName),
    ...where('storageClassName'),
    explanation: 'The seed requires a StorageClass named standard; another class may not exist, leaving the claims (and pods) Pending.',
  });
  for (const c of [this.redis, this.sentinel]) {
    const dir = this.setting(c, 'DATA_DIR', s.dataDir);
    const m = mountAt(c, dir);
    const ok = m !== undefined && claimNames.includes(m.name);
    this.add({
      name: `storage.${c.name}.mounted`,
      valid: ok,
      expected: `volumeClaimTemplate ${show(claimNames[0] ?? 'data')} mounted at ${dir}`,
      observed: ok ? `${show(m!.name)} at ${dir}` : m ? `${dir} holds volume ${show(m.name)}, not a volumeClaimTemplate` : `nothing mounted at ${dir}`,
      file: this.sts.__file,
      object: this.stsRef,
      field: this.cField(c, 'volumeMounts'),
      explanation:
        c === this.redis
          ? `Redis writes its AOF to ${dir} (DATA_DIR); unless the claim is mounted there, persistence ends with the container.`
          : `The sentinel keeps its config (myid, epochs, known peers) in ${dir}; on an ephemeral directory a restarted sentinel is a stranger to its peers.`,
    });
  }
}

// --- start-up logic ---------------------------------------------------------------------------------------

export function startupChecks(this: SuiteState): void {
  for (const c of [this.redis, this.sentinel]) {
    const script = this.scriptOf(c);
    const asks = script !== undefined && /^[^#\n]*\bSENTINEL\s+(get-master-addr-by-name|master)\b/im.test(script.withSourced);
    this.add({
      name: `startup.${c.name}.master-discovery`,
      valid: asks,
      expected: 'asks the sentinels for the master (SENTINEL master / get-master-addr-by-name) before choosing one',
      observed:
        script === undefined
          ? `(the ${c.name} container runs no script of a ConfigMap)`
          : asks
            ? `asked in ${[script.key, ...script.sourced].join(' + ')}`
            : `no SENTINEL master or get-master-addr-by-name in ${[script.key, ...script.sourced].join(' + ')}`,
      file: script?.cm.__file ?? this.sts.__file,
      object: script ? ref(script.cm) : this.stsRef,
      field: script ? fieldPath(['data', script.key]) : this.cField(c, 'command'),
      explanation:
        `After a failover the master is no longer ${this.sts.metadata.name}-0: a pod that assumes it by ordinal restarts as a second ` +
        "master (split brain, the seed's troubleshooting section). Text check: the call must appear in the script or a script it sources.",
    });
    const hosts = this.env(c, 'SENTINEL_HOSTS');
    const listed = typeof hosts?.v.value === 'string' ? hosts.v.value.split(/\s+/).filter(Boolean) : [];
    const expected = this.replicas === null ? [] : Array.from({ length: this.replicas }, (_, i) => this.podHost(i));
    this.add({
      name: `startup.${c.name}.sentinel-hosts`,
      valid: this.replicas !== null && listed.length === expected.length && expected.every((h) => listed.includes(h)),
      expected: this.replicas === null ? '(needs an integer spec.replicas)' : `${expected.length} hosts: ${expected.join(' ')}`,
      observed: hosts === undefined ? '(no SENTINEL_HOSTS env var)' : `${listed.length} hosts: ${listed.join(' ')}`,
      file: this.sts.__file,
      object: this.stsRef,
      field: hosts ? this.cField(c, 'env', hosts.index, 'value') : this.cField(c, 'env'),
      explanation:
        `The start scripts ask these sentinels for the master; they must be the ${show(this.replicas)} pods of spec.replicas: ` +
        'a host that does not exist costs every start-up a timeout, a pod left out is never asked.',
    });
    const podHost = this.env(c, 'POD_HOST');
    const podName = this.env(c, 'POD_NAME');
    const viaFieldRef =
      podName !== undefined && podHost !== undefined && podName.index < podHost.index && rec(rec(podName.v.valueFrom).fieldRef).fieldPath === 'metadata.name';
    const wantedHost = this.podHost(-1, '$(POD_NAME)');
    this.add({
      name: `startup.${c.name}.pod-host`,
      valid: viaFieldRef && podHost?.v.value === wantedHost,
      expected: `${wantedHost} with POD_NAME from fieldRef metadata.name (declared before)`,
      observed:
        podHost === undefined
          ? '(no POD_HOST env var)'
          : `${show(podHost.v.value)}${viaFieldRef ? '' : ' (POD_NAME not a preceding fieldRef to metadata.name)'}`,
      file: this.sts.__file,
      object: this.stsRef,
      field: podHost ? this.cField(c, 'env', podHost.index, 'value') : this.cField(c, 'env'),
      explanation:
        'Each pod announces itself under its headless-Service name and skips itself in SENTINEL_HOSTS by comparing with POD_HOST; ' +
        'a wrong name makes it ask itself or announce an unreachable address.',
    });
    const initial = this.env(c, 'INITIAL_MASTER_HOST');
    this.add({
      name: `startup.${c.name}.initial-master`,
      valid: initial?.v.value === this.podHost(0),
      expected: this.podHost(0),
      observed: initial === undefined ? '(no INITIAL_MASTER_HOST env var)' : show(initial.v.value),
      file: this.sts.__file,
      object: this.stsRef,
      field: initial ? this.cField(c, 'env', initial.index, 'value') : this.cField(c, 'env'),
      explanation: `On first boot, when no sentinel knows a master, every pod must pick the same one: the seed's initial master ${this.sts.metadata.name}-0.`,
    });
  }
}
