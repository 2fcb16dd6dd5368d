// The order of a CA rotation, as data: a pure plan that a test can hold against the one rule that keeps every
// connection working, "whoever connects presents a certificate the other side trusts, and trusts the other
// side's" (redis, sentinel, the pods' own redis-cli calls and the harness's clients, at every step).

/** One step of the rotation. `pod` names the pod it acts on. */
export type CertStep =
  /** The TLS Secret's ca.crt: the old and the new CA, or the new one only. */
  | { op: 'secret-ca'; trust: 'both' | 'new' }
  /** What the harness's clients trust from their next handshake on. */
  | { op: 'clients-trust'; trust: 'both' | 'new' }
  /** CONFIG SET tls-ca-cert-file (its own path: Redis 7.0 reads the file again). */
  | { op: 'redis-reload-ca'; pod: string }
  /** Sentinel 7.0 cannot reload TLS files (neither CONFIG SET nor SENTINEL CONFIG SET takes them): restart its container. */
  | { op: 'sentinel-restart'; pod: string }
  /** A new certificate of the new CA, same names, into the Secret's <pod>.crt / <pod>.key. */
  | { op: 'pod-cert'; pod: string }
  /** CONFIG SET tls-cert-file tls-key-file. */
  | { op: 'redis-reload-cert'; pod: string }
  /** The client certificates (the harness's, the applications') of the new CA. */
  | { op: 'client-certs' };

export type CertPhase = 'bundle' | 'certificates' | 'retire';

/**
 * The rotation, pods in the order given (the caller puts the master last): 1. everyone trusts the old and the
 * new CA; 2. pod by pod, a certificate of the new CA (redis reloads it, the sentinel restarts with it), then the
 * clients'; 3. everyone trusts the new CA only. Sentinels restart one at a time: the others keep the quorum.
 */
export function certRotationPlan(pods: readonly string[]): Array<CertStep & { phase: CertPhase }> {
  const bundle: CertStep[] = [
    { op: 'secret-ca', trust: 'both' },
    { op: 'clients-trust', trust: 'both' },
    ...pods.map((pod): CertStep => ({ op: 'redis-reload-ca', pod })),
    ...pods.map((pod): CertStep => ({ op: 'sentinel-restart', pod })),
  ];
  const certificates: CertStep[] = [
    ...pods.flatMap((pod): CertStep[] => [
      { op: 'pod-cert', pod },
      { op: 'redis-reload-cert', pod },
      { op: 'sentinel-restart', pod },
    ]),
    { op: 'client-certs' },
  ];
  const retire: CertStep[] = [
    { op: 'secret-ca', trust: 'new' },
    ...pods.map((pod): CertStep => ({ op: 'redis-reload-ca', pod })),
    ...pods.map((pod): CertStep => ({ op: 'sentinel-restart', pod })),
    { op: 'clients-trust', trust: 'new' },
  ];
  return [
    ...bundle.map((s) => ({ ...s, phase: 'bundle' as const })),
    ...certificates.map((s) => ({ ...s, phase: 'certificates' as const })),
    ...retire.map((s) => ({ ...s, phase: 'retire' as const })),
  ];
}

type Ca = 'old' | 'new';
interface Party {
  presents: Ca;
  trusts: ReadonlySet<Ca>;
}

const BOTH: ReadonlySet<Ca> = new Set(['old', 'new']);
const trustOf = (t: 'both' | 'new'): ReadonlySet<Ca> => (t === 'both' ? BOTH : new Set(['new']));

/**
 * Walk `plan` from "everything on the old CA" and name every step after which some party could not make a
 * new connection to a server: redis and sentinel of every pod, the pod's own redis-cli calls (they read the
 * Secret's files at each call) and the harness's clients, each against every redis and sentinel. Empty: the
 * plan never breaks a handshake. Also names a plan that does not end on the new CA everywhere.
 */
export function handshakeBreaks(plan: readonly CertStep[], pods: readonly string[]): string[] {
  const old = (): Party => ({ presents: 'old', trusts: new Set(['old']) });
  const secret = { ca: new Set<Ca>(['old']) as ReadonlySet<Ca>, cert: new Map<string, Ca>(pods.map((p) => [p, 'old'])) };
  const parties = new Map<string, Party>();
  for (const p of pods) for (const c of ['redis', 'sentinel']) parties.set(`${p}/${c}`, old());
  parties.set('clients', old());
  // The pods' scripts read the Secret's files at every call.
  const scripts = (p: string): Party => ({ presents: secret.cert.get(p)!, trusts: secret.ca });
  const problems: string[] = [];
  plan.forEach((s, i) => {
    const label = `step ${i + 1} (${s.op}${'pod' in s ? ` ${s.pod}` : ''}${'trust' in s ? ` ${s.trust}` : ''})`;
    const set = (k: string, f: Partial<Party>) => parties.set(k, { ...parties.get(k)!, ...f });
    if (s.op === 'secret-ca') secret.ca = trustOf(s.trust);
    else if (s.op === 'clients-trust') set('clients', { trusts: trustOf(s.trust) });
    else if (s.op === 'redis-reload-ca') set(`${s.pod}/redis`, { trusts: secret.ca });
    else if (s.op === 'sentinel-restart') set(`${s.pod}/sentinel`, { trusts: secret.ca, presents: secret.cert.get(s.pod)! });
    else if (s.op === 'pod-cert') secret.cert.set(s.pod, 'new');
    else if (s.op === 'redis-reload-cert') set(`${s.pod}/redis`, { presents: secret.cert.get(s.pod)! });
    else set('clients', { presents: 'new' });
    const clients: Array<[string, Party]> = [...parties.entries(), ...pods.map((p): [string, Party] => [`${p}/redis-cli`, scripts(p)])];
    for (const [server, srv] of parties) {
      if (server === 'clients') continue;
      for (const [client, cl] of clients) {
        if (client === server) continue;
        if (!srv.trusts.has(cl.presents)) problems.push(`${label}: ${server} refuses ${client}'s certificate of the ${cl.presents} CA`);
        else if (!cl.trusts.has(srv.presents)) problems.push(`${label}: ${client} refuses ${server}'s certificate of the ${srv.presents} CA`);
      }
    }
  });
  const left = [...parties.entries(), ...pods.map((p): [string, Party] => [`${p}/redis-cli`, scripts(p)])].filter(
    ([, p]) => p.presents !== 'new' || p.trusts.has('old'),
  );
  if (left.length) problems.push(`at the end, not on the new CA only: ${left.map(([k]) => k).join(', ')}`);
  return problems;
}
