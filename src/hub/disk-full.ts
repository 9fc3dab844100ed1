// "Database or disk is full" and ENOSPC, told apart from other failures: the hub fails the
// job in flight and raises `store-full` instead of closing the agent or exiting.
export function isDiskFull(e: unknown): boolean {
  const code = (e as { code?: unknown } | null)?.code;
  return code === 'SQLITE_FULL' || code === 'ENOSPC' || code === 'EDQUOT';
}
