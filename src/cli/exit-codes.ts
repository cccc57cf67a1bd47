/** Exit codes mean one thing each (ESLint's convention). */
export const ExitCode = {
  /** Clean: nothing at or above the threshold. */
  Ok: 0,
  /** Findings at or above --fail-on. */
  Findings: 1,
  /** Bad usage, bad config, or unreadable or damaged input. */
  BadInput: 2,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
