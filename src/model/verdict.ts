// A trial's, scenario's or conformance group's verdict.

export type Verdict = 'pass' | 'fail' | 'unknown' | 'skipped';
