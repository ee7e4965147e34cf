//! The live preview window (winit + wgpu) that plays frames as they are generated.
