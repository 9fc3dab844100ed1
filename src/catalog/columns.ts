// Reading SQLite column values into typed rows, and the prepared statements of one connection.
import type Database from 'better-sqlite3';

export type Db = Database.Database;
export type Raw = Record<string, unknown>;

export const s = (v: unknown): string => String(v);
export const n = (v: unknown): number => Number(v);
export const ns = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
export const nn = (v: unknown): number | null => (v === null || v === undefined ? null : Number(v));

/** Statements of one connection, compiled once and reused by every repository that shares it. */
export class Statements {
  private readonly cache = new Map<string, Database.Statement>();
  constructor(readonly db: Db) {}

  get(sql: string): Database.Statement {
    let st = this.cache.get(sql);
    if (!st) {
      st = this.db.prepare(sql);
      this.cache.set(sql, st);
    }
    return st;
  }
}
