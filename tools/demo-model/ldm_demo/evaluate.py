"""The recipe's own adherence check: samples every held-out prompt with a DDIM sampler
in PyTorch and scores it with scoring.py. It measures the model before (and
independently of) the TypeScript pipeline.

Usage: python3 -m ldm_demo.evaluate --work .work [--steps 20] [--guidance 5] [--grid out.png]
"""

import argparse
import json
import os
import time

import numpy as np
import torch
from PIL import Image

from .fp16_storage import round_parameters
from .scenes import held_out_prompts
from .schedule import ddim_sample
from .scoring import analyse
from .tokenizer import encode


@torch.no_grad()
def generate(ae, den, scaling, prompts, steps, guidance, seed, batch=20):
    images = []
    gen = torch.Generator().manual_seed(seed)
    uncond_ids = torch.tensor([encode('')], dtype=torch.int32)
    for i in range(0, len(prompts), batch):
        chunk = prompts[i : i + batch]
        ids = torch.tensor([encode(p) for p in chunk], dtype=torch.int32)
        cond, _ = den.text_encoder(ids)
        uncond, _ = den.text_encoder(uncond_ids)
        z = ddim_sample(den.unet, cond, uncond.expand(len(chunk), -1, -1), (len(chunk), 4, 8, 8), steps, guidance, gen)
        x = ae.decode(z / scaling)
        x = ((x.clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()
        images.extend(x)
    return images


def score(cases, images):
    totals = {'colour': 0, 'shape': 0, 'position': 0}
    for case, image in zip(cases, images):
        found = analyse(image)
        for key in totals:
            totals[key] += found[key] == case[key]
    return {k: v / len(cases) for k, v in totals.items()}


def grid(images, columns):
    rows = [np.concatenate(images[i : i + columns], axis=1) for i in range(0, len(images), columns)]
    return np.concatenate(rows, axis=0)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--work', default='.work')
    parser.add_argument('--steps', type=int, default=20)
    parser.add_argument('--guidance', type=float, nargs='+', default=[5.0])
    parser.add_argument('--seeds', type=int, default=2)
    parser.add_argument('--grid', default=None)
    args = parser.parse_args()
    torch.set_num_threads(int(os.environ.get('DEMO_THREADS', '2')))
    ae = torch.load(os.path.join(args.work, 'autoencoder.pt')).eval()
    den = torch.load(os.path.join(args.work, 'denoiser.pt')).eval()
    with open(os.path.join(args.work, 'train.json')) as f:
        scaling = json.load(f)['scaling_factor']
    # The shipped weights are float16-rounded (fp16_storage.py): evaluate those.
    round_parameters(ae)
    round_parameters(den)
    cases = held_out_prompts()
    for guidance in args.guidance:
        start = time.time()
        all_images, all_cases = [], []
        for seed in range(args.seeds):
            all_images += generate(ae, den, scaling, [c['prompt'] for c in cases], args.steps, guidance, seed)
            all_cases += cases
        result = score(all_cases, all_images)
        print(f'DDIM {args.steps} steps, guidance {guidance}: {len(all_cases)} held-out images '
              f'colour {result["colour"]:.1%} shape {result["shape"]:.1%} position {result["position"]:.1%} '
              f'({time.time() - start:.0f}s)', flush=True)
        if args.grid:
            Image.fromarray(grid(all_images[:40], 10)).resize((640 * 2, 256 * 2), Image.NEAREST).save(args.grid)


if __name__ == '__main__':
    main()
