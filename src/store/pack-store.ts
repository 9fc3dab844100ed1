// The asynchronous object store a repository lives in (packs, point objects, key files,
// the repository config, the owner lock). One small interface; backends register in
// registry.ts. Names are '/'-separated keys such as `packs/<name>` or `keys/<id>`.

/** What a stored object is, as the backend sees it. */
export interface ObjectStat {
  name: string;
  size: number;
}

/** Options of a create-only write. */
export interface PutOptions {
  signal?: AbortSignal;
  /** keep the object until this time: S3 Object Lock (compliance) or a read-only file */
  retainUntil?: Date;
}

export interface PackStore {
  /** how the store is shown to users: a directory path or s3://bucket/prefix */
  readonly location: string;
  /** whether reading is a local file read (no cache needed) */
  readonly local: boolean;
  /** size a pack is sealed at before it is stored (local 64 MiB, object stores 16 MiB) */
  readonly packTargetBytes: number;

  /**
   * Store `bytes` under `name`, create-only: when the object exists the call fails with
   * ObjectExistsError and the stored object is unchanged (where the server supports
   * conditional writes; elsewhere the store checks first). On success the object is
   * durable (fsynced / acknowledged by the server) and reads return exactly `bytes`.
   * A failed or aborted put leaves no object under `name`, or a complete one.
   */
  put(name: string, bytes: Buffer, o?: PutOptions): Promise<void>;

  /**
   * Store a local file under `name`, create-only, like put; large files are sent in parts.
   * A local store may take the file over (rename) when `move` is set.
   */
  putFile(name: string, file: string, o?: PutOptions & { move?: boolean }): Promise<void>;

  /**
   * `length` bytes of `name` from `offset` (the whole object when both are omitted).
   * Fails with ObjectMissingError when there is no such object; returns fewer bytes only
   * when the object ends first.
   */
  get(name: string, offset?: number, length?: number, signal?: AbortSignal): Promise<Buffer>;

  /** Write the whole object to a local file (atomically: a temp name renamed last). */
  download(name: string, file: string, signal?: AbortSignal): Promise<void>;

  /** Every object whose name starts with `prefix`, in no particular order. */
  list(prefix: string, signal?: AbortSignal): Promise<ObjectStat[]>;

  /** Remove an object; a missing one is not an error. Refused while it is retained. */
  delete(name: string, signal?: AbortSignal): Promise<void>;

  /** The object's size, or null when it does not exist. */
  stat(name: string, signal?: AbortSignal): Promise<ObjectStat | null>;

  /** The local path of a pack (local stores only): restores and verify read it in place. */
  localPath?(name: string): string;

  close(): void;
}

export class ObjectExistsError extends Error {
  constructor(where: string) {
    super(`${where} already exists (objects are never overwritten)`);
    this.name = 'ObjectExistsError';
  }
}

export class ObjectMissingError extends Error {
  constructor(where: string) {
    super(`${where} does not exist`);
    this.name = 'ObjectMissingError';
  }
}

/** Object names of a repository. */
export const OBJECT = {
  config: 'config',
  lock: 'lock',
  key: (id: string) => `keys/${id}`,
  pack: (name: string) => `packs/${name}`,
  point: (name: string) => `points/${name}`,
} as const;
