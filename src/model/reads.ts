// Session reads in a history: the value-carrying writes (SETEX) a client makes and the reads (GET) it makes back, on the master path and from replicas.
import type { OpType } from './history.ts';

/** A session write (SETEX), a read on the master path, or a read from a replica. */
export const READ_FS = { write: 'setex', read: 'read', replicaRead: 'replica-read' } as const;

/**
 * One line of such a history: `setex` invoke carries the value written; `read` / `replica-read` ok carries the
 * value read (null: the key was missing). Operations of one process on one key do not overlap (a session waits
 * for each reply), so an invoke is paired with the next completion of the same process, f and key.
 */
export interface ReadOp {
  process: string;
  type: OpType;
  f: string;
  key: string;
  ns: number;
  /** setex invoke: the value written; read ok: the value read, null when the key was missing. */
  value?: string | null;
  /** host:port that answered (ok only), when the client exposes it. */
  node?: string;
  error?: string;
}
