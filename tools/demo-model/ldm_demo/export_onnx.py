"""Exports the trained model in the diffusers ONNX layout (OnnxStableDiffusionPipeline)
with Stable Diffusion's input/output names, and writes reference inputs/outputs that
verify-onnx.ts replays through onnxruntime.

Usage: python3 -m ldm_demo.export_onnx --work .work --out ../../models/demo-shapes
"""

import argparse
import base64
import json
import os

import numpy as np
import torch
from torch import nn

from . import tokenizer
from .fp16_storage import round_parameters, store_initializers_fp16
from .autoencoder import BLOCK_OUT_CHANNELS, DECODER_BLOCK_OUT_CHANNELS, LATENT_CHANNELS
from .scenes import IMAGE_SIZE, scene_spec
from .schedule import BETA_END, BETA_START, NUM_TRAIN_TIMESTEPS

OPSET = 17
# Prompts whose training-time ids the runtime tokenizer must reproduce exactly.
TOKENIZER_CASES = [
    '',
    'a red circle',
    'a small yellow triangle in the bottom right on a white background',
    '  A Large BLUE square, in the Center!  ',
    'a purple hexagon on a green background',
    'top-left: black circle; white background',
    'a ' * 20 + 'circle',
]
DIFFUSERS_VERSION = '0.30.0'  # the config format these files follow


class TextEncoderExport(nn.Module):
    def __init__(self, te):
        super().__init__()
        self.te = te

    def forward(self, input_ids):
        return self.te(input_ids)


class UNetExport(nn.Module):
    def __init__(self, unet):
        super().__init__()
        self.unet = unet

    def forward(self, sample, timestep, encoder_hidden_states):
        return self.unet(sample, timestep, encoder_hidden_states)


class VaeEncoderExport(nn.Module):
    """Returns the posterior mean: deterministic, and what img2img needs (diffusers'
    own export samples the posterior, whose std here is negligible)."""

    def __init__(self, ae):
        super().__init__()
        self.ae = ae

    def forward(self, sample):
        return self.ae.encode(sample)[0]


class VaeDecoderExport(nn.Module):
    def __init__(self, ae):
        super().__init__()
        self.ae = ae

    def forward(self, latent_sample):
        return self.ae.decode(latent_sample)


def write_json(path, content):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, 'w') as f:
        json.dump(content, f, indent=2)
        f.write('\n')


def export(module, args, path, input_names, output_names, dynamic_axes):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    torch.onnx.export(
        module,
        args,
        path,
        input_names=input_names,
        output_names=output_names,
        dynamic_axes=dynamic_axes,
        opset_version=OPSET,
        do_constant_folding=True,
    )
    store_initializers_fp16(path)


def encode_array(t):
    a = np.ascontiguousarray(t.detach().numpy())
    return {'dtype': str(a.dtype), 'shape': list(a.shape), 'data': base64.b64encode(a.tobytes()).decode()}


def configs(ae_scaling, te, unet):
    vae = {
        '_class_name': 'AutoencoderKL',
        '_diffusers_version': DIFFUSERS_VERSION,
        'act_fn': 'silu',
        'block_out_channels': list(BLOCK_OUT_CHANNELS),
        # Not a diffusers key (its decoder mirrors the encoder): ours is wider at the finest
        # levels. Informational; block_out_channels' length still gives the factor 8.
        'decoder_block_out_channels': list(DECODER_BLOCK_OUT_CHANNELS),
        'down_block_types': ['DownEncoderBlock2D'] * len(BLOCK_OUT_CHANNELS),
        'up_block_types': ['UpDecoderBlock2D'] * len(BLOCK_OUT_CHANNELS),
        'in_channels': 3,
        'out_channels': 3,
        'latent_channels': LATENT_CHANNELS,
        'layers_per_block': 1,
        'sample_size': IMAGE_SIZE,
        'scaling_factor': round(ae_scaling, 6),
    }
    return {
        'model_index.json': {
            '_class_name': 'OnnxStableDiffusionPipeline',
            '_diffusers_version': DIFFUSERS_VERSION,
            'feature_extractor': [None, None],
            'requires_safety_checker': False,
            'safety_checker': [None, None],
            'scheduler': ['diffusers', 'DPMSolverMultistepScheduler'],
            'text_encoder': ['diffusers', 'OnnxRuntimeModel'],
            'tokenizer': ['transformers', 'PreTrainedTokenizerFast'],
            'unet': ['diffusers', 'OnnxRuntimeModel'],
            'vae_decoder': ['diffusers', 'OnnxRuntimeModel'],
            'vae_encoder': ['diffusers', 'OnnxRuntimeModel'],
        },
        'scheduler/scheduler_config.json': {
            # DPM-Solver++ 2M, not SD 1.5's PNDM: PLMS diverges on this small model at guidance >= 5
            # (tools/demo-model/README.md, adherence table); the other keys are SD 1.5's.
            '_class_name': 'DPMSolverMultistepScheduler',
            '_diffusers_version': DIFFUSERS_VERSION,
            'algorithm_type': 'dpmsolver++',
            'solver_order': 2,
            'beta_end': BETA_END,
            'beta_schedule': 'scaled_linear',
            'beta_start': BETA_START,
            'clip_sample': False,
            'num_train_timesteps': NUM_TRAIN_TIMESTEPS,
            'prediction_type': 'epsilon',
            'set_alpha_to_one': False,
            'skip_prk_steps': True,
            'steps_offset': 1,
            'timestep_spacing': 'leading',
            'trained_betas': None,
        },
        'text_encoder/config.json': {
            'architectures': ['LdmDemoTextEncoder'],
            'model_type': 'ldm_demo_text',
            'hidden_size': te.dim,
            'num_hidden_layers': te.num_layers,
            'num_attention_heads': te.heads,
            'max_position_embeddings': te.max_length,
            'vocab_size': te.vocab_size,
            'pad_token_id': tokenizer.PAD_ID,
            'bos_token_id': tokenizer.BOS_ID,
            'eos_token_id': tokenizer.EOS_ID,
            'causal_mask': True,
        },
        'unet/config.json': {
            '_class_name': 'UNet2DConditionModel',
            '_diffusers_version': DIFFUSERS_VERSION,
            'act_fn': 'silu',
            'block_out_channels': list(unet.block_out_channels),
            'down_block_types': ['CrossAttnDownBlock2D', 'CrossAttnDownBlock2D'],
            'up_block_types': ['CrossAttnUpBlock2D', 'CrossAttnUpBlock2D'],
            'mid_block_type': 'UNetMidBlock2DCrossAttn',
            'cross_attention_dim': unet.context_dim,
            'attention_head_dim': [c // unet.heads for c in unet.block_out_channels],
            'num_attention_heads': unet.heads,
            'in_channels': unet.in_channels,
            'out_channels': unet.in_channels,
            'layers_per_block': 1,
            'sample_size': IMAGE_SIZE // 2 ** (len(BLOCK_OUT_CHANNELS) - 1),
        },
        'vae_encoder/config.json': vae,
        'vae_decoder/config.json': vae,
    }


@torch.no_grad()
def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--work', default='.work')
    parser.add_argument('--out', default='../../models/demo-shapes')
    parser.add_argument('--spec', default='eval/scene-spec.json')
    args = parser.parse_args()
    torch.manual_seed(0)
    ae = torch.load(os.path.join(args.work, 'autoencoder.pt')).eval()
    den = torch.load(os.path.join(args.work, 'denoiser.pt')).eval()
    with open(os.path.join(args.work, 'train.json')) as f:
        scaling = json.load(f)['scaling_factor']
    round_parameters(ae)
    round_parameters(den)
    te, unet = den.text_encoder, den.unet
    out = args.out
    for name, content in configs(scaling, te, unet).items():
        write_json(os.path.join(out, name), content)
    tokenizer.save(os.path.join(out, 'tokenizer'))

    seq = tokenizer.MODEL_MAX_LENGTH
    ids = torch.tensor([tokenizer.encode('a red triangle in the top left on a blue background'), tokenizer.encode('')],
                       dtype=torch.int32)
    export(TextEncoderExport(te), (ids,), os.path.join(out, 'text_encoder/model.onnx'), ['input_ids'],
           ['last_hidden_state', 'pooler_output'], {'input_ids': {0: 'batch', 1: 'sequence'},
                                                    'last_hidden_state': {0: 'batch', 1: 'sequence'},
                                                    'pooler_output': {0: 'batch'}})
    hidden, pooled = te(ids)
    sample = torch.randn(2, 4, 8, 8)
    timestep = torch.tensor([981, 501], dtype=torch.int64)
    export(UNetExport(unet), (sample, timestep, hidden), os.path.join(out, 'unet/model.onnx'),
           ['sample', 'timestep', 'encoder_hidden_states'], ['out_sample'],
           {'sample': {0: 'batch', 2: 'height', 3: 'width'}, 'timestep': {0: 'batch'},
            'encoder_hidden_states': {0: 'batch', 1: 'sequence'}, 'out_sample': {0: 'batch', 2: 'height', 3: 'width'}})
    image = torch.rand(2, 3, 64, 64) * 2 - 1
    export(VaeEncoderExport(ae), (image,), os.path.join(out, 'vae_encoder/model.onnx'), ['sample'], ['latent_sample'],
           {'sample': {0: 'batch', 2: 'height', 3: 'width'}, 'latent_sample': {0: 'batch', 2: 'height', 3: 'width'}})
    export(VaeDecoderExport(ae), (sample,), os.path.join(out, 'vae_decoder/model.onnx'), ['latent_sample'], ['sample'],
           {'latent_sample': {0: 'batch', 2: 'height', 3: 'width'}, 'sample': {0: 'batch', 2: 'height', 3: 'width'}})

    # Reference cases for verify-onnx.ts, at shapes other than the traced ones so the
    # dynamic batch / sequence / spatial axes are exercised too.
    ids3 = torch.tensor([tokenizer.encode(t, 12) for t in ['a blue square', 'a white circle in the center', '']],
                        dtype=torch.int32)
    h3, p3 = te(ids3)
    s3 = torch.randn(3, 4, 12, 16)
    t3 = torch.tensor([1, 500, 999], dtype=torch.int64)
    img1 = torch.rand(1, 3, 96, 128) * 2 - 1
    cases = [
        {'model': 'text_encoder', 'inputs': {'input_ids': encode_array(ids)},
         'outputs': {'last_hidden_state': encode_array(hidden), 'pooler_output': encode_array(pooled)}},
        {'model': 'text_encoder', 'inputs': {'input_ids': encode_array(ids3)},
         'outputs': {'last_hidden_state': encode_array(h3), 'pooler_output': encode_array(p3)}},
        {'model': 'unet', 'inputs': {'sample': encode_array(s3), 'timestep': encode_array(t3),
                                     'encoder_hidden_states': encode_array(h3)},
         'outputs': {'out_sample': encode_array(unet(s3, t3, h3))}},
        {'model': 'vae_encoder', 'inputs': {'sample': encode_array(img1)},
         'outputs': {'latent_sample': encode_array(ae.encode(img1)[0])}},
        {'model': 'vae_decoder', 'inputs': {'latent_sample': encode_array(s3)},
         'outputs': {'sample': encode_array(ae.decode(s3))}},
    ]
    write_json(os.path.join(args.work, 'verify-cases.json'), cases)
    write_json(args.spec, scene_spec())
    write_json(os.path.join(os.path.dirname(args.spec), 'tokenizer-cases.json'),
               [{'text': t, 'ids': tokenizer.encode(t)} for t in TOKENIZER_CASES])
    sizes = {d: os.path.getsize(os.path.join(out, d, 'model.onnx'))
             for d in ('text_encoder', 'unet', 'vae_encoder', 'vae_decoder')}
    print('exported', out, sizes)


if __name__ == '__main__':
    main()
