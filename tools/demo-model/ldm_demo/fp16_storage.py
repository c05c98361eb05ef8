"""Stores ONNX weights as float16 to halve the committed size, while the graph still
computes in float32 with float32 inputs and outputs (no special case for the runtime).

The torch weights are first rounded to float16 precision (`round_parameters`), so the
exported float16 initializers hold exactly the same values: each is followed by a Cast
to float32 and the model's outputs are bit-for-bit those of the rounded torch model.
Constants that are not exactly representable in float16 (e.g. folded sinusoid
frequencies) stay float32, so nothing is rounded behind the verification's back.
"""

import numpy as np
import onnx
import torch
from onnx import TensorProto, helper, numpy_helper

MIN_ELEMENTS = 64  # small tensors are not worth a Cast node


@torch.no_grad()
def round_parameters(module):
    for p in module.parameters():
        p.copy_(p.half().float())


def store_initializers_fp16(path):
    model = onnx.load(path)
    graph = model.graph
    kept, casts, converted = [], [], 0
    for init in graph.initializer:
        arr = numpy_helper.to_array(init)
        if init.data_type == TensorProto.FLOAT and arr.size >= MIN_ELEMENTS:
            half = arr.astype(np.float16)
            if np.array_equal(half.astype(np.float32), arr):
                kept.append(numpy_helper.from_array(half, init.name + '__fp16'))
                casts.append(helper.make_node('Cast', [init.name + '__fp16'], [init.name], to=TensorProto.FLOAT))
                converted += arr.size
                continue
        kept.append(init)
    del graph.initializer[:]
    graph.initializer.extend(kept)
    nodes = casts + list(graph.node)
    del graph.node[:]
    graph.node.extend(nodes)
    onnx.checker.check_model(model)
    onnx.save(model, path)
    return converted
