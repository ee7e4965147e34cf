//! MediaPipe's face-mesh network (192x192 crop -> 468 landmarks + face-presence logit).

use super::blocks::{Activation, BlockShape, ResidualBlock};
use super::layers::{keras_name, Conv, PRelu, Pointwise};
use candle_core::{Result, Tensor};
use candle_nn::VarBuilder;
use serde::{Deserialize, Serialize};

/// Hyper-parameters of the face mesh ("facemesh-lite" from mediapipe 0.10.21).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(super) struct MeshConfig {
    /// Input side in pixels.
    pub input_size: usize,
    /// Channels of the 3x3 stem.
    pub stem_channels: usize,
    /// Output channels and stride of the shared trunk's blocks (96 px down to 6 px).
    pub trunk: Vec<(usize, usize)>,
    /// Output channels and stride of the landmark branch's blocks (6 px -> 3 px).
    pub landmark_blocks: Vec<(usize, usize)>,
    /// Channels of both branches' narrow tail.
    pub tail_channels: usize,
    /// Number of landmarks.
    pub points: usize,
}

impl Default for MeshConfig {
    fn default() -> Self {
        let trunk = [
            (16, 1),
            (16, 1),
            (32, 2),
            (32, 1),
            (32, 1),
            (64, 2),
            (64, 1),
            (64, 1),
            (128, 2),
            (128, 1),
            (128, 1),
            (128, 2),
            (128, 1),
            (128, 1),
        ];
        Self {
            input_size: 192,
            stem_channels: 16,
            trunk: trunk.to_vec(),
            landmark_blocks: vec![(128, 2), (128, 1), (128, 1)],
            tail_channels: 32,
            points: super::MESH_POINTS,
        }
    }
}

/// A branch's narrow tail: 1x1 down + PReLU, one residual block, then the 3x3 stride-3 head.
#[derive(Debug, Clone)]
struct Tail {
    narrow: Pointwise,
    narrow_act: PRelu,
    block: ResidualBlock,
    head: Conv,
}

/// Layer names of one [`Tail`]: 1x1, PReLU, block depthwise, block 1x1, block PReLU, head.
type TailNames<'a> = [&'a str; 6];

impl Tail {
    fn new(
        vb: &VarBuilder,
        names: TailNames<'_>,
        c_in: usize,
        c: usize,
        outputs: usize,
    ) -> Result<Self> {
        let shape = BlockShape {
            c_in: c,
            c_out: c,
            stride: 1,
        };
        Ok(Self {
            narrow: Pointwise::new(vb, names[0], c_in, c)?,
            narrow_act: PRelu::new(vb, names[1], c)?,
            block: ResidualBlock::new(vb, (names[2], names[3]), shape, prelu(vb, names[4], c)?)?,
            head: Conv::new(vb, names[5], (c, outputs, 3), 3, false)?,
        })
    }

    fn forward(&self, x: &Tensor) -> Result<Tensor> {
        let h = self.narrow_act.forward(&self.narrow.forward(x)?)?;
        self.head.forward(&self.block.forward(&h)?)
    }
}

fn prelu(vb: &VarBuilder, name: &str, c: usize) -> Result<Activation> {
    Ok(Activation::PRelu(PRelu::new(vb, name, c)?))
}

/// The network: stem, shared trunk to 6x6, then a landmark branch and a face-flag branch.
#[derive(Debug, Clone)]
pub(super) struct MeshNet {
    stem: Conv,
    stem_act: PRelu,
    trunk: Vec<ResidualBlock>,
    landmark_blocks: Vec<ResidualBlock>,
    landmark_tail: Tail,
    flag_block: ResidualBlock,
    flag_tail: Tail,
}

impl MeshNet {
    /// Builds the network from `face_landmark.safetensors` weights.
    pub(super) fn new(cfg: &MeshConfig, vb: VarBuilder) -> Result<Self> {
        let stem = Conv::new(&vb, "conv2d_1", (3, cfg.stem_channels, 3), 2, true)?;
        let stem_act = PRelu::new(&vb, "p_re_lu_1", cfg.stem_channels)?;
        // Trunk and landmark branch are numbered consecutively: block i uses
        // depthwise_conv2d_i, conv2d_{i+1}, p_re_lu_{i+1}.
        let mut c_in = cfg.stem_channels;
        let mut chain = Vec::new();
        for (i, &(c_out, stride)) in cfg.trunk.iter().chain(&cfg.landmark_blocks).enumerate() {
            let n = i + 1;
            let shape = BlockShape {
                c_in,
                c_out,
                stride,
            };
            let names = (
                keras_name("depthwise_conv2d", n),
                keras_name("conv2d", n + 1),
            );
            let act = prelu(&vb, &keras_name("p_re_lu", n + 1), c_out)?;
            chain.push(ResidualBlock::new(&vb, (&names.0, &names.1), shape, act)?);
            c_in = c_out;
        }
        let landmark_blocks = chain.split_off(cfg.trunk.len());
        let tail = cfg.tail_channels;
        let landmark_tail = Tail::new(
            &vb,
            [
                "conv2d_19",
                "p_re_lu_19",
                "depthwise_conv2d_18",
                "conv2d_20",
                "p_re_lu_20",
                "conv2d_21",
            ],
            c_in,
            tail,
            cfg.points * 3,
        )?;
        let trunk_out = cfg.trunk.last().map_or(cfg.stem_channels, |b| b.0);
        let flag_shape = BlockShape {
            c_in: trunk_out,
            c_out: trunk_out,
            stride: 2,
        };
        let flag_block = ResidualBlock::new(
            &vb,
            ("depthwise_conv2d_23", "conv2d_28"),
            flag_shape,
            prelu(&vb, "p_re_lu_26", trunk_out)?,
        )?;
        let flag_tail = Tail::new(
            &vb,
            [
                "conv2d_29",
                "p_re_lu_27",
                "depthwise_conv2d_24",
                "conv2d_30",
                "p_re_lu_28",
                "conv2d_31",
            ],
            trunk_out,
            tail,
            1,
        )?;
        Ok(Self {
            stem,
            stem_act,
            trunk: chain,
            landmark_blocks,
            landmark_tail,
            flag_block,
            flag_tail,
        })
    }

    /// Runs the mesh on `[1, 3, 192, 192]` (RGB in [0, 1]); returns the raw
    /// `(landmarks [1, 1404] in crop pixels, face-flag logit [1, 1])`.
    pub(super) fn forward(&self, x: &Tensor) -> Result<(Tensor, Tensor)> {
        let mut h = self.stem_act.forward(&self.stem.forward(x)?)?;
        for block in &self.trunk {
            h = block.forward(&h)?;
        }
        let mut lm = h.clone();
        for block in &self.landmark_blocks {
            lm = block.forward(&lm)?;
        }
        let landmarks = self.landmark_tail.forward(&lm)?.flatten_from(1)?;
        let flag = self
            .flag_tail
            .forward(&self.flag_block.forward(&h)?)?
            .flatten_from(1)?;
        Ok((landmarks, flag))
    }
}
