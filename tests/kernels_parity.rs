//! Parity of the fast CPU kernels (`sfumato::kernels`) with the stock candle
//! compositions they replace, on deterministic random tensors: odd and even sizes, strides 1
//! and 2, 3x3 and 5x5 kernels, SAME and VALID padding, batches of two, channel counts that are
//! not multiples of the SIMD width, and the face mesh's own layer shapes.

use candle_core::{Device, Result, Tensor};
use sfumato::kernels::{
    self, stock, with_kernel_path, BlockActivation, BlockWeights, KernelPath, Padding,
};

/// Deterministic pseudo-random tensor with values in [-1, 1) (xorshift; no seeding of candle's
/// global RNG needed).
fn random(shape: &[usize], seed: u64) -> Tensor {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let n: usize = shape.iter().product();
    let data: Vec<f32> = (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 40) as f32 / (1u64 << 23) as f32 - 1.0
        })
        .collect();
    Tensor::from_vec(data, shape, &Device::Cpu).unwrap()
}

/// Asserts equal shapes and max |fast - stock| <= 1e-4 * max(1, max |stock|).
fn assert_close(what: &str, fast: &Tensor, stock: &Tensor) {
    assert_eq!(fast.dims(), stock.dims(), "{what}: shapes differ");
    let diff = (fast - stock)
        .unwrap()
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap();
    let scale = stock
        .abs()
        .unwrap()
        .flatten_all()
        .unwrap()
        .max(0)
        .unwrap()
        .to_scalar::<f32>()
        .unwrap()
        .max(1.0);
    assert!(
        diff <= 1e-4 * scale,
        "{what}: max |fast - stock| = {diff} (scale {scale})"
    );
}

#[test]
fn depthwise_matches_stock() -> Result<()> {
    let mut seed = 1;
    for &(n, c, h, w) in &[
        (1, 16, 96, 96),
        (2, 5, 7, 9),
        (1, 3, 13, 11),
        (1, 9, 1, 1),
        (2, 12, 6, 6),
    ] {
        for k in [3, 5] {
            for stride in [1, 2] {
                for padding in [Padding::Same, Padding::Valid] {
                    if padding == Padding::Valid && (h < k || w < k) {
                        continue;
                    }
                    seed += 1;
                    let x = random(&[n, c, h, w], seed);
                    let wt = random(&[c, 1, k, k], seed + 100);
                    let b = random(&[c], seed + 200);
                    let what = format!("depthwise {n}x{c}x{h}x{w} k{k} s{stride} {padding:?}");
                    let fast = kernels::depthwise(&x, &wt, &b, stride, padding)?;
                    let reference = stock::depthwise(&x, &wt, &b, stride, padding)?;
                    assert_close(&what, &fast, &reference);
                }
            }
        }
    }
    Ok(())
}

#[test]
fn depthwise_pads_asymmetrically_like_tflite() -> Result<()> {
    // A 4x4 plane of ones, 3x3 ones filter, stride 2, SAME: TFLite pads 0 before and 1 after,
    // so the top-left output sums a full 3x3 window (9) and the bottom-right one a 2x2 (4).
    let x = Tensor::ones((1, 1, 4, 4), candle_core::DType::F32, &Device::Cpu)?;
    let w = Tensor::ones((1, 1, 3, 3), candle_core::DType::F32, &Device::Cpu)?;
    let b = Tensor::zeros(1, candle_core::DType::F32, &Device::Cpu)?;
    let y = kernels::depthwise(&x, &w, &b, 2, Padding::Same)?;
    assert_eq!(y.flatten_all()?.to_vec1::<f32>()?, vec![9., 6., 6., 4.]);
    Ok(())
}

#[test]
fn pointwise_matches_stock() -> Result<()> {
    for (i, &(n, cin, cout, h, w)) in [
        (1, 16, 16, 96, 96),
        (2, 5, 7, 3, 11),
        (1, 128, 32, 3, 3),
        (1, 88, 2, 16, 16),
    ]
    .iter()
    .enumerate()
    {
        let seed = 10 * i as u64;
        let x = random(&[n, cin, h, w], seed);
        let wt = random(&[cout, cin, 1, 1], seed + 1);
        let b = random(&[cout], seed + 2);
        let fast = kernels::pointwise(&x, &wt, &b)?;
        let reference = stock::pointwise(&x, &wt, &b)?;
        assert_close(
            &format!("pointwise {n}x{cin}->{cout} {h}x{w}"),
            &fast,
            &reference,
        );
    }
    Ok(())
}

#[test]
fn conv2d_matches_stock() -> Result<()> {
    // Mesh stem, detector stem, mesh final "dense" conv, and odd shapes.
    let cases = [
        (1, 3, 16, 192, 192, 3, 2, Padding::Same),
        (1, 3, 24, 128, 128, 5, 2, Padding::Same),
        (1, 32, 1404, 3, 3, 3, 3, Padding::Valid),
        (2, 4, 6, 9, 7, 3, 1, Padding::Same),
        (1, 2, 5, 11, 13, 5, 2, Padding::Valid),
        (1, 3, 4, 5, 5, 1, 1, Padding::Valid),
    ];
    for (i, &(n, cin, cout, h, w, k, stride, padding)) in cases.iter().enumerate() {
        let seed = 50 + 10 * i as u64;
        let x = random(&[n, cin, h, w], seed);
        let wt = random(&[cout, cin, k, k], seed + 1);
        let b = random(&[cout], seed + 2);
        let fast = kernels::conv2d(&x, &wt, &b, stride, padding)?;
        let reference = stock::conv2d(&x, &wt, &b, stride, padding)?;
        let what = format!("conv2d {n}x{cin}x{h}x{w} -> {cout} k{k} s{stride} {padding:?}");
        assert_close(&what, &fast, &reference);
    }
    Ok(())
}

#[test]
fn prelu_add_and_pool_match_stock() -> Result<()> {
    let x = random(&[2, 7, 9, 5], 3);
    let slope = random(&[1, 1, 7], 4);
    assert_close(
        "prelu",
        &kernels::prelu(&x, &slope)?,
        &stock::prelu(&x, &slope.flatten_all()?)?,
    );

    let skip = random(&[2, 4, 9, 5], 5);
    assert_close(
        "add_padded",
        &kernels::add_padded(&x, &skip)?,
        &stock::add_padded(&x, &skip)?,
    );

    for padding in [Padding::Same, Padding::Valid] {
        for &(h, w) in &[(8, 6), (9, 5), (1, 3)] {
            let x = random(&[2, 3, h, w], 6 + h as u64);
            if padding == Padding::Valid && h < 2 {
                continue;
            }
            let what = format!("max_pool2 {h}x{w} {padding:?}");
            assert_close(
                &what,
                &kernels::max_pool2(&x, padding)?,
                &stock::max_pool2(&x, padding)?,
            );
        }
    }
    Ok(())
}

#[test]
fn blaze_block_matches_stock() -> Result<()> {
    // (batch, cin, cout, size, stride, prelu): mesh and detector shapes plus odd sizes.
    let cases = [
        (1, 16, 16, 96, 1, true),
        (1, 16, 32, 96, 2, true),
        (1, 128, 128, 6, 2, true),
        (1, 24, 28, 64, 1, false),
        (1, 88, 96, 16, 2, false),
        (2, 5, 9, 7, 2, true),
        (2, 6, 6, 11, 1, false),
    ];
    for (i, &(n, cin, cout, size, stride, use_prelu)) in cases.iter().enumerate() {
        let seed = 300 + 10 * i as u64;
        let (dw_weight, dw_bias) = (random(&[cin, 1, 3, 3], seed), random(&[cin], seed + 1));
        let (pw_weight, pw_bias) = (
            random(&[cout, cin, 1, 1], seed + 2),
            random(&[cout], seed + 3),
        );
        let weights = BlockWeights {
            dw_weight: &dw_weight,
            dw_bias: &dw_bias,
            pw_weight: &pw_weight,
            pw_bias: &pw_bias,
        };
        let slope = random(&[1, 1, cout], seed + 5);
        let act = if use_prelu {
            BlockActivation::PRelu(&slope)
        } else {
            BlockActivation::Relu
        };
        let x = random(&[n, cin, size, size], seed + 4);
        let what = format!("block {n}x{cin}->{cout} {size}² s{stride} prelu={use_prelu}");
        let fast = kernels::blaze_block(&x, weights, stride, act)?;
        assert_close(&what, &fast, &stock::blaze_block(&x, weights, stride, act)?);
        // The stock switch routes the same call through the reference composition.
        let switched = with_kernel_path(KernelPath::Stock, || {
            kernels::blaze_block(&x, weights, stride, act)
        })?;
        assert_close(&what, &switched, &fast);
    }
    Ok(())
}

#[test]
fn bad_shapes_are_errors_not_panics() {
    let x = random(&[1, 4, 5, 5], 1);
    assert!(kernels::depthwise(
        &x,
        &random(&[3, 1, 3, 3], 2),
        &random(&[3], 3),
        1,
        Padding::Same
    )
    .is_err());
    assert!(kernels::pointwise(&x, &random(&[2, 3, 1, 1], 2), &random(&[2], 3)).is_err());
    assert!(kernels::conv2d(
        &x,
        &random(&[2, 4, 7, 7], 2),
        &random(&[2], 3),
        1,
        Padding::Valid
    )
    .is_err());
    assert!(kernels::add_padded(&random(&[1, 2, 5, 5], 4), &x).is_err());
    let (dw_weight, dw_bias) = (random(&[4, 1, 3, 3], 1), random(&[4], 2));
    let (pw_weight, pw_bias) = (random(&[2, 4, 1, 1], 3), random(&[2], 4));
    let narrowing = BlockWeights {
        dw_weight: &dw_weight,
        dw_bias: &dw_bias,
        pw_weight: &pw_weight,
        pw_bias: &pw_bias,
    };
    assert!(kernels::blaze_block(&x, narrowing, 1, BlockActivation::Relu).is_err());
}
