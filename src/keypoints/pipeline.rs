//! [`FaceMesh`]: the detectors and the mesh loaded once, and the still-image pipeline
//! (detect, crop, mesh, second pass from the landmarks).

use super::crop::{crop_tensor, Border, Roi};
use super::detection::{anchors, detections, DecodeParams, Detection};
use super::full_range::{FullRangeConfig, FullRangeNet};
use super::mesh_net::{MeshConfig, MeshNet};
use super::short_range::{ShortRangeConfig, ShortRangeNet};
use super::{candle_error, roi, weights, Face, MESH_POINTS};
use crate::Result;
use candle_core::{Device, Tensor};
use image::RgbImage;

/// Which face detector to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DetectorKind {
    /// BlazeFace 128x128: faces filling a good part of the image (portraits, webcams).
    ShortRange,
    /// Dense 192x192 detector: small faces, e.g. a full-length portrait.
    FullRange,
}

/// Face presence below which a mesh result is not a face (MediaPipe's threshold).
pub const MIN_PRESENCE: f32 = 0.5;

/// The 468 landmarks of one face crop.
#[derive(Debug, Clone, PartialEq)]
pub struct MeshResult {
    /// `[x, y, z]` in image pixels (z scaled like x).
    pub landmarks: Vec<[f32; 3]>,
    /// Face presence in 0..1.
    pub presence: f32,
    /// The crop the mesh saw.
    pub roi: Roi,
}

/// MediaPipe's face detectors and face mesh, loaded once and reused for every image or frame.
#[derive(Debug, Clone)]
pub struct FaceMesh {
    device: Device,
    short: ShortRangeNet,
    short_params: DecodeParams,
    full: FullRangeNet,
    full_params: DecodeParams,
    mesh: MeshNet,
    mesh_size: usize,
}

impl FaceMesh {
    /// Loads the embedded weights on the CPU.
    pub fn load() -> Result<Self> {
        Self::load_on(&Device::Cpu)
    }

    /// Loads the embedded weights on `device` (CPU, or a GPU with the `cuda`/`metal` features).
    pub fn load_on(device: &Device) -> Result<Self> {
        let short_cfg = ShortRangeConfig::default();
        let full_cfg = FullRangeConfig::default();
        let mesh_cfg = MeshConfig::default();
        let vb = |bytes| weights::var_builder(bytes, device).map_err(candle_error);
        Ok(Self {
            device: device.clone(),
            short: ShortRangeNet::new(&short_cfg, vb(weights::SHORT_RANGE)?)
                .map_err(candle_error)?,
            short_params: DecodeParams {
                input_size: short_cfg.input_size,
                anchors: anchors(short_cfg.input_size, &[8, 16, 16, 16], 2),
                min_score: 0.5,
                iou_threshold: 0.3,
            },
            full: FullRangeNet::new(&full_cfg, vb(weights::FULL_RANGE)?).map_err(candle_error)?,
            full_params: DecodeParams {
                input_size: full_cfg.input_size,
                anchors: anchors(full_cfg.input_size, &[4], 1),
                min_score: 0.6,
                iou_threshold: 0.3,
            },
            mesh: MeshNet::new(&mesh_cfg, vb(weights::FACE_MESH)?).map_err(candle_error)?,
            mesh_size: mesh_cfg.input_size,
        })
    }

    /// The device the networks run on.
    pub fn device(&self) -> &Device {
        &self.device
    }

    /// The detector input for `img`: the whole image letterboxed into the square input, RGB
    /// in [-1, 1], `[1, 3, S, S]`.
    pub fn detector_input(&self, img: &RgbImage, kind: DetectorKind) -> Result<Tensor> {
        let size = self.params(kind).input_size;
        let side = img.width().max(img.height()) as f32;
        let roi = Roi {
            cx: img.width() as f32 / 2.0,
            cy: img.height() as f32 / 2.0,
            w: side,
            h: side,
            rotation: 0.0,
        };
        crop_tensor(img, &roi, size, Border::Zero, (-1.0, 1.0), &self.device).map_err(candle_error)
    }

    fn params(&self, kind: DetectorKind) -> &DecodeParams {
        match kind {
            DetectorKind::ShortRange => &self.short_params,
            DetectorKind::FullRange => &self.full_params,
        }
    }

    /// Raw detector outputs `(regressors [1, A, 16], logits [1, A, 1])` for an input tensor.
    pub fn detector_raw(&self, input: &Tensor, kind: DetectorKind) -> Result<(Tensor, Tensor)> {
        match kind {
            DetectorKind::ShortRange => self.short.forward(input),
            DetectorKind::FullRange => self.full.forward(input),
        }
        .map_err(candle_error)
    }

    /// All faces the detector finds in `img`, best first, in image pixels.
    pub fn detect(&self, img: &RgbImage, kind: DetectorKind) -> Result<Vec<Detection>> {
        let (reg, cls) = self.detector_raw(&self.detector_input(img, kind)?, kind)?;
        let flat = |t: Tensor| {
            t.flatten_all()
                .and_then(|t| t.to_vec1::<f32>())
                .map_err(candle_error)
        };
        let (reg, cls) = (flat(reg)?, flat(cls)?);
        Ok(detections(
            &reg,
            &cls,
            self.params(kind),
            img.width(),
            img.height(),
        ))
    }

    /// The mesh input for `roi` of `img`: RGB in [0, 1], border replicated, `[1, 3, 192, 192]`.
    pub fn mesh_input(&self, img: &RgbImage, roi: &Roi) -> Result<Tensor> {
        crop_tensor(
            img,
            roi,
            self.mesh_size,
            Border::Replicate,
            (0.0, 1.0),
            &self.device,
        )
        .map_err(candle_error)
    }

    /// Raw mesh outputs `(landmarks [1, 1404] in crop pixels, face-flag logit [1, 1])`.
    pub fn mesh_raw(&self, input: &Tensor) -> Result<(Tensor, Tensor)> {
        self.mesh.forward(input).map_err(candle_error)
    }

    /// Runs the mesh on `roi` of `img` and projects the landmarks to image pixels.
    pub fn landmarks(&self, img: &RgbImage, roi: &Roi) -> Result<MeshResult> {
        let (lm, flag) = self.mesh_raw(&self.mesh_input(img, roi)?)?;
        let raw = lm
            .flatten_all()
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(candle_error)?;
        let flag = flag
            .flatten_all()
            .and_then(|t| t.to_vec1::<f32>())
            .map_err(candle_error)?;
        let n = self.mesh_size as f64;
        let landmarks = raw
            .chunks_exact(3)
            .take(MESH_POINTS)
            .map(|p| {
                let (x, y) = roi.to_image(p[0] as f64 / n, p[1] as f64 / n);
                [x as f32, y as f32, (p[2] as f64 / n * roi.w as f64) as f32]
            })
            .collect();
        Ok(MeshResult {
            landmarks,
            presence: super::ops::sigmoid(flag[0]),
            roi: *roi,
        })
    }

    /// Landmarks for a face detection: a first mesh pass on the detection's ROI, then a second
    /// on the ROI rebuilt from those landmarks (BlazeFace's eye keypoints under-report tilt).
    pub fn landmarks_for(&self, img: &RgbImage, det: &Detection) -> Result<MeshResult> {
        let first = self.landmarks(img, &roi::from_detection(det))?;
        self.landmarks(img, &roi::from_landmarks(&first.landmarks))
    }

    /// Every face in a still image with its 468 landmarks, best detection first. Runs the
    /// short-range detector, and the full-range one when that finds nothing; faces whose mesh
    /// presence is below [`MIN_PRESENCE`] are dropped.
    pub fn detect_faces(&self, img: &RgbImage) -> Result<Vec<Face>> {
        let mut dets = self.detect(img, DetectorKind::ShortRange)?;
        if dets.is_empty() {
            dets = self.detect(img, DetectorKind::FullRange)?;
        }
        let mut faces = Vec::with_capacity(dets.len());
        for det in &dets {
            let mesh = self.landmarks_for(img, det)?;
            if mesh.presence >= MIN_PRESENCE {
                faces.push(Face {
                    score: det.score,
                    bbox: roi::landmark_bounds(&mesh.landmarks),
                    landmarks: mesh.landmarks,
                });
            }
        }
        Ok(faces)
    }
}
