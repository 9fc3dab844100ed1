// The RTO forecast follows the runbook: restores at the measured rate, each host's checks
// as long as they took in its past runs, the plan's waits between groups — not bytes ÷
// throughput alone — and it names the steps it added up.
import { describe, expect, it } from 'vitest';
import { forecastRunRto } from '../../../src/recovery/objectives.js';
import { rtoForecastLine } from '../../../src/recovery/forecast-text.js';

const MiB = 1024 * 1024;
// restores measured at 100 MiB/s
const samples = [{ bytes: 200 * MiB, ms: 2000 }];

describe('RTO forecast of a plan', () => {
  it('adds the group wait and the measured checks to the restore time', () => {
    const shape = {
      groups: [
        { hosts: [{ name: 'db-01', bytes: 100 * MiB }], waitSeconds: 5 },
        { hosts: [{ name: 'web-01', bytes: 100 * MiB }], waitSeconds: 5 },
      ],
    };
    const f = forecastRunRto(shape, samples, (h) => (h === 'db-01' ? 1.4 : 0));
    // 1 s + 1.4 s checks + 5 s wait + 1 s (no wait after the last group)
    expect(f).toMatchObject({ restoreSeconds: 2, checkSeconds: 2, waitSeconds: 5, seconds: 9, bytes: 200 * MiB, basis: 'measured' });
    expect(f.criticalPath).toEqual([
      { step: 'restore db-01', seconds: 1 },
      { step: 'checks of db-01', seconds: 2 },
      { step: 'wait after group 1', seconds: 5 },
      { step: 'restore web-01', seconds: 1 },
    ]);
    expect(rtoForecastLine(f)).toBe('RTO forecast 9.0 s (200 MiB at 100 MiB/s, measured); critical path: restore db-01 1.0 s → checks of db-01 2.0 s → wait after group 1 5.0 s → restore web-01 1.0 s');
  });

  it('is bytes ÷ throughput for one host without past checks', () => {
    const f = forecastRunRto({ groups: [{ hosts: [{ name: 'h1', bytes: 300 * MiB }], waitSeconds: 0 }] }, samples, () => 0);
    expect(f).toMatchObject({ seconds: 3, checkSeconds: 0, waitSeconds: 0 });
  });
});
