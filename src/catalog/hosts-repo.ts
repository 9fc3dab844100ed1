// Hosts and their volumes in the catalog: enrolment, tokens, fencing, and the volumes
// each agent's hello describes. Hosts are read through the in-memory copy of host-cache.ts.
import { HostCache } from './host-cache.js';
import { n, ns, s, type Raw, type Statements } from './columns.js';

export interface HostRow {
  id: number;
  name: string;
  tags: string[];
  tier: string | null;
  tokenHash: string | null;
  revoked: boolean;
  failedOver: boolean;
  createdAt: string;
}
export interface VolumeRow {
  id: number;
  hostId: number;
  name: string;
  path: string;
  size: number;
  blockSize: number;
}

function hostOf(r: Raw): HostRow {
  return {
    id: n(r.id),
    name: s(r.name),
    tags: JSON.parse(s(r.tags)) as string[],
    tier: ns(r.tier),
    tokenHash: ns(r.token_hash),
    revoked: r.revoked === 1,
    failedOver: r.failed_over === 1,
    createdAt: s(r.created_at),
  };
}
/** a row the host cache shares between callers: frozen, tags too */
function sharedHostOf(r: Raw): HostRow {
  const h = hostOf(r);
  Object.freeze(h.tags);
  return Object.freeze(h);
}
function volumeOf(r: Raw): VolumeRow {
  return { id: n(r.id), hostId: n(r.host_id), name: s(r.name), path: s(r.path), size: n(r.size), blockSize: n(r.block_size) };
}

export class HostsRepo {
  private readonly cache: HostCache<HostRow>;

  constructor(private readonly st: Statements) {
    this.cache = new HostCache(st.db, {
      all: () => (st.get('SELECT * FROM hosts ORDER BY name').all() as Raw[]).map(sharedHostOf),
      byName: (name) => {
        const r = st.get('SELECT * FROM hosts WHERE name = ?').get(name) as Raw | undefined;
        return r && sharedHostOf(r);
      },
      byId: (id) => {
        const r = st.get('SELECT * FROM hosts WHERE id = ?').get(id) as Raw | undefined;
        return r && sharedHostOf(r);
      },
    });
  }

  add(name: string, tags: string[], tier: string | null, tokenHash: string, now: string): HostRow {
    const info = this.st
      .get('INSERT INTO hosts (name, tags, tier, token_hash, created_at) VALUES (?, ?, ?, ?, ?)')
      .run(name, JSON.stringify(tags), tier, tokenHash, now);
    return this.byId(Number(info.lastInsertRowid))!;
  }
  /** A host named in the config: added without a token, or its tags and tier brought up to date. */
  upsertConfigured(name: string, tags: string[], tier: string | null, now: string): HostRow {
    const h = this.byName(name);
    if (!h) {
      this.st.get('INSERT INTO hosts (name, tags, tier, created_at) VALUES (?, ?, ?, ?)').run(name, JSON.stringify(tags), tier, now);
    } else {
      this.st.get('UPDATE hosts SET tags = ?, tier = ? WHERE id = ?').run(JSON.stringify(tags), tier, h.id);
    }
    return this.byName(name)!;
  }
  setToken(id: number, tokenHash: string): void {
    this.st.get('UPDATE hosts SET token_hash = ?, revoked = 0 WHERE id = ?').run(tokenHash, id);
  }
  revoke(id: number): void {
    this.st.get('UPDATE hosts SET revoked = 1 WHERE id = ?').run(id);
  }
  /** a failover fenced the host: backups are refused until an operator fails back */
  setFailedOver(id: number, failedOver: boolean): void {
    this.st.get('UPDATE hosts SET failed_over = ? WHERE id = ?').run(failedOver ? 1 : 0, id);
  }
  /** Hosts are read from a copy kept until the hosts table changes (host-cache.ts); the rows are frozen. */
  byName(name: string): HostRow | undefined {
    return this.cache.byName(name);
  }
  byId(id: number): HostRow | undefined {
    return this.cache.byId(id);
  }
  all(): readonly HostRow[] {
    return this.cache.all();
  }

  /** A volume as an agent's hello describes it; an unchanged row is not written again (no fsync per reconnect). */
  upsertVolume(hostId: number, name: string, path: string, size: number, blockSize: number): VolumeRow {
    const old = this.volume(hostId, name);
    if (old && old.path === path && old.size === size && old.blockSize === blockSize) return old;
    this.st
      .get(
        `INSERT INTO volumes (host_id, name, path, size, block_size) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (host_id, name) DO UPDATE SET path = excluded.path, size = excluded.size, block_size = excluded.block_size`,
      )
      .run(hostId, name, path, size, blockSize);
    return this.volume(hostId, name)!;
  }
  volume(hostId: number, name: string): VolumeRow | undefined {
    const r = this.st.get('SELECT * FROM volumes WHERE host_id = ? AND name = ?').get(hostId, name) as Raw | undefined;
    return r && volumeOf(r);
  }
  volumeById(id: number): VolumeRow | undefined {
    const r = this.st.get('SELECT * FROM volumes WHERE id = ?').get(id) as Raw | undefined;
    return r && volumeOf(r);
  }
  volumesOf(hostId: number): VolumeRow[] {
    return (this.st.get('SELECT * FROM volumes WHERE host_id = ? ORDER BY name').all(hostId) as Raw[]).map(volumeOf);
  }
}
