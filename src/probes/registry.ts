// Every probe kind, one line each; index.ts builds the scenario's `probes:` schema from them.
export { execProbe } from './exec.ts';
export { httpProbe } from './http.ts';
export { promqlProbe } from './promql.ts';
