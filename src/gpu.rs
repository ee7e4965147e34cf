//! The wgpu setup shared by the warp's remap and the preview window: one way to find an
//! adapter, tell a software rasteriser from a hardware GPU, and open a device whose errors are
//! recorded and logged instead of panicking (a driver error must not take an export down).

use std::sync::{Arc, Mutex};

/// An opened wgpu device and the adapter it came from.
pub(crate) struct GpuDevice {
    pub(crate) adapter: wgpu::Adapter,
    pub(crate) device: wgpu::Device,
    pub(crate) queue: wgpu::Queue,
    /// The adapter's name, for logs and summaries.
    pub(crate) name: String,
    /// Whether the adapter is a software rasteriser (lavapipe, llvmpipe).
    pub(crate) software: bool,
    /// The first device error not yet taken ([`GpuDevice::take_error`]).
    error: Arc<Mutex<Option<String>>>,
}

/// An instance for work without a window (the remap).
pub(crate) fn headless_instance() -> wgpu::Instance {
    wgpu::Instance::new(wgpu::InstanceDescriptor::new_without_display_handle_from_env())
}

/// Finds the best adapter of `instance` (one that can present to `surface`, where given) and
/// opens a device labelled `label`. The error is a message for the caller's one log line.
pub(crate) fn open(
    instance: &wgpu::Instance,
    surface: Option<&wgpu::Surface<'_>>,
    label: &'static str,
) -> Result<GpuDevice, String> {
    let adapter = pollster::block_on(instance.request_adapter(&wgpu::RequestAdapterOptions {
        power_preference: wgpu::PowerPreference::HighPerformance,
        compatible_surface: surface,
        ..Default::default()
    }))
    .map_err(|e| format!("no GPU adapter: {e}"))?;
    let info = adapter.get_info();
    let (device, queue) = pollster::block_on(adapter.request_device(&wgpu::DeviceDescriptor {
        label: Some(label),
        required_limits: wgpu::Limits::downlevel_defaults().using_resolution(adapter.limits()),
        ..Default::default()
    }))
    .map_err(|e| format!("the graphics adapter '{}' refused a device: {e}", info.name))?;
    let error = Arc::new(Mutex::new(None));
    let recorded = error.clone();
    device.on_uncaptured_error(Arc::new(move |e| {
        log::error!("{label}: graphics error: {e}");
        if let Ok(mut slot) = recorded.lock() {
            slot.get_or_insert_with(|| e.to_string());
        }
    }));
    Ok(GpuDevice {
        adapter,
        device,
        queue,
        software: info.device_type == wgpu::DeviceType::Cpu,
        name: info.name,
        error,
    })
}

impl GpuDevice {
    /// The first device error since the last call, if any: work submitted since then may be
    /// wrong.
    pub(crate) fn take_error(&self) -> Option<String> {
        self.error.lock().ok().and_then(|mut slot| slot.take())
    }
}
