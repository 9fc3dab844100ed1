/** A schedule cannot be computed or run as asked; the message names the schedule or expression. */
export class ScheduleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ScheduleError';
  }
}
