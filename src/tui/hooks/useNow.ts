// Wall-clock time that ticks on period boundaries only (a minute for the header clock,
// a few seconds for ages), so an idle cockpit writes almost nothing to the terminal.
import { createContext, useContext, useEffect, useState } from 'react';

export type Clock = () => number;

export const ClockContext = createContext<Clock>(Date.now);

export function useClock(): Clock {
  return useContext(ClockContext);
}

export const AGE_TICK_MS = 5_000;

export function useNow(periodMs: number): number {
  const clock = useClock();
  const [now, setNow] = useState(() => floorTo(clock(), periodMs));
  useEffect(() => {
    let timer: NodeJS.Timeout;
    const arm = (): void => {
      timer = setTimeout(() => {
        setNow(floorTo(clock(), periodMs));
        arm();
      }, periodMs - (clock() % periodMs) + 5);
    };
    setNow(floorTo(clock(), periodMs));
    arm();
    return () => clearTimeout(timer);
  }, [clock, periodMs]);
  return now;
}

function floorTo(t: number, period: number): number {
  return t - (t % period);
}
