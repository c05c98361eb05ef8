"""Times stage-2 training steps (the rebuild's longest part) in the real training loop:
float32 against bfloat16 autocast, one torch thread against two. Random latents of the
training shape stand in for the encoded data set (a step's cost does not depend on the
values), so it needs nothing trained before; it takes about 5 minutes here.

Usage: python3 -m ldm_demo.step_cost [--steps 50]   (from tools/demo-model, on idle cores:
the figures are milliseconds per step, compared within one run)
"""

import argparse
import time

import torch

from .scenes import make_dataset
from .train_diffusion import train_diffusion


def ms_per_step(metas, threads, precision, steps):
    torch.set_num_threads(threads)
    latents = torch.randn(len(metas), 4, 8, 8)
    stds = torch.full_like(latents, 0.02)
    marks = {}
    warmup = 50

    def log(message):
        for name, step in (('start', warmup), ('end', warmup + steps)):
            if message.startswith(f'ldm step {step}/'):
                marks[name] = time.perf_counter()

    # The log fires every 50 steps, so the window is a multiple of 50 past the warm-up.
    train_diffusion(latents, stds, metas, 1.0, 100_000, 32, 1, log, p_no_colour=0.3,
                    stop_after=warmup + steps, precision=precision, checkpoint=None)
    return (marks['end'] - marks['start']) / steps * 1000


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--steps', type=int, default=50, help='timed steps per case and pass (a multiple of 50)')
    args = parser.parse_args()
    steps = max(50, args.steps // 50 * 50)
    _, _, metas = make_dataset(2000, 1)
    cases = [(1, 'fp32'), (1, 'bf16'), (2, 'fp32'), (2, 'bf16')]
    # Forward then backward through the cases, the least of the two passes for each: on a
    # shared machine other work only ever slows a pass, and the order no longer favours one.
    results = {}
    for case in cases + cases[::-1]:
        ms = ms_per_step(metas, *case, steps)
        results[case] = min(ms, results.get(case, ms))
    for (threads, precision), ms in results.items():
        print(f'stage-2 step, batch 32, {threads} thread(s), {precision}: {ms:.0f} ms')
    print(f'(least of two passes of {steps} steps each)')
    print(f'bf16 / fp32 at 1 thread: {results[(1, "bf16")] / results[(1, "fp32")]:.2f}; '
          f'2 threads / 1 thread in bf16: {results[(2, "bf16")] / results[(1, "bf16")]:.2f}')


if __name__ == '__main__':
    main()
