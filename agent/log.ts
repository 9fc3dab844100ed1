// Structured log: JSON lines to a file in the data directory, and one line to stderr.
import fs from 'node:fs';
import path from 'node:path';

export type LogLevel = 'info' | 'warning' | 'error';
export type LogFn = (level: LogLevel, message: string, data?: Record<string, unknown>) => void;

export function fileLogger(dir: string, name: string, echo = true): LogFn {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.log`);
  return (level, message, data) => {
    const time = new Date().toISOString();
    fs.appendFileSync(file, JSON.stringify({ time, level, message, ...data }) + '\n');
    if (echo) process.stderr.write(`${time} ${level} ${message}\n`);
  };
}
