import { SchedulerConfigError } from './errors';

/**
 * Which entry of the sigma schedule the next step uses. Like diffusers, the index is found
 * from the first timestep passed (the second occurrence when a timestep repeats, so that
 * img2img starting mid-schedule does not skip a sigma) unless a begin index was set, and then
 * advances by one per step.
 */
export class StepIndex {
  private current: number | null = null;
  private begin: number | null = null;

  constructor(private readonly notFound: 'throw' | 'last' = 'throw') {}

  reset(): void {
    this.current = null;
    this.begin = null;
  }

  setBegin(index: number, length: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= length) {
      throw new SchedulerConfigError('begin_index', `must be an integer in [0, ${length - 1}], got ${index}`);
    }
    this.begin = index;
  }

  /** The index for timestep t in `timesteps`, honouring the begin index (diffusers' index_for_timestep). */
  lookup(t: number, timesteps: readonly number[]): number {
    let first = -1;
    for (let i = 0; i < timesteps.length; i++) {
      if (timesteps[i] === t) {
        if (first >= 0) return i;
        first = i;
      }
    }
    if (first >= 0) return first;
    if (this.notFound === 'last') return timesteps.length - 1;
    throw new SchedulerConfigError('timestep', `${t} is not in the scheduler's timesteps`);
  }

  /** Index for the step at t; initialised on first use. */
  at(t: number, timesteps: readonly number[]): number {
    if (this.current === null) this.current = this.begin ?? this.lookup(t, timesteps);
    if (this.current >= timesteps.length) {
      throw new SchedulerConfigError(
        'timestep',
        `more steps than the ${timesteps.length} scheduled; call setTimesteps again`,
      );
    }
    return this.current;
  }

  advance(): void {
    if (this.current !== null) this.current++;
  }

  /** The index add_noise uses: the schedule position when known, else look t up. */
  forAddNoise(t: number, timesteps: readonly number[]): number {
    if (this.begin === null) return this.lookup(t, timesteps);
    return this.current ?? this.begin;
  }
}
