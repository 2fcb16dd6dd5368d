// Static checks of the Kubernetes objects: namespace membership, schema, Services, routing to the master, PodDisruptionBudget.
import type { ManifestObject } from '../../config/manifests.ts';
import { fieldPath } from '../../model/field-path.ts';
import { labelSelectorMatches, serviceSelectorMatches } from '../../model/label-selector.ts';
import { validateSchema } from '../k8s-schema.ts';
import { absent, arr, CLUSTER_SCOPED, type Container, rec, ref, show } from './manifest-helpers.ts';
import type { SuiteState } from './suite-state.ts';

// --- namespace -------------------------------------------------------------------------------------------

export function namespaceChecks(this: SuiteState): void {
  const ns = this.objects.find((o) => o.kind === 'Namespace' && o.metadata.name === this.seed.namespace);
  this.add({
    name: 'namespace.exists',
    valid: ns !== undefined,
    expected: `Namespace ${this.seed.namespace}`,
    observed: ns
      ? 'present'
      : `absent (namespaces: ${
          this.objects
            .filter((o) => o.kind === 'Namespace')
            .map((o) => o.metadata.name)
            .join(', ') || 'none'
        })`,
    file: ns?.__file ?? this.dir,
    object: `Namespace/${this.seed.namespace}`,
    field: 'metadata.name',
    explanation: 'The seed deploys everything into namespace matrix; without the Namespace object the apply fails on a fresh cluster.',
  });
  for (const o of this.objects) {
    if (CLUSTER_SCOPED.has(o.kind)) continue;
    const observed = o.metadata?.namespace;
    this.add({
      name: 'namespace.membership',
      valid: observed === this.seed.namespace,
      expected: this.seed.namespace,
      observed: observed === undefined ? '(absent: whatever namespace kubectl defaults to)' : show(observed),
      file: o.__file,
      object: ref(o),
      field: 'metadata.namespace',
      explanation: `Every namespaced object of the deployment belongs in ${this.seed.namespace}: Services select, PDBs protect and secretKeyRefs resolve only within one namespace.`,
    });
  }
}

// --- schema ----------------------------------------------------------------------------------------------

export function schemaChecks(this: SuiteState): void {
  for (const o of this.objects) {
    const { __file, ...plain } = o;
    const r = validateSchema(plain);
    const what = `${String(o.apiVersion)} ${String(o.kind)}`;
    this.add({
      name: 'schema',
      valid: r.status === 'valid',
      expected: `valid ${what} (Kubernetes OpenAPI schema)`,
      observed:
        r.status === 'valid'
          ? 'valid'
          : r.status === 'no-schema'
            ? `no offline schema for ${what}`
            : `${r.violation.message}${r.violation.others > 0 ? ` (and violations at ${r.violation.others} other field${r.violation.others === 1 ? '' : 's'})` : ''}`,
      file: __file,
      object: ref(o),
      field: r.status === 'invalid' ? r.violation.field : r.status === 'no-schema' ? 'apiVersion, kind' : '(object)',
      explanation:
        r.status === 'no-schema'
          ? `The API server would reject an unknown apiVersion/kind; if it is real, add its kubernetes-models class to src/conformance/k8s-schema.ts.`
          : 'The object must be accepted by the Kubernetes API (types, required fields, formats such as quantities); the first violation is shown.',
    });
  }
}

// --- Services ---------------------------------------------------------------------------------------------

export function serviceChecks(this: SuiteState): void {
  const s = this.seed;
  const headless = this.find('Service', s.headlessService) ?? absent('Service', s.headlessService, this.dir, this.namespace);
  const client = this.find('Service', s.clientService) ?? absent('Service', s.clientService, this.dir, this.namespace);
  const hs = rec(headless.spec);
  const cs = rec(client.spec);
  const at = (o: ManifestObject, field: string) => ({ file: o.__file, object: ref(o), field });
  const isAbsent = (o: ManifestObject) => o.apiVersion === '';
  this.add({
    name: 'statefulset.service-name',
    valid: rec(this.sts.spec).serviceName === s.headlessService,
    expected: s.headlessService,
    observed: show(rec(this.sts.spec).serviceName),
    file: this.sts.__file,
    object: this.stsRef,
    field: 'spec.serviceName',
    explanation:
      'The pods get their stable DNS names (redis-0.redis-headless…) from the governing headless Service; the scripts and sentinels address each other by them.',
  });
  this.add({
    name: 'service.headless.cluster-ip',
    valid: !isAbsent(headless) && hs.clusterIP === 'None',
    expected: 'None',
    observed: isAbsent(headless) ? `(no Service ${s.headlessService} in ${this.namespace})` : show(hs.clusterIP),
    ...at(headless, 'spec.clusterIP'),
    explanation: 'Only a headless Service gives each pod its own DNS record.',
  });
  this.add({
    name: 'service.headless.publish-not-ready-addresses',
    valid: hs.publishNotReadyAddresses === true,
    expected: 'true',
    observed: isAbsent(headless) ? '(no Service)' : show(hs.publishNotReadyAddresses),
    ...at(headless, 'spec.publishNotReadyAddresses'),
    explanation:
      "A starting pod asks its peers' sentinels for the master before it is ready (and a replica waiting for its link is not ready); " +
      `without publishNotReadyAddresses their names do not resolve and a restarted pod falls back to assuming ${this.sts.metadata.name}-0.`,
  });
  const hsel = hs.selector;
  this.add({
    name: 'service.headless.selector',
    valid: serviceSelectorMatches(hsel, this.podLabels),
    expected: `selects the pod labels ${JSON.stringify(this.podLabels)} of ${this.stsRef}`,
    observed: isAbsent(headless) ? '(no Service)' : show(hsel),
    ...at(headless, 'spec.selector'),
    explanation: 'A Service whose selector does not match the pods has no endpoints.',
  });
  const csel = cs.selector;
  const master = { ...this.podLabels, [s.roleLabel]: s.masterRole };
  const replica = { ...this.podLabels, [s.roleLabel]: s.replicaRole };
  const selectsMaster = serviceSelectorMatches(csel, master);
  const selectsReplica = serviceSelectorMatches(csel, replica);
  this.add({
    name: 'service.client.selector',
    valid: selectsMaster && !selectsReplica,
    expected: `selects the master pod only: ${JSON.stringify(master)}, not ${s.roleLabel}: ${s.replicaRole}`,
    observed: isAbsent(client)
      ? '(no Service)'
      : `${show(csel)}${!selectsMaster ? ' (selects no master pod)' : selectsReplica ? ' (selects the replicas too)' : ''}`,
    ...at(client, 'spec.selector'),
    explanation:
      `Applications write through ${s.clientService}:${s.redisPort}. A selector matching every pod sends two new connections in three to a replica, ` +
      `whose writes fail with READONLY; the ${s.labellerContainer} sidecar keeps ${s.roleLabel} on the current master.`,
  });
  const type = cs.type ?? 'ClusterIP';
  this.add({
    name: 'service.client.type',
    valid: !isAbsent(client) && type === 'ClusterIP' && cs.clusterIP !== 'None',
    expected: 'ClusterIP with a cluster IP',
    observed: isAbsent(client) ? `(no Service ${s.clientService} in ${this.namespace})` : `${show(type)}${cs.clusterIP === 'None' ? ', clusterIP None' : ''}`,
    ...at(client, 'spec.type'),
    explanation: 'The seed exposes redis inside the cluster only (no LoadBalancer or NodePort), at redis.matrix.svc.cluster.local:6379.',
  });
  const redisPorts = arr(this.redis.spec.ports).map(rec);
  const ports = arr(cs.ports).map(rec);
  const pi = ports.findIndex((p) => p.port === s.redisPort);
  const target = ports[pi]?.targetPort ?? s.redisPort;
  const resolves =
    typeof target === 'number'
      ? redisPorts.some((p) => p.containerPort === target && target === s.redisPort)
      : redisPorts.some((p) => p.name === target && p.containerPort === s.redisPort);
  this.add({
    name: 'service.client.port',
    valid: pi >= 0 && resolves,
    expected: `port ${s.redisPort} → the redis container's ${s.redisPort}`,
    observed:
      pi < 0
        ? `ports ${ports.map((p) => show(p.port)).join(', ') || '(none)'}`
        : `port ${s.redisPort} → targetPort ${show(target)}${resolves ? '' : ' (no such redis container port)'}`,
    ...at(client, pi < 0 ? 'spec.ports' : fieldPath(['spec', 'ports', pi, 'targetPort'])),
    explanation: "Applications connect to the Service on 6379 (the seed's connection strings).",
  });
}

// --- Service routing to the master -------------------------------------------------------------------------

export function routingChecks(this: SuiteState): void {
  const s = this.seed;
  const containers = arr(this.podSpec.containers).map(rec);
  const li = containers.findIndex((c) => c.name === s.labellerContainer);
  const labeller: Container = { name: s.labellerContainer, index: li, spec: containers[li] ?? {} };
  const script = li >= 0 ? this.scriptOf(labeller) : undefined;
  const text = script?.withSourced ?? '';
  const missing = [
    [text.includes(s.roleLabel) || this.setting(labeller, 'ROLE_LABEL', '') === s.roleLabel, `the label ${s.roleLabel}`],
    [/^[^#\n]*\bROLE\b/m.test(text), 'ROLE (the replication role it reports)'],
    [/^[^#\n]*PATCH\b/m.test(text) && /\/api\/v1\/namespaces\//.test(text), 'a PATCH of its pod through /api/v1/namespaces/<ns>/pods/<name>'],
    [/serviceaccount|\bSA_DIR\b/.test(text) && /token/.test(text), "the ServiceAccount's token"],
  ]
    .filter(([ok]) => !ok)
    .map(([, what]) => what as string);
  this.add({
    name: 'routing.labeller',
    valid: li >= 0 && script !== undefined && missing.length === 0,
    expected: `a ${s.labellerContainer} container running a script of a ConfigMap that asks its redis for ROLE and patches its pod's ${s.roleLabel}`,
    observed:
      li < 0
        ? `(no container ${s.labellerContainer})`
        : script === undefined
          ? '(it runs no script of a ConfigMap)'
          : missing.length === 0
            ? `${[script.key, ...script.sourced].join(' + ')} does`
            : `${script.key} lacks ${missing.join(', ')}`,
    file: script?.cm.__file ?? this.sts.__file,
    object: script ? ref(script.cm) : this.stsRef,
    field: script ? fieldPath(['data', script.key]) : li >= 0 ? this.cField(labeller, 'command') : 'spec.template.spec.containers',
    explanation: `The client Service selects ${s.roleLabel}: ${s.masterRole}; without a process that moves the label on failover the Service keeps sending writes to the old master. Text check of the script.`,
  });

  const saName = typeof this.podSpec.serviceAccountName === 'string' ? this.podSpec.serviceAccountName : 'default';
  const sa = this.find('ServiceAccount', saName);
  const automount = this.podSpec.automountServiceAccountToken ?? rec(sa).automountServiceAccountToken;
  this.add({
    name: 'routing.service-account',
    valid: sa !== undefined && automount !== false,
    expected: 'spec.template.spec.serviceAccountName naming a ServiceAccount of the manifests, its token mounted',
    observed:
      sa === undefined ? `ServiceAccount ${saName} is not in the manifests` : automount === false ? `${saName}, automountServiceAccountToken false` : saName,
    file: this.sts.__file,
    object: this.stsRef,
    field: 'spec.template.spec.serviceAccountName',
    explanation: `The ${s.labellerContainer} authenticates to the API with the pod's ServiceAccount token; the namespace's default account must not be granted pod patches.`,
  });

  const roles = this.objects.filter((o) => o.kind === 'Role' && (o.metadata.namespace ?? 'default') === this.namespace);
  const grants = (role: ManifestObject) =>
    arr(role.rules)
      .map(rec)
      .some((r) => {
        const has = (k: string, v: string) =>
          arr(r[k])
            .map(String)
            .some((x) => x === v || x === '*');
        return has('apiGroups', '') && has('resources', 'pods') && has('verbs', 'get') && has('verbs', 'patch');
      });
  const bindings = this.objects.filter((o) => o.kind === 'RoleBinding' && (o.metadata.namespace ?? 'default') === this.namespace);
  const bound = bindings.find((b) => {
    const rr = rec(b.roleRef);
    const role = roles.find((r) => rr.kind === 'Role' && r.metadata.name === rr.name);
    const subject = arr(b.subjects)
      .map(rec)
      .some((x) => x.kind === 'ServiceAccount' && x.name === saName && (x.namespace ?? this.namespace) === this.namespace);
    return role !== undefined && grants(role) && subject;
  });
  const granting = roles.filter(grants).map(ref);
  this.add({
    name: 'routing.rbac',
    valid: bound !== undefined,
    expected: `a RoleBinding of ServiceAccount ${saName} to a Role allowing get and patch on pods in ${this.namespace}`,
    observed: bound
      ? `${ref(bound)} → ${String(rec(bound.roleRef).name)}`
      : granting.length === 0
        ? `no Role in ${this.namespace} allows get and patch on pods`
        : `${granting.join(', ')} not bound to ServiceAccount ${saName}`,
    file: bound?.__file ?? roles[0]?.__file ?? this.dir,
    object: bound ? ref(bound) : 'RoleBinding/(none)',
    field: 'roleRef, subjects',
    explanation: 'Without the grant the API answers 403 to every label patch: the label never moves and the Service routes to a stale master or to none.',
  });

  const sentinelServices = this.objects.filter(
    (o) =>
      o.kind === 'Service' &&
      (o.metadata.namespace ?? 'default') === this.namespace &&
      rec(o.spec).clusterIP !== 'None' &&
      arr(rec(o.spec).ports)
        .map(rec)
        .some((p) => p.port === s.sentinelPort),
  );
  const restricted = sentinelServices.filter((o) => !serviceSelectorMatches(rec(o.spec).selector, this.podLabels));
  const named = sentinelServices.find((o) => o.metadata.name === s.sentinelService);
  this.add({
    name: 'service.sentinel.selector',
    valid: named !== undefined && restricted.length === 0,
    expected: `Service ${s.sentinelService} on ${s.sentinelPort} selecting every pod ${JSON.stringify(this.podLabels)}, and no Service exposing ${s.sentinelPort} on fewer pods`,
    observed:
      sentinelServices.length === 0
        ? `no Service exposes ${s.sentinelPort}`
        : sentinelServices.map((o) => `${ref(o)} ${show(rec(o.spec).selector)}${restricted.includes(o) ? ' (not every pod)' : ''}`).join('; '),
    file: (restricted[0] ?? named)?.__file ?? this.dir,
    object: (restricted[0] ?? named) ? ref((restricted[0] ?? named)!) : `Service/${s.sentinelService}`,
    field: 'spec.selector',
    explanation:
      "Sentinel-aware clients need the sentinels of every pod; behind the master-only Service they would reach one sentinel, the one that dies with the master's pod.",
  });
}

// --- PodDisruptionBudget ----------------------------------------------------------------------------------

export function pdbChecks(this: SuiteState): void {
  const s = this.seed;
  const pdbs = this.objects.filter((o) => o.kind === 'PodDisruptionBudget');
  const pdb =
    pdbs.find((p) => labelSelectorMatches(rec(p.spec).selector, this.podLabels, true)) ??
    pdbs[0] ??
    absent('PodDisruptionBudget', s.statefulSet, this.dir, this.namespace);
  const spec = rec(pdb.spec);
  const at = (field: string) => ({ file: pdb.__file, object: ref(pdb), field });
  const missing = pdb.apiVersion === '';
  const scaled = (v: unknown): number | null => {
    if (this.replicas === null) return null;
    if (typeof v === 'number' && Number.isInteger(v)) return v;
    const m = typeof v === 'string' ? /^(\d+)%$/.exec(v) : null;
    return m ? Math.ceil((Number(m[1]) * this.replicas) / 100) : null;
  };
  const minAvailable =
    spec.minAvailable !== undefined
      ? scaled(spec.minAvailable)
      : spec.maxUnavailable !== undefined && scaled(spec.maxUnavailable) !== null
        ? this.replicas! - scaled(spec.maxUnavailable)!
        : null;
  const field = spec.minAvailable === undefined && spec.maxUnavailable !== undefined ? 'spec.maxUnavailable' : 'spec.minAvailable';
  const observedMin = missing
    ? '(no PodDisruptionBudget)'
    : spec.minAvailable !== undefined
      ? `minAvailable ${show(spec.minAvailable)}`
      : spec.maxUnavailable !== undefined
        ? `maxUnavailable ${show(spec.maxUnavailable)} (= minAvailable ${show(minAvailable)})`
        : '(neither minAvailable nor maxUnavailable)';
  this.add({
    name: 'pdb.min-available',
    valid: spec.minAvailable === s.pdbMinAvailable,
    expected: `minAvailable ${s.pdbMinAvailable}`,
    observed: observedMin,
    ...at('spec.minAvailable'),
    explanation: 'The seed: at least 2 pods stay available during voluntary disruptions (drains, upgrades).',
  });
  this.add({
    name: 'pdb.allows-drain',
    valid: minAvailable !== null && this.replicas !== null && minAvailable < this.replicas,
    expected: `< ${show(this.replicas)} (spec.replicas of ${this.stsRef})`,
    observed: observedMin,
    ...at(field),
    explanation: 'With minAvailable ≥ replicas no pod may ever be evicted: every node drain and cluster upgrade blocks on this budget.',
  });
  const needed = this.quorum === null || this.majority === null ? null : Math.max(this.quorum, this.majority);
  this.add({
    name: 'pdb.keeps-quorum',
    valid: minAvailable !== null && needed !== null && minAvailable >= needed,
    expected:
      needed === null ? '(needs an integer quorum and spec.replicas)' : `≥ ${needed} (max of quorum ${this.quorum} and the sentinel majority ${this.majority})`,
    observed: observedMin,
    ...at(field),
    explanation: 'Each evicted pod takes a sentinel with it: a budget below the quorum lets a drain leave too few sentinels to fail over.',
  });
  this.add({
    name: 'pdb.selector',
    valid: !missing && labelSelectorMatches(spec.selector, this.podLabels, true),
    expected: `selects the pod labels ${JSON.stringify(this.podLabels)} of ${this.stsRef}`,
    observed: missing ? '(no PodDisruptionBudget)' : show(spec.selector),
    ...at('spec.selector'),
    explanation: 'A budget whose selector misses the pods protects nothing.',
  });
}
