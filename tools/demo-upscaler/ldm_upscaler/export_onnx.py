"""Exports the trained upscaler in the layout of diffusers' OnnxStableDiffusionUpscalePipeline
(model_index.json with max_noise_level / num_latent_channels / num_unet_input_channels,
`vae/` = the decoder, `low_res_scheduler/` beside `scheduler/`), and writes reference cases
that tools/demo-model/verify/verify-onnx.ts replays through onnxruntime-node.

Usage: python3 -m ldm_upscaler.export_onnx --work .work --out <dir> [--untrained]
"""

import argparse
import json
import os

import torch
from ldm_demo import tokenizer
from ldm_demo.export_onnx import encode_array, export, write_json
from ldm_demo.fp16_storage import round_parameters
from ldm_demo.text_encoder import TextEncoder
from torch import nn

from .model import (BLOCK_OUT_CHANNELS, DECODER_BLOCK_OUT_CHANNELS, LATENT_CHANNELS, MAX_NOISE_LEVEL,
                    NUM_CLASS_EMBEDS, Autoencoder, UpscaleUNet)
from .schedule import BETA_END, BETA_START, NUM_TRAIN_TIMESTEPS

DIFFUSERS_VERSION = '0.30.0'


class UNetExport(nn.Module):
    def __init__(self, unet):
        super().__init__()
        self.unet = unet

    def forward(self, sample, timestep, encoder_hidden_states, class_labels):
        return self.unet(sample, timestep, encoder_hidden_states, class_labels)


class TextEncoderExport(nn.Module):
    def __init__(self, te):
        super().__init__()
        self.te = te

    def forward(self, input_ids):
        return self.te(input_ids)


class DecoderExport(nn.Module):
    def __init__(self, ae):
        super().__init__()
        self.ae = ae

    def forward(self, latent_sample):
        return self.ae.decode(latent_sample)


def scheduler_common():
    return {
        '_diffusers_version': DIFFUSERS_VERSION,
        'beta_start': BETA_START,
        'beta_end': BETA_END,
        'beta_schedule': 'scaled_linear',
        'num_train_timesteps': NUM_TRAIN_TIMESTEPS,
        'clip_sample': False,
        'trained_betas': None,
    }


def configs(scaling, te, unet):
    return {
        'model_index.json': {
            '_class_name': 'OnnxStableDiffusionUpscalePipeline',
            '_diffusers_version': DIFFUSERS_VERSION,
            'feature_extractor': [None, None],
            'safety_checker': [None, None],
            'requires_safety_checker': False,
            'low_res_scheduler': ['diffusers', 'DDPMScheduler'],
            'scheduler': ['diffusers', 'DDIMScheduler'],
            'text_encoder': ['diffusers', 'OnnxRuntimeModel'],
            'tokenizer': ['transformers', 'PreTrainedTokenizerFast'],
            'unet': ['diffusers', 'OnnxRuntimeModel'],
            'vae': ['diffusers', 'OnnxRuntimeModel'],
            'max_noise_level': MAX_NOISE_LEVEL,
            'num_latent_channels': LATENT_CHANNELS,
            'num_unet_input_channels': LATENT_CHANNELS + 3,
        },
        'scheduler/scheduler_config.json': {
            '_class_name': 'DDIMScheduler', **scheduler_common(), 'prediction_type': 'v_prediction',
            # 'trailing' (Lin et al. 2024) starts at t = 999 whatever the step count: with 'leading', 5
            # steps would start at t = 801 from pure noise. The demo upscaler runs 3 steps by default.
            'set_alpha_to_one': False, 'steps_offset': 1, 'timestep_spacing': 'trailing',
        },
        'low_res_scheduler/scheduler_config.json': {
            '_class_name': 'DDPMScheduler', **scheduler_common(), 'prediction_type': 'epsilon',
            'variance_type': 'fixed_small',
        },
        'text_encoder/config.json': {
            'architectures': ['LdmDemoTextEncoder'], 'model_type': 'ldm_demo_text', 'hidden_size': te.dim,
            'num_hidden_layers': te.num_layers, 'num_attention_heads': te.heads,
            'max_position_embeddings': te.max_length, 'vocab_size': te.vocab_size,
            'pad_token_id': tokenizer.PAD_ID, 'bos_token_id': tokenizer.BOS_ID, 'eos_token_id': tokenizer.EOS_ID,
            'causal_mask': True,
        },
        'unet/config.json': {
            '_class_name': 'UNet2DConditionModel', '_diffusers_version': DIFFUSERS_VERSION, 'act_fn': 'silu',
            'block_out_channels': list(unet.block_out_channels),
            'down_block_types': ['DownBlock2D', 'CrossAttnDownBlock2D'],
            'up_block_types': ['CrossAttnUpBlock2D', 'UpBlock2D'],
            'cross_attention_dim': unet.context_dim, 'num_attention_heads': unet.heads,
            'in_channels': unet.in_channels, 'out_channels': unet.out_channels,
            'num_class_embeds': NUM_CLASS_EMBEDS, 'layers_per_block': 1, 'sample_size': 64,
        },
        'vae/config.json': {
            '_class_name': 'AutoencoderKL', '_diffusers_version': DIFFUSERS_VERSION, 'act_fn': 'silu',
            'block_out_channels': list(BLOCK_OUT_CHANNELS),
            'decoder_block_out_channels': list(DECODER_BLOCK_OUT_CHANNELS),
            'in_channels': 3, 'out_channels': 3, 'latent_channels': LATENT_CHANNELS, 'layers_per_block': 1,
            'sample_size': 256, 'scaling_factor': round(scaling, 6),
        },
    }


@torch.no_grad()
def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--work', default='.work')
    parser.add_argument('--out', required=True)
    parser.add_argument('--untrained', action='store_true', help='random weights: checks the layout only')
    args = parser.parse_args()
    torch.manual_seed(0)
    if args.untrained:
        ae, unet, te, scaling = Autoencoder(), UpscaleUNet(), TextEncoder(), 0.5
        for p in unet.parameters():  # zero-initialised layers would hide wiring mistakes
            p.add_(torch.randn_like(p) * 0.02)
    else:
        ae = torch.load(os.path.join(args.work, 'autoencoder.pt'))
        den = torch.load(os.path.join(args.work, 'denoiser.pt'))
        unet, te = den['unet'], den['text_encoder']
        with open(os.path.join(args.work, 'train.json')) as f:
            scaling = json.load(f)['scaling_factor']
    for m in (ae, unet, te):
        m.eval()
        round_parameters(m)
    out = args.out
    for name, content in configs(scaling, te, unet).items():
        write_json(os.path.join(out, name), content)
    tokenizer.save(os.path.join(out, 'tokenizer'))
    ids = torch.tensor([tokenizer.encode('a red circle on a blue background'), tokenizer.encode('')], dtype=torch.int32)
    export(TextEncoderExport(te), (ids,), os.path.join(out, 'text_encoder/model.onnx'), ['input_ids'],
           ['last_hidden_state', 'pooler_output'], {'input_ids': {0: 'batch', 1: 'sequence'},
                                                    'last_hidden_state': {0: 'batch', 1: 'sequence'},
                                                    'pooler_output': {0: 'batch'}})
    hidden, pooled = te(ids)
    sample = torch.randn(2, LATENT_CHANNELS + 3, 16, 16)
    timestep = torch.tensor([981, 501], dtype=torch.int64)
    levels = torch.tensor([20, 20], dtype=torch.int64)
    export(UNetExport(unet), (sample, timestep, hidden, levels), os.path.join(out, 'unet/model.onnx'),
           ['sample', 'timestep', 'encoder_hidden_states', 'class_labels'], ['out_sample'],
           {'sample': {0: 'batch', 2: 'height', 3: 'width'}, 'timestep': {0: 'batch'},
            'encoder_hidden_states': {0: 'batch', 1: 'sequence'}, 'class_labels': {0: 'batch'},
            'out_sample': {0: 'batch', 2: 'height', 3: 'width'}})
    latent = torch.randn(1, LATENT_CHANNELS, 16, 16)
    export(DecoderExport(ae), (latent,), os.path.join(out, 'vae/model.onnx'), ['latent_sample'], ['sample'],
           {'latent_sample': {0: 'batch', 2: 'height', 3: 'width'}, 'sample': {0: 'batch', 2: 'height', 3: 'width'}})

    ids3 = torch.tensor([tokenizer.encode(t, 12) for t in ['a blue square', 'a white circle', '']], dtype=torch.int32)
    h3, p3 = te(ids3)
    s3 = torch.randn(3, LATENT_CHANNELS + 3, 12, 20)
    t3 = torch.tensor([1, 500, 999], dtype=torch.int64)
    l3 = torch.tensor([0, 20, 350], dtype=torch.int64)
    z3 = torch.randn(2, LATENT_CHANNELS, 10, 14)
    cases = [
        {'model': 'text_encoder', 'inputs': {'input_ids': encode_array(ids3)},
         'outputs': {'last_hidden_state': encode_array(h3), 'pooler_output': encode_array(p3)}},
        {'model': 'unet', 'inputs': {'sample': encode_array(s3), 'timestep': encode_array(t3),
                                     'encoder_hidden_states': encode_array(h3), 'class_labels': encode_array(l3)},
         'outputs': {'out_sample': encode_array(unet(s3, t3, h3, l3))}},
        {'model': 'vae', 'inputs': {'latent_sample': encode_array(z3)},
         'outputs': {'sample': encode_array(ae.decode(z3))}},
    ]
    write_json(os.path.join(args.work, 'verify-cases.json'), cases)
    sizes = {d: os.path.getsize(os.path.join(out, d, 'model.onnx')) for d in ('text_encoder', 'unet', 'vae')}
    print('exported', out, sizes)


if __name__ == '__main__':
    main()
