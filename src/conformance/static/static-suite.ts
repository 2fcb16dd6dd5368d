// The static check suite: runs every group of checks in order and turns a group that throws into a failed check.
import { passwordChecks, redisChecks, sentinelChecks } from './config-checks.ts';
import { namespaceChecks, pdbChecks, routingChecks, schemaChecks, serviceChecks } from './object-checks.ts';
import { startupChecks, statefulSetChecks, storageChecks } from './stateful-set-checks.ts';
import type { StaticCheck } from './static-check.ts';
import { SuiteState } from './suite-state.ts';

/** Runs every group of static checks over the objects; a group that throws becomes a failed `<group>.evaluation` check. */
export class StaticSuite extends SuiteState {
  run(): StaticCheck[] {
    const sections: [string, () => void][] = [
      ['namespace', () => namespaceChecks.call(this)],
      ['schema', () => schemaChecks.call(this)],
      ['sentinel', () => sentinelChecks.call(this)],
      ['redis', () => redisChecks.call(this)],
      ['password', () => passwordChecks.call(this)],
      ['statefulset', () => statefulSetChecks.call(this)],
      ['storage', () => storageChecks.call(this)],
      ['service', () => serviceChecks.call(this)],
      ['routing', () => routingChecks.call(this)],
      ['pdb', () => pdbChecks.call(this)],
      ['startup', () => startupChecks.call(this)],
    ];
    for (const [name, section] of sections) {
      try {
        section();
      } catch (err) {
        // A bug in a check must not hide the others, nor pass silently.
        this.add({
          name: `${name}.evaluation`,
          valid: false,
          expected: 'the checks to run',
          observed: `threw: ${err instanceof Error ? err.message : String(err)}`,
          file: this.dir,
          object: '(suite)',
          field: '(none)',
          explanation: `The ${name} checks could not be evaluated on these manifests.`,
        });
      }
    }
    return this.out;
  }
}
