/** Reports one start-up step: a line when it begins (with detail, if any), and its time when it ends. */
export type BootStep = <T>(name: string, run: () => Promise<T>, detail?: string) => Promise<T>;

/**
 * `npm start` says what it is waiting on (a first build of Redis or of the edge bundle, or a
 * worker loading its model, can take a while) and how long each step took. Two lines per step,
 * because workers print their own lines meanwhile and would split a line left open.
 */
export function bootStepPrinter(print: (line: string) => void, now = () => performance.now()): BootStep {
  return async (name, run, detail) => {
    print(`  ${name}${detail ? `: ${detail}` : ''} ...`);
    const started = now();
    const result = await run();
    print(`  ${name} ... ${((now() - started) / 1000).toFixed(1)} s`);
    return result;
  };
}

/** For callers that want no output (tests, benchmarks). */
export const silentBootStep: BootStep = (_label, run) => run();
