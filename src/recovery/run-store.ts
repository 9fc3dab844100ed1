// What a recovery run keeps, and the port it is kept through (the shapes live with the
// catalog that stores them: catalog/run-records.ts; catalog/runs-repo.ts implements the port).
export type { NewRunMeta, RestoreSample, RunMeta, RunScopeHost, RunStore, StoredRun } from '../catalog/run-records.js';
