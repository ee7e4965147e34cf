//! The wgpu remap: the compute shader `shaders/remap.wgsl` does the per-pixel work of
//! [`super::remap::remap`] on whatever adapter wgpu finds (a GPU, or lavapipe's software Vulkan).

use super::grid::WarpGrid;
use crate::gpu::{self, GpuDevice};
use crate::{Error, Result};
use image::RgbImage;
use wgpu::util::DeviceExt;

/// A GPU remapper holding one portrait on the device.
pub struct GpuRemap {
    gpu: GpuDevice,
    pipeline: wgpu::ComputePipeline,
    params: wgpu::Buffer,
    src: wgpu::Buffer,
    dst: wgpu::Buffer,
    readback: wgpu::Buffer,
    width: u32,
    height: u32,
}

#[repr(C)]
#[derive(Clone, Copy, bytemuck::Pod, bytemuck::Zeroable)]
struct Params {
    width: u32,
    height: u32,
    cols: u32,
    rows: u32,
    spacing: f32,
    pad: [u32; 3],
}

impl GpuRemap {
    /// Finds an adapter and uploads the portrait; fails when no adapter exists, or when the only
    /// one is a software rasteriser (lavapipe, llvmpipe) and `allow_software` is false.
    pub fn new(portrait: &RgbImage, allow_software: bool) -> Result<Self> {
        let gpu =
            gpu::open(&gpu::headless_instance(), None, "sfumato warp").map_err(Error::Failed)?;
        if gpu.software && !allow_software {
            return Err(Error::Failed(format!(
                "only a software GPU adapter ('{}') was found",
                gpu.name
            )));
        }
        let device = &gpu.device;
        let (width, height) = portrait.dimensions();
        let shader = device.create_shader_module(wgpu::ShaderModuleDescriptor {
            label: Some("remap.wgsl"),
            source: wgpu::ShaderSource::Wgsl(include_str!("../../../shaders/remap.wgsl").into()),
        });
        let pipeline = device.create_compute_pipeline(&wgpu::ComputePipelineDescriptor {
            label: Some("remap"),
            layout: None,
            module: &shader,
            entry_point: Some("main"),
            compilation_options: Default::default(),
            cache: None,
        });
        let packed: Vec<u32> = portrait
            .pixels()
            .map(|p| p[0] as u32 | (p[1] as u32) << 8 | (p[2] as u32) << 16 | 255 << 24)
            .collect();
        let src = device.create_buffer_init(&wgpu::util::BufferInitDescriptor {
            label: Some("portrait"),
            contents: bytemuck::cast_slice(&packed),
            usage: wgpu::BufferUsages::STORAGE,
        });
        let size = (width as u64) * (height as u64) * 4;
        let dst = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("frame"),
            size,
            usage: wgpu::BufferUsages::STORAGE | wgpu::BufferUsages::COPY_SRC,
            mapped_at_creation: false,
        });
        let readback = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("readback"),
            size,
            usage: wgpu::BufferUsages::MAP_READ | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        let params = device.create_buffer(&wgpu::BufferDescriptor {
            label: Some("params"),
            size: std::mem::size_of::<Params>() as u64,
            usage: wgpu::BufferUsages::UNIFORM | wgpu::BufferUsages::COPY_DST,
            mapped_at_creation: false,
        });
        Ok(Self {
            gpu,
            pipeline,
            params,
            src,
            dst,
            readback,
            width,
            height,
        })
    }

    /// The adapter's name.
    pub fn adapter_name(&self) -> &str {
        &self.gpu.name
    }

    /// Warps the portrait through `grid` on the GPU and reads the frame back; fails when the
    /// device reports an error or the readback does.
    pub fn remap(&self, grid: &WarpGrid) -> Result<RgbImage> {
        let params = Params {
            width: self.width,
            height: self.height,
            cols: grid.cols as u32,
            rows: grid.rows as u32,
            spacing: grid.spacing as f32,
            pad: [0; 3],
        };
        self.gpu
            .queue
            .write_buffer(&self.params, 0, bytemuck::bytes_of(&params));
        let grid_buf = self
            .gpu
            .device
            .create_buffer_init(&wgpu::util::BufferInitDescriptor {
                label: Some("grid"),
                contents: bytemuck::cast_slice(&grid.source),
                usage: wgpu::BufferUsages::STORAGE,
            });
        let bind = self
            .gpu
            .device
            .create_bind_group(&wgpu::BindGroupDescriptor {
                label: Some("remap"),
                layout: &self.pipeline.get_bind_group_layout(0),
                entries: &[
                    entry(0, &self.params),
                    entry(1, &grid_buf),
                    entry(2, &self.src),
                    entry(3, &self.dst),
                ],
            });
        let mut encoder = self.gpu.device.create_command_encoder(&Default::default());
        {
            let mut pass = encoder.begin_compute_pass(&Default::default());
            pass.set_pipeline(&self.pipeline);
            pass.set_bind_group(0, &bind, &[]);
            pass.dispatch_workgroups(self.width.div_ceil(16), self.height.div_ceil(16), 1);
        }
        let size = (self.width as u64) * (self.height as u64) * 4;
        encoder.copy_buffer_to_buffer(&self.dst, 0, &self.readback, 0, size);
        self.gpu.queue.submit([encoder.finish()]);
        let slice = self.readback.slice(..);
        slice.map_async(wgpu::MapMode::Read, |_| {});
        self.gpu
            .device
            .poll(wgpu::PollType::wait_indefinitely())
            .map_err(|e| Error::Failed(format!("GPU remap: {e}")))?;
        let out = {
            let view = slice
                .get_mapped_range()
                .map_err(|e| Error::Failed(format!("GPU readback: {e}")))?;
            let words: &[u32] = bytemuck::cast_slice(&view);
            let mut rgb = Vec::with_capacity(words.len() * 3);
            for w in words {
                rgb.extend_from_slice(&[*w as u8, (*w >> 8) as u8, (*w >> 16) as u8]);
            }
            rgb
        };
        self.readback.unmap();
        if let Some(e) = self.gpu.take_error() {
            return Err(Error::Failed(format!("GPU remap: {e}")));
        }
        RgbImage::from_raw(self.width, self.height, out)
            .ok_or_else(|| Error::Failed("GPU readback has the wrong size".into()))
    }
}

fn entry(binding: u32, buffer: &wgpu::Buffer) -> wgpu::BindGroupEntry<'_> {
    wgpu::BindGroupEntry {
        binding,
        resource: buffer.as_entire_binding(),
    }
}
