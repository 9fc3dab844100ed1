// Numbered migrations, applied in order at start inside one transaction each.
// Never edit a landed migration: add the next number.
export const MIGRATIONS: { version: number; sql: string }[] = [
  {
    version: 1,
    sql: `
CREATE TABLE hosts (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  tags TEXT NOT NULL DEFAULT '[]',
  tier TEXT,
  token_hash TEXT,
  revoked INTEGER NOT NULL DEFAULT 0,
  failed_over INTEGER NOT NULL DEFAULT 0,
  created_at TEXT NOT NULL
);
CREATE TABLE volumes (
  id INTEGER PRIMARY KEY,
  host_id INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
  name TEXT NOT NULL,
  path TEXT NOT NULL DEFAULT '',
  size INTEGER NOT NULL DEFAULT 0,
  block_size INTEGER NOT NULL DEFAULT 65536,
  UNIQUE (host_id, name)
);
CREATE TABLE packs (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  size INTEGER NOT NULL,
  created_at TEXT NOT NULL
);
CREATE TABLE chunks (
  hash BLOB PRIMARY KEY,
  pack_id INTEGER NOT NULL REFERENCES packs(id),
  offset INTEGER NOT NULL,
  length INTEGER NOT NULL,
  raw_length INTEGER NOT NULL,
  codec INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX chunks_pack ON chunks(pack_id);
CREATE TABLE jobs (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  host_id INTEGER NOT NULL REFERENCES hosts(id),
  volumes TEXT NOT NULL DEFAULT '[]',
  type TEXT,
  state TEXT NOT NULL,
  priority INTEGER NOT NULL DEFAULT 5,
  origin TEXT NOT NULL DEFAULT '',
  params TEXT NOT NULL DEFAULT '{}',
  created_at TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  error TEXT,
  bytes_wire INTEGER NOT NULL DEFAULT 0,
  bytes_new INTEGER NOT NULL DEFAULT 0,
  bytes_total INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX jobs_state ON jobs(state);
CREATE TABLE points (
  id INTEGER PRIMARY KEY,
  volume_id INTEGER NOT NULL REFERENCES volumes(id),
  job_id INTEGER REFERENCES jobs(id),
  time TEXT NOT NULL,
  type TEXT NOT NULL,
  parent_id INTEGER REFERENCES points(id),
  size INTEGER NOT NULL,
  block_size INTEGER NOT NULL,
  block_count INTEGER NOT NULL,
  changed_blocks INTEGER NOT NULL,
  bytes_new INTEGER NOT NULL,
  merkle_root TEXT NOT NULL,
  manifest BLOB NOT NULL,
  verified_at TEXT
);
CREATE INDEX points_volume ON points(volume_id, id);
CREATE TABLE events (
  id INTEGER PRIMARY KEY,
  time TEXT NOT NULL,
  level TEXT NOT NULL,
  kind TEXT NOT NULL,
  host TEXT,
  message TEXT NOT NULL,
  data TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE audit (
  id INTEGER PRIMARY KEY,
  time TEXT NOT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  target TEXT,
  outcome TEXT NOT NULL,
  details TEXT NOT NULL DEFAULT '{}'
);
`,
  },
  {
    // scheduling and store maintenance (Step 3): when each schedule last fired (catch-up
    // across restarts), per-point verification results, and indexes for point chains,
    // schedule origins and garbage collection
    version: 2,
    sql: `
CREATE TABLE schedule_state (
  name TEXT PRIMARY KEY,
  since TEXT NOT NULL,
  last_fired_at TEXT,
  last_due_at TEXT,
  last_missed INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE verify_results (
  id INTEGER PRIMARY KEY,
  job_id INTEGER REFERENCES jobs(id),
  point_id INTEGER NOT NULL,
  host TEXT NOT NULL,
  volume TEXT NOT NULL,
  time TEXT NOT NULL,
  sample_pct REAL NOT NULL,
  chunks_checked INTEGER NOT NULL,
  ok INTEGER NOT NULL,
  problems TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX verify_results_job ON verify_results(job_id);
CREATE INDEX points_parent ON points(parent_id);
CREATE INDEX jobs_origin ON jobs(origin, id);
`,
  },
  {
    // alarms and notifications (Step 4): alarm lifecycle, delivery log, metric history
    // downsampled to three resolutions, link health, and an optional host token expiry
    version: 3,
    sql: `
CREATE TABLE alarms (
  id INTEGER PRIMARY KEY,
  key TEXT NOT NULL,
  rule TEXT NOT NULL,
  level TEXT NOT NULL,
  host TEXT,
  subject TEXT,
  state TEXT NOT NULL,
  message TEXT NOT NULL,
  value REAL,
  fired_at TEXT NOT NULL,
  last_fired_at TEXT NOT NULL,
  count INTEGER NOT NULL DEFAULT 1,
  flapping INTEGER NOT NULL DEFAULT 0,
  sla_due_at TEXT,
  sla_breached INTEGER NOT NULL DEFAULT 0,
  acked_at TEXT,
  acked_by TEXT,
  ack_note TEXT,
  resolved_at TEXT,
  resolved_by TEXT,
  resolve_note TEXT
);
CREATE INDEX alarms_key ON alarms(key, state);
CREATE INDEX alarms_state ON alarms(state, id);
CREATE TABLE alarm_deliveries (
  id INTEGER PRIMARY KEY,
  alarm_id INTEGER REFERENCES alarms(id) ON DELETE CASCADE,
  channel TEXT NOT NULL,
  transition TEXT NOT NULL,
  attempt INTEGER NOT NULL,
  time TEXT NOT NULL,
  ok INTEGER NOT NULL,
  error TEXT
);
CREATE INDEX alarm_deliveries_alarm ON alarm_deliveries(alarm_id, id);
CREATE TABLE metric_samples (
  host TEXT NOT NULL,
  metric TEXT NOT NULL,
  resolution INTEGER NOT NULL,
  bucket INTEGER NOT NULL,
  sum REAL NOT NULL,
  n INTEGER NOT NULL,
  max REAL NOT NULL,
  PRIMARY KEY (host, metric, resolution, bucket)
) WITHOUT ROWID;
CREATE INDEX metric_samples_age ON metric_samples(resolution, bucket);
ALTER TABLE hosts ADD COLUMN token_expires_at TEXT;
`,
  },
  {
    // drills and failovers (Step 5): one row per run, one per runbook step with its
    // timestamps, so an interrupted run resumes from its last completed step; reports
    // are rendered from these rows
    version: 4,
    sql: `
CREATE TABLE recovery_runs (
  id INTEGER PRIMARY KEY,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  plan TEXT,
  point_spec TEXT NOT NULL,
  scope TEXT NOT NULL,
  target TEXT NOT NULL,
  gates TEXT NOT NULL DEFAULT '[]',
  forecast TEXT NOT NULL DEFAULT '{}',
  params TEXT NOT NULL DEFAULT '{}',
  operator TEXT NOT NULL,
  ssh TEXT,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  verdict TEXT,
  verdict_by TEXT,
  notes TEXT,
  issues TEXT NOT NULL DEFAULT '[]',
  error TEXT,
  expires_at TEXT,
  cleaned_at TEXT
);
CREATE INDEX recovery_runs_state ON recovery_runs(state);
CREATE TABLE recovery_steps (
  run_id INTEGER NOT NULL REFERENCES recovery_runs(id) ON DELETE CASCADE,
  idx INTEGER NOT NULL,
  kind TEXT NOT NULL,
  host TEXT,
  volume TEXT,
  title TEXT NOT NULL,
  policy TEXT NOT NULL,
  wait_seconds INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL,
  started_at TEXT,
  finished_at TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  detail TEXT,
  error TEXT,
  result TEXT NOT NULL DEFAULT '{}',
  PRIMARY KEY (run_id, idx)
) WITHOUT ROWID;
`,
  },
  {
    // operators (Step 13): named tokens with a role, stored hashed; the audit log is
    // append-only (no update or delete gets through) and read by time
    version: 5,
    sql: `
CREATE TABLE operators (
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL UNIQUE,
  role TEXT NOT NULL,
  token_hash TEXT NOT NULL UNIQUE,
  created_at TEXT NOT NULL,
  created_by TEXT NOT NULL,
  expires_at TEXT,
  revoked_at TEXT,
  last_used_at TEXT
);
CREATE INDEX audit_time ON audit(time);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
`,
  },
  {
    // storage beyond one disk (Step 9): the object each point was stored as, which copies
    // hold which points, and every copy run
    version: 6,
    sql: `
CREATE TABLE point_objects (
  point_id INTEGER PRIMARY KEY REFERENCES points(id) ON DELETE CASCADE,
  name TEXT NOT NULL UNIQUE
);
CREATE TABLE copy_points (
  copy TEXT NOT NULL,
  point_id INTEGER NOT NULL REFERENCES points(id) ON DELETE CASCADE,
  copied_at TEXT NOT NULL,
  PRIMARY KEY (copy, point_id)
) WITHOUT ROWID;
CREATE TABLE copy_runs (
  id INTEGER PRIMARY KEY,
  copy TEXT NOT NULL,
  origin TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  state TEXT NOT NULL,
  points INTEGER NOT NULL DEFAULT 0,
  packs INTEGER NOT NULL DEFAULT 0,
  bytes INTEGER NOT NULL DEFAULT 0,
  error TEXT
);
CREATE INDEX copy_runs_copy ON copy_runs(copy, id);
`,
  },
  {
    // data you can trust (Step 8): chunks that failed their hash or went missing, whether
    // each point relies on one, and what has been proven about each point
    version: 8,
    sql: `
CREATE TABLE damaged_chunks (
  hash BLOB PRIMARY KEY,
  found_at TEXT NOT NULL,
  detail TEXT NOT NULL
) WITHOUT ROWID;
ALTER TABLE points ADD COLUMN damaged INTEGER NOT NULL DEFAULT 0;
ALTER TABLE points ADD COLUMN verified_fraction REAL;
ALTER TABLE points ADD COLUMN provenance TEXT NOT NULL DEFAULT '{}';
`,
  },
  {
    // suspicious change (Step 8): each point's change rate (new blocks / all blocks), the share
    // of those that did not compress, and whether it stands far outside its volume's baseline
    version: 9,
    sql: `
ALTER TABLE points ADD COLUMN change_rate REAL;
ALTER TABLE points ADD COLUMN incompressible_share REAL;
ALTER TABLE points ADD COLUMN suspect INTEGER NOT NULL DEFAULT 0;
`,
  },
  {
    // maintenance runs itself (Step 8): the record of each automatic run, and the one way old
    // audit entries may go: retention writes its cutoff to audit_retention in the same
    // transaction as its delete, and the trigger lets only rows older than that cutoff go
    version: 10,
    sql: `
CREATE TABLE maintenance_runs (
  id INTEGER PRIMARY KEY,
  origin TEXT NOT NULL,
  started_at TEXT NOT NULL,
  finished_at TEXT,
  state TEXT NOT NULL,
  summary TEXT NOT NULL DEFAULT '{}',
  error TEXT
);
CREATE INDEX events_time ON events(time);
CREATE TABLE audit_retention (cutoff TEXT NOT NULL);
DROP TRIGGER audit_no_delete;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
WHEN NOT EXISTS (SELECT 1 FROM audit_retention WHERE OLD.time < audit_retention.cutoff)
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
`,
  },
  {
    // a copy's own retention (Step 9): what each copy holds, kept apart from the hub's points
    // (a copy may keep a point the hub has pruned) with the packs each held point needs there;
    // points the copy's keep rules let go are marked pruned in copy_points, not copied again
    version: 13,
    sql: `
CREATE TABLE copy_held (
  copy TEXT NOT NULL,
  object TEXT NOT NULL,
  point_id INTEGER,
  host TEXT NOT NULL,
  volume TEXT NOT NULL,
  time TEXT NOT NULL,
  copied_at TEXT NOT NULL,
  retain_until TEXT,
  PRIMARY KEY (copy, object)
) WITHOUT ROWID;
CREATE TABLE copy_held_packs (
  copy TEXT NOT NULL,
  object TEXT NOT NULL,
  pack TEXT NOT NULL,
  PRIMARY KEY (copy, object, pack)
) WITHOUT ROWID;
CREATE INDEX copy_held_packs_pack ON copy_held_packs(copy, pack);
ALTER TABLE copy_points ADD COLUMN pruned_at TEXT;
ALTER TABLE copy_runs ADD COLUMN pruned INTEGER NOT NULL DEFAULT 0;
ALTER TABLE copy_runs ADD COLUMN note TEXT;
`,
  },
  {
    // the way back (Step 11): where a point was taken — at the primary site, or by an agent
    // running at the DR site on the recovered image while the host is failed over
    version: 15,
    sql: `
ALTER TABLE points ADD COLUMN site TEXT NOT NULL DEFAULT 'primary';
`,
  },
];
