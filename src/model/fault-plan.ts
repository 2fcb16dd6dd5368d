// What a fault would do on a target, for --dry-run: the action on the victim and its heal.

/** Targets a fault can describe its plan for (the kind and kube targets share the Kubernetes wording). */
export type PlanTarget = 'kube';

export interface FaultPlan {
  /** Who the fault hits ("master", "every pod", …). */
  victim: string;
  /** What the harness would do, in the target's own terms. */
  action: string;
  /** How it would be undone ("none" when nothing is left to undo). */
  heal: string;
}
