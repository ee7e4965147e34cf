//! The converted MediaPipe weights, embedded in the binary so it runs anywhere (see
//! `models/NOTICE` for their origin and licence, `models/convert_mediapipe.py` for the converter).

use candle_core::{DType, Device, Result};
use candle_nn::VarBuilder;

/// Short-range BlazeFace detector weights (float16 safetensors).
pub(super) const SHORT_RANGE: &[u8] =
    include_bytes!("../../models/face_detection_short_range.safetensors");
/// Dense full-range detector weights (float16 safetensors).
pub(super) const FULL_RANGE: &[u8] =
    include_bytes!("../../models/face_detection_full_range.safetensors");
/// Face-mesh weights, mediapipe 0.10.21's `face_landmark.tflite` (float16 safetensors).
pub(super) const FACE_MESH: &[u8] = include_bytes!("../../models/face_landmark.safetensors");

/// A float32 variable builder over embedded safetensors bytes on `device`.
pub(super) fn var_builder(bytes: &'static [u8], device: &Device) -> Result<VarBuilder<'static>> {
    VarBuilder::from_slice_safetensors(bytes, DType::F32, device)
}
