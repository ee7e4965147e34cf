// Backward-map remap of the warp engine, the GPU twin of src/engine/warp/remap.rs: every output
// pixel takes the bilinearly interpolated portrait colour at the source position that the
// coarse grid gives it (bilinear between grid nodes). Same arithmetic as the CPU path.

struct Params {
    width: u32,
    height: u32,
    cols: u32,
    rows: u32,
    spacing: f32,
    _pad0: u32,
    _pad1: u32,
    _pad2: u32,
};

@group(0) @binding(0) var<uniform> params: Params;
@group(0) @binding(1) var<storage, read> grid: array<vec2<f32>>;
@group(0) @binding(2) var<storage, read> src: array<u32>;
@group(0) @binding(3) var<storage, read_write> dst: array<u32>;

fn texel(x: u32, y: u32) -> vec3<f32> {
    let p = src[y * params.width + x];
    return vec3<f32>(f32(p & 0xffu), f32((p >> 8u) & 0xffu), f32((p >> 16u) & 0xffu));
}

fn node(i: u32, j: u32) -> vec2<f32> {
    return grid[j * params.cols + i];
}

@compute @workgroup_size(16, 16)
fn main(@builtin(global_invocation_id) id: vec3<u32>) {
    if (id.x >= params.width || id.y >= params.height) {
        return;
    }
    let gy = min(f32(id.y) / params.spacing, f32(params.rows - 1u));
    let j = min(u32(gy), params.rows - 2u);
    let fy = gy - f32(j);
    let gx = min(f32(id.x) / params.spacing, f32(params.cols - 1u));
    let i = min(u32(gx), params.cols - 2u);
    let fx = gx - f32(i);
    let a = node(i, j) + fy * (node(i, j + 1u) - node(i, j));
    let b = node(i + 1u, j) + fy * (node(i + 1u, j + 1u) - node(i + 1u, j));
    let s = a + fx * (b - a);

    let x = clamp(s.x, 0.0, f32(params.width - 1u));
    let y = clamp(s.y, 0.0, f32(params.height - 1u));
    let x0 = min(u32(x), params.width - 2u);
    let y0 = min(u32(y), params.height - 2u);
    let tx = x - f32(x0);
    let ty = y - f32(y0);
    let p00 = texel(x0, y0);
    let p10 = texel(x0 + 1u, y0);
    let p01 = texel(x0, y0 + 1u);
    let p11 = texel(x0 + 1u, y0 + 1u);
    let top = p00 + tx * (p10 - p00);
    let bottom = p01 + tx * (p11 - p01);
    let c = clamp(floor(top + ty * (bottom - top) + 0.5), vec3<f32>(0.0), vec3<f32>(255.0));
    let u = vec3<u32>(c);
    dst[id.y * params.width + id.x] = u.x | (u.y << 8u) | (u.z << 16u) | (255u << 24u);
}
