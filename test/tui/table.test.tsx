import React from 'react';
import chalk from 'chalk';
import { afterEach, describe, expect, it } from 'vitest';
import { render } from 'ink-testing-library';
import { Table, columnWidths, scrollOffset, type Column } from '../../src/tui/components/Table.js';

interface Row { id: number; name: string }
const COLUMNS: Column<Row>[] = [
  { key: 'id', title: 'ID', width: 6, align: 'right', cell: (r) => String(r.id) },
  { key: 'name', title: 'NAME', width: 8, flex: 1, cell: (r) => r.name },
];
const rows = (n: number): Row[] => Array.from({ length: n }, (_, i) => ({ id: i, name: `row-${i}` }));
const level = chalk.level;
afterEach(() => { chalk.level = level; });

describe('Table', () => {
  it('renders a header with the sort indicator and right-aligned cells', () => {
    const { lastFrame } = render(<Table columns={COLUMNS} rows={rows(3)} rowKey={(r) => String(r.id)}
      width={40} height={5} selected={0} sort={{ key: 'name', descending: true }} />);
    const lines = lastFrame()!.split('\n');
    expect(lines[0]).toMatch(/^\s+ID NAME▼/);
    expect(lines[1]).toBe('     0 row-0');
    expect(lines).toHaveLength(5); // the table always fills its height
  });

  it('highlights the selected row', () => {
    chalk.level = 1;
    const { lastFrame } = render(<Table columns={COLUMNS} rows={rows(3)} rowKey={(r) => String(r.id)}
      width={40} height={5} selected={1} />);
    const lines = lastFrame()!.split('\n');
    expect(lines[2]).toContain('\x1b[7m');
    expect(lines[1]).not.toContain('\x1b[7m');
  });

  it('renders only the visible rows of 10 000, quickly, and scrolls to the selection', () => {
    const many = rows(10_000);
    const start = performance.now();
    const { lastFrame, rerender } = render(<Table columns={COLUMNS} rows={many} rowKey={(r) => String(r.id)}
      width={40} height={11} selected={0} />);
    expect(performance.now() - start).toBeLessThan(500);
    const frame = lastFrame()!;
    expect(frame.split('\n')).toHaveLength(11);
    expect(frame).toContain('row-9');
    expect(frame).not.toContain('row-10');
    rerender(<Table columns={COLUMNS} rows={many} rowKey={(r) => String(r.id)} width={40} height={11} selected={5000} />);
    expect(lastFrame()).toContain('row-5000');
    expect(lastFrame()!.split('\n').some((l) => /\brow-0\s*$/.test(l))).toBe(false);
  });

  it('shows an empty message when there are no rows', () => {
    const { lastFrame } = render(<Table columns={COLUMNS} rows={[]} rowKey={(r) => String(r.id)}
      width={40} height={5} selected={-1} empty="nothing here" />);
    expect(lastFrame()).toContain('nothing here');
  });

  it('gives flex columns the spare width and scrolls as little as possible', () => {
    expect(columnWidths(COLUMNS, 40)).toEqual([6, 33]);
    expect(scrollOffset(0, 12, 10, 100)).toBe(3);
    expect(scrollOffset(3, 5, 10, 100)).toBe(3);
    expect(scrollOffset(3, 1, 10, 100)).toBe(1);
    expect(scrollOffset(50, 99, 10, 20)).toBe(10);
  });
});
