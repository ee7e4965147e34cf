//! The wgpu side of the window: a surface, one texture per picture and a blit that draws each
//! texture into its viewport (letterboxed picture, then the optional driver inset).

use std::sync::Arc;

use image::RgbaImage;
use winit::window::Window;

use super::layout::Rect;
use crate::gpu::{self, GpuDevice};

/// Why the GPU side could not start; the preview is then reported unavailable.
pub(crate) type StartError = String;

/// A texture holding one picture, with the bind group that samples it.
struct Layer {
    texture: wgpu::Texture,
    bind_group: wgpu::BindGroup,
    size: (u32, u32),
}

/// Surface, device and pipeline for one preview window.
pub(crate) struct Renderer {
    surface: wgpu::Surface<'static>,
    device: wgpu::Device,
    queue: wgpu::Queue,
    config: wgpu::SurfaceConfiguration,
    pipeline: wgpu::RenderPipeline,
    bind_layout: wgpu::BindGroupLayout,
    sampler: wgpu::Sampler,
    texture_format: wgpu::TextureFormat,
    max_side: u32,
    main: Option<Layer>,
    inset: Option<Layer>,
    /// Adapter name, for the stats and the log.
    pub adapter: String,
}

/// Which picture a texture holds.
#[derive(Clone, Copy)]
pub(crate) enum Slot {
    Main,
    Inset,
}

impl Renderer {
    /// Connects to the GPU (or a software adapter such as lavapipe) and prepares to draw into
    /// `window`.
    pub(super) fn new(instance: &wgpu::Instance, window: Arc<Window>) -> Result<Self, StartError> {
        let size = window.inner_size();
        let surface = instance
            .create_surface(window)
            .map_err(|e| format!("cannot draw into the window: {e}"))?;
        // Device errors are logged, not panics: a driver error must not take the export down.
        let GpuDevice {
            adapter,
            device,
            queue,
            ..
        } = gpu::open(instance, Some(&surface), "sfumato preview")?;

        let caps = surface.get_capabilities(&adapter);
        let format = caps
            .formats
            .iter()
            .copied()
            .find(|f| f.is_srgb())
            .or_else(|| caps.formats.first().copied())
            .ok_or("the graphics adapter cannot present to this window")?;
        // Either both sides are sRGB or neither is, so frame bytes reach the screen unchanged.
        let texture_format = if format.is_srgb() {
            wgpu::TextureFormat::Rgba8UnormSrgb
        } else {
            wgpu::TextureFormat::Rgba8Unorm
        };
        let config = wgpu::SurfaceConfiguration {
            usage: wgpu::TextureUsages::RENDER_ATTACHMENT,
            format,
            color_space: wgpu::SurfaceColorSpace::Auto,
            width: size.width.max(1),
            height: size.height.max(1),
            desired_maximum_frame_latency: 2,
            present_mode: wgpu::PresentMode::AutoVsync,
            alpha_mode: caps
                .alpha_modes
                .first()
                .copied()
                .unwrap_or(wgpu::CompositeAlphaMode::Auto),
            view_formats: vec![],
        };
        surface.configure(&device, &config);

        let shader = device.create_shader_module(wgpu::include_wgsl!("blit.wgsl"));
        let bind_layout = device.create_bind_group_layout(&wgpu::BindGroupLayoutDescriptor {
            label: Some("preview picture"),
            entries: &[
                wgpu::BindGroupLayoutEntry {
                    binding: 0,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Texture {
                        sample_type: wgpu::TextureSampleType::Float { filterable: true },
                        view_dimension: wgpu::TextureViewDimension::D2,
                        multisampled: false,
                    },
                    count: None,
                },
                wgpu::BindGroupLayoutEntry {
                    binding: 1,
                    visibility: wgpu::ShaderStages::FRAGMENT,
                    ty: wgpu::BindingType::Sampler(wgpu::SamplerBindingType::Filtering),
                    count: None,
                },
            ],
        });
        let layout = device.create_pipeline_layout(&wgpu::PipelineLayoutDescriptor {
            label: Some("preview"),
            bind_group_layouts: &[Some(&bind_layout)],
            immediate_size: 0,
        });
        let pipeline = device.create_render_pipeline(&wgpu::RenderPipelineDescriptor {
            label: Some("preview blit"),
            layout: Some(&layout),
            vertex: wgpu::VertexState {
                module: &shader,
                entry_point: Some("vs_main"),
                compilation_options: Default::default(),
                buffers: &[],
            },
            primitive: wgpu::PrimitiveState {
                topology: wgpu::PrimitiveTopology::TriangleStrip,
                ..Default::default()
            },
            depth_stencil: None,
            multisample: wgpu::MultisampleState::default(),
            fragment: Some(wgpu::FragmentState {
                module: &shader,
                entry_point: Some("fs_main"),
                compilation_options: Default::default(),
                targets: &[Some(wgpu::ColorTargetState {
                    format,
                    blend: None,
                    write_mask: wgpu::ColorWrites::ALL,
                })],
            }),
            multiview_mask: None,
            cache: None,
        });
        let sampler = device.create_sampler(&wgpu::SamplerDescriptor {
            label: Some("preview"),
            mag_filter: wgpu::FilterMode::Linear,
            min_filter: wgpu::FilterMode::Linear,
            ..Default::default()
        });
        let info = adapter.get_info();
        Ok(Self {
            max_side: device.limits().max_texture_dimension_2d,
            surface,
            device,
            queue,
            config,
            pipeline,
            bind_layout,
            sampler,
            texture_format,
            main: None,
            inset: None,
            adapter: format!("{} ({:?})", info.name, info.backend),
        })
    }

    /// Size of the drawable area in physical pixels.
    pub(super) fn size(&self) -> (u32, u32) {
        (self.config.width, self.config.height)
    }

    /// Follows a window resize (physical pixels; zero while minimised is ignored).
    pub(super) fn resize(&mut self, width: u32, height: u32) {
        if width > 0 && height > 0 && (width, height) != self.size() {
            self.config.width = width;
            self.config.height = height;
            self.surface.configure(&self.device, &self.config);
        }
    }

    /// Size of the picture held in `slot`, if any.
    pub(super) fn picture_size(&self, slot: Slot) -> Option<(u32, u32)> {
        match slot {
            Slot::Main => self.main.as_ref(),
            Slot::Inset => self.inset.as_ref(),
        }
        .map(|l| l.size)
    }

    /// Uploads `picture` into `slot`, (re)creating the texture when its size changes. Pictures
    /// beyond the adapter's texture limit are scaled down first.
    pub(super) fn upload(&mut self, slot: Slot, picture: &RgbaImage) {
        let (w, h) = picture.dimensions();
        if w.max(h) > self.max_side {
            let s = self.max_side as f32 / w.max(h) as f32;
            let small = image::imageops::thumbnail(
                picture,
                ((w as f32 * s) as u32).max(1),
                ((h as f32 * s) as u32).max(1),
            );
            return self.upload(slot, &small);
        }
        if self.picture_size(slot) != Some((w, h)) {
            let layer = self.new_layer(w, h);
            *self.layer(slot) = Some(layer);
        }
        let layer = match slot {
            Slot::Main => self.main.as_ref(),
            Slot::Inset => self.inset.as_ref(),
        };
        let Some(layer) = layer else {
            return;
        };
        self.queue.write_texture(
            wgpu::TexelCopyTextureInfo {
                texture: &layer.texture,
                mip_level: 0,
                origin: wgpu::Origin3d::ZERO,
                aspect: wgpu::TextureAspect::All,
            },
            picture.as_raw(),
            wgpu::TexelCopyBufferLayout {
                offset: 0,
                bytes_per_row: Some(4 * w),
                rows_per_image: Some(h),
            },
            wgpu::Extent3d {
                width: w,
                height: h,
                depth_or_array_layers: 1,
            },
        );
    }

    /// Draws the main picture into `main` and, when given, the inset picture into `inset`, then
    /// presents. Returns false when the surface could not be drawn this time (minimised window,
    /// outdated swap chain); the caller simply redraws later.
    pub(super) fn draw(&mut self, main: Rect, inset: Option<Rect>) -> bool {
        let frame = match self.surface.get_current_texture() {
            wgpu::CurrentSurfaceTexture::Success(t)
            | wgpu::CurrentSurfaceTexture::Suboptimal(t) => t,
            wgpu::CurrentSurfaceTexture::Outdated | wgpu::CurrentSurfaceTexture::Lost => {
                self.surface.configure(&self.device, &self.config);
                return false;
            }
            other => {
                log::debug!("preview: frame skipped: {other:?}");
                return false;
            }
        };
        let view = frame
            .texture
            .create_view(&wgpu::TextureViewDescriptor::default());
        let mut encoder = self
            .device
            .create_command_encoder(&wgpu::CommandEncoderDescriptor { label: None });
        {
            let mut pass = encoder.begin_render_pass(&wgpu::RenderPassDescriptor {
                label: Some("preview"),
                color_attachments: &[Some(wgpu::RenderPassColorAttachment {
                    view: &view,
                    depth_slice: None,
                    resolve_target: None,
                    ops: wgpu::Operations {
                        load: wgpu::LoadOp::Clear(wgpu::Color::BLACK),
                        store: wgpu::StoreOp::Store,
                    },
                })],
                depth_stencil_attachment: None,
                timestamp_writes: None,
                occlusion_query_set: None,
                multiview_mask: None,
            });
            pass.set_pipeline(&self.pipeline);
            let layers = [
                (self.main.as_ref(), Some(main)),
                (self.inset.as_ref(), inset),
            ];
            for (layer, rect) in layers {
                if let (Some(layer), Some(r)) = (layer, rect) {
                    pass.set_viewport(r.x, r.y, r.w, r.h, 0.0, 1.0);
                    pass.set_bind_group(0, &layer.bind_group, &[]);
                    pass.draw(0..4, 0..1);
                }
            }
        }
        self.queue.submit([encoder.finish()]);
        self.queue.present(frame);
        true
    }

    fn layer(&mut self, slot: Slot) -> &mut Option<Layer> {
        match slot {
            Slot::Main => &mut self.main,
            Slot::Inset => &mut self.inset,
        }
    }

    fn new_layer(&self, width: u32, height: u32) -> Layer {
        let texture = self.device.create_texture(&wgpu::TextureDescriptor {
            label: Some("preview picture"),
            size: wgpu::Extent3d {
                width,
                height,
                depth_or_array_layers: 1,
            },
            mip_level_count: 1,
            sample_count: 1,
            dimension: wgpu::TextureDimension::D2,
            format: self.texture_format,
            usage: wgpu::TextureUsages::TEXTURE_BINDING | wgpu::TextureUsages::COPY_DST,
            view_formats: &[],
        });
        let view = texture.create_view(&wgpu::TextureViewDescriptor::default());
        let bind_group = self.device.create_bind_group(&wgpu::BindGroupDescriptor {
            label: Some("preview picture"),
            layout: &self.bind_layout,
            entries: &[
                wgpu::BindGroupEntry {
                    binding: 0,
                    resource: wgpu::BindingResource::TextureView(&view),
                },
                wgpu::BindGroupEntry {
                    binding: 1,
                    resource: wgpu::BindingResource::Sampler(&self.sampler),
                },
            ],
        });
        Layer {
            texture,
            bind_group,
            size: (width, height),
        }
    }
}
